"""Fuzzing the bundled quiz: its header and first items, mutated, never crash the validator.

The whole file has 55 items; a slice of it keeps each case fast while covering its real
layout (folded text, flow lists, quotes, dates, references) and its real source text.
"""

from __future__ import annotations

import datetime as dt
import os

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import BUNDLED_QUIZ_DIR, DEFAULT_QUIZ_ID
from bot.domain.quizfile.checks import validate_quiz

EXAMPLES = int(os.environ.get("QUIZBOT_FUZZ_EXAMPLES", "2000"))
ITEMS_KEPT = 6
TODAY = dt.date(2026, 3, 2)

_FULL = (BUNDLED_QUIZ_DIR / f"{DEFAULT_QUIZ_ID}.yaml").read_text(encoding="utf-8")
_STARTS = [n for n, line in enumerate(_FULL.splitlines(keepends=True)) if line.startswith("- id:")]
SEED = "".join(_FULL.splitlines(keepends=True)[: _STARTS[ITEMS_KEPT]])
ARTICLE = (BUNDLED_QUIZ_DIR / "article.txt").read_text(encoding="utf-8")
SKILLS = {
    str(skill["id"])
    for skill in yaml.safe_load((BUNDLED_QUIZ_DIR / "skills.yaml").read_text("utf-8"))["skills"]
}
NOISE = st.sampled_from(
    ["\t", ": ", '"', "'", "&x ", "*x", "- ", "#", "{", "]", "|", ">", "\n", "  ", "---\n",
     "!!str ", "\x00", "\u2019", "\u201c", "é", "😀", "?", "<<: "]
)  # fmt: skip


def _read_source(name: str) -> str:
    if name != "article.txt":
        raise FileNotFoundError(2, "No such file or directory")
    return ARTICLE


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """The seed after a few edits: lines deleted, repeated, swapped, cut, or noise inserted."""
    lines = SEED.splitlines(keepends=True)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not lines:
            break
        at = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        edit = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "dedent"]))
        if edit == "delete":
            del lines[at]
        elif edit == "duplicate":
            lines.insert(at, lines[at])
        elif edit == "swap":
            other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif edit == "dedent":
            lines[at] = lines[at].lstrip(" ")
        else:
            column = draw(st.integers(min_value=0, max_value=len(lines[at])))
            noise = draw(NOISE | st.text(max_size=3))
            lines[at] = lines[at][:column] + noise + lines[at][column:]
    return "".join(lines)


def test_seed_is_valid() -> None:
    check = validate_quiz(
        SEED, file="seed.yaml", skills=SKILLS, read_source=_read_source, today=TODAY
    )
    assert check.ok, [str(p) for p in check.errors]
    assert check.quiz is not None
    assert len(check.quiz.items) == ITEMS_KEPT


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=mutated())
def test_mutated_bundled_quiz_never_raises(text: str) -> None:
    check = validate_quiz(
        text, file="nk.yaml", skills=SKILLS, read_source=_read_source, today=TODAY
    )
    lines = 1 + sum(text.count(brk) for brk in ("\n", "\r", "\x85", "\u2028", "\u2029"))
    for problem in check.problems:
        assert 1 <= problem.line <= lines, problem
        assert problem.message
    assert (check.quiz is not None) == check.ok
