"""Inline-button payloads: short prefixed strings (at most 64 bytes) parsed strictly.

    ans:<attempt>:<item>:<option>     answer a one-choice item (option = index in the file)
    tog:<attempt>:<item>:<mask>       toggle an option of a "choose all" item (mask = hex)
    sub:<attempt>:<item>:<mask>       submit a "choose all" item with the options in mask
    cont:<attempt>:<answered>         show the next round (answered = count at the summary)
    fgt:yes | fgt:no                  confirm or cancel /forgetme
    fu:<followup>:<option>            answer the one-choice practice item of a follow-up
    fum:<followup>:<mask>             toggle an option of a "choose all" practice item
    fus:<followup>:<mask>             submit a "choose all" practice item
    win:<preset>                      choose the daily window for follow-ups (/lessons)
    lang:<code>                       choose the bot's language (/language)
    tst:<stage>:go | tst:<stage>:skip start (or continue) or skip one of a cohort's tests
    qz:<quiz>                         start (or resume) another quiz offered by /quiz

Anything that does not match exactly, as a whole, is refused: buttons can be forged by any
client. Handlers take a payload only when all of it matches (`*_PATTERN`); the rest goes to
the catch-all, which answers that the button is not valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.languages import supported
from bot.domain.limits import CALLBACK_DATA_MAX_BYTES
from bot.domain.quizfile.model import MAX_OPTIONS

_ID = r"([1-9][0-9]{0,17})"
# Matched with fullmatch, never match: "$" would let a trailing newline through, and a
# prefix would let anything follow.
_ANSWER = re.compile(rf"ans:{_ID}:{_ID}:([0-7])")
_MASK = re.compile(rf"(tog|sub):{_ID}:{_ID}:([0-9a-f]{{1,2}})")
_CONTINUE = re.compile(rf"cont:{_ID}:(0|{_ID})")
_FORGET = re.compile(r"fgt:(yes|no)")
_PRACTICE = re.compile(rf"fu:{_ID}:([0-7])")
_PRACTICE_MASK = re.compile(rf"(fum|fus):{_ID}:([0-9a-f]{{1,2}})")
_WINDOW = re.compile(r"win:([a-z]{1,12})")
_LANGUAGE = re.compile(r"lang:([a-z]{2,3})")
_STAGE = re.compile(rf"tst:{_ID}:(go|skip)")
_QUIZ = re.compile(rf"qz:{_ID}")


def _whole_match(pattern: re.Pattern[str], data: str) -> re.Match[str]:
    """The match of all of `data`, or BadCallbackData."""
    m = pattern.fullmatch(data)
    if not m:
        raise BadCallbackData(data)
    return m


def _whole(pattern: re.Pattern[str]) -> Callable[[object], bool]:
    """A handler pattern that takes a payload only when all of it matches (PTB's own string
    patterns match a prefix: a forged "ans:1:2:3junk" would reach the answer handler)."""

    def matches(data: object) -> bool:
        return isinstance(data, str) and pattern.fullmatch(data) is not None

    return matches


ANSWER_PATTERN = _whole(_ANSWER)
TOGGLE_PATTERN = _whole(_MASK)
CONTINUE_PATTERN = _whole(_CONTINUE)
FORGET_PATTERN = _whole(_FORGET)
PRACTICE_PATTERN = _whole(_PRACTICE)
PRACTICE_MASK_PATTERN = _whole(_PRACTICE_MASK)
WINDOW_PATTERN = _whole(_WINDOW)
LANGUAGE_PATTERN = _whole(_LANGUAGE)
STAGE_PATTERN = _whole(_STAGE)
QUIZ_PATTERN = _whole(_QUIZ)


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
class PracticePress:
    followup_id: int
    chosen: frozenset[int]
    submit: bool


@dataclass(frozen=True)
class StagePress:
    """Start (or continue) one of a cohort's tests, or skip it."""

    stage_id: int
    skip: bool


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
    m = _whole_match(_ANSWER, data)
    return AnswerPress(int(m[1]), int(m[2]), int(m[3]))


def parse_mask(data: str) -> MaskPress:
    """Parse a `tog:`/`sub:` payload or raise BadCallbackData."""
    m = _whole_match(_MASK, data)
    bits = int(m[4], 16)
    if bits >= 1 << MAX_OPTIONS:
        raise BadCallbackData(data)
    chosen = frozenset(i for i in range(MAX_OPTIONS) if bits >> i & 1)
    return MaskPress(int(m[2]), int(m[3]), chosen, submit=m[1] == "sub")


def parse_continue(data: str) -> ContinuePress:
    """Parse a `cont:` payload or raise BadCallbackData."""
    m = _whole_match(_CONTINUE, data)
    return ContinuePress(int(m[1]), int(m[2]))


def forget(confirmed: bool) -> str:
    return _fit(f"fgt:{'yes' if confirmed else 'no'}")


def parse_forget(data: str) -> bool:
    """True for "yes, delete", False for "no"; raise BadCallbackData otherwise."""
    m = _whole_match(_FORGET, data)
    return m[1] == "yes"


def practice(followup_id: int, option: int) -> str:
    return _fit(f"fu:{followup_id}:{option}")


def practice_mask(followup_id: int, chosen: frozenset[int], *, submit: bool) -> str:
    bits = sum(1 << i for i in chosen)
    return _fit(f"{'fus' if submit else 'fum'}:{followup_id}:{bits:x}")


def window(preset: str) -> str:
    return _fit(f"win:{preset}")


def parse_practice(data: str) -> PracticePress:
    """Parse an `fu:`, `fum:` or `fus:` payload (a one-choice press submits at once)."""
    m = _PRACTICE.fullmatch(data)
    if m:
        return PracticePress(int(m[1]), frozenset({int(m[2])}), submit=True)
    m = _whole_match(_PRACTICE_MASK, data)
    bits = int(m[3], 16)
    if bits >= 1 << MAX_OPTIONS:
        raise BadCallbackData(data)
    chosen = frozenset(i for i in range(MAX_OPTIONS) if bits >> i & 1)
    return PracticePress(int(m[2]), chosen, submit=m[1] == "fus")


def parse_window(data: str) -> str:
    """The window preset named by a `win:` payload (checked by the service)."""
    m = _whole_match(_WINDOW, data)
    return m[1]


def language(code: str) -> str:
    """A /language button."""
    return _fit(f"lang:{code}")


def parse_language(data: str) -> str:
    """The language named by a `lang:` payload; one the bot does not speak is forged."""
    match = _LANGUAGE.fullmatch(data)
    code = supported(match.group(1)) if match else None
    if code is None:
        raise BadCallbackData(data)
    return code


def stage_button(stage_id: int, *, skip: bool) -> str:
    return _fit(f"tst:{stage_id}:{'skip' if skip else 'go'}")


def parse_stage(data: str) -> StagePress:
    """Parse a `tst:` payload or raise BadCallbackData."""
    m = _whole_match(_STAGE, data)
    return StagePress(int(m[1]), skip=m[2] == "skip")


def quiz_button(quiz_id: int) -> str:
    """A button that starts (or resumes) another quiz."""
    return _fit(f"qz:{quiz_id}")


def parse_quiz(data: str) -> int:
    """The quiz number of a `qz:` payload, or raise BadCallbackData."""
    m = _whole_match(_QUIZ, data)
    return int(m[1])
