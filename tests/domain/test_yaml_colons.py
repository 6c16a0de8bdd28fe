"""Values with an unquoted ': ': every one in one run, each with its fix, and no false alarm."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import yaml

from bot.domain.quizfile import reader
from bot.domain.quizfile.checks import QuizCheck, validate_quiz
from tests.quiz_samples import COLON_SLIPS, colon_quiz_yaml, line_of, quiz_yaml

SKILLS = frozenset({"sourcing", "vague-attribution", "numbers-and-currency"})


@pytest.fixture(params=["libyaml", "python"], autouse=True)
def yaml_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test with both the C and the pure-Python YAML parser."""
    if request.param == "libyaml":
        if not yaml.__with_libyaml__:
            pytest.skip("PyYAML was built without libyaml")
        monkeypatch.setattr(reader, "_Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(reader, "_Loader", yaml.SafeLoader)


def check(text: str) -> QuizCheck:
    return validate_quiz(
        text, file="q.yaml", skills=SKILLS, read_source=None, today=dt.date(2026, 3, 2)
    )


def test_every_line_with_an_unquoted_colon_is_reported_in_one_run() -> None:
    text = colon_quiz_yaml()
    result = check(text)
    assert not result.ok
    lines = [p.line for p in result.problems]
    # Comments, quoted options and the | and > blocks hold ': ' too: none of them is reported.
    assert lines == sorted(line_of(text, marker) for marker in COLON_SLIPS)
    assert all("quotes" in p.message or "quote the value" in p.message for p in result.problems)


def test_each_message_gives_the_fix() -> None:
    text = colon_quiz_yaml()
    found = {p.line: p.message for p in check(text).problems}
    assert found[line_of(text, "Critics: who")] == (
        "': ' in the value of 'question' starts a new key in YAML; "
        'quote the value: question: "Critics: who are they?"'
    )
    assert found[line_of(text, "Where does it come from:")] == (
        "the ':' at the end of the value of 'question' starts a new key in YAML; "
        'quote the value: question: "Where does it come from:"'
    )
    start = line_of(text, "explanation: The minutes")
    assert found[start + 1] == (
        f"this line goes on the value of 'explanation' from line {start}, and its ': ' starts "
        "a new key in YAML: check the indentation, or put the whole value of 'explanation' "
        "in quotes"
    )


def test_the_one_line_fixes_work_as_given() -> None:
    """Each suggested `key: "value"` replaces its line; only the two-line value is left."""
    text = colon_quiz_yaml()
    lines = text.splitlines(keepends=True)
    for problem in check(text).problems:
        fix = re.search(r"quote the value: (\w+): (.*)$", problem.message)
        if fix is None:
            continue
        key, quoted = fix.groups()
        old = lines[problem.line - 1]
        lines[problem.line - 1] = old[: old.index(f"{key}: ")] + f"{key}: {quoted}\n"
    fixed = "".join(lines)
    left = check(fixed).problems
    assert [p.line for p in left] == [line_of(fixed, "anyone can check: it is")]


def test_a_value_with_quotes_inside_is_quoted_the_other_way() -> None:
    text = quiz_yaml().replace(
        "question: Who are the critics?", """question: Who says "ruin": the critics?"""
    )
    (problem,) = check(text).problems
    assert problem.message.endswith("""question: 'Who says "ruin": the critics?'""")
    both = quiz_yaml().replace(
        "question: Who are the critics?", """question: Who's "them": the critics?"""
    )
    (problem,) = check(both).problems
    assert problem.message.endswith(r'''question: "Who's \"them\": the critics?"''')


def test_a_value_over_several_lines_is_quoted_whole() -> None:
    text = quiz_yaml().replace(
        "    explanation: The minutes are a public record anyone can check.\n",
        "    explanation: The minutes: a public record\n      anyone can check.\n",
    )
    (problem,) = check(text).problems
    start = line_of(text, "The minutes: a public")
    assert (problem.line, problem.message) == (
        start,
        "': ' in the value of 'explanation' starts a new key in YAML; put the whole value, "
        f"to the end of line {start + 1}, in quotes",
    )


def test_other_problems_are_reported_with_the_colons() -> None:
    text = colon_quiz_yaml().replace(
        "    verdict: flawed\n", "    verdict: flawed\n    verdict: sound\n"
    )
    duplicate = line_of(text, "verdict: flawed") + 1
    found = {p.line: p.message for p in check(text).problems}
    assert set(found) == {line_of(text, m) for m in COLON_SLIPS} | {duplicate}
    assert found[duplicate].startswith("duplicate key 'verdict'")


def test_many_colons_in_a_megabyte_end_in_time() -> None:
    line = "  - q: What is it: a question about a thing in the article here\n"
    text = "items:\n" + line * (990_000 // len(line))
    started = time.perf_counter()
    problems = reader.parse_yaml(text).problems
    assert time.perf_counter() - started < 10  # about 1 s; the machine may be busy
    assert len(problems) > 3
    assert [p.line for p in problems] == list(range(2, len(problems) + 2))
