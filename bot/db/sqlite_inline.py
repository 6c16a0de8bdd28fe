"""A SQLite connection for SQLAlchemy's aiosqlite dialect that runs on the event loop's thread.

aiosqlite hands every cursor call (cursor, execute, fetch, close) to a thread of its own and
back; on the answer path that hand-off costs several times what SQLite does
(bench/bench_answer_path.py). Statements of a quiz bot are short, so this connection runs
them where they are awaited. It must never block the loop on SQLite's lock, since the
connection that holds the lock may be waiting for the loop: the busy timeout is 0, and a
statement refused with "database is locked" is retried after an asyncio sleep, up to the
same 10 seconds the threaded connection would wait (QUIZBOT_SQLITE_LOCK_WAIT changes it:
tests of a locked database need not sit out ten seconds).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

LOCK_WAIT_SECONDS = float(os.environ.get("QUIZBOT_SQLITE_LOCK_WAIT", "10"))
FIRST_RETRY = 0.0005
LAST_RETRY = 0.02


async def _unlocked(call: Callable[..., T], *args: Any) -> T:
    """Run a SQLite call, waiting (without blocking the loop) while another holds the lock."""
    delay = FIRST_RETRY
    deadline: float | None = None
    while True:
        try:
            return call(*args)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            now = time.monotonic()
            deadline = deadline or now + LOCK_WAIT_SECONDS
            if now >= deadline:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, LAST_RETRY)


class InlineCursor:
    """The cursor interface SQLAlchemy's async adapter awaits."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._cursor = connection.cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

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

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await _unlocked(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        await _unlocked(self._cursor.executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    def __aiter__(self) -> InlineCursor:
        return self

    async def __anext__(self) -> Any:
        row = self._cursor.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row


class _Immediate:
    """Stands in for aiosqlite's request queue, which the dialect uses to set
    isolation_level: the request runs at once."""

    def put_nowait(self, request: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = request
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    """The connection interface SQLAlchemy's aiosqlite adapter uses."""

    def __init__(self, database: str) -> None:
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            database, timeout=0, isolation_level=None, check_same_thread=False
        )
        self._tx = _Immediate()

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        assert self._conn is not None
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        assert self._conn is not None
        return InlineCursor(self._conn)

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        assert self._conn is not None
        await _unlocked(self._conn.commit)

    async def rollback(self) -> None:
        assert self._conn is not None
        self._conn.rollback()

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        assert self._conn is not None
        self._conn.create_function(*args, **kwargs)

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
