"""The issue's "bad input" list, beyond the cases of test_validation.py: quotes, size, scale."""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc

import pytest

from bot.domain.limits import QUIZ_FILE_MAX_BYTES
from bot.domain.quizfile.checks import QuizCheck, validate_quiz
from bot.domain.quizfile.model import normalise
from tests.quiz_samples import quiz_yaml

SKILLS = {"sourcing", "vague-attribution", "numbers-and-currency"}
TODAY = dt.date(2026, 3, 1)


def _check(text: str | bytes) -> QuizCheck:
    return validate_quiz(text, file="q.yaml", skills=SKILLS, read_source=None, today=TODAY)


def _compact(items: int) -> str:
    """Many small items, one line each (the most that fit in the size limit)."""
    lines = ["id: many", "title: Many", "source: {title: S, text: a b c}", "items:"]
    lines += [
        f"- {{id: i{n}, skill: sourcing, verdict: sound, passage: a, question: q, "
        "options: [{text: y, correct: true}, {text: n}], explanation: e}"
        for n in range(items)
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "passage",
    [
        "according to the council\u2019s published minutes",  # curly apostrophe
        "according to the council\u201as published minutes",  # low single quote
        "according  to the\u00a0council's\tpublished minutes",  # spaces, NBSP, tab
        "according to the council's\n      published minutes",  # folded over two lines
    ],
)
def test_passage_differing_in_quotes_or_whitespace_is_found(passage: str) -> None:
    quoted = passage.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    text = quiz_yaml().replace(
        'passage: "according to the council\'s published minutes"', f'passage: "{quoted}"'
    )
    check = _check(text)
    assert check.ok, [str(p) for p in check.problems]


def test_normalise_treats_every_quote_style_alike() -> None:
    assert (
        normalise("\u201eSo\u201c, \u201bsaid\u2019 \u201fthey\u201d") == '"So", \'said\' "they"'
    )


def test_ten_thousand_items_are_refused_by_size_at_once() -> None:
    text = _compact(10_000)
    assert len(text.encode()) > QUIZ_FILE_MAX_BYTES
    tracemalloc.start()
    started = time.perf_counter()
    check = _check(text)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    [problem] = check.problems
    assert (problem.line, problem.message) == (
        1,
        f"the file is {len(text.encode()):,} bytes; the limit is 1 MB",
    )
    assert elapsed < 0.5
    assert peak < 5_000_000  # measured, not parsed


def test_memory_grows_with_the_file_and_stays_bounded() -> None:
    # The size limit caps the items; here is what each one costs to check.
    text = _compact(1000)
    tracemalloc.start()
    check = _check(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert check.ok
    # About 7 kB per item; the largest file that fits (about 7,400 such items) stays
    # near 60 MB (bench/bench_import.py measures it).
    assert peak < 15_000_000


@pytest.mark.slow
def test_the_most_items_that_fit_are_checked_in_bounded_time() -> None:
    text = _compact(7000)
    assert len(text.encode()) <= QUIZ_FILE_MAX_BYTES
    started = time.perf_counter()
    check = _check(
        text.replace("verdict: sound", "verdict: flawed").replace("skill: sourcing", "skill: x")
    )
    elapsed = time.perf_counter() - started
    # Every item has a problem: all 7,000 are reported, each with its own line.
    assert len(check.errors) == 7000
    assert len({p.line for p in check.errors}) == 7000
    assert elapsed < 30


def test_a_date_that_yaml_reads_as_a_date_is_taken_as_text() -> None:
    text = quiz_yaml().replace("  publisher: Local Gazette\n", "  date: 2026-02-02\n")
    check = _check(text)
    assert check.ok, [str(p) for p in check.problems]
    assert check.quiz is not None
    assert check.quiz.source.date == "2026-02-02"
