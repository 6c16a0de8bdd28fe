"""Every value with an unquoted ': ', found in one pass over the file, each with its fix.

YAML reads ': ' inside a plain (unquoted) value as the start of a new key, and the parser
stops at the first one, so an instructor with five such values needed five uploads. Here the
scanner is asked again after each find, with that colon taken out, until it finds no more;
the scanner, not a pattern, decides, so a ': ' inside quotes, a block (| or >) or a comment
is never reported. A second scan then names the value each colon is in, for the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import yaml
from yaml.error import MarkedYAMLError, YAMLError
from yaml.tokens import KeyToken, ScalarToken, ValueToken

from bot.domain.text import N_, Text, say

Loader = type[yaml.CSafeLoader] | type[yaml.SafeLoader]

COLON_PROBLEM: Final = "mapping values are not allowed"
# Each find rescans the file from its start: stop after this many characters scanned in all
# (about a second with libyaml, 25 times slower without it), so that a megabyte of such lines
# cannot hold a worker. The parse after the last find then reports the next one on its own.
MAX_SCANNED: Final = 50_000_000
MAX_FOUND: Final = 200
_SHOWN: Final = 70  # characters of a value shown in the fix
_BREAKS: Final = ("", "\n", "\r", "\x85", "\u2028", "\u2029")


@dataclass(frozen=True)
class Colon:
    """A colon the scanner refused: its offset in the text and its 1-based line."""

    offset: int
    line: int


@dataclass(frozen=True)
class ColonScan:
    """The colons found, and the text with each of them replaced by ';'."""

    colons: tuple[Colon, ...]
    repaired: str


def find_colons(text: str, loader: Loader) -> ColonScan:
    """Every ': ' (or line-ending ':') in a plain value, as the scanner finds them in turn."""
    chars = list(text)
    colons: list[Colon] = []
    budget = MAX_SCANNED if hasattr(loader, "raw_scan") else MAX_SCANNED // 25
    current = text
    while len(colons) < MAX_FOUND and budget > 0:
        colon = _next_colon(current, loader)
        budget -= len(current)
        if colon is None:
            break
        colons.append(colon)
        chars[colon.offset] = ";"  # the same length: every line and column stays put
        current = "".join(chars)
    return ColonScan(tuple(colons), current)


def _next_colon(text: str, loader: Loader) -> Colon | None:
    """The first colon the scanner refuses as the start of a new key; None if none is."""
    scanner = loader(text)
    try:
        raw_scan = getattr(scanner, "raw_scan", None)
        if raw_scan is not None:  # libyaml: scans without building Python tokens
            raw_scan()
        else:
            while scanner.check_token():
                scanner.get_token()
    except MarkedYAMLError as error:
        mark = error.problem_mark
        if (
            COLON_PROBLEM in (error.problem or "")
            and mark is not None
            and text[mark.index : mark.index + 1] == ":"
        ):
            return Colon(mark.index, mark.line + 1)
    finally:
        scanner.dispose()
    return None


@dataclass(frozen=True)
class _Value:
    key: str | None  # the key the value belongs to, when it is a mapping's value
    start: int  # offsets of the value in the text
    end: int
    first_line: int  # 1-based
    last_line: int


def colon_messages(text: str, scan: ColonScan, loader: Loader) -> list[tuple[int, Text]]:
    """One (line, message) per line with such a colon, saying how to fix it."""
    values = _plain_values(scan.repaired, loader)
    messages: dict[int, Text] = {}
    for colon in scan.colons:
        if colon.line not in messages:
            value = next((v for v in values if v.start <= colon.offset < v.end), None)
            messages[colon.line] = _message(text, colon, value)
    return list(messages.items())


def _plain_values(text: str, loader: Loader) -> list[_Value]:
    """The plain (unquoted) scalars of the text, each with the key it is the value of."""
    values: list[_Value] = []
    scanner = loader(text)
    previous: object = None
    key: str | None = None
    try:
        while scanner.check_token():
            token = scanner.get_token()
            if isinstance(token, ScalarToken):
                if isinstance(previous, KeyToken):
                    key = token.value
                elif token.plain:
                    start, end = token.start_mark, token.end_mark
                    owner = key if isinstance(previous, ValueToken) else None
                    lines = (start.line + 1, end.line + 1)
                    values.append(_Value(owner, start.index, end.index, *lines))
            previous = token
    except YAMLError:
        pass  # another kind of error further on: the values before it are named
    finally:
        scanner.dispose()
    return values


def _message(text: str, colon: Colon, value: _Value | None) -> Text:
    at_end = text[colon.offset + 1 : colon.offset + 2] in _BREAKS
    if value is None or value.key is None:
        return say(N_("': ' in this value starts a new key in YAML; put the value in quotes"))
    key = value.key
    if value.first_line != colon.line:
        return say(
            N_(
                "this line goes on the value of '{key}' from line {line}, and its ': ' starts a "
                "new key in YAML: check the indentation, or put the whole value of '{key}' in "
                "quotes"
            ),
            key=key,
            line=value.first_line,
        )
    what = say(
        N_("the ':' at the end of the value of '{key}'")
        if at_end
        else N_("': ' in the value of '{key}'"),
        key=key,
    )
    if value.last_line != colon.line:
        return say(
            N_(
                "{colon} starts a new key in YAML; put the whole value, to the end of line "
                "{line}, in quotes"
            ),
            colon=what,
            line=value.last_line,
        )
    shown = text[value.start : value.end]
    if len(shown) > _SHOWN:
        shown = shown[: _SHOWN - 1] + "…"
    # The fix is YAML to copy: it stays as it is in every language.
    return say(
        N_("{colon} starts a new key in YAML; quote the value: {fix}"),
        colon=what,
        fix=f"{key}: {_quoted(shown)}",
    )


def _quoted(value: str) -> str:
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
