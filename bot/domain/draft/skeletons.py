"""Item skeletons: the cues of each sentence merged, ranked, and capped per 1,000 words.

A sentence is proposed at most once: all its cues go into one skeleton, whose strongest cue
decides the skill, the kind and the question. Two sentences that may conflict make one
"find the contradiction" skeleton. Skeletons are scored by the summed weight of their cues
(one cue of each kind counts) and chosen one at a time, each skill's further skeletons at a
discount, so the draft trains a spread of skills; at most `PER_THOUSAND_WORDS` per 1,000
words of the article are kept: more would be a list to wade through, not a draft.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from bot.domain.draft.article import Article, Sentence
from bot.domain.draft.cues import (
    SKILLS,
    WEIGHTS,
    Cue,
    CueKind,
    name_variants,
    sentence_cues,
)
from bot.domain.draft.pairs import (
    Pair,
    figure_conflicts,
    flat_statements,
    headline_cue,
    opposite_words,
)

PER_THOUSAND_WORDS: Final = 25
# The share of its score that each further skeleton of a skill already chosen keeps: once
# a skill has an item, a bare vague source (3.0 x 0.7 = 2.1) ranks below a bare cue of a
# skill not yet chosen (a hint at a link or an edited quotation, 2.5).
REPEAT_DISCOUNT: Final = 0.7
# A skeleton needs more than a date or one mildly rated word to be worth an item.
MIN_SCORE: Final = 1.5
# Words rated this strongly (of VADER's -4 to +4) are loaded: "killed" -3.5 and "terrorist"
# -3.7 are in, "support" 1.7 and "serious" -0.3 are out.
LOADED_THRESHOLD: Final = 2.0
# A passage longer than this is cut at a word (it must fit a phone screen with its options).
MAX_PASSAGE: Final = 500
_MIN_WORDS: Final = 3


@dataclass(frozen=True)
class Skeleton:
    """A proposed item: a passage, its cues (strongest first) and, for a pair, the other."""

    sentence: Sentence
    cues: tuple[Cue, ...]
    score: float
    partner: Sentence | None = None
    pair_focus: str = ""

    @property
    def primary(self) -> Cue | None:
        """The cue that decides the item (None for a pair, whose conflict decides)."""
        return None if self.partner is not None else self.cues[0]

    @property
    def skill(self) -> str:
        """The skill id the item trains."""
        primary = self.primary
        return SKILLS[CueKind.CONFLICT] if primary is None else SKILLS[primary.kind]

    @property
    def passage(self) -> str:
        """The verbatim passage: the sentence, cut at a word when very long."""
        return cut(self.sentence.text)


def cut(text: str, limit: int = MAX_PASSAGE) -> str:
    """`text`, or its start up to the last whole word within `limit` characters."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    return head[: head.rfind(" ")].rstrip(" ,;:") if " " in head else head


def cap_for(words: int, per_thousand: int = PER_THOUSAND_WORDS) -> int:
    """How many skeletons an article of `words` words may get (at least one)."""
    return max(1, math.floor(per_thousand * words / 1000))


def _eligible(sentence: Sentence) -> bool:
    # Datelines, credits and page furniture ("Related Articles") hold no claim to ask about.
    letters = [t for t in sentence.words if not t.is_number]
    return sentence.headline or (
        len(letters) >= _MIN_WORDS and any(t.text[0].islower() for t in letters)
    )


def _score(cues: Sequence[Cue]) -> float:
    best: dict[CueKind, float] = {}
    for cue in cues:
        best[cue.kind] = max(best.get(cue.kind, 0.0), cue.weight)
    return sum(best.values())


def find_cues(
    article: Article, lexicon: Mapping[str, float], stop_words: Collection[str]
) -> tuple[dict[int, list[Cue]], list[Pair]]:
    """Every cue of every sentence, and the pairs of sentences that may conflict."""
    sentences = [s for s in article.sentences if _eligible(s)]
    cues: dict[int, list[Cue]] = {
        s.index: sentence_cues(s, lexicon, loaded_threshold=LOADED_THRESHOLD) for s in sentences
    }
    for cue in name_variants(sentences):
        cues[cue.sentence].append(cue)
    body = [s for s in sentences if not s.headline]
    for sentence in sentences:
        if sentence.headline:
            cues[sentence.index].append(headline_cue(sentence, body, stop_words))
    for cue in flat_statements(body, cues):
        cues[cue.sentence].append(cue)
    pairs = figure_conflicts(body) + opposite_words(body, stop_words)
    return cues, pairs


def build_skeletons(
    article: Article,
    lexicon: Mapping[str, float],
    stop_words: Collection[str],
    *,
    per_thousand: int = PER_THOUSAND_WORDS,
) -> list[Skeleton]:
    """The ranked, capped skeletons of an article, in the article's order."""
    cues, pairs = find_cues(article, lexicon, stop_words)
    by_index = {s.index: s for s in article.sentences}
    candidates: list[Skeleton] = []
    for index, found in cues.items():
        ranked = tuple(sorted(found, key=lambda c: -c.weight))
        if ranked and _score(ranked) >= MIN_SCORE:
            candidates.append(Skeleton(by_index[index], ranked, _score(ranked)))
    for pair in pairs:
        first, second = cues.get(pair.first, []), cues.get(pair.second, [])
        conflict = Cue(CueKind.CONFLICT, pair.first, pair.focus, WEIGHTS[CueKind.CONFLICT])
        score = conflict.weight + (_score(first) + _score(second)) / 2
        candidates.append(
            Skeleton(
                by_index[pair.first],
                (conflict, *sorted(first, key=lambda c: -c.weight)),
                score,
                partner=by_index[pair.second],
                pair_focus=pair.focus,
            )
        )
    chosen = choose(candidates, cap_for(article.words, per_thousand))
    return sorted(chosen, key=lambda c: c.sentence.index)


def choose(candidates: Sequence[Skeleton], limit: int) -> list[Skeleton]:
    """Up to `limit` skeletons, each time the best one left after the skills already chosen.

    A skill's second skeleton counts `REPEAT_DISCOUNT` of its score, its third that again,
    and so on: a quiz that trains one skill eight times trains the others not at all. No
    sentence is used twice.
    """
    left = sorted(candidates, key=lambda c: (-c.score, c.sentence.index))
    chosen: list[Skeleton] = []
    used: set[int] = set()
    per_skill: Counter[str] = Counter()
    while left and len(chosen) < limit:
        best = max(left, key=lambda c: c.score * REPEAT_DISCOUNT ** per_skill[c.skill])
        left.remove(best)
        places = {best.sentence.index}
        if best.partner is not None:
            places.add(best.partner.index)
        if places & used:
            continue
        used |= places
        per_skill[best.skill] += 1
        chosen.append(best)
    return chosen
