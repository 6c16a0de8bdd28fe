"""Inline-button payloads: short prefixed strings (at most 64 bytes) parsed strictly.

    ans:<attempt>:<item>:<option>     answer a one-choice item (option = index in the file)
    tog:<attempt>:<item>:<mask>       toggle an option of a "choose all" item (mask = hex)
    sub:<attempt>:<item>:<mask>       submit a "choose all" item with the options in mask
    cont:<attempt>:<answered>         show the next round (answered = count at the summary)
    fgt:yes | fgt:no                  confirm or cancel /forgetme

Anything that does not match exactly is refused: buttons can be forged by any client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.limits import CALLBACK_DATA_MAX_BYTES
from bot.domain.quiz import MAX_OPTIONS

_ID = r"([1-9][0-9]{0,17})"
_ANSWER = re.compile(rf"^ans:{_ID}:{_ID}:([0-7])$")
_MASK = re.compile(rf"^(tog|sub):{_ID}:{_ID}:([0-9a-f]{{1,2}})$")
_CONTINUE = re.compile(rf"^cont:{_ID}:(0|{_ID})$")
_FORGET = re.compile(r"^fgt:(yes|no)$")

ANSWER_PATTERN = r"^ans:"
TOGGLE_PATTERN = r"^(tog|sub):"
CONTINUE_PATTERN = r"^cont:"
FORGET_PATTERN = r"^fgt:"


class BadCallbackData(ValueError):
    """The payload is not one the bot makes."""


@dataclass(frozen=True)
class AnswerPress:
    attempt_id: int
    item_id: int
    option: int


@dataclass(frozen=True)
class MaskPress:
    attempt_id: int
    item_id: int
    chosen: frozenset[int]
    submit: bool


@dataclass(frozen=True)
class ContinuePress:
    attempt_id: int
    answered: int


def _fit(data: str) -> str:
    assert len(data.encode()) <= CALLBACK_DATA_MAX_BYTES, data
    return data


def answer(attempt_id: int, item_id: int, option: int) -> str:
    return _fit(f"ans:{attempt_id}:{item_id}:{option}")


def mask(attempt_id: int, item_id: int, chosen: frozenset[int], *, submit: bool) -> str:
    bits = sum(1 << i for i in chosen)
    return _fit(f"{'sub' if submit else 'tog'}:{attempt_id}:{item_id}:{bits:x}")


def cont(attempt_id: int, answered: int) -> str:
    return _fit(f"cont:{attempt_id}:{answered}")


def parse_answer(data: str) -> AnswerPress:
    """Parse an `ans:` payload or raise BadCallbackData."""
    m = _ANSWER.match(data)
    if not m:
        raise BadCallbackData(data)
    return AnswerPress(int(m[1]), int(m[2]), int(m[3]))


def parse_mask(data: str) -> MaskPress:
    """Parse a `tog:`/`sub:` payload or raise BadCallbackData."""
    m = _MASK.match(data)
    if not m:
        raise BadCallbackData(data)
    bits = int(m[4], 16)
    if bits >= 1 << MAX_OPTIONS:
        raise BadCallbackData(data)
    chosen = frozenset(i for i in range(MAX_OPTIONS) if bits >> i & 1)
    return MaskPress(int(m[2]), int(m[3]), chosen, submit=m[1] == "sub")


def parse_continue(data: str) -> ContinuePress:
    """Parse a `cont:` payload or raise BadCallbackData."""
    m = _CONTINUE.match(data)
    if not m:
        raise BadCallbackData(data)
    return ContinuePress(int(m[1]), int(m[2]))


def parse_forget(data: str) -> bool:
    """True for "yes, delete", False for "no"; raise BadCallbackData otherwise."""
    m = _FORGET.match(data)
    if not m:
        raise BadCallbackData(data)
    return m[1] == "yes"
