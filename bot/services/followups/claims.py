"""A follow-up row under a claim: claimed with a lease, given back, cancelled, marked sent or
failed.

Several processes can run dispatcher passes on one PostgreSQL database: a claim takes rows
with `FOR UPDATE SKIP LOCKED`, so each row goes to exactly one of them; on SQLite the claim is
one atomic UPDATE. A process that dies after claiming leaves rows whose lease expires, and the
next pass anywhere takes them over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.db.dialect import is_postgresql
from bot.db.models import FollowUp
from bot.domain import followups as rules

BATCH = 100  # rows claimed at a time
LEASE = dt.timedelta(minutes=5)  # far longer than sending one batch takes, even with 429s


@dataclass(frozen=True)
class Claimed:
    """A follow-up row this worker has claimed."""

    id: int
    user_id: int
    skill_id: str
    due_at: dt.datetime
    tries: int


# ----------------------------------------------------------------------------- claiming


async def _claim_where(
    session: AsyncSession,
    conditions: Sequence[ColumnElement[bool]],
    *,
    worker: str,
    lease_until: dt.datetime,
    limit: int | None,
) -> list[Claimed]:
    """Claim rows matching `conditions`, oldest due first, skipping rows others hold."""
    pick = select(FollowUp.id).where(*conditions).order_by(FollowUp.due_at, FollowUp.id)
    if limit is not None:
        pick = pick.limit(limit)
    stmt = update(FollowUp).values(
        status="claimed",
        claimed_by=worker,
        lease_until=lease_until,
        tries=FollowUp.tries + 1,
    )
    if is_postgresql(session):
        # Lock the picked rows, skipping those another worker has locked: two workers never
        # pick the same row, and neither waits for the other.
        ids = list((await session.scalars(pick.with_for_update(skip_locked=True))).all())
        if not ids:
            return []
        stmt = stmt.where(FollowUp.id.in_(ids))
    else:
        # SQLite: one statement under the write lock (BEGIN IMMEDIATE) is atomic.
        stmt = stmt.where(FollowUp.id.in_(pick.scalar_subquery()))
    stmt = stmt.returning(
        FollowUp.id, FollowUp.user_id, FollowUp.skill_id, FollowUp.due_at, FollowUp.tries
    ).execution_options(synchronize_session=False)
    rows = (await session.execute(stmt)).all()
    return [Claimed(*row) for row in rows]


async def claim_due(
    session: AsyncSession,
    *,
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta = LEASE,
    limit: int = BATCH,
) -> list[Claimed]:
    """Claim up to `limit` due follow-ups (and the same learners' other due ones); commit.

    Rows whose claim expired (their worker died) come first. A row claimed too often is
    given up as failed instead of being returned.
    """
    lease_until = now + lease
    expired = await _claim_where(
        session,
        [FollowUp.status == "claimed", FollowUp.lease_until < now],
        worker=worker,
        lease_until=lease_until,
        limit=limit,
    )
    claimed = list(expired)
    if len(claimed) < limit:
        claimed += await _claim_where(
            session,
            [FollowUp.status == "pending", FollowUp.due_at <= now],
            worker=worker,
            lease_until=lease_until,
            limit=limit - len(claimed),
        )
    users = sorted({c.user_id for c in claimed})
    if users:
        # One message per learner: their other due skills go in the same message.
        claimed += await _claim_where(
            session,
            [
                FollowUp.status == "pending",
                FollowUp.due_at <= now,
                FollowUp.user_id.in_(users),
            ],
            worker=worker,
            lease_until=lease_until,
            limit=None,
        )
    worn = [c.id for c in claimed if c.tries > rules.MAX_TRIES]
    if worn:
        await session.execute(
            update(FollowUp)
            .where(FollowUp.id.in_(worn))
            .values(
                status="failed", lease_until=None, error=f"gave up after {rules.MAX_TRIES} tries"
            )
            .execution_options(synchronize_session=False)
        )
    await session.commit()
    return [c for c in claimed if c.tries <= rules.MAX_TRIES]


# -------------------------------------------------------------------------- giving back


async def release(
    session: AsyncSession, ids: Sequence[int], *, worker: str, due_at: dt.datetime
) -> None:
    """Give claimed rows back as pending, due at `due_at`; the claim did not count as a try."""
    await session.execute(
        update(FollowUp)
        .where(FollowUp.id.in_(ids), FollowUp.claimed_by == worker, FollowUp.status == "claimed")
        .values(
            status="pending",
            due_at=due_at,
            claimed_by=None,
            lease_until=None,
            tries=FollowUp.tries - 1,
        )
        .execution_options(synchronize_session=False)
    )


async def cancel(session: AsyncSession, ids: Sequence[int], *, reason: str) -> None:
    """Cancel claimed rows, saying why."""
    await session.execute(
        update(FollowUp)
        .where(FollowUp.id.in_(ids), FollowUp.status == "claimed")
        .values(status="cancelled", lease_until=None, error=reason)
        .execution_options(synchronize_session=False)
    )


# ------------------------------------------------------------------------ outcomes


async def mark_sent(
    session: AsyncSession, *, ids: Sequence[int], worker: str, now: dt.datetime
) -> int:
    """Record that this worker sent its claimed rows; return how many it still held."""
    result = await session.execute(
        update(FollowUp)
        .where(FollowUp.id.in_(ids), FollowUp.status == "claimed", FollowUp.claimed_by == worker)
        .values(status="sent", sent_at=now, lease_until=None, error=None)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def mark_failed(
    session: AsyncSession, *, ids: Sequence[int], worker: str, now: dt.datetime, error: str
) -> int:
    """Put rows whose sending failed back with a backoff, or give them up; return failed."""
    rows = (
        await session.scalars(
            select(FollowUp).where(
                FollowUp.id.in_(ids),
                FollowUp.status == "claimed",
                FollowUp.claimed_by == worker,
            )
        )
    ).all()
    given_up = 0
    for row in rows:
        row.error = error[:500]
        row.claimed_by = None
        row.lease_until = None
        if rules.gives_up(row.tries):
            row.status = "failed"
            given_up += 1
        else:
            row.status = "pending"
            row.due_at = now + rules.retry_delay(row.tries)
    await session.commit()
    return given_up
