"""SQLite for SQLAlchemy's async engine, called directly on the event loop's thread.

aiosqlite hands every cursor call (cursor, execute, fetch, close) to a thread of its own and
back; on the answer path that hand-off costs several times what SQLite does
(bench/bench_answer_path.py). Statements of a quiz bot are short, so this adapter runs them
where SQLAlchemy issues them: in the greenlet its async layer runs a statement in, with no
hand-off at all. SQLAlchemy's own adapter for an asyncio driver awaits each call (cursor,
execute, fetch, close, commit), a switch out of that greenlet to the loop's side and back
for each, which SQLite's calls never need.

It must never block the loop on SQLite's lock, since the connection that holds the lock may
be waiting for the loop: the busy timeout is 0, and a statement refused with "database is
locked" is retried after an asyncio sleep (the only place this adapter awaits), up to the
same 10 seconds the threaded connection would wait (QUIZBOT_SQLITE_LOCK_WAIT changes it:
tests of a locked database need not sit out ten seconds).

It plugs in as the DBAPI module of SQLAlchemy's aiosqlite dialect (`make_engine` passes
`module=DBAPI`), so SQL, types and pooling are that dialect's.
"""

from __future__ import annotations

import asyncio
import collections
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Generator, Iterable, Iterator
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.engine.interfaces import AdaptedConnection
from sqlalchemy.util.concurrency import await_

T = TypeVar("T")

LOCK_WAIT_SECONDS = float(os.environ.get("QUIZBOT_SQLITE_LOCK_WAIT", "10"))
FIRST_RETRY = 0.0005
LAST_RETRY = 0.02


class _Passed(Awaitable[None]):
    """An awaitable that is done at once: awaiting it switches out of SQLAlchemy's greenlet
    and straight back, without a turn of the loop."""

    def __await__(self) -> Generator[Any, None, None]:
        return (yield from ())


_PASSED = _Passed()


def _is_lock(error: sqlite3.OperationalError) -> bool:
    text = str(error)
    return "locked" in text or "busy" in text


def _unlocked(call: Callable[..., T], *args: Any) -> T:
    """Run a SQLite call; while another connection holds the lock, wait without blocking
    the loop (an asyncio sleep, awaited from SQLAlchemy's greenlet) and try again."""
    try:
        return call(*args)
    except sqlite3.OperationalError as error:
        if not _is_lock(error):
            raise
    return await_(_retry(call, args))


async def _retry(call: Callable[..., T], args: tuple[Any, ...]) -> T:
    delay = FIRST_RETRY
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        await asyncio.sleep(delay)
        delay = min(delay * 2, LAST_RETRY)
        try:
            return call(*args)
        except sqlite3.OperationalError as error:
            if not _is_lock(error) or time.monotonic() >= deadline:
                raise


class _Cursor:
    """What both cursors pass through from sqlite3's."""

    __slots__ = ("_cursor",)

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._cursor = connection.cursor()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    def close(self) -> None:
        self._cursor.close()


class InlineCursor(_Cursor):
    """A DBAPI cursor: a statement's rows are read at once, as SQLAlchemy's adapter for
    an asyncio driver does, so no SQLite statement stays open after `execute`."""

    server_side = False
    __slots__ = ("_rows",)

    def __init__(self, connection: sqlite3.Connection) -> None:
        super().__init__(connection)
        self._rows: collections.deque[Any] = collections.deque()

    def execute(self, sql: str, parameters: Any = None) -> InlineCursor:
        # AsyncConnection.execute refuses a driver that never awaits (it takes it for a
        # synchronous one by mistake): one switch out and back, where the adapter for an
        # asyncio driver makes three or more.
        await_(_PASSED)
        _unlocked(self._cursor.execute, sql, () if parameters is None else parameters)
        if self._cursor.description is not None:
            self._rows = collections.deque(self._cursor.fetchall())
        return self

    def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        await_(_PASSED)  # as execute
        _unlocked(self._cursor.executemany, sql, parameters)
        return self

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()

    async def _async_soft_close(self) -> None:
        """What AsyncConnection calls before handing a result out: nothing to do, the rows
        are read and SQLite's statement is done."""

    def close(self) -> None:
        self._rows.clear()
        self._cursor.close()


class InlineStreamCursor(_Cursor):
    """A server-side cursor (`stream_results`, `AsyncSession.stream`): rows are read from
    SQLite as they are asked for, so an export does not hold them all."""

    server_side = True
    __slots__ = ()

    def execute(self, sql: str, parameters: Any = None) -> InlineStreamCursor:
        await_(_PASSED)  # as InlineCursor.execute
        _unlocked(self._cursor.execute, sql, () if parameters is None else parameters)
        return self

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size or self._cursor.arraysize)

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)


class InlineConnection(AdaptedConnection):
    """The DBAPI connection SQLAlchemy's aiosqlite dialect drives, on a sqlite3 connection."""

    __slots__ = ("dbapi",)
    # The driver's connection is sqlite3's own, synchronous, not an asyncio driver's.
    _connection: sqlite3.Connection  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: sqlite3.Connection) -> None:
        self.dbapi = dbapi
        self._connection = connection

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        # sqlite3 checks the value itself (its stubs list only the ones it accepts).
        self._connection.isolation_level = value  # type: ignore[assignment]

    def cursor(self, server_side: bool = False) -> InlineCursor | InlineStreamCursor:
        if server_side:
            return InlineStreamCursor(self._connection)
        return InlineCursor(self._connection)

    def execute(self, sql: str, parameters: Any = None) -> InlineCursor:
        return InlineCursor(self._connection).execute(sql, parameters)

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._connection.create_function(*args, **kwargs)

    def commit(self) -> None:
        _unlocked(self._connection.commit)

    def rollback(self) -> None:
        self._connection.rollback()

    def close(self) -> None:
        self._connection.close()

    def terminate(self) -> None:
        self._connection.close()


class InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite dialect's DBAPI module (its error classes and parameter style are
    sqlite3's), whose connections are `InlineConnection`s."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, database: str, *_args: Any, uri: bool = False, **_kwargs: Any) -> Any:
        connection = sqlite3.connect(
            database, timeout=0, isolation_level=None, check_same_thread=False, uri=uri
        )
        return InlineConnection(self, connection)


DBAPI = InlineDBAPI()
