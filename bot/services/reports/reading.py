"""How a report reads the database: its parts side by side on PostgreSQL, and many plain
rows as Core rows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.db.dialect import is_postgresql

# Report parts read at once on PostgreSQL, each on a pooled connection (see Readers).
READERS = 4

T = TypeVar("T")


class Readers:
    """Runs a report's independent parts.

    On PostgreSQL each part gets a session of its own (a pooled connection of the report's
    engine) and up to READERS run at once, so a whole quiz's report takes about as long as
    its slowest part instead of the sum of all (docs/benchmarks.md, issue 6). In READ
    COMMITTED every statement reads its own snapshot anyway, so the parts are as consistent
    with each other as when they ran one after another. SQLite, and a session bound to one
    connection, run the parts one at a time on the report's own session.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        bind = session.bind
        self._engine = bind if isinstance(bind, AsyncEngine) and is_postgresql(bind) else None
        self._slots = asyncio.Semaphore(READERS if self._engine is not None else 1)

    async def run(self, part: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._slots:
            if self._engine is None:
                return await part(self._session)
            async with AsyncSession(self._engine) as reader:
                # The parts already run side by side: parallel workers within a part (the
                # skills' scan would take two) only add their setup and merging, about a
                # tenth more CPU, and crowd out the other parts (on 2 cores the report took
                # 15 % longer with them). Discernment, as slow as the skills on one
                # process, is one process either way. For this transaction only.
                await reader.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
                return await part(reader)


async def core_rows(session: AsyncSession, stmt: Any) -> Sequence[Any]:
    """All rows of a statement with many plain rows, as Core rows on the session's
    connection: about 40 % less CPU than the ORM's row processing over thousands of rows,
    and one fetch, not one driver call per row."""
    return (await (await session.connection()).execute(stmt)).all()
