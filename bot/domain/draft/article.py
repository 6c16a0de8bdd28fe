"""The article a draft is made from: its text, headline and sentences with their places."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

_WORD: Final = re.compile(r"[^\W\d_](?:[\w'’-]*\w)?|\d(?:[\d,.]*\d)?", re.UNICODE)


@dataclass(frozen=True)
class Token:
    """A word or a number, with where it starts in its sentence."""

    text: str
    start: int

    @property
    def lower(self) -> str:
        """The word in lower case, with a typographic apostrophe made straight."""
        return self.text.lower().replace("’", "'")

    @property
    def is_number(self) -> bool:
        """Whether it is written in digits."""
        return self.text[0].isdigit()

    @property
    def is_capitalised(self) -> bool:
        """Whether it starts with a capital letter (a name, or a sentence's first word)."""
        return self.text[0].isupper()


def tokens(text: str) -> list[Token]:
    """The words and numbers of a text."""
    return [Token(m.group(), m.start()) for m in _WORD.finditer(text)]


def word_count(text: str) -> int:
    """How many words and numbers the text has."""
    return sum(1 for _ in _WORD.finditer(text))


@dataclass(frozen=True)
class Sentence:
    """One sentence of the article: its text and its place in the article's text."""

    index: int
    start: int
    end: int
    text: str
    headline: bool = False
    words: tuple[Token, ...] = field(default=(), compare=False)

    @staticmethod
    def make(index: int, start: int, text: str, *, headline: bool = False) -> Sentence:
        """A sentence at `start` of the article's text."""
        return Sentence(index, start, start + len(text), text, headline, tuple(tokens(text)))


@dataclass(frozen=True)
class Article:
    """An article's text with its metadata and its sentences, headline first if it has one."""

    text: str
    title: str
    sentences: tuple[Sentence, ...]
    publisher: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None

    @property
    def words(self) -> int:
        """The number of words of the whole text."""
        return word_count(self.text)


def locate_sentences(
    text: str, pieces: list[str], *, headline: str | None = None
) -> tuple[Sentence, ...]:
    """Place a segmenter's sentences in `text`, each stripped of the space around it.

    Pieces are looked for in order from where the last one ended, so a sentence that occurs
    twice gets both of its places. A piece not found (a segmenter that changed it) is left out.
    """
    sentences: list[Sentence] = []
    cursor = 0
    for piece in pieces:
        stripped = piece.strip()
        if not stripped:
            continue
        start = text.find(stripped, cursor)
        if start < 0:
            continue
        cursor = start + len(stripped)
        is_headline = not sentences and headline is not None and stripped == headline.strip()
        sentences.append(Sentence.make(len(sentences), start, stripped, headline=is_headline))
    return tuple(sentences)


def headline_of(text: str) -> str | None:
    """The first line when it reads as a headline: short, alone, and with no full stop."""
    first, _, rest = text.strip().partition("\n")
    first = first.strip()
    if not rest.strip() or not first or len(first) > 200 or first.endswith((".", ":", ";", ",")):
        return None
    if not rest.startswith("\n") and not rest.lstrip(" \t").startswith("\n"):
        return None  # the paragraph goes on: the first line is only its start
    return first
