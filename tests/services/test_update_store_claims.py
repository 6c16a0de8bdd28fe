"""Inbox claims shared by several workers: once per update, in order per chat, leases expire."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from bot.db.engine import make_engine, make_sessionmaker
from bot.runtime import Runtime
from bot.services import update_store
from tests.fakes.clock import FakeClock

LEASE = dt.timedelta(seconds=30)

# Several processes share only a PostgreSQL database.
ONLY_POSTGRESQL = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def _message(update_id: int, chat_id: int | None) -> dict[str, Any]:
    if chat_id is None:
        return {"update_id": update_id, "poll": {"id": "1"}}
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "date": 0, "chat": {"id": chat_id}, "text": "hi"},
    }


async def _store(runtime: Runtime, *updates: tuple[int, int | None]) -> None:
    async with runtime.sessions() as session:
        await update_store.store_updates(
            session, [_message(u, c) for u, c in updates], now=runtime.clock()
        )


async def _claim(
    runtime: Runtime, chat_id: int | None, worker: str, update_id: int | None = None
) -> update_store.StoredUpdate | None:
    async with runtime.sessions() as session:
        return await update_store.claim_next(
            session,
            chat_id=chat_id,
            update_id=update_id,
            worker=worker,
            now=runtime.clock(),
            lease=LEASE,
        )


async def _finish(runtime: Runtime, update_id: int, worker: str) -> bool:
    async with runtime.sessions() as session:
        return await update_store.finish_claimed(
            session, update_id, worker=worker, now=runtime.clock()
        )


async def test_one_chat_is_claimed_head_first_by_one_worker_at_a_time(runtime: Runtime) -> None:
    await _store(runtime, (3, 10), (1, 10), (2, 20), (5, 10))
    first = await _claim(runtime, 10, "a")
    assert first is not None
    assert first.update_id == 1
    assert first.tries == 0
    assert await _claim(runtime, 10, "b") is None, "the head is held by a"
    other = await _claim(runtime, 20, "b")
    assert other is not None
    assert other.update_id == 2, "other chats go on meanwhile"
    assert await _finish(runtime, 1, "a")
    nxt = await _claim(runtime, 10, "b")
    assert nxt is not None
    assert nxt.update_id == 3, "the next in update order, by whichever worker"
    assert await _finish(runtime, 3, "b")
    last = await _claim(runtime, 10, "a")
    assert last is not None
    assert last.update_id == 5
    assert await _finish(runtime, 5, "a")
    assert await _claim(runtime, 10, "a") is None, "the chat is empty"


async def test_an_expired_lease_is_taken_over_and_the_old_claim_is_void(
    runtime: Runtime, clock: FakeClock
) -> None:
    await _store(runtime, (1, 10), (2, 10))
    assert await _claim(runtime, 10, "dead") is not None
    clock.advance(seconds=29)
    assert await _claim(runtime, 10, "b") is None
    clock.advance(seconds=2)
    again = await _claim(runtime, 10, "b")
    assert again is not None
    assert again.update_id == 1, "the same update again, not the next one: order is kept"
    assert again.tries == 1, "the dead worker's try counts"
    assert not await _finish(runtime, 1, "dead"), "a lost claim cannot mark the update"
    assert await _finish(runtime, 1, "b")
    assert not await _finish(runtime, 1, "b"), "done once"


async def test_updates_without_a_chat_are_claimed_by_id(runtime: Runtime) -> None:
    await _store(runtime, (7, None), (8, None))
    with pytest.raises(ValueError, match="update_id"):
        await _claim(runtime, None, "a")
    got = await _claim(runtime, None, "a", update_id=8)
    assert got is not None
    assert got.update_id == 8
    assert await _claim(runtime, None, "b", update_id=8) is None


async def test_waiting_work_lists_chats_nobody_is_on(runtime: Runtime, clock: FakeClock) -> None:
    await _store(runtime, (1, 10), (2, 20), (3, 20), (4, None))
    clock.advance(seconds=5)
    await _store(runtime, (6, 30))
    assert await _claim(runtime, 20, "a") is not None
    async with runtime.sessions() as session:
        found = await update_store.waiting_work(
            session, now=clock(), received_before=clock() - dt.timedelta(seconds=1)
        )
    # Chat 20 is held by a live claim; chat 30 arrived too recently.
    assert found == [update_store.Waiting(10, 1), update_store.Waiting(None, 4)]
    clock.advance(seconds=60)
    async with runtime.sessions() as session:
        found = await update_store.waiting_work(session, now=clock(), received_before=clock())
    assert [w.chat_id for w in found] == [10, 20, None, 30]


async def test_redelivered_updates_are_stored_once(runtime: Runtime) -> None:
    payload = _message(42, 10)
    async with runtime.sessions() as session:
        first = await update_store.receive_update(session, payload, now=runtime.clock())
        second = await update_store.receive_update(session, payload, now=runtime.clock())
        counts = await update_store.inbox_counts(session)
    assert first == second == update_store.Waiting(10, 42)
    assert counts.unprocessed == 1


@ONLY_POSTGRESQL
async def test_concurrent_claimers_on_separate_connections_never_share_an_update(
    runtime: Runtime,
) -> None:
    """Eight workers, each with its own engine, race for 3 chats of 40 updates each."""
    chats = (101, 102, 103)
    await _store(runtime, *[(n * 3 + i, c) for n in range(40) for i, c in enumerate(chats)])
    url = runtime.settings.database_url
    processed: list[tuple[str, int, int]] = []

    async def worker(name: str) -> None:
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        try:
            idle = 0
            while idle < 3:
                progressed = False
                for chat in chats:
                    async with sessions() as session:
                        row = await update_store.claim_next(
                            session,
                            chat_id=chat,
                            worker=name,
                            now=runtime.clock(),
                            lease=LEASE,
                        )
                    if row is None:
                        continue
                    progressed = True
                    processed.append((name, chat, row.update_id))
                    await asyncio.sleep(0)
                    async with sessions() as session:
                        assert await update_store.finish_claimed(
                            session, row.update_id, worker=name, now=runtime.clock()
                        )
                idle = 0 if progressed else idle + 1
        finally:
            await engine.dispose()

    await asyncio.gather(*(worker(f"w{i}") for i in range(8)))
    ids = [u for _, _, u in processed]
    assert sorted(ids) == list(range(120)), "every update exactly once"
    for chat in chats:
        in_chat = [u for _, c, u in processed if c == chat]
        assert in_chat == sorted(in_chat), f"chat {chat} in update order"
    assert len({name for name, _, _ in processed}) > 1, "the work was shared"
