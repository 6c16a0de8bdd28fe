"""Text columns for the terminal, measured as a terminal draws them, Khmer included."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    """Columns a terminal gives `text`: marks over or under a letter (most Khmer vowel signs,
    the coeng and the consonant under it) take none of their own."""
    columns = 0
    after_coeng = False
    for char in text:
        columns += not (unicodedata.category(char) in {"Mn", "Me"} or after_coeng)
        after_coeng = char == "\u17d2"
    return columns


def pad(text: str, columns: int, *, right: bool = False) -> str:
    """`text` padded with spaces to `columns` (on the left when `right`-aligned)."""
    fill = " " * (columns - width(text))
    return fill + text if right else text + fill
