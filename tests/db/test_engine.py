"""The engine's settings per backend: what each connection is set to, what the pool keeps."""

from __future__ import annotations

import contextlib

from sqlalchemy import event, text

from bot.db.engine import PG_POOL_SIZE, SQLITE_WAL_AUTOCHECKPOINT, make_engine


async def test_sqlite_checkpoints_its_log_in_larger_steps(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            pages = (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one()
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
            sync = (await conn.execute(text("PRAGMA synchronous"))).scalar_one()
    finally:
        await engine.dispose()
    assert pages == SQLITE_WAL_AUTOCHECKPOINT > 1000  # SQLite's own default is 1000
    assert (mode, sync) == ("wal", 1)  # durability as before: WAL, synchronous=NORMAL


async def test_a_transaction_still_begins_immediate_on_sqlite(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            await conn.begin()
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            # Holding the write lock from BEGIN on, before any statement of its own.
            assert driver.in_transaction
    finally:
        await engine.dispose()


async def test_postgresql_keeps_its_connections_after_a_burst(database_url: str) -> None:
    """A burst as wide as the pool, then another: no connection is closed and opened again."""
    if not database_url.startswith("postgresql"):
        return
    engine = make_engine(database_url)
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda *_: opened.append(1))

    async def burst() -> None:
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(PG_POOL_SIZE):
                conn = await stack.enter_async_context(engine.connect())
                await conn.execute(text("SELECT 1"))

    try:
        await burst()
        first = len(opened)
        await burst()
    finally:
        await engine.dispose()
    assert first == PG_POOL_SIZE
    assert len(opened) == first
