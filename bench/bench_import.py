"""Validating and importing a 2,000-item quiz file on SQLite (issue 5; target under 2 s).

The quiz is generated: a source text of numbered sentences, and items of every kind that
each quote one sentence, so every passage is found (and found once). The file stays under
the 1 MB upload limit. Three figures, each the median of a few runs:

- validate: `validate_quiz` alone (parse, model, passages, Telegram limits), no database;
- import: `import_quizzes` into a fresh SQLite file (validation included), one transaction;
- unchanged: the same file again (validated, hashed, found up to date, nothing written).

Then the worst cases of the "bad input" list: a 10,000-item file (over 1 MB: refused by its
size before parsing) and the most items that fit in 1 MB, with the peak memory of checking
them (tracemalloc).

    .venv/bin/python bench/bench_import.py [--items 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import BUNDLED_QUIZ_DIR  # noqa: E402
from bot.db.engine import make_engine, make_sessionmaker  # noqa: E402
from bot.db.migrate import upgrade_database  # noqa: E402
from bot.domain.limits import QUIZ_FILE_MAX_BYTES  # noqa: E402
from bot.domain.quizfile.checks import validate_quiz  # noqa: E402
from bot.services.quizzes import (  # noqa: E402
    QuizFile,
    import_quizzes,
    import_skill_catalogue,
)

SKILLS = ["sourcing", "vague-attribution", "numbers-and-currency", "precision", "loaded-language"]
TODAY = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def sentence(n: int) -> str:
    """A distinct sentence of the source text."""
    return f"Report {n} says the council spent {n * 37 % 9973} dollars on project {n}."


def quiz_file(items: int, *, version: int = 1) -> str:
    """A valid quiz with `items` items, each about one sentence of the source."""
    source = " ".join(sentence(n) for n in range(items))
    lines = [
        "# yaml-language-server: $schema=../docs/quiz.schema.json",
        "id: bench-quiz",
        f"title: Benchmark quiz, version {version}",
        "source:",
        "  title: Generated council reports",
        "  text: >-",
        f"    {source}",
        "items:",
    ]
    for n in range(items):
        kind = ("single", "true_false", "multiple")[n % 3]
        lines += [
            f"  - id: i{n}",
            f"    kind: {kind}",
            f"    skill: {SKILLS[n % len(SKILLS)]}",
            f"    verdict: {'sound' if n % 2 else 'flawed'}",
            f'    passage: "{sentence(n)}"',
            "    question: Is the amount sourced?",
            "    options:",
            "      - {text: 'No: no record is named', correct: true}",
            "      - {text: 'Yes: the report'"
            + (", correct: true}" if kind == "multiple" else "}"),
        ]
        if kind != "true_false":
            lines.append("      - text: It cannot be told")
        lines.append("    explanation: A report is named, but not who wrote it or where it is.")
    return "\n".join(lines) + "\n"


def _median_seconds(fn: Callable[[], None], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of `fn` (CPU time does not grow with others' load)."""
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _validate(text: str) -> None:
    check = validate_quiz(
        text, file="bench.yaml", skills=set(SKILLS), read_source=None, today=TODAY
    )
    assert check.ok, [str(p) for p in check.errors[:5]]


async def _import_runs(text: str, runs: int) -> list[tuple[float, float]]:
    """Median wall and CPU seconds of a first import into a fresh database, then unchanged."""
    firsts: list[tuple[float, float]] = []
    agains: list[tuple[float, float]] = []
    catalogue = (BUNDLED_QUIZ_DIR / "skills.yaml").read_bytes()
    quiz = QuizFile(name="bench.yaml", data=text.encode(), read_source=None)
    for run in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{folder}/bench-{run}.db")
            try:
                await upgrade_database(engine)
                sessions = make_sessionmaker(engine)
                async with sessions() as session:
                    await import_skill_catalogue(session, catalogue, file="skills.yaml", now=NOW)
                    await session.commit()
                for times, unchanged in ((firsts, False), (agains, True)):
                    started, cpu = time.perf_counter(), time.process_time()
                    async with sessions() as session:
                        [outcome] = await import_quizzes(session, [quiz], now=NOW)
                    times.append((time.perf_counter() - started, time.process_time() - cpu))
                    assert outcome.unchanged == unchanged
            finally:
                await engine.dispose()
    return [
        (statistics.median(w for w, _ in times), statistics.median(c for _, c in times))
        for times in (firsts, agains)
    ]


def _largest_under_limit() -> tuple[int, str]:
    """The most items of the compact kind that fit in one file under the size limit."""
    low, high = 1, 20_000
    while low < high:
        middle = (low + high + 1) // 2
        if len(compact_file(middle).encode()) <= QUIZ_FILE_MAX_BYTES:
            low = middle
        else:
            high = middle - 1
    return low, compact_file(low)


def compact_file(items: int) -> str:
    """As many items as fit: flow style, one line each, a one-word passage."""
    lines = ["id: compact", "title: Compact", "source: {title: S, text: a b c}", "items:"]
    lines += [
        f"- {{id: i{n}, skill: sourcing, verdict: sound, passage: a, question: q, "
        "options: [{text: y, correct: true}, {text: n}], explanation: e}"
        for n in range(items)
    ]
    return "\n".join(lines) + "\n"


def _peak(text: str) -> tuple[float, float, int]:
    """Seconds (untraced), peak MB (traced) and problem count of validating `text`."""
    started = time.perf_counter()
    check = validate_quiz(text, file="x.yaml", skills=set(SKILLS), read_source=None, today=TODAY)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    validate_quiz(text, file="x.yaml", skills=set(SKILLS), read_source=None, today=TODAY)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak, len(check.problems)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    text = quiz_file(args.items)
    size = len(text.encode())
    assert size <= QUIZ_FILE_MAX_BYTES, f"{size} bytes: over the upload limit"
    validate = _median_seconds(lambda: _validate(text), args.runs)
    first, again = asyncio.run(_import_runs(text, args.runs))
    print(f"quiz file: {args.items} items, {size:,} bytes (limit {QUIZ_FILE_MAX_BYTES:,})")
    print(f"medians of {args.runs} runs: wall-clock s (CPU s of this process)")
    print(f"validate only:        {validate[0]:6.3f} ({validate[1]:.3f})")
    print(
        f"validate + import:    {first[0]:6.3f} ({first[1]:.3f})  fresh SQLite file; target < 2 s"
    )
    print(f"re-import unchanged:  {again[0]:6.3f} ({again[1]:.3f})")

    huge = quiz_file(10_000)
    seconds, peak, _ = _peak(huge)
    print(
        f"10,000 items, {len(huge.encode()):,} bytes: refused by size in {seconds * 1000:.1f} ms, "
        f"peak {peak:.1f} MB"
    )
    count, compact = _largest_under_limit()
    seconds, peak, problems = _peak(compact)
    print(
        f"most items under 1 MB: {count:,} ({len(compact.encode()):,} bytes): "
        f"validated in {seconds:.2f} s, peak {peak:.0f} MB traced, {problems} problem(s)"
    )


if __name__ == "__main__":
    main()
