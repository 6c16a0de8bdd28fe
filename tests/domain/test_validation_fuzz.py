"""Fuzzing: whatever an instructor's editor does to a quiz, validation reports, never crashes."""

from __future__ import annotations

import datetime as dt
import os
import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.quizfile.checks import validate_quiz

EXAMPLES = int(os.environ.get("QUIZBOT_FUZZ_EXAMPLES", "2000"))

SOURCE = (
    "North Korea has long offered weapons to Hamas. In 2009, Thai authorities captured "
    "35 tonnes of North Korea's arms. Israel’s Iron Dome is the world's most advanced air "
    "defence system. In 2014, a report claimed that there had been an arms deal agreement "
    "between Hamas and Israel."
)


def _item(number: int, kind: str, passage: str) -> str:
    return textwrap.indent(
        textwrap.dedent(
            f"""\
            - id: c{number:02d}
              kind: {kind}
              skill: sourcing
              verdict: {"sound" if number % 2 else "flawed"}
              claims: [k{number}]
              passage: "{passage}"
              question: 'Question {number}: what does the passage rest on?'
              options:
                - text: "It names who found the arms"
                  correct: true
                  feedback: Right, it does.
                - text: "Nothing at all"
                  feedback: >-
                    Look again at
                    the passage.
              explanation: |
                The passage names the Thai authorities.
                They can be asked.
              references:
                - title: Reuters
                  url: https://example.org/report
              checked: 2026-01-15
            """
        ),
        "  ",
    )


QUIZ = (
    textwrap.dedent(
        f"""\
        # A quiz used as the seed of every mutation.
        id: fuzz
        title: "Fuzz: a quiz"
        language: en
        source:
          title: Alleged North Korean Arms
          text: >
            {SOURCE}
        items:
        """
    )
    + _item(1, "single", "In 2009, Thai authorities captured 35 tonnes")
    + _item(2, "true_false", "North Korea has long offered weapons to Hamas.")
    + _item(3, "multiple", "Israel's Iron Dome")
    + _item(4, "single", "a report claimed")
    + _item(5, "single", "an arms deal agreement between Hamas and Israel")
)
LINES = QUIZ.splitlines(keepends=True)

NOISE = st.sampled_from(
    ["\t", ":", ": ", '"', "'", "&a ", "*a", "- ", "#", "{", "}", "[", "]", "|", ">", "\n",
     "  ", "---\n", "!!", "%", "@", "\x00", "\u2028", "é", "😀", "~", "?", ",", "*"]
)  # fmt: skip


@st.composite
def mutated_quiz(draw: st.DrawFn) -> str:
    """The seed quiz after a few random edits of its lines and characters."""
    lines = list(LINES)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not lines:
            break
        at = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        edit = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "truncate"]))
        if edit == "delete":
            del lines[at]
        elif edit == "duplicate":
            lines.insert(at, lines[at])
        elif edit == "swap":
            other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif edit == "insert":
            line = lines[at]
            column = draw(st.integers(min_value=0, max_value=len(line)))
            noise = "".join(draw(st.lists(NOISE | st.text(max_size=3), min_size=1, max_size=3)))
            lines[at] = line[:column] + noise + line[column:]
        else:
            text = "".join(lines)
            cut = draw(st.integers(min_value=0, max_value=len(text)))
            lines = text[:cut].splitlines(keepends=True)
    return "".join(lines)


def _read_source(name: str) -> str:
    return SOURCE


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=mutated_quiz(), as_bytes=st.booleans())
def test_validation_never_raises_and_always_has_lines(text: str, as_bytes: bool) -> None:
    data: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text
    result = validate_quiz(
        data,
        file="fuzz.yaml",
        skills={"sourcing"},
        read_source=_read_source,
        today=dt.date(2026, 3, 2),
    )
    # An upper bound on the lines as YAML counts them (it also breaks at \r, NEL, LS and PS).
    line_count = 1 + sum(text.count(brk) for brk in ("\n", "\r", "\x85", "\u2028", "\u2029"))
    for problem in result.problems:
        assert 1 <= problem.line <= line_count, problem
        assert problem.message
        assert problem.severity in ("error", "warning")
    assert result.ok == (not result.errors)
    assert (result.quiz is not None) == result.ok


def test_seed_quiz_is_valid() -> None:
    result = validate_quiz(
        QUIZ,
        file="fuzz.yaml",
        skills={"sourcing"},
        read_source=_read_source,
        today=dt.date(2026, 3, 2),
    )
    assert result.ok, [str(p) for p in result.problems]
    assert result.quiz is not None
    assert len(result.quiz.items) == 5
