"""Storing updates: data a database refuses never stops the inbox; an outage still does."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import InboxUpdate
from bot.runtime import Runtime
from bot.services import update_store
from bot.services.monitoring import DATABASE_ERRORS

ONLY_POSTGRESQL = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def _message(update_id: int, chat_id: int, text: str = "hi", name: str = "Ana") -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": name}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private", "first_name": name},
            "from": user,
            "text": text,
        },
    }


async def _store(runtime: Runtime, *payloads: dict[str, Any]) -> dict[int, dict[str, Any]]:
    async with runtime.sessions() as session:
        return await update_store.store_updates(session, list(payloads), now=runtime.clock())


async def _rows(runtime: Runtime) -> dict[int, InboxUpdate]:
    async with runtime.sessions() as session:
        return {r.update_id: r for r in (await session.scalars(select(InboxUpdate))).all()}


async def test_text_no_database_can_hold_is_stored_cleaned(runtime: Runtime) -> None:
    fine = _message(1, 10)
    nul = _message(2, 11, name="E\x00ve", text="/start\x00")
    surrogate = _message(3, 12, name="Mal\ud800")
    new = await _store(runtime, fine, nul, surrogate)
    assert sorted(new) == [1, 2, 3]
    assert new[1] is fine, "a clean update is passed on as it came"
    assert new[2]["message"]["from"]["first_name"] == "Eve"
    assert new[2]["message"]["text"] == "/start"
    assert new[3]["message"]["chat"]["first_name"] == "Mal\ufffd"
    rows = await _rows(runtime)
    assert rows[2].payload == new[2]
    assert rows[3].payload == new[3]
    assert all(r.processed_at is None and r.error is None for r in rows.values())


async def test_an_update_id_beyond_int64_is_refused_and_the_rest_stored(
    runtime: Runtime,
) -> None:
    new = await _store(runtime, _message(1, 10), _message(2**63, 11), _message(3, 12))
    assert sorted(new) == [1, 3]
    assert sorted(await _rows(runtime)) == [1, 3]


async def test_an_update_the_database_refuses_is_kept_as_failed_with_the_reason(
    runtime: Runtime,
) -> None:
    # A chat id beyond int64 fails on both backends, and no cleaning can mend it.
    new = await _store(runtime, _message(1, 10), _message(2, 2**64), _message(3, 12))
    assert sorted(new) == [1, 3]
    rows = await _rows(runtime)
    failed = rows[2]
    assert failed.processed_at is not None, "never to be processed"
    assert failed.error is not None
    assert failed.error.startswith("not stored:")
    assert failed.payload == {"update_id": 2}, "nothing of the user's data is kept"
    async with runtime.sessions() as session:
        counts = await update_store.inbox_counts(session)
    assert (counts.unprocessed, counts.failed) == (2, 1)
    # Delivered again, it is a duplicate like any other.
    assert await _store(runtime, _message(2, 2**64)) == {}


@ONLY_POSTGRESQL
async def test_json_that_jsonb_refuses_is_kept_as_failed(runtime: Runtime) -> None:
    odd = _message(2, 11) | {"odd": float("nan")}
    new = await _store(runtime, _message(1, 10), odd)
    assert sorted(new) == [1]
    assert (await _rows(runtime))[2].error is not None


async def test_a_redelivered_cleaned_update_is_a_duplicate(runtime: Runtime) -> None:
    nul = _message(2, 11, name="E\x00ve")
    assert sorted(await _store(runtime, nul)) == [2]
    assert await _store(runtime, nul) == {}


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres@127.0.0.1:1/nowhere", "sqlite:////nonexistent-dir/quizbot.db"],
)
async def test_an_outage_is_raised_not_taken_for_bad_data(url: str) -> None:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            with pytest.raises(DATABASE_ERRORS):
                await update_store.store_updates(session, [_message(1, 10)], now=_now())
    finally:
        await engine.dispose()


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)
