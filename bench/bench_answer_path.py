"""The answer's database work alone: CPU per `answer_item` and what the SQLite driver costs.

Run: .venv/bin/python bench/bench_answer_path.py [--learners 50] [--rounds 20]

Part of bench_answers.py's "where the time goes": no Telegram, only the service on a fresh
SQLite file. Printed: CPU milliseconds per answer (all threads of the process count) and the
statements each answer sends, with the bot's SQLite connection (`InlineConnection`, on the
event loop's thread) and with aiosqlite's (every cursor call handed to its own thread and
back); then one small transaction (BEGIN IMMEDIATE, three SELECTs, COMMIT) through each of
the two and through a plain synchronous engine on the same file, the floor of SQLAlchemy's
own statement handling.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import DEFAULT_QUIZ_ID, Settings
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import InboxUpdate
from bot.runtime import open_runtime
from bot.services import attempts, learners

TX_RUNS = 2_000


async def answer_path(url: str, learners_n: int, rounds: int, *, threaded: bool) -> None:
    settings = Settings(DATABASE_URL=url, TELEGRAM_BOT_TOKEN="1:bench")
    async with open_runtime(settings, threaded_sqlite=threaded) as runtime:
        now = dt.datetime.now(dt.UTC)
        sittings = []
        for i in range(learners_n):
            async with runtime.sessions() as session:
                user = await learners.touch_telegram_user(
                    session, telegram_id=1_000 + i, first_name="L", language_code="en", now=now
                )
            async with runtime.sessions() as session:
                start = await attempts.start_quiz(
                    session, user_id=user.id, slug=DEFAULT_QUIZ_ID, round_size=100, now=now
                )
            sittings.append((user.id, start.item))
        statements: collections.Counter[str] = collections.Counter()

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements[statement.split()[0]] += 1

        event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
        cpu = time.process_time()
        answered = 0
        for _ in range(rounds):
            for k, (user_id, item) in enumerate(sittings):
                assert item is not None
                async with runtime.sessions() as session:
                    result = await attempts.answer_item(
                        session,
                        user_id=user_id,
                        attempt_id=item.attempt_id,
                        item_id=item.item_id,
                        chosen=[0],
                        now=now,
                    )
                sittings[k] = (user_id, result.next_item)
                answered += 1
        spent = time.process_time() - cpu
    per = {kind: round(n / answered, 2) for kind, n in sorted(statements.items())}
    driver = "aiosqlite's thread" if threaded else "inline (as the bot runs)"
    print(
        f"answer_item, {driver}: {answered} answers, "
        f"{spent / answered * 1000:.2f} ms CPU per answer"
    )
    print(f"  statements per answer: {per} (BEGIN is the driver-level BEGIN IMMEDIATE)")


async def async_transactions(url: str, *, threaded: bool) -> float:
    engine = make_engine(url, threaded_sqlite=threaded)
    sessions = make_sessionmaker(engine)
    stmt = select(InboxUpdate.update_id).where(InboxUpdate.chat_id == 5)

    async def one() -> None:
        async with sessions() as session:
            for _ in range(3):
                await session.execute(stmt)
            await session.commit()

    try:
        for _ in range(100):
            await one()
        cpu = time.process_time()
        for _ in range(TX_RUNS):
            await one()
        return (time.process_time() - cpu) / TX_RUNS * 1000
    finally:
        await engine.dispose()


def sync_transactions(path: Path) -> float:
    from bot.db.engine import _sqlite_begin_immediate, _sqlite_pragmas

    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    stmt = select(InboxUpdate.update_id).where(InboxUpdate.chat_id == 5)

    def one() -> None:
        with Session(engine) as session:
            for _ in range(3):
                session.execute(stmt)
            session.commit()

    try:
        for _ in range(100):
            one()
        cpu = time.process_time()
        for _ in range(TX_RUNS):
            one()
        return (time.process_time() - cpu) / TX_RUNS * 1000
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20, help="answers per learner (max 54)")
    args = parser.parse_args()
    rounds = min(args.rounds, 54)
    with tempfile.TemporaryDirectory(prefix="bench-answer-path-") as folder:
        for threaded in (False, True):
            path = Path(folder) / f"quizbot-{int(threaded)}.db"
            url = f"sqlite+aiosqlite:///{path}"
            asyncio.run(answer_path(url, args.learners, rounds, threaded=threaded))
        inline_ms = asyncio.run(async_transactions(url, threaded=False))
        threaded_ms = asyncio.run(async_transactions(url, threaded=True))
        sync_ms = sync_transactions(path)
    print("a transaction of 3 SELECTs (BEGIN IMMEDIATE ... COMMIT), CPU per transaction:")
    print(f"  inline connection (as the bot runs): {inline_ms:.3f} ms")
    print(f"  aiosqlite (a thread hop per call):   {threaded_ms:.3f} ms")
    print(f"  sync engine (pysqlite, no asyncio):  {sync_ms:.3f} ms")


if __name__ == "__main__":
    main()
