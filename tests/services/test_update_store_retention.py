"""Retention of stored updates: processed rows pruned, late duplicates still ignored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.config import Settings
from bot.db.models import InboxUpdate
from bot.runtime import Runtime
from bot.services import monitoring, update_store
from tests.fakes.clock import FakeClock

KEEP = dt.timedelta(hours=24)


def _message(update_id: int, chat_id: int = 10) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "date": 0, "chat": {"id": chat_id}, "text": "hi"},
    }


async def _store(runtime: Runtime, *ids: int) -> list[int]:
    async with runtime.sessions() as session:
        new = await update_store.store_updates(
            session, [_message(u) for u in ids], now=runtime.clock()
        )
    return sorted(new)


async def _mark(runtime: Runtime, *ids: int) -> None:
    async with runtime.sessions() as session:
        await update_store.record_progress(
            session, outcomes=dict.fromkeys(ids), now=runtime.clock()
        )


async def _prune(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return await update_store.prune_processed(session, now=runtime.clock(), keep=KEEP)


async def _ids(runtime: Runtime) -> list[int]:
    async with runtime.sessions() as session:
        return sorted((await session.scalars(select(InboxUpdate.update_id))).all())


async def test_processed_rows_are_pruned_after_the_retention_period(
    runtime: Runtime, clock: FakeClock
) -> None:
    await _store(runtime, 1, 2, 3)
    await _mark(runtime, 1)
    clock.advance(hours=12)
    await _mark(runtime, 2)
    clock.advance(hours=13)
    assert await _prune(runtime) == 1, "only the row processed more than 24 h ago"
    assert await _ids(runtime) == [2, 3]
    clock.advance(hours=12)
    assert await _prune(runtime) == 1
    assert await _ids(runtime) == [3], "never an unprocessed one, however old"


async def test_a_late_copy_of_a_pruned_update_is_still_a_duplicate(
    runtime: Runtime, clock: FakeClock
) -> None:
    await _store(runtime, 5, 6, 7)
    await _mark(runtime, 5, 6)
    clock.advance(hours=25)
    assert await _prune(runtime) == 2
    assert await _store(runtime, 5, 6) == [], "Telegram sent them again: still not new"
    assert await _store(runtime, 8) == [8]
    async with runtime.sessions() as session:
        assert await update_store.next_offset(session, now=clock()) == 9
    await _mark(runtime, 7, 8)
    clock.advance(hours=25)
    await _prune(runtime)
    assert await _ids(runtime) == []
    async with runtime.sessions() as session:
        assert await update_store.next_offset(session, now=clock()) == 9, (
            "an empty inbox still confirms them"
        )
    assert await _store(runtime, 8) == []


async def test_the_watermark_lapses_after_telegram_has_forgotten_the_updates(
    runtime: Runtime, clock: FakeClock
) -> None:
    # After a week without updates, Telegram starts its ids again at a random number.
    await _store(runtime, 500)
    await _mark(runtime, 500)
    clock.advance(hours=25)
    await _prune(runtime)
    assert await _store(runtime, 400) == []
    clock.advance(days=7)
    assert await _store(runtime, 400) == [400]
    async with runtime.sessions() as session:
        assert await update_store.next_offset(session, now=clock()) == 401


async def test_what_metrics_count_is_read_through_an_index(runtime: Runtime) -> None:
    """/metrics runs on every scrape of every worker: no scan of the inbox or follow-ups."""
    statements: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    engine = runtime.engine
    event.listen(engine.sync_engine, "before_cursor_execute", remember)
    try:
        async with runtime.sessions() as session:
            await monitoring.fleet_status(session)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", remember)
    counts = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(counts) >= 3
    postgres = engine.dialect.name == "postgresql"
    async with engine.connect() as connection:
        if postgres:
            # Tiny test tables are cheapest to scan; ask whether an index could serve instead.
            await connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in counts:
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            result = await connection.exec_driver_sql(prefix + statement, parameters)
            plan = "\n".join(str(row[-1]) for row in result.all())
            if postgres:
                assert "Seq Scan" not in plan, f"{statement}\n{plan}"
            else:
                assert "INDEX" in plan, f"{statement}\n{plan}"


@pytest.mark.parametrize(("value", "hours"), [(None, 24.0), ("2", 2.0), ("168", 168.0)])
def test_the_retention_period_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, hours: float
) -> None:
    monkeypatch.delenv("QUIZBOT_UPDATE_RETENTION_HOURS", raising=False)
    if value is not None:
        monkeypatch.setenv("QUIZBOT_UPDATE_RETENTION_HOURS", value)
    assert Settings(_env_file=None).update_retention_hours == hours  # type: ignore[call-arg]


def test_a_retention_period_under_an_hour_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import ConfigError, load_settings

    monkeypatch.setenv("QUIZBOT_UPDATE_RETENTION_HOURS", "0.5")
    with pytest.raises(ConfigError, match="QUIZBOT_UPDATE_RETENTION_HOURS"):
        load_settings()
