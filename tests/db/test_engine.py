"""The engine's settings per backend: what each connection is set to, what the pool keeps."""

from __future__ import annotations

import contextlib

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import PG_POOL_SIZE, SQLITE_WAL_AUTOCHECKPOINT, make_engine, make_sessionmaker
from tests.db_support import _admin


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


async def _pooled(engine: AsyncEngine, n: int) -> list[int]:
    """Open n connections at once and return them to the pool; their server process ids."""
    async with contextlib.AsyncExitStack() as stack:
        conns = [await stack.enter_async_context(engine.connect()) for _ in range(n)]
        return [(await c.execute(text("SELECT pg_backend_pid()"))).scalar_one() for c in conns]


async def test_postgresql_survives_its_connections_being_terminated(database_url: str) -> None:
    """The pre-ping (the BEGIN at checkout) finds a closed connection and opens a new one."""
    if not database_url.startswith("postgresql"):
        return
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        pids = await _pooled(engine, 3)
        admin = await _admin()
        try:
            for pid in pids:
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        # What a restart does to a worker's pool: every connection it holds is gone.
        async with sessions() as session:
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
            await session.commit()
        after = await _pooled(engine, 3)
    finally:
        await engine.dispose()
    assert not set(after) & set(pids)


async def test_postgresql_checkout_begins_the_transaction(database_url: str) -> None:
    """A pooled connection comes out in its transaction: no ping of its own, no extra BEGIN."""
    if not database_url.startswith("postgresql"):
        return
    engine = make_engine(database_url)
    try:
        await _pooled(engine, 1)
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            assert driver.is_in_transaction()  # before any statement
            await conn.execute(text("SELECT 1"))
            await conn.commit()
            assert not driver.is_in_transaction()
        # Returned without a statement: the pool's reset rolls the BEGIN back.
        async with engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        assert not driver.is_in_transaction()
        # Another isolation level rolls the checkout's transaction back and begins its own.
        async with engine.connect() as conn:
            serial = await conn.execution_options(isolation_level="SERIALIZABLE")
            level = (await serial.execute(text("SHOW transaction_isolation"))).scalar_one()
        assert level == "serializable"
        # So do READ ONLY and DEFERRABLE.
        async with engine.connect() as conn:
            ro = await conn.execution_options(postgresql_readonly=True)
            read_only = (await ro.execute(text("SHOW transaction_read_only"))).scalar_one()
        assert read_only == "on"
        async with engine.connect() as conn:
            rw = (await conn.execute(text("SHOW transaction_read_only"))).scalar_one()
        assert rw == "off"
    finally:
        await engine.dispose()
