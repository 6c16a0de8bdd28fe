"""Cluster-wide locks for the moments several bot processes must not overlap."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# An arbitrary constant naming "quizbot start-up" among PostgreSQL advisory lock keys.
STARTUP_LOCK = 0x71756967


@asynccontextmanager
async def startup_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold a PostgreSQL advisory lock, so processes starting together migrate one at a time.

    SQLite needs none: its writers queue on the file lock, and it serves one process.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK})
        await connection.commit()
        try:
            yield
        finally:
            await connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK}
            )
            await connection.commit()
