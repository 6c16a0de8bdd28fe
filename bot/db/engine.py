"""Engine and session factory for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.config import to_async_url
from bot.db.sqlite_inline import InlineConnection

SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str, *, threaded_sqlite: bool = False, **kwargs: Any) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL, foreign keys and a wait for the write lock.

    A SQLite file is opened with `InlineConnection` (`sqlite_inline.py`): statements run on
    the event loop's thread, and waiting for the lock is an asyncio sleep. `threaded_sqlite`
    opens it through aiosqlite's thread instead (the benchmarks compare the two), and an
    in-memory database always is.
    """
    url = to_async_url(url)
    # A failed statement's error text would otherwise carry its parameters: learners' names,
    # the updates they sent. Errors are logged; what the learners wrote must not be.
    kwargs.setdefault("hide_parameters", True)
    inline = False
    if url.startswith("sqlite"):
        database = make_url(url).database
        if not threaded_sqlite and database and database != ":memory:":
            inline = True
            kwargs["async_creator"] = functools.partial(_open_inline, database)
        else:
            # timeout: wait for a writer instead of failing at once with "database is locked".
            kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        if inline:
            # Registered after _sqlite_pragmas, so it runs after it: SQLite itself must
            # never wait for the lock on the event loop's thread (InlineConnection waits).
            event.listen(engine.sync_engine, "connect", _no_busy_timeout)
    return engine


async def _open_inline(database: str) -> InlineConnection:
    return InlineConnection(database)


def _no_busy_timeout(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN: a transaction that reads, then writes after another
    # connection committed, would fail at once (SQLITE_BUSY_SNAPSHOT) instead of waiting.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (the driver's own would be deferred).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    # WAL lets readers run while one writer writes; NORMAL sync is durable at commit in WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A session factory whose objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
