"""Item-writing checks: cues that let a learner score without reading, and gaps in feedback.

Each check enforces one of the multiple-choice item-writing guidelines reviewed by Haladyna,
Downing and Rodriguez (2002, Applied Measurement in Education 15(3), 309-334), cited by their
number (G1-G31), or a rule of this project's own where it says so. docs/quiz-format.md lists
them with examples. Every finding is a warning: `quizbot quiz validate --strict` turns
warnings into errors.

The checks see parsed items only, never the file; `checks.py` places each finding at its
line. They must not fail on odd items (one option, huge texts, any script): a check that
does not apply returns nothing.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from bot.domain.quizfile.model import Item, ItemKind, normalise
from bot.domain.quizfile.reader import Path
from bot.domain.text import N_, Text, Value, say


@dataclass(frozen=True)
class Thresholds:
    """Where each check starts to warn, with the reason for each number."""

    # G24, G28d: a key half as long again as every distractor stands out on a phone screen;
    # below 10 characters of difference ("Yes" against "No") length says nothing.
    key_length_ratio: float = 1.5
    key_length_margin: int = 10
    # G24 per quiz: with this many one-answer items the share of longest keys can be told
    # from chance; the z of a one-sided test at 5 % (1.645) separates a habit from luck.
    key_longest_min_items: int = 6
    key_longest_z: float = 1.645
    # G29, G4: an option met in this many items is learnt as "the one that is never right".
    reused_option_items: int = 3
    # G20: a pattern in the number of keys needs this many "choose all" items to be a habit.
    multiple_min_items: int = 3
    # G20 for true/false: outside 35-65 % a learner who always answers the majority key beats
    # chance by 15 points or more; below 4 items any split is noise.
    true_false_min_items: int = 4
    true_false_low: float = 0.35
    true_false_high: float = 0.65
    # G28b: shorter words are mostly grammar; 4 letters keeps "Gaza" and "Iran".
    cue_word_min_letters: int = 4


THRESHOLDS: Final = Thresholds()


@dataclass(frozen=True)
class Finding:
    """One item-writing warning at a path of the quiz file.

    `item` is the index of the item it is about (its label is added by the caller), or None
    for a finding about the quiz as a whole.
    """

    path: Path
    item: int | None
    code: str
    message: Text
    option: int | None = None  # 0-based, when the finding is about one option


# Kinds with one key among options a learner compares by look (true/false options are fixed).
_COMPARED: Final = frozenset({ItemKind.SINGLE, ItemKind.CONTRADICTION})

# G28a: specific determiners. Matched as whole words, case ignored.
_ABSOLUTES: Final = frozenset(
    {
        "all", "always", "never", "none", "nobody", "nothing", "every", "everyone",
        "everything", "everywhere", "only", "completely", "entirely", "totally", "absolutely",
        "definitely", "certainly", "undeniably", "prove", "proves", "proved", "proven",
        "impossible", "admitted", "admits", "ever", "fully", "wholly",
    }
)  # fmt: skip
_ABSOLUTE_PHRASES: Final = ("no one",)
_HEDGES: Final = frozenset(
    {
        "partly", "partially", "probably", "likely", "unlikely", "may", "might", "could",
        "possibly", "perhaps", "some", "somewhat", "broadly", "mostly", "largely", "suggests",
        "suggest", "appears", "seems", "unclear", "uncertain", "roughly", "apparently",
    }
)  # fmt: skip
_HEDGE_PHRASES: Final = ("not necessarily", "not yet", "not clear")
# "not proven", "not all": a negated absolute is a hedge, not an absolute.
_NEGATION: Final = "not"

# G28b: words of four letters or more that say nothing about the content of an option.
_STOP_WORDS: Final = frozenset(
    {
        "about", "above", "after", "again", "also", "among", "anything", "been", "before",
        "being", "both", "does", "doing", "down", "each", "even", "from", "have", "having",
        "here", "into", "just", "more", "most", "much", "must", "other", "over", "same",
        "such", "than", "that", "their", "them", "then", "there", "these", "they", "this",
        "those", "through", "under", "until", "very", "were", "what", "when", "where",
        "which", "while", "whom", "whose", "will", "with", "would", "your", "yours", "should",
        "could", "said", "says", "tell", "tells", "told", "show", "shows", "passage",
        "article", "text", "claim", "claims", "question", "answer", "writer", "author",
        "word", "words", "sentence", "paragraph", "true", "false", "because", "only",
    }
)  # fmt: skip
_SUFFIXES: Final = ("ingly", "edly", "ings", "ing", "ied", "ies", "ed", "es", "ly", "s", "e")
_WORD: Final = re.compile(r"\w+")
_OF_THE_ABOVE: Final = re.compile(
    r"\b(?:all|none|both|neither)\s+(?:of\s+)?(?:the\s+)?(?:above|these)\b"
)


def lint_items(
    items: Sequence[tuple[int, Item]], thresholds: Thresholds = THRESHOLDS
) -> list[Finding]:
    """Every item-writing finding of the items, given as (index in the file, item)."""
    findings: list[Finding] = []
    for index, item in items:
        findings += _item_findings(index, item, thresholds)
    findings += _reused_options(items, thresholds)
    findings += _longest_key_share(items, thresholds)
    findings += _multiple_key_counts(items, thresholds)
    findings += _true_false_balance(items, thresholds)
    return findings


def _item_findings(index: int, item: Item, t: Thresholds) -> Iterable[Finding]:
    at: Path = ("items", index)
    keys = item.correct_indices
    if not keys:
        return  # the missing key is an error already; every option would look "wrong"
    for number, option in enumerate(item.options):
        path: Path = (*at, "options", number)
        if _OF_THE_ABOVE.search(option.text.casefold()):
            yield Finding(
                (*path, "text"),
                index,
                "of-the-above",
                say(
                    N_(
                        "'all/none of the above' does not survive shuffled options and can be "
                        "answered by spotting two right (or wrong) options; write a real option "
                        "(G25, G26)"
                    )
                ),
                number,
            )
        if number in keys:
            continue
        if option.feedback is None and item.kind is not ItemKind.TRUE_FALSE:
            yield Finding(
                path,
                index,
                "no-feedback",
                say(
                    N_(
                        "a wrong option with no 'feedback'; say why a reader might pick it and "
                        "what the passage shows (formative feedback: Shute 2008)"
                    )
                ),
                number,
            )
        if item.verdict is not None and option.judgement is None:
            yield Finding(
                path,
                index,
                "no-judgement",
                say(
                    N_(
                        "a wrong option with no 'judgement'; say what picking it means about the "
                        "claim: sound (believes it), flawed (doubts it) or neither (a "
                        "misreading), so discernment is measured right"
                    )
                ),
                number,
            )
    if item.kind in _COMPARED and len(keys) == 1 and len(item.options) > 1:
        yield from _conspicuous_key(index, item, t)
        yield from _hedged_key(index, item)
        yield from _word_cue(index, item, t)


def _lengths(item: Item) -> tuple[int, list[int]]:
    """The key's length and the distractors' lengths, of a one-answer item."""
    (key,) = item.correct_indices
    sizes = [len(normalise(option.text)) for option in item.options]
    return sizes[key], [size for number, size in enumerate(sizes) if number != key]


def _conspicuous_key(index: int, item: Item, t: Thresholds) -> Iterable[Finding]:
    key, others = _lengths(item)
    longest = max(others)
    if key >= t.key_length_ratio * longest and key - longest >= t.key_length_margin:
        yield Finding(
            ("items", index, "options"),
            index,
            "key-length",
            say(
                N_(
                    "the right option is {key} characters and the longest other one {longest}: "
                    "a learner who picks the longest option wins without reading; make the "
                    "options about equal in length (G24, G28d)"
                ),
                key=key,
                longest=longest,
            ),
        )


def _hedged_key(index: int, item: Item) -> Iterable[Finding]:
    (key,) = item.correct_indices
    texts = [option.text.casefold() for option in item.options]
    distractors = [text for number, text in enumerate(texts) if number != key]
    key_text = texts[key]
    if _hedged(key_text) and not _absolute(key_text) and all(map(_absolute, distractors)):
        yield Finding(
            ("items", index, "options"),
            index,
            "hedged-key",
            say(
                N_(
                    "the right option is the only hedged one and every other option is an "
                    "absolute (all, never, only, proves...): a learner can pick the careful "
                    "wording without reading; hedge some wrong options too, or state the key "
                    "plainly (G28a)"
                )
            ),
        )


def _word_cue(index: int, item: Item, t: Thresholds) -> Iterable[Finding]:
    (key,) = item.correct_indices
    stem = _stems(f"{item.passage} {item.question}", t)
    words = [_stems(option.text, t) for option in item.options]
    elsewhere = set().union(*(found for number, found in enumerate(words) if number != key))
    cues = sorted(w for w in _shared(words[key], stem) if not _shared({w}, elsewhere))
    if cues:
        yield Finding(
            ("items", index, "options", key, "text"),
            index,
            "word-cue",
            say(
                N_(
                    "only the right option repeats '{word}' from the passage or question: a "
                    "learner can match words instead of judging; reword the key or use the "
                    "word in other options too (G28b)"
                ),
                word=cues[0],
            ),
        )


def _reused_options(items: Sequence[tuple[int, Item]], t: Thresholds) -> Iterable[Finding]:
    places: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for index, item in items:
        if item.kind is ItemKind.TRUE_FALSE:
            continue  # "True" and "False" are the same everywhere by design
        seen: set[str] = set()
        for number, option in enumerate(item.options):
            text = normalise(option.text).casefold()
            if text not in seen:
                seen.add(text)
                places[text].append((index, number))
    for spots in places.values():
        if len(spots) < t.reused_option_items:
            continue
        for index, number in spots:
            yield Finding(
                ("items", index, "options", number, "text"),
                index,
                "reused-option",
                say(
                    N_(
                        "the same text is an option in {count} items; learners soon know it is "
                        "never (or always) the answer; write options for this item (G4, G29)"
                    ),
                    count=len(spots),
                ),
                number,
            )


def _longest_key_share(items: Sequence[tuple[int, Item]], t: Thresholds) -> Iterable[Finding]:
    compared = [
        (index, item)
        for index, item in items
        if item.kind in _COMPARED and len(item.correct_indices) == 1 and len(item.options) > 1
    ]
    if len(compared) < t.key_longest_min_items:
        return
    longest: list[str] = []
    expected = variance = 0.0
    for _, item in compared:
        chance = 1 / len(item.options)
        expected += chance
        variance += chance * (1 - chance)
        key, others = _lengths(item)
        if key > max(others):
            longest.append(item.id)
    if len(longest) <= expected + t.key_longest_z * math.sqrt(variance):
        return
    first = compared[0][0]
    yield Finding(
        ("items", first),
        None,
        "key-longest-share",
        say(
            N_(
                "the right option is the longest in {count} of {total} one-answer items, where "
                "chance would give about {expected}: learners learn to pick the longest option; "
                "vary it in {items} (G24, G28d)"
            ),
            count=len(longest),
            total=len(compared),
            expected=round(expected),
            items=_listing(longest),
        ),
    )


def _multiple_key_counts(items: Sequence[tuple[int, Item]], t: Thresholds) -> Iterable[Finding]:
    multiple = [(index, item) for index, item in items if item.kind is ItemKind.MULTIPLE]
    counts = {len(item.correct_indices) for _, item in multiple}
    if len(multiple) < t.multiple_min_items or len(counts) != 1:
        return
    (count,) = counts
    yield Finding(
        ("items", multiple[0][0]),
        None,
        "choose-all-count",
        say(
            N_(
                "every 'choose all' item has exactly {count} right options ({items}): learners "
                "learn to tick {count}; vary the number of right options (G20)"
            ),
            count=count,
            items=_listing([item.id for _, item in multiple]),
        ),
    )


def _true_false_balance(items: Sequence[tuple[int, Item]], t: Thresholds) -> Iterable[Finding]:
    paired = [
        (index, item)
        for index, item in items
        if item.kind is ItemKind.TRUE_FALSE and len(item.options) == 2
    ]
    if len(paired) < t.true_false_min_items:
        return
    first_keyed = sum(1 for _, item in paired if item.options[0].correct)
    share = first_keyed / len(paired)
    if t.true_false_low <= share <= t.true_false_high:
        return
    yield Finding(
        ("items", paired[0][0]),
        None,
        "true-false-balance",
        say(
            N_(
                "{count} of {total} true/false items have the first option ('{option}') as the "
                "right answer: a learner who always answers the same wins; aim for about half "
                "(G20)"
            ),
            count=first_keyed,
            total=len(paired),
            option=paired[0][1].options[0].text,
        ),
    )


def _absolute(text: str) -> bool:
    """Whether case-folded `text` makes an absolute claim ("never", "proves"), not negated."""
    tokens = _WORD.findall(text)
    return any(
        token in _ABSOLUTES and (position == 0 or tokens[position - 1] != _NEGATION)
        for position, token in enumerate(tokens)
    ) or any(re.search(rf"\b{phrase}\b", text) for phrase in _ABSOLUTE_PHRASES)


def _hedged(text: str) -> bool:
    """Whether case-folded `text` hedges ("partly", "may", or a negated absolute)."""
    tokens = _WORD.findall(text)
    return any(
        token in _HEDGES
        or (token in _ABSOLUTES and position > 0 and tokens[position - 1] == _NEGATION)
        for position, token in enumerate(tokens)
    ) or any(re.search(rf"\b{phrase}\b", text) for phrase in _HEDGE_PHRASES)


def _stems(text: str, t: Thresholds) -> set[str]:
    found: set[str] = set()
    for word in _WORD.findall(text.casefold()):
        if len(word) < t.cue_word_min_letters or word.isdigit() or word in _STOP_WORDS:
            continue
        found.add(_stem(word))
    return found


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _shared(words: set[str], stem: set[str]) -> set[str]:
    """Words of `words` that match one of `stem`: equal, or one inside the other (5+ letters)."""
    return {
        word
        for word in words
        if word in stem
        or any(
            min(len(word), len(other)) >= 5 and (word in other or other in word) for other in stem
        )
    }


def _listing(ids: Sequence[str], shown: int = 8) -> Value:
    more = len(ids) - shown
    listed = ", ".join(ids[:shown])
    if more <= 0:
        return listed
    return say(N_("{items} and {count} more"), items=listed, count=more)
