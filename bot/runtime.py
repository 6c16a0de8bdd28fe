"""Start-up shared by the commands: open the database, migrate it, load bundled quizzes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.dialect import is_postgresql
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.locks import startup_lock
from bot.db.migrate import upgrade_database
from bot.domain.clock import Clock, utc_now
from bot.services.quizzes import ensure_bundled_quizzes


@dataclass(frozen=True)
class Runtime:
    """What a running command needs: settings, the database and the clock."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock

    @property
    def shared_database(self) -> bool:
        """Whether several processes can share this database (PostgreSQL, not SQLite)."""
        return is_postgresql(self.engine)


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    migrate: bool = True,
    bundled: bool = True,
    clock: Clock = utc_now,
    threaded_sqlite: bool = False,
) -> AsyncIterator[Runtime]:
    """Open the database (migrated, with the bundled quizzes) and close it afterwards.

    `threaded_sqlite` is for comparisons only (see `make_engine`).
    """
    engine = make_engine(settings.database_url, threaded_sqlite=threaded_sqlite)
    try:
        sessions = make_sessionmaker(engine)
        # Several workers starting at once would race to create the same tables and rows.
        async with startup_lock(engine):
            if migrate:
                await upgrade_database(engine)
            if bundled:
                async with sessions() as session:
                    await ensure_bundled_quizzes(session, settings.quiz_dir, now=clock())
        yield Runtime(settings=settings, engine=engine, sessions=sessions, clock=clock)
    finally:
        await engine.dispose()
