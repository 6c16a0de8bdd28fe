"""Benchmark: /stats and the CSV export over 50,000 learners and 1,000,000 answers.

Run: .venv/bin/python bench/bench_reports.py [--backend sqlite|postgresql|both]

Data is generated set-based (INSERT ... SELECT in the database) on the bundled quiz
(55 items): 12,000 learners finish it, 36,000 answer 9 items, 2,000 answer 3, and 10,000
follow-up answers bring the total to 1,000,000 answers. Learners are in 500 cohorts.

Printed per backend: generation time, the judging of the generated answers (what migration
0005 does to recorded answers) and the rebuild of the report counters (the generated answers
bypass answer_item, which records judgements and keeps the counters), a bare
`SELECT item_id, count(*), sum(correct) ... GROUP BY item_id` (the floor), the /stats
summary for the quiz (all learners, and one cohort), and the CSV export with the process's
memory before, after and at its peak.
PostgreSQL is 127.0.0.1:5432 (user postgres; a scratch database is made and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from bot.config import BUNDLED_QUIZ_DIR, DEFAULT_QUIZ_ID
from bot.db.base import JSONType, UTCDateTime
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.migrate import upgrade_database
from bot.db.models import (
    Answer,
    Attempt,
    Cohort,
    CohortMember,
    FollowUp,
    Item,
    QuizVersion,
    SkillState,
    User,
)
from bot.domain import mastery
from bot.domain.report_query import ReportQuery, Viewer
from bot.domain.roles import Role
from bot.services import reports
from bot.services.quizzes import ensure_bundled_quizzes
from bot.services.reports import counters

LEARNERS = 50_000
FINISHED = 12_000  # learners 1..12,000 answer all 55 items
NINE = 36_000  # the next 36,000 answer 9 items
THREE = 2_000  # the last 2,000 answer 3
FOLLOWUPS = 10_000
COHORTS = 500
T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=20)
RUNS = 3

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "database": "test"}

numbers = Table("bench_numbers", MetaData(), Column("i", Integer, primary_key=True))
keys = Table(
    "bench_items",
    MetaData(),
    Column("item_id", Integer, primary_key=True),
    Column("position", Integer),
    Column("skill_id", String(64)),
    Column("right_choice", JSONType),
    Column("wrong_choice", JSONType),
)


def rss_kb() -> tuple[int, int]:
    """(current, peak) resident memory of this process in kB."""
    fields = dict(
        line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def reset_peak() -> None:
    """Reset VmHWM, so the export's own peak is measured (Linux; ignored elsewhere)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{os.getpid()}/clear_refs").write_text("5")


async def timed(fn: Callable[[], Awaitable[Any]], runs: int = RUNS) -> tuple[float, Any]:
    """Median wall time of `runs` calls (after one warm-up call), and the last result."""
    result = await fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = await fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


async def generate(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Fill the database set-based; Python never holds the rows."""
    async with sessions() as session:
        await ensure_bundled_quizzes(session, BUNDLED_QUIZ_DIR, now=T0)
    async with engine.begin() as conn:
        await conn.run_sync(numbers.metadata.create_all)
        await conn.run_sync(keys.metadata.create_all)
        for start in range(1, LEARNERS + 1, 10_000):
            await conn.execute(insert(numbers), [{"i": i} for i in range(start, start + 10_000)])
        version_id = await conn.scalar(
            select(QuizVersion.id).order_by(QuizVersion.id.desc()).limit(1)
        )
        items = (
            await conn.execute(
                select(Item.id, Item.position, Item.skill_id, Item.options).where(
                    Item.quiz_version_id == version_id
                )
            )
        ).all()
        await conn.execute(
            insert(keys),
            [
                {
                    "item_id": item_id,
                    "position": position,
                    "skill_id": skill,
                    "right_choice": [i for i, o in enumerate(options) if o["correct"]],
                    "wrong_choice": [next(i for i, o in enumerate(options) if not o["correct"])],
                }
                for item_id, position, skill, options in items
            ],
        )
        n = numbers.c.i
        ts = literal(T0, UTCDateTime())
        await conn.execute(
            insert(User).from_select(
                [
                    "id",
                    "telegram_id",
                    "first_name",
                    "pseudonym",
                    "is_active",
                    "lessons_enabled",
                    "created_at",
                    "last_seen_at",
                ],
                select(
                    n + 1000,
                    n + 10_000_000,
                    literal("Learner ") + cast(n, String),
                    literal("b") + cast(n, String),
                    true(),
                    true(),
                    ts,
                    ts,
                ),
            )
        )
        answered = (
            (n <= FINISHED, len(items)),
            (n <= FINISHED + NINE, 9),
        )
        count = case(*answered, else_=3)
        await conn.execute(
            insert(Attempt).from_select(
                [
                    "id",
                    "user_id",
                    "quiz_version_id",
                    "seed",
                    "round_size",
                    "started_at",
                    "finished_at",
                    "answered_count",
                    "correct_count",
                ],
                select(
                    n,
                    n + 1000,
                    literal(version_id),
                    n,
                    literal(5),
                    ts,
                    case((n <= FINISHED, literal(T0 + dt.timedelta(hours=1), UTCDateTime()))),
                    count,
                    literal(0),
                ),
            )
        )
        # Ability varies by learner, difficulty by item: a plausible spread of scores.
        a = Attempt.__table__.alias("a")
        right = ((a.c.user_id * 7919 + keys.c.position * 104729) % 100) < (
            30 + (a.c.user_id % 50) + (keys.c.position % 7) * 4
        )
        await conn.execute(
            insert(Answer).from_select(
                [
                    "attempt_id",
                    "user_id",
                    "item_id",
                    "skill_id",
                    "chosen",
                    "correct",
                    "seconds",
                    "answered_at",
                ],
                select(
                    a.c.id,
                    a.c.user_id,
                    keys.c.item_id,
                    keys.c.skill_id,
                    case((right, keys.c.right_choice), else_=keys.c.wrong_choice),
                    right,
                    (5 + (a.c.user_id * 31 + keys.c.position * 17) % 60) * 1.0,
                    ts,
                )
                .select_from(a)
                .join(keys, keys.c.position < a.c.answered_count),
            )
        )
        totals = (
            select(Answer.attempt_id, func.count().label("n"))
            .where(Answer.correct.is_(True))
            .group_by(Answer.attempt_id)
            .subquery()
        )
        # UPDATE ... FROM (SQLite 3.33+ and PostgreSQL): one pass, not one query per attempt.
        await conn.execute(
            update(Attempt)
            .values(correct_count=totals.c.n)
            .where(Attempt.id == totals.c.attempt_id)
        )
        # Follow-ups: one answered practice item each for the first 10,000 learners.
        await conn.execute(
            insert(FollowUp).from_select(
                [
                    "id",
                    "user_id",
                    "skill_id",
                    "status",
                    "due_at",
                    "created_at",
                    "tries",
                    "sent_at",
                    "answered_at",
                    "item_id",
                ],
                select(
                    n,
                    n + 1000,
                    keys.c.skill_id,
                    literal("answered"),
                    ts,
                    ts,
                    literal(1),
                    literal(T0 + dt.timedelta(days=1), UTCDateTime()),
                    literal(T0 + dt.timedelta(days=1, hours=2), UTCDateTime()),
                    keys.c.item_id,
                )
                .select_from(numbers)
                .join(keys, keys.c.position == n % len(items))
                .where(n <= FOLLOWUPS),
            )
        )
        f_right = (n % 3) > 0
        await conn.execute(
            insert(Answer).from_select(
                [
                    "followup_id",
                    "user_id",
                    "item_id",
                    "skill_id",
                    "chosen",
                    "correct",
                    "seconds",
                    "answered_at",
                ],
                select(
                    n,
                    n + 1000,
                    keys.c.item_id,
                    keys.c.skill_id,
                    case((f_right, keys.c.right_choice), else_=keys.c.wrong_choice),
                    f_right,
                    literal(9.0),
                    literal(T0 + dt.timedelta(days=1, hours=2), UTCDateTime()),
                )
                .select_from(numbers)
                .join(keys, keys.c.position == n % len(items))
                .where(n <= FOLLOWUPS),
            )
        )
        await conn.execute(
            insert(SkillState).from_select(
                [
                    "user_id",
                    "skill_id",
                    "answered",
                    "correct",
                    "streak",
                    "card",
                    "due_at",
                    "last_answer_at",
                ],
                select(
                    Answer.user_id,
                    Answer.skill_id,
                    func.count(),
                    func.sum(case((Answer.correct.is_(True), 1), else_=0)),
                    Answer.user_id % 5,
                    literal(mastery.new_card(T0), JSONType),
                    ts,
                    ts,
                ).group_by(Answer.user_id, Answer.skill_id),
            )
        )
        await conn.execute(
            insert(Cohort).from_select(
                ["id", "name", "code", "created_at"],
                select(
                    n, literal("Class ") + cast(n, String), literal("c") + cast(n, String), ts
                ).where(n <= COHORTS),
            )
        )
        await conn.execute(
            insert(CohortMember).from_select(
                ["cohort_id", "user_id", "joined_at"],
                select(n % COHORTS + 1, n + 1000, ts),
            )
        )


async def analyze(engine: AsyncEngine) -> None:
    """Fresh planner statistics, as a database that has been running would have."""
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))
            await conn.commit()


async def run_backend(name: str, url: str) -> dict[str, float]:
    """Generate, then time the bare GROUP BY, the summary and the export on one backend."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    figures: dict[str, float] = {}
    try:
        await upgrade_database(engine)
        start = time.perf_counter()
        await generate(engine, sessions)
        figures["generate_s"] = time.perf_counter() - start
        # The rows were inserted past answer_item, which records each answer's judgement and
        # keeps the report counters as answers come in: judge the answers as migration 0005
        # does (rebuild would do it first; timed apart), then compute the counters as a bulk
        # load (or migration 0004) would.
        start = time.perf_counter()
        async with sessions() as session:
            await counters.fill_judgements(session)
            await session.commit()
        figures["judge_s"] = time.perf_counter() - start
        start = time.perf_counter()
        async with sessions() as session:
            await counters.rebuild(session)
            await session.commit()
        figures["rebuild_s"] = time.perf_counter() - start
        await analyze(engine)
        async with sessions() as session:
            figures["answers"] = float(
                await session.scalar(select(func.count()).select_from(Answer)) or 0
            )
            figures["learners"] = float(
                await session.scalar(
                    select(func.count()).select_from(User).where(User.telegram_id.is_not(None))
                )
                or 0
            )

        # Export first, so the memory figures are not the peak of earlier work.
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "answers.csv"
            reset_peak()
            before, _ = rss_kb()
            start = time.perf_counter()
            with path.open("w", encoding="utf-8", newline="") as out:
                async with sessions() as session:
                    rows = await reports.export_answers(
                        session,
                        viewer=Viewer(None, Role.ADMIN),
                        query=ReportQuery(),
                        now=NOW,
                        out=out,
                    )
            figures["export_s"] = time.perf_counter() - start
            after, peak = rss_kb()
            figures["export_rows"] = rows
            figures["export_mb"] = path.stat().st_size / 1e6
            figures["rss_before_mb"] = before / 1024
            figures["rss_after_mb"] = after / 1024
            figures["rss_peak_mb"] = peak / 1024

        bare_sql = (
            "SELECT item_id, count(*), sum(CAST(correct AS INTEGER)) FROM answers GROUP BY item_id"
        )

        async def bare() -> Any:
            async with engine.connect() as conn:
                return (await conn.execute(text(bare_sql))).all()

        figures["bare_s"], _ = await timed(bare)

        async def summary(query: ReportQuery) -> Any:
            async with sessions() as session:
                return await reports.quiz_report(
                    session, viewer=Viewer(None, Role.ADMIN), query=query, now=NOW
                )

        figures["stats_s"], report = await timed(
            lambda: summary(ReportQuery(quiz=DEFAULT_QUIZ_ID))
        )
        figures["stats_cohort_s"], _ = await timed(
            lambda: summary(ReportQuery(quiz=DEFAULT_QUIZ_ID, cohort="c7"))
        )
        figures["stats_learners"] = report.learners
        figures["stats_alpha"] = report.versions[0].alpha or 0.0
        figures["ratio"] = figures["stats_s"] / figures["bare_s"]
    finally:
        await engine.dispose()
    return figures


async def pg_database() -> tuple[str, str]:
    import asyncpg  # type: ignore[import-untyped]

    name = f"quizbot_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(**PG, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


async def pg_drop(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(**PG, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def show(name: str, f: dict[str, float]) -> None:
    print(f"\n== {name}: {int(f['learners'])} learners, {int(f['answers'])} answers ==")
    print(f"generate (set-based)           {f['generate_s']:8.1f} s")
    print(f"judge answers                  {f['judge_s']:8.1f} s")
    print(f"rebuild counters               {f['rebuild_s']:8.1f} s")
    print(f"bare GROUP BY item_id          {f['bare_s'] * 1000:8.0f} ms")
    print(
        f"/stats summary, one quiz       {f['stats_s'] * 1000:8.0f} ms  "
        f"({f['ratio']:.2f} x bare; {int(f['stats_learners'])} learners, "
        f"alpha {f['stats_alpha']:.3f})"
    )
    print(f"/stats summary, one cohort     {f['stats_cohort_s'] * 1000:8.0f} ms")
    print(
        f"CSV export                     {f['export_s']:8.1f} s  "
        f"({int(f['export_rows'])} rows, {f['export_mb']:.0f} MB)"
    )
    print(
        f"RSS before/after/peak export   {f['rss_before_mb']:.0f} / {f['rss_after_mb']:.0f} / "
        f"{f['rss_peak_mb']:.0f} MB"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.backend in {"sqlite", "both"}:
        with tempfile.TemporaryDirectory() as folder:
            show("SQLite", await run_backend("sqlite", f"sqlite:///{folder}/bench.db"))
    if args.backend in {"postgresql", "both"}:
        name, url = await pg_database()
        try:
            show("PostgreSQL", await run_backend("postgresql", url))
        finally:
            await pg_drop(name)


if __name__ == "__main__":
    asyncio.run(main())
