"""What operators watch: database reachability and the work waiting in the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FollowUp
from bot.services.inbox import inbox_counts

# What a database that is down, unreachable or refusing raises; adapters catch these by this
# name, so that they need not import SQLAlchemy.
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, OSError)

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
