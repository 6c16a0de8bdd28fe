"""Cues that need more than one sentence: the headline against the body, passages that may
conflict, and flat statements of what another sentence hedges.

- The headline: its words and figures that the body never uses ("Alleged", "dozens") are
  claims the body may not support.
- Conflicting figures: the two largest different figures for the same thing ("1,200
  killed" and "20 were dead"; "39 dead" and "a death toll of 31").
- Opposite words: a word and its negation in two sentences ("surprised" against
  "unsurprisingly", "related" against "unrelated", "expected" against "not expected").
- Flat statements: a sentence that states, with no hedge and no source, something about a
  name that another sentence hedges ("Alleged North Korean arms" against "North Korea has
  long offered weapons").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

from bot.domain.draft.article import Sentence, Token
from bot.domain.draft.cues import (
    NUMBER_WORDS,
    WEIGHTS,
    Cue,
    CueKind,
    Figure,
    figures_of,
    hedges,
    names_in,
)

_STEM_LETTERS: Final = 5
_SUFFIXES: Final = ("ingly", "edly", "ing", "ed", "ly", "es", "s", "e")
_NEGATIONS: Final = frozenset({"not", "never", "no", "nor"})
# A name hedged in one sentence and met in more than this share of them is the article's
# subject, not a claim: stating it flatly is not news.
_SUBJECT_SHARE: Final = 0.4
# Characters from a hedge to the start of the name it hedges: after it ("allegedly Acme"),
# or just before it ("Acme probably").
_HEDGE_AFTER: Final = 30
_HEDGE_BEFORE: Final = 20
_CLAUSE_BREAK: Final = re.compile(
    r"[,;:]|\b(?:as|because|and|but|while|since|that|which|who)\b", re.IGNORECASE
)
_VALUES: Final = {
    word: value
    for value, word in enumerate(
        (  # noqa: SIM905 (a sentence of words reads better than a column)
            "zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
        ).split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "dozen": 12, "dozens": 24, "hundred": 100}


@dataclass(frozen=True)
class Pair:
    """Two sentences that may conflict, and what in them does."""

    first: int
    second: int
    focus: str


def stem(word: str) -> str:
    """A crude stem, enough to tell "surprise", "surprised" and "surprisingly" apart from
    other words."""
    word = word.lower().replace("’", "'").removesuffix("'s")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _STEM_LETTERS:
            return word[: -len(suffix)]
    return word


def _prefix(word: str) -> str:
    return word.lower().replace("’", "'").removesuffix("'s")[:_STEM_LETTERS]


def headline_cue(headline: Sentence, body: Sequence[Sentence], stop_words: Collection[str]) -> Cue:
    """The headline's cue: its words and figures the body never uses, if any."""
    body_words = {_prefix(t.text) for s in body for t in s.words}
    absent = [
        t.text
        for t in headline.words
        if (t.is_number or (len(t.text) >= 4 and t.lower not in stop_words))
        and _prefix(t.text) not in body_words
    ]
    absent = list(dict.fromkeys(absent))
    weight = WEIGHTS[CueKind.HEADLINE] if absent else WEIGHTS[CueKind.HEADLINE] / 2
    return Cue(CueKind.HEADLINE, headline.index, ", ".join(absent[:4]), weight)


def _value(token: str) -> float | None:
    lowered = token.lower()
    if lowered in _VALUES:
        return float(_VALUES[lowered])
    try:
        return float(lowered.replace(",", ""))
    except ValueError:
        return None


@dataclass(frozen=True)
class _Count:
    value: float
    figure: Figure
    sentence: int


def figure_conflicts(sentences: Sequence[Sentence]) -> list[Pair]:
    """For each thing counted in two or more sentences, the two largest different figures.

    Two figures count the same thing only when they share the word for it and say the same
    about it: a casualty figure of one named group is not one of another ("1,200 Israelis"
    and "20 Thais"), people living somewhere are not people missing (their clauses share no
    word), and spans of time or distance ("24 hours", "30 hours") measure no thing at all.
    """
    by_thing: dict[str, list[_Count]] = {}
    for sentence in sentences:
        best: dict[str, _Count] = {}
        for figure in figures_of(sentence):
            value, thing = _value(figure.number), figure.key
            if not thing or value is None or figure.is_span:
                continue
            if thing not in best or value > best[thing].value:
                best[thing] = _Count(value, figure, sentence.index)
        for thing, count in best.items():
            by_thing.setdefault(thing, []).append(count)
    pairs: list[Pair] = []
    for thing, found in by_thing.items():
        ranked = sorted(found, key=lambda c: (-c.value, c.sentence))
        top = ranked[0]
        other = next(
            (
                c
                for c in ranked[1:]
                if c.value != top.value and c.sentence != top.sentence and _same(top, c)
            ),
            None,
        )
        if other is None:
            continue
        first, second = sorted([top, other], key=lambda c: c.sentence)
        focus = f"{first.figure.number} against {second.figure.number} ({thing})"
        pairs.append(Pair(first.sentence, second.sentence, focus))
    return pairs


def _same(one: _Count, other: _Count) -> bool:
    """Whether two figures with the same key count the same thing."""
    a, b = one.figure, other.figure
    if a.group and b.group and a.group.lower() != b.group.lower():
        return False
    # Any casualty word ("dead", "death toll", "killed") already says what is counted.
    return a.key == "deaths" or bool(a.context & b.context)


def _negated(words: Sequence[Token], stop_words: Collection[str]) -> dict[str, str]:
    """Stems the sentence negates ("unsurprisingly", "not expected"), with the words."""
    found: dict[str, str] = {}
    for position, token in enumerate(words):
        lowered = token.lower
        if lowered.startswith("un") and len(lowered) >= 2 + _STEM_LETTERS:
            found.setdefault(stem(lowered[2:]), token.text)
        elif lowered in _NEGATIONS and position + 1 < len(words):
            following = words[position + 1]
            if following.lower not in stop_words and len(following.text) >= _STEM_LETTERS:
                found.setdefault(stem(following.text), f"{token.text} {following.text}")
    return found


def opposite_words(sentences: Sequence[Sentence], stop_words: Collection[str]) -> list[Pair]:
    """A word in one sentence and its negation in another, one pair per word."""
    positive: dict[str, tuple[int, str]] = {}
    negations: list[tuple[int, str, str]] = []
    for sentence in sentences:
        negated = _negated(sentence.words, stop_words)
        negations += [(sentence.index, key, word) for key, word in negated.items()]
        inside = {w.lower() for word in negated.values() for w in word.split()}
        for token in sentence.words:
            if token.lower in inside or token.lower in stop_words:
                continue
            if len(token.text) >= _STEM_LETTERS and not token.is_number:
                positive.setdefault(stem(token.text), (sentence.index, token.text))
    pairs: list[Pair] = []
    seen: set[str] = set()
    for index, key, word in negations:
        if key in seen or key not in positive or positive[key][0] == index:
            continue
        seen.add(key)
        other, plain = positive[key]
        first, second = sorted([index, other])
        pairs.append(Pair(first, second, f'"{plain}" against "{word}"'))
    return pairs


def flat_statements(sentences: Sequence[Sentence], cues: dict[int, list[Cue]]) -> list[Cue]:
    """Sentences that state plainly, with no source, what a hedged sentence hedges."""
    sourced = {CueKind.VAGUE_SOURCE, CueKind.PASSIVE_SOURCE, CueKind.NAMED_SOURCE}
    hedged: dict[str, tuple[int, str]] = {}
    for sentence in sentences:
        text = sentence.text
        for hedge in hedges(text):
            for name, start in names_in(sentence.words):
                if not -_HEDGE_BEFORE <= start - hedge.start() <= _HEDGE_AFTER:
                    continue
                # "attack Israel as there seems to be": a new clause hedges something else.
                if start < hedge.start() and _CLAUSE_BREAK.search(text, start, hedge.start()):
                    continue
                hedged.setdefault(_key(name), (sentence.index, hedge.group()))
    mentions: dict[str, set[int]] = {}
    for sentence in sentences:
        for name, _ in names_in(sentence.words):
            mentions.setdefault(_key(name), set()).add(sentence.index)
    found: list[Cue] = []
    for sentence in sentences:
        kinds = {cue.kind for cue in cues.get(sentence.index, [])}
        if kinds & (sourced | {CueKind.HEDGE}) or sentence.headline:
            continue
        for name, _ in names_in(sentence.words):
            key = _key(name)
            if key not in hedged or hedged[key][0] == sentence.index:
                continue
            if len(mentions[key]) > _SUBJECT_SHARE * len(sentences):
                continue
            where, word = hedged[key]
            found.append(
                Cue(CueKind.FLAT, sentence.index, name, WEIGHTS[CueKind.FLAT], word, where)
            )
            break
    return found


def _key(name: str) -> str:
    words = [w for w in re.split(r"\s+", name) if w.lower() not in NUMBER_WORDS]
    return " ".join(_prefix(w) for w in words if len(w) >= 2 or w.isupper())
