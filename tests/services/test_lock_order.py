"""Transactions that write the same shared rows take their locks in one order (PostgreSQL).

Two transactions that lock the same rows in opposite orders deadlock, and PostgreSQL then
fails one of them: a learner's answer is lost and must be pressed again. These tests force
the worst interleaving instead of hoping for it: a third connection holds one shared row,
the writers start one after another, each once the one before waits for a lock (each then
holds the rows it took before), and the row is let go. Writers that take the rows in one
order then finish one after the other; writers in different orders wait for each other.
Before the changes these tests came with, each deadlocked on every run.

SQLite has no row locks: a writer holds the whole database from BEGIN IMMEDIATE to commit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import DEFAULT_QUIZ_ID
from bot.db.dialect import is_sqlite
from bot.db.models import Answer, Attempt, InboxUpdate, Item, Quiz, QuizVersion
from bot.runtime import Runtime
from bot.services import learners, update_store
from bot.services.reports import counters
from bot.services.reports.counters import SUMS

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
# How long the writers may take to reach the held row (they get there in milliseconds).
REACH_TIMEOUT = 10.0

Writer = Callable[[AsyncSession], Awaitable[None]]


def _postgresql_only(runtime: Runtime) -> None:
    if is_sqlite(runtime.engine):
        pytest.skip("SQLite has no row locks: a writer holds the whole database")


async def _waiting_on_locks(session: AsyncSession) -> int:
    """How many other connections to this database wait for a lock."""
    # The activity view is read once per transaction unless its snapshot is cleared.
    await session.execute(text("SELECT pg_stat_clear_snapshot()"))
    waiting = await session.scalar(
        text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
    )
    return int(waiting or 0)


async def _run_past_a_held_row(
    runtime: Runtime, hold: Any, writers: Sequence[Writer]
) -> list[BaseException | None]:
    """Run the writers, each in its own transaction, while another holds the row `hold`
    selects (FOR UPDATE): each starts once the one before it waits for a lock, and the row
    is let go once they all wait. Each writer's error, or None."""

    async def write(writer: Writer) -> None:
        async with runtime.sessions() as session:
            await writer(session)
            await session.commit()

    tasks: list[asyncio.Future[None]] = []
    async with runtime.sessions() as holder:
        assert (await holder.execute(hold.with_for_update())).all(), "a row to hold"
        for writer in writers:
            tasks.append(asyncio.ensure_future(write(writer)))
            deadline = asyncio.get_running_loop().time() + REACH_TIMEOUT
            while await _waiting_on_locks(holder) < len(tasks):
                assert not any(t.done() for t in tasks), "a writer went past the held row"
                assert asyncio.get_running_loop().time() < deadline, "a writer never waited"
                await asyncio.sleep(0.02)
        await holder.commit()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    return [o if isinstance(o, BaseException) else None for o in outcomes]


# ------------------------------------------------------- attempts finishing at the same time


async def _quiz_items(session: AsyncSession) -> tuple[int, list[Item]]:
    version_id = await session.scalar(
        select(QuizVersion.id)
        .join(Quiz, Quiz.id == QuizVersion.quiz_id)
        .where(Quiz.slug == DEFAULT_QUIZ_ID)
        .order_by(QuizVersion.number.desc())
        .limit(1)
    )
    assert version_id is not None
    items = (
        await session.scalars(
            select(Item).where(Item.quiz_version_id == version_id).order_by(Item.id)
        )
    ).all()
    return version_id, list(items)


async def _sums_and_rebuilt(
    runtime: Runtime, forgotten: int | None = None
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """item_total_sums as kept, and as rebuilt from the answers (less a forgotten learner's,
    as /forgetme leaves them); the rebuild is rolled back."""
    async with runtime.sessions() as session:
        if forgotten is not None:
            await session.execute(delete(Answer).where(Answer.user_id == forgotten))
        kept = sorted(tuple(r) for r in await session.execute(select(SUMS)))
        await counters.rebuild(session)
        rebuilt = sorted(tuple(r) for r in await session.execute(select(SUMS)))
        await session.rollback()
    return kept, rebuilt


async def _finished_attempt(
    session: AsyncSession, user_id: int, version_id: int, items: Sequence[Item]
) -> int:
    """A finished attempt whose answers were recorded in the order of `items`, all right."""
    attempt_id = await session.scalar(
        insert(Attempt)
        .values(
            user_id=user_id,
            quiz_version_id=version_id,
            seed=user_id,
            round_size=len(items),
            started_at=NOW,
            finished_at=NOW,
            answered_count=len(items),
            correct_count=len(items),
        )
        .returning(Attempt.id)
    )
    assert attempt_id is not None
    for item in items:
        # One row per statement, in this order: the table's physical order is the learner's.
        await session.execute(
            insert(Answer).values(
                attempt_id=attempt_id,
                user_id=user_id,
                item_id=item.id,
                skill_id=item.skill_id,
                chosen=[i for i, o in enumerate(item.options) if o["correct"]],
                correct=True,
                seconds=5.0,
                answered_at=NOW,
            )
        )
    return attempt_id


async def _learner(runtime: Runtime, telegram_id: int) -> int:
    async with runtime.sessions() as session:
        user = await learners.touch_telegram_user(
            session, telegram_id=telegram_id, first_name="Ana", language_code="en", now=NOW
        )
        await session.commit()
    return user.id


async def test_attempts_finishing_together_add_their_sums_without_deadlock(
    runtime: Runtime,
) -> None:
    """Two attempts answered in opposite item orders finish at the same moment: both add
    to item_total_sums, and the sums equal a rebuild from the answers."""
    _postgresql_only(runtime)
    users = [await _learner(runtime, 5100 + n) for n in range(3)]
    async with runtime.sessions() as session:
        version_id, items = await _quiz_items(session)
        assert len(items) >= 3
        # A first attempt, counted, so that every item has its row to lock.
        first = await _finished_attempt(session, users[0], version_id, items)
        await counters.count_finished_attempt(session, attempt_id=first, total=len(items))
        forwards = await _finished_attempt(session, users[1], version_id, items)
        backwards = await _finished_attempt(session, users[2], version_id, items[::-1])
        await session.commit()
        # With statistics (as autovacuum keeps them), an attempt's answers are a third of
        # the table and are read in its physical order, not in the unique index's item order.
        await session.execute(text("ANALYZE answers"))

    def finish(attempt_id: int) -> Writer:
        async def write(session: AsyncSession) -> None:
            await counters.count_finished_attempt(session, attempt_id=attempt_id, total=len(items))

        return write

    middle = items[len(items) // 2].id
    errors = await _run_past_a_held_row(
        runtime,
        select(SUMS.c.item_id).where(SUMS.c.item_id == middle),
        [finish(forwards), finish(backwards)],
    )
    assert errors == [None, None]
    kept, rebuilt = await _sums_and_rebuilt(runtime)
    assert kept == rebuilt
    assert {row[1] for row in kept} == {3}, "every item counted three times"
    assert len(kept) == len(items)


async def test_forgetting_a_learner_while_an_attempt_finishes_takes_no_deadlock(
    runtime: Runtime,
) -> None:
    """/forgetme takes a learner's finished attempt out of item_total_sums while another
    attempt, answered in the opposite order, adds itself: both go through, and the sums
    equal a rebuild from the answers left."""
    _postgresql_only(runtime)
    users = [await _learner(runtime, 5200 + n) for n in range(3)]
    async with runtime.sessions() as session:
        version_id, items = await _quiz_items(session)
        for user_id, order in ((users[0], items), (users[1], items[::-1])):
            done = await _finished_attempt(session, user_id, version_id, order)
            await counters.count_finished_attempt(session, attempt_id=done, total=len(items))
        finishing = await _finished_attempt(session, users[2], version_id, items[::-1])
        await session.commit()
        await session.execute(text("ANALYZE answers"))
        await session.commit()

    async def forget(session: AsyncSession) -> None:
        # The plan a big table gets: answers grouped by hashing, so the item rows come in
        # no particular order (on a small one they come sorted, by chance).
        await session.execute(text("SET LOCAL enable_sort = off"))
        await counters.uncount_user(session, users[1])

    async def finish(session: AsyncSession) -> None:
        await counters.count_finished_attempt(session, attempt_id=finishing, total=len(items))

    # The finishing attempt waits for the first item, then /forgetme takes every other
    # item before it waits for that one too. Let go, the first item goes to the attempt,
    # which then needs the rows /forgetme took unless it took none.
    first_item = items[0].id
    errors = await _run_past_a_held_row(
        runtime, select(SUMS.c.item_id).where(SUMS.c.item_id == first_item), [finish, forget]
    )
    assert errors == [None, None]
    kept, rebuilt = await _sums_and_rebuilt(runtime, forgotten=users[1])
    assert kept == rebuilt
    assert {row[1] for row in kept} == {2}, "every item counted twice"


# ------------------------------------------- /forgetme while the inbox marks the same updates


async def test_forgetting_a_learner_while_their_updates_are_marked_takes_no_deadlock(
    runtime: Runtime,
) -> None:
    """/forgetme deletes the learner's stored updates while the inbox counts a try on one
    and marks another handled, in one transaction: both go through."""
    _postgresql_only(runtime)
    chat = 5300
    user_id = await _learner(runtime, chat)
    first, held, last = 9101, 9102, 9103
    async with runtime.sessions() as session:
        await session.execute(
            insert(InboxUpdate),
            [
                {
                    "update_id": n,
                    "payload": {"update_id": n, "message": {"chat": {"id": chat}}},
                    "chat_id": chat,
                    "received_at": NOW,
                    "tries": 0,
                }
                for n in (first, held, last)
            ],
        )
        await session.commit()

    async def forget(session: AsyncSession) -> None:
        await learners.forget_user(session, user_id=user_id)

    async def mark(session: AsyncSession) -> None:
        # A try counted on the newest update, the oldest marked handled.
        await update_store.record_progress(
            session, started=[last], outcomes={first: None}, now=NOW
        )

    # /forgetme takes the first row and waits for the held one; the marks take the last
    # row (unless they lock in update order) and wait for the first. Let go, /forgetme
    # then needs the last row.
    errors = await _run_past_a_held_row(
        runtime, select(InboxUpdate.update_id).where(InboxUpdate.update_id == held), [forget, mark]
    )
    assert errors == [None, None]
    async with runtime.sessions() as session:
        left = await session.scalars(
            select(InboxUpdate.update_id).where(InboxUpdate.chat_id == chat)
        )
        assert left.all() == []
