"""What differs between SQLite and PostgreSQL, asked in one place.

Services write one statement for both databases where they can. Where the two differ (the
INSERT that has ON CONFLICT, row locks that skip locked rows, DISTINCT ON, date arithmetic,
readers on connections of their own) they ask here which database they are on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

__all__ = ["Bind", "dialect_name", "distinct_on", "insert_for", "is_postgresql", "is_sqlite"]

# What a service may hold when it asks: its session, or an engine or connection.
Bind = AsyncSession | AsyncEngine | AsyncConnection | Engine | Connection

POSTGRESQL = "postgresql"
SQLITE = "sqlite"


def dialect_name(bind: Bind) -> str:
    """The database's dialect name, "sqlite" or "postgresql" (a key for statements built
    once per dialect)."""
    if isinstance(bind, AsyncSession):
        return bind.get_bind().dialect.name
    return bind.dialect.name


def is_postgresql(bind: Bind) -> bool:
    """True on PostgreSQL."""
    return dialect_name(bind) == POSTGRESQL


def is_sqlite(bind: Bind) -> bool:
    """True on SQLite."""
    return dialect_name(bind) == SQLITE


def insert_for(bind: Bind) -> Callable[[Any], postgresql.Insert | sqlite.Insert]:
    """The database's own INSERT, the one with on_conflict_do_update and excluded."""
    return postgresql.insert if is_postgresql(bind) else sqlite.insert
