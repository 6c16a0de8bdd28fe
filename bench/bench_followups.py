"""Follow-up dispatcher: claim cost and memory against the size of the schedule, send rate.

1. Claim: with 10,000 and 1,000,000 pending follow-ups (one learner per 10 rows; one row
   in ten is due, the rest are in the coming days, as in a steady state), the time to claim
   one batch of 100 due rows (median of several claims) and the peak resident memory of the
   process that did it. Each size and backend runs in a fresh child process, so its memory
   is its own. Rows are inserted with set-based SQL (a recursive CTE on SQLite,
   generate_series on PostgreSQL), never built in Python.
2. Send rate: 450 due follow-ups for 450 learners, sent by the real dispatcher pass
   (claim, build, send, mark) through PTB with quizbot's rate limiter at Telegram's 30
   messages a second, to the fake Bot API server with its rate limits enforced. Reports
   the sustained rate, 429s, and duplicates (a learner who got more than one message).

PostgreSQL is used when 127.0.0.1:5432 answers (database `test` for admin, as in the
tests); a scratch database is created and dropped.

    .venv/bin/python bench/bench_followups.py [--sizes 10000 1000000] [--send 450]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.config import BUNDLED_QUIZ_DIR  # noqa: E402
from bot.db.engine import make_engine, make_sessionmaker  # noqa: E402
from bot.services.followups.claims import claim_due  # noqa: E402
from bot.services.followups.dispatch import dispatch_due_followups, prepare_deliveries  # noqa: E402
from bot.services.quizzes import ensure_bundled_quizzes  # noqa: E402
from tests.db_support import migrate, pg_available, pg_create, pg_drop  # noqa: E402

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
ROWS_PER_USER = 10
CLAIMS = 15
BATCH = 100
TOKEN = "123456:BENCH-TOKEN"
SEND_RATE = 30  # messages a second: Telegram's overall cap


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def fill(url: str, rows: int) -> float:
    """Insert rows / 10 learners with 10 follow-ups each; one in ten due. Return seconds."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    users = rows // ROWS_PER_USER
    started = time.perf_counter()
    async with sessions() as session:
        await ensure_bundled_quizzes(session, BUNDLED_QUIZ_DIR, now=NOW)
    pg = engine.dialect.name == "postgresql"
    async with engine.begin() as conn:
        if pg:
            await conn.execute(
                text(
                    "INSERT INTO users (telegram_id, first_name, is_active, lessons_enabled,"
                    " created_at, last_seen_at, timezone, window_start_hour, window_end_hour)"
                    " SELECT 900000000 + n, 'b', true, true, :now, :now, 'UTC', 0, 24"
                    " FROM generate_series(1, :users) AS n"
                ),
                {"now": NOW, "users": users},
            )
            due = (
                "CASE WHEN s.k = 1"
                " THEN CAST(:now AS timestamptz) - make_interval(secs => (u.id % 3600)::float8)"
                " ELSE CAST(:now AS timestamptz) + make_interval(days => s.k::int) END"
            )
        else:
            plain = NOW.replace(tzinfo=None).isoformat(sep=" ")
            await conn.execute(
                text(
                    "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq"
                    " WHERE n < :users)"
                    " INSERT INTO users (telegram_id, first_name, is_active, lessons_enabled,"
                    " created_at, last_seen_at, timezone, window_start_hour, window_end_hour)"
                    " SELECT 900000000 + n, 'b', 1, 1, :now, :now, 'UTC', 0, 24 FROM seq"
                ),
                {"now": plain, "users": users},
            )
            due = (
                "CASE WHEN s.k = 1"
                " THEN strftime('%Y-%m-%d %H:%M:%f', :now, '-' || (u.id % 3600) || ' seconds')"
                " ELSE strftime('%Y-%m-%d %H:%M:%f', :now, '+' || s.k || ' days') END"
            )
        await conn.execute(
            text(
                "INSERT INTO followups (user_id, skill_id, status, due_at, created_at, tries)"
                f" SELECT u.id, s.id, 'pending', {due}, :now, 0 FROM users u"
                " CROSS JOIN (SELECT id, row_number() OVER (ORDER BY id) AS k FROM skills) s"
                " WHERE s.k <= :per_user"
            ),
            {"now": NOW if pg else plain, "per_user": ROWS_PER_USER},
        )
        await conn.execute(text("ANALYZE"))
    await engine.dispose()
    return time.perf_counter() - started


async def measure_claims(url: str) -> dict[str, Any]:
    """Claim CLAIMS batches of BATCH due rows one after the other; time each."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    times: list[float] = []
    claimed: list[int] = []
    build: list[float] = []
    try:
        for n in range(CLAIMS):
            started = time.perf_counter()
            async with sessions() as session:
                rows = await claim_due(session, worker=f"bench-{n}", now=NOW, limit=BATCH)
            times.append(time.perf_counter() - started)
            claimed.append(len(rows))
            started = time.perf_counter()
            async with sessions() as session:
                await prepare_deliveries(
                    session, claimed=rows, worker=f"bench-{n}", now=NOW, scale=1.0
                )
            build.append(time.perf_counter() - started)
        async with sessions() as session:
            pending = await session.scalar(
                text("SELECT count(*) FROM followups WHERE status = 'pending'")
            )
    finally:
        await engine.dispose()
    return {
        "claim_ms": [round(t * 1000, 2) for t in times],
        "claim_median_ms": round(statistics.median(times) * 1000, 2),
        "build_median_ms": round(statistics.median(build) * 1000, 2),
        "claimed": claimed,
        "pending_after": int(pending or 0),
        "rss_mb": round(rss_mb(), 1),
    }


async def child(backend: str, rows: int) -> dict[str, Any]:
    """One size on one backend, in this (fresh) process."""
    with tempfile.TemporaryDirectory() as folder:
        name = f"quizbot_bench_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            url = f"sqlite:///{folder}/bench.db"
        else:
            url = await pg_create(name)
        try:
            await migrate(url)
            rss_before = rss_mb()
            seconds = await fill(url, rows)
            rss_filled = rss_mb()
            result = await measure_claims(url)
        finally:
            if backend == "postgresql":
                await pg_drop(name)
    return {
        "backend": backend,
        "rows": rows,
        "fill_s": round(seconds, 1),
        "rss_before_fill_mb": round(rss_before, 1),
        "rss_after_fill_mb": round(rss_filled, 1),
        **result,
    }


async def send_rate(backend: str, count: int) -> dict[str, Any]:
    """Send `count` due follow-ups through PTB at 30/s to the strict fake server."""
    from telegram.ext import ExtBot

    from bot.telegram.dispatcher import telegram_sender
    from bot.telegram.limiter import RetryingRateLimiter
    from tests.fakes.telegram_server import FakeTelegramServer

    with tempfile.TemporaryDirectory() as folder:
        name = f"quizbot_bench_{uuid.uuid4().hex[:10]}"
        url = f"sqlite:///{folder}/send.db" if backend == "sqlite" else await pg_create(name)
        try:
            await migrate(url)
            await fill(url, count * ROWS_PER_USER)
            engine = make_engine(url)
            sessions = make_sessionmaker(engine)
            async with FakeTelegramServer(token=TOKEN, strict_rate_limits=True) as server:
                for n in range(count):
                    server.user(900_000_001 + n)
                bot: ExtBot[None] = ExtBot(
                    TOKEN,
                    base_url=f"{server.url}/bot",
                    # 30 a second, one every 1/30 s: AIORateLimiter(30, 1) would allow a burst
                    # of 30 on top of the steady rate, which a strict 1-second window (the
                    # fake server's, like Telegram's) answers with 429s.
                    rate_limiter=RetryingRateLimiter(
                        overall_max_rate=1, overall_time_period=1 / SEND_RATE
                    ),
                )
                await bot.initialize()
                started = time.perf_counter()
                report = await dispatch_due_followups(
                    sessions,
                    worker="bench",
                    clock=lambda: NOW,
                    send=telegram_sender(bot),
                    scale=1.0,
                )
                elapsed = time.perf_counter() - started
                await bot.shutdown()
                sends = [c for c in server.calls_of("sendMessage") if c.status == 200]
                per_chat = Counter(str(c.params.get("chat_id")) for c in sends)
                too_many = [c for c in server.calls if c.status == 429]
                span = sends[-1].at - sends[0].at if len(sends) > 1 else 0.0
            await engine.dispose()
        finally:
            if backend == "postgresql":
                await pg_drop(name)
    return {
        "backend": backend,
        "follow_ups": count,
        "messages": len(sends),
        "marked_sent": report.sent,
        "seconds": round(elapsed, 2),
        "rate_per_s": round((len(sends) - 1) / span, 2) if span else None,
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "http_429": len(too_many),
        "rss_mb": round(rss_mb(), 1),
    }


def run_child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--send", type=int, default=450, help="follow-ups in the send test")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--child", nargs=2, metavar=("BACKEND", "ROWS"), help=argparse.SUPPRESS)
    parser.add_argument("--send-child", nargs=2, metavar=("BACKEND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child[0], int(args.child[1])))))
        return
    if args.send_child:
        backend, count = args.send_child
        print(json.dumps(asyncio.run(send_rate(backend, int(count)))))
        return

    backends = list(args.backends)
    if "postgresql" in backends:
        reason = asyncio.run(pg_available())
        if reason:
            print(f"skipping PostgreSQL: {reason}")
            backends.remove("postgresql")
    print(f"claim of one batch of {BATCH} due rows, median of {CLAIMS} claims")
    print(
        f"{'backend':<11}{'pending':>10}{'fill s':>8}{'claim ms':>10}{'build ms':>10}"
        f"{'RSS MB':>8}  claims (ms)"
    )
    claims: dict[tuple[str, int], float] = {}
    for backend in backends:
        for size in args.sizes:
            r = run_child(["--child", backend, str(size)])
            claims[backend, size] = r["claim_median_ms"]
            print(
                f"{backend:<11}{size:>10,}{r['fill_s']:>8}{r['claim_median_ms']:>10}"
                f"{r['build_median_ms']:>10}{r['rss_mb']:>8}  {r['claim_ms']}",
                flush=True,
            )
    if len(args.sizes) > 1:
        small, large = min(args.sizes), max(args.sizes)
        for backend in backends:
            ratio = claims[backend, large] / claims[backend, small]
            print(f"{backend}: claim at {large:,} costs {ratio:.2f}x the claim at {small:,}")
    print()
    print("sustained send rate, limiter at 30 messages/s, fake Bot API with limits enforced")
    for backend in backends:
        r = run_child(["--send-child", backend, str(args.send)])
        print(
            f"{backend:<11}{r['messages']} messages ({r['marked_sent']} marked sent) in "
            f"{r['seconds']} s: {r['rate_per_s']}/s, duplicates {r['duplicates']}, "
            f"429s {r['http_429']}, RSS {r['rss_mb']} MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
