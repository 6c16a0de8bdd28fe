"""What operators watch: database reachability and the work waiting in the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FollowUp
from bot.services.update_store import inbox_counts

# What a database that is down, unreachable or refusing raises; adapters catch these by this
# name, so that they need not import SQLAlchemy.
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, OSError)

# SQLSTATE classes of a connection that failed or a server that is stopping or starting
# (08: connection exception; 57P: operator intervention, e.g. "the database system is
# shutting down" or "starting up").
_CONNECTION_SQLSTATES = ("08", "57P")


def connection_lost(exc: BaseException) -> bool:
    """Whether a database error means the connection went away (a restart, a failover, the
    network), so that the same work may succeed on a new connection; not a refused statement.
    """
    if isinstance(exc, OSError):  # refused or reset while connecting
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return isinstance(code, str) and code.startswith(_CONNECTION_SQLSTATES)


FOLLOWUP_STATUSES = ("pending", "claimed", "sent", "answered", "cancelled", "failed")


@dataclass(frozen=True)
class FleetStatus:
    """Counts shared by every process, read from the database."""

    followups: dict[str, int]
    inbox_unprocessed: int
    inbox_failed: int


async def database_ready(session: AsyncSession) -> None:
    """Run a trivial query; raise when the database cannot answer."""
    await session.execute(text("SELECT 1"))


async def fleet_status(session: AsyncSession) -> FleetStatus:
    """Follow-ups by status and the inbox backlog (one indexed aggregate each)."""
    rows = await session.execute(select(FollowUp.status, func.count()).group_by(FollowUp.status))
    followups = dict.fromkeys(FOLLOWUP_STATUSES, 0)
    followups.update({str(status): int(n) for status, n in rows.all()})
    inbox = await inbox_counts(session)
    return FleetStatus(
        followups=followups, inbox_unprocessed=inbox.unprocessed, inbox_failed=inbox.failed
    )
