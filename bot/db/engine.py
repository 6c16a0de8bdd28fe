"""Engine and session factory for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import event, exc, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_

from bot.config import to_async_url
from bot.db import sqlite_inline

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Pages (4 KiB each) the write-ahead log may hold before a commit copies them into the
# database file: 40 MiB instead of SQLite's 4 MiB. See _sqlite_pragmas.
SQLITE_WAL_AUTOCHECKPOINT = 10_000
# A worker's connections to PostgreSQL, all kept once opened (docs/deploy.md: up to 15).
PG_POOL_SIZE = 15


def make_engine(url: str, *, threaded_sqlite: bool = False, **kwargs: Any) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL, foreign keys and a wait for the write lock.

    A SQLite file is opened through `sqlite_inline.py`: statements run on the event loop's
    thread, called directly, and waiting for the lock is an asyncio sleep. `threaded_sqlite`
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
            kwargs["module"] = sqlite_inline.DBAPI
        else:
            # timeout: wait for a writer instead of failing at once with "database is locked".
            kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    else:
        # A ping at each checkout is what lets a worker survive a database restart.
        kwargs.setdefault("pool_pre_ping", True)
        # The same 15 connections at most as SQLAlchemy's 5 + 10 overflow, but all kept:
        # an overflow connection was closed when returned and opened again at the next
        # burst (a dispatcher pass marks up to 32 messages at once), each time a new login,
        # type set-up, and every statement prepared again.
        kwargs.setdefault("pool_size", PG_POOL_SIZE)
        kwargs.setdefault("max_overflow", 0)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        if inline:
            # Registered after _sqlite_pragmas, so it runs after it: SQLite itself must
            # never wait for the lock on the event loop's thread (InlineConnection waits).
            event.listen(engine.sync_engine, "connect", _no_busy_timeout)
    elif engine.dialect.driver == "asyncpg" and kwargs.get("pool_pre_ping"):
        # Attributes of this engine's own dialect object: other engines keep the defaults.
        dialect: Any = engine.dialect
        dialect.do_ping = functools.partial(_ping_by_begin, dialect.do_ping)
        # Like an isolation level, READ ONLY and DEFERRABLE are set before a transaction
        # begins: a connection set to them rolls back the BEGIN sent at checkout.
        dialect.set_readonly = functools.partial(_end_then_set, dialect.set_readonly)
        dialect.set_deferrable = functools.partial(_end_then_set, dialect.set_deferrable)
    return engine


def _ping_by_begin(default_ping: Any, dbapi_conn: Any) -> bool:
    """The pre-ping at checkout, made by the transaction's own BEGIN.

    asyncpg's default ping is three round trips (BEGIN, `;`, ROLLBACK), then the
    transaction's BEGIN is a fourth before its first statement. Here the BEGIN is sent at
    checkout: it reaches the server, so a connection the server closed (a restart, a
    terminated backend) fails it as it failed the ping, is_disconnect sees it as closed,
    and the pool invalidates its connections and opens a new one, as before. A connection
    that works is left in the transaction its first statement would have begun (with the
    same isolation level; setting another level, READ ONLY or DEFERRABLE rolls it back,
    and the pool's reset on return rolls back one that ran nothing). Autocommit
    connections, and one already in a transaction, get the default ping.
    """
    if dbapi_conn.autocommit or dbapi_conn._transaction is not None:
        return bool(default_ping(dbapi_conn))
    await_(dbapi_conn._start_transaction())
    return True


def _end_then_set(default_set: Any, dbapi_conn: Any, value: bool) -> None:
    dbapi_conn.rollback()
    default_set(dbapi_conn, value)


def _no_busy_timeout(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN: a transaction that reads, then writes after another
    # connection committed, would fail at once (SQLITE_BUSY_SNAPSHOT) instead of waiting.
    # Straight to the driver's cursor: SQLAlchemy's statement path (execution context,
    # events, result) cost as much as a statement of the transaction's own, for no result.
    # Its errors are wrapped as that path would ("database is locked" is an
    # sqlalchemy.exc.OperationalError either way).
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
    except dbapi.Error as error:
        raise exc.DBAPIError.instance(
            "BEGIN IMMEDIATE", None, error, dbapi.Error, dialect=connection.dialect
        ) from error
    finally:
        cursor.close()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (the driver's own would be deferred).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    # WAL lets readers run while one writer writes; NORMAL sync is durable at commit in WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # A checkpoint copies the log's pages into the database file and syncs it, in the
    # commit that crosses the limit. With a longer log, pages written again and again (an
    # attempt's row, a learner's skills, the item counts) are copied once per checkpoint
    # instead of once per few commits. Durability is unchanged: a commit is in the log, and
    # the log is replayed after a crash; the cost is a log file of up to 40 MiB.
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT}")
    cursor.close()


class InlineSession(AsyncSession):
    """A session on a SQLite file opened through `sqlite_inline`, closed in place.

    AsyncSession closes at the end of `async with` in a task of its own, shielded, so that a
    cancellation cannot leave the close half done (a connection never returned to the
    pool); that task costs the loop several turns, about a sixth of a small transaction.
    On this connection closing never waits for the loop (a rollback, if any, is a direct
    call), so a cancellation cannot arrive before the connection is back in the pool.
    """

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A session factory whose objects stay usable after commit."""
    if engine.sync_engine.dialect.loaded_dbapi is sqlite_inline.DBAPI:
        return async_sessionmaker(engine, expire_on_commit=False, class_=InlineSession)
    return async_sessionmaker(engine, expire_on_commit=False)
