"""The inline SQLite connection: waiting for another writer never blocks the event loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import greenlet
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from bot.db import sqlite_inline
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import Skill
from tests.db_support import Templates


async def _ticks_while(waiting: asyncio.Task[object]) -> int:
    ticks = 0
    while not waiting.done():
        await asyncio.sleep(0.005)
        ticks += 1
    return ticks


async def test_a_writer_waits_for_another_process_without_blocking_the_loop(
    templates: Templates, tmp_path: Path
) -> None:
    url = await templates.sqlite_copy(tmp_path / "quizbot.db")
    # Two engines stand for two processes: the bot and, say, `quizbot quiz import`.
    holder, waiter = make_engine(url), make_engine(url)
    try:
        async with holder.connect() as held:
            await held.begin()  # BEGIN IMMEDIATE: the other process holds the lock

            async def write() -> None:
                async with make_sessionmaker(waiter)() as session:
                    await session.execute(text("DELETE FROM skills WHERE id = 'nothing'"))
                    await session.commit()

            waiting = asyncio.create_task(write())
            ticker = asyncio.create_task(_ticks_while(waiting))
            await asyncio.sleep(0.3)
            assert not waiting.done(), "the lock is held: the write must wait"
            await held.commit()
            await asyncio.wait_for(waiting, 5)
            # The loop ran all along: about 60 ticks of 5 ms in the 0.3 s of waiting.
            assert await ticker > 20
    finally:
        await holder.dispose()
        await waiter.dispose()


async def test_a_writer_gives_up_after_the_lock_wait(
    templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "LOCK_WAIT_SECONDS", 0.2)
    url = await templates.sqlite_copy(tmp_path / "quizbot.db")
    holder, waiter = make_engine(url), make_engine(url)
    try:
        async with holder.connect() as held:
            await held.begin()
            with pytest.raises(OperationalError, match="database is locked"):
                async with make_sessionmaker(waiter)() as session:
                    await session.execute(text("DELETE FROM skills WHERE id = 'nothing'"))
            await held.rollback()
    finally:
        await holder.dispose()
        await waiter.dispose()


async def test_transactions_of_one_process_take_turns(
    templates: Templates, tmp_path: Path
) -> None:
    url = await templates.sqlite_copy(tmp_path / "quizbot.db")
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)

    async def insert(n: int) -> None:
        async with sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO skills (id, name, definition, lesson, updated_at) "
                    "VALUES (:id, 'n', 'd', 'l', '2026-01-01 00:00:00')"
                ),
                {"id": f"s{n}"},
            )
            await asyncio.sleep(0.001)  # hold the lock across an await, as handlers do
            await session.commit()

    try:
        await asyncio.gather(*(insert(n) for n in range(40)))
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Skill)) == 40
            streamed = [
                row.id async for row in await session.stream(select(Skill.id).order_by(Skill.id))
            ]
        assert len(streamed) == 40
    finally:
        await engine.dispose()


async def test_a_statement_leaves_sqlalchemys_greenlet_once(
    templates: Templates, tmp_path: Path
) -> None:
    """The adapter calls SQLite directly: each statement switches out of SQLAlchemy's
    greenlet and back once (AsyncConnection requires one), not once per driver call."""
    url = await templates.sqlite_copy(tmp_path / "quizbot.db")
    engine = make_engine(url)
    switches: list[str] = []

    def trace(event: str, _args: object) -> None:
        if event == "switch":
            switches.append(event)

    try:
        async with make_sessionmaker(engine)() as session:
            await session.execute(select(func.count()).select_from(Skill))  # connects, begins
            previous = greenlet.settrace(trace)
            try:
                for _ in range(10):
                    await session.execute(select(func.count()).select_from(Skill))
            finally:
                greenlet.settrace(previous)
            await session.commit()
    finally:
        await engine.dispose()
    # Per statement: into the statement's greenlet, out for the one await, back in, and
    # out at its end. SQLAlchemy's adapter for an asyncio driver makes 8 or more.
    assert len(switches) <= 10 * 4


async def test_a_cancelled_task_still_returns_its_connection(
    templates: Templates, tmp_path: Path
) -> None:
    """Sessions on the inline connection close in place, without the shielded task
    AsyncSession uses: a cancellation cannot cut the close short."""
    url = await templates.sqlite_copy(tmp_path / "quizbot.db")
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    try:

        async def work() -> None:
            async with sessions() as session:
                await session.execute(text("DELETE FROM skills WHERE id = 'nothing'"))
                task.cancel()  # delivered at the next turn of the loop
            await asyncio.sleep(1)

        task = asyncio.create_task(work())
        with pytest.raises(asyncio.CancelledError):
            await task
        assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        async with sessions() as session:  # and the lock was given up
            await session.execute(text("DELETE FROM skills WHERE id = 'nothing'"))
            await session.commit()
    finally:
        await engine.dispose()
