"""A use case's last statements and its commit, run in one go.

AsyncSession runs each `execute` and the commit in a greenlet of its own, the setting up of
which costs about as much as a short statement does on SQLite. A use case that has worked
out its writes hands them here: they run in order, then the commit, in one greenlet
(`AsyncSession.run_sync`), on the session's connection and in its transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

# A statement and its parameters.
Write = tuple[Executable, Mapping[str, Any]]


async def execute(session: AsyncSession, writes: Sequence[Write]) -> None:
    """Run the writes in order, in the session's transaction."""
    if writes:
        await session.run_sync(_execute, writes, False)


async def execute_and_commit(session: AsyncSession, writes: Sequence[Write]) -> None:
    """Run the writes in order, then commit."""
    await session.run_sync(_execute, writes, True)


def _execute(session: Session, writes: Sequence[Write], commit: bool) -> None:
    connection = session.connection()
    for statement, parameters in writes:
        connection.execute(statement, parameters)
    if commit:
        session.commit()
