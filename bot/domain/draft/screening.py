"""Whether a text is an English article a draft can be made from.

The rules are simple on purpose, so that an instructor can predict them (docs/drafting.md):

- long enough (60 words) to hold claims, short enough (100,000 characters, a long
  feature) for one quiz file under its 1 MB limit;
- prose: at least one sentence end (. ! ?) per 60 words, so a list of words or a table
  is refused;
- not data: it is not a YAML or JSON document of several entries (a quiz file, a
  skill catalogue), and fewer than half of its lines read as data, markup or code;
- English: at least 20 % of its words are English stop words (the, of, and, that, ...),
  from the published list the caller passes (English prose has 40-50 %; other languages,
  even those written in the same letters, under 10 %).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final

import yaml

from bot.domain.draft.article import tokens
from bot.domain.errors import ArticleProblem

MIN_WORDS: Final = 60
MAX_CHARACTERS: Final = 100_000
MAX_WORDS_PER_SENTENCE_END: Final = 60
MIN_SENTENCE_ENDS: Final = 3
MAX_DATA_LINE_SHARE: Final = 0.5
MIN_STOP_WORD_SHARE: Final = 0.2

_SENTENCE_END: Final = re.compile(r"[.!?…][\"'”’)\]]*(?:\s|$)")
# "key: value", "- item", braces and tags, comments, assignments and calls: lines of data.
_DATA_LINE: Final = re.compile(
    r"""^\s*(?:-\s|[\w"'.-]+\s*:(?:\s|$)|[{}\[\]<#]|//|\w+\s*=\s|\w+\(.*\)[;,]?\s*$)"""
)


def stop_word_share(text: str, stop_words: Collection[str]) -> float:
    """The share of the text's words that are in `stop_words` (lower case)."""
    words = [t.lower for t in tokens(text) if not t.is_number]
    if not words:
        return 0.0
    return sum(1 for w in words if w in stop_words) / len(words)


def screen_article(text: str, stop_words: Collection[str]) -> ArticleProblem | None:
    """Why `text` cannot be drafted from, or None when it reads as an English article."""
    if not text.strip():
        return ArticleProblem.EMPTY
    if len(text) > MAX_CHARACTERS:
        return ArticleProblem.TOO_LONG
    lines = [line for line in text.splitlines() if line.strip()]
    data_lines = sum(1 for line in lines if _DATA_LINE.match(line))
    if data_lines > MAX_DATA_LINE_SHARE * len(lines) or _is_structured(text):
        return ArticleProblem.DATA
    words = len(tokens(text))
    ends = len(_SENTENCE_END.findall(text))
    if words >= MIN_WORDS and (
        ends < MIN_SENTENCE_ENDS or words > MAX_WORDS_PER_SENTENCE_END * ends
    ):
        return ArticleProblem.NOT_PROSE
    if stop_word_share(text, stop_words) < MIN_STOP_WORD_SHARE:
        # Before the length: a short text in another language is told so.
        return ArticleProblem.NOT_ENGLISH
    if words < MIN_WORDS:
        return ArticleProblem.TOO_SHORT
    return None


def _is_structured(text: str) -> bool:
    """Whether the text is a YAML (or JSON) mapping or list of two or more entries, or of
    one that holds more ("skills:" and its list).

    Prose is at most one YAML string, or "Note: ..." once: its paragraphs never make more.
    """
    try:
        value = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return False
    if not isinstance(value, dict | list):
        return False
    entries = list(value.values()) if isinstance(value, dict) else value
    return len(entries) >= 2 or any(isinstance(e, dict | list) for e in entries)
