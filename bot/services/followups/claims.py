"""A follow-up row under a claim: claimed with a lease, given back, cancelled, marked sent or
failed.

Several processes can run dispatcher passes on one PostgreSQL database: a claim takes rows
with `FOR UPDATE SKIP LOCKED`, so each row goes to exactly one of them; on SQLite the claim is
one atomic UPDATE. A process that dies after claiming leaves rows whose lease expires, and the
next pass anywhere takes them over.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    Update,
    and_,
    bindparam,
    case,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import Base, UTCDateTime
from bot.db.dialect import is_postgresql
from bot.db.models import FollowUp
from bot.domain import followups as rules
from bot.services.followups.plans import locked_in_id_order

BATCH = 100  # rows claimed at a time
# Core, not the ORM, for the statements of every pass: no ORM bookkeeping per statement.
FOLLOWUPS = Base.metadata.tables[FollowUp.__tablename__]
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


# The claim's statements, built once per dialect and kind of claim and reused with new
# parameters: a dispatcher pass runs every half minute, mostly finding nothing due, and
# building the statements each time cost several times what running them did.
_NOW = bindparam("claim_now", type_=UTCDateTime())
_EXPIRED = and_(FOLLOWUPS.c.status == "claimed", FOLLOWUPS.c.lease_until < _NOW)
_DUE = and_(FOLLOWUPS.c.status == "pending", FOLLOWUPS.c.due_at <= _NOW)
_WHERE = {
    # One statement for both, expired claims first: a pass mostly finds nothing, and then
    # costs one statement instead of two.
    "expired_or_due": (or_(_EXPIRED, _DUE),),
    "due_of_users": (
        FOLLOWUPS.c.status == "pending",
        FOLLOWUPS.c.due_at <= _NOW,
        FOLLOWUPS.c.user_id.in_(bindparam("claim_users", expanding=True)),
    ),
}
_statements: dict[tuple[str, str, bool], tuple[Select[Any] | None, Update]] = {}


def _claim_statements(
    session: AsyncSession, kind: str, limited: bool
) -> tuple[Select[Any] | None, Update]:
    """The pick (PostgreSQL only) and the claiming UPDATE for one kind of claim."""
    postgresql = is_postgresql(session)
    key = ("postgresql" if postgresql else "other", kind, limited)
    found = _statements.get(key)
    if found is not None:
        return found
    expired_first = case((FOLLOWUPS.c.status == "claimed", 0), else_=1)
    pick = (
        select(FOLLOWUPS.c.id)
        .where(*_WHERE[kind])
        .order_by(expired_first, FOLLOWUPS.c.due_at, FOLLOWUPS.c.id)
    )
    if limited:
        pick = pick.limit(bindparam("claim_limit", type_=Integer))
    stmt = update(FOLLOWUPS).values(
        status="claimed",
        claimed_by=bindparam("claim_worker", type_=String),
        lease_until=bindparam("claim_until", type_=UTCDateTime()),
        tries=FOLLOWUPS.c.tries + 1,
    )
    if postgresql:
        # Lock the picked rows, skipping those another worker has locked: two workers never
        # pick the same row, and neither waits for the other.
        locked: Select[Any] | None = pick.with_for_update(skip_locked=True)
        stmt = stmt.where(FOLLOWUPS.c.id.in_(bindparam("claim_ids", expanding=True)))
    else:
        # SQLite: one statement under the write lock (BEGIN IMMEDIATE) is atomic.
        locked = None
        stmt = stmt.where(FOLLOWUPS.c.id.in_(pick.scalar_subquery()))
    stmt = stmt.returning(
        FOLLOWUPS.c.id,
        FOLLOWUPS.c.user_id,
        FOLLOWUPS.c.skill_id,
        FOLLOWUPS.c.due_at,
        FOLLOWUPS.c.tries,
    ).execution_options(synchronize_session=False)
    _statements[key] = (locked, stmt)
    return locked, stmt


async def _claim_where(
    session: AsyncSession,
    kind: str,
    *,
    now: dt.datetime,
    worker: str,
    lease_until: dt.datetime,
    limit: int | None,
    users: Sequence[int] = (),
) -> list[Claimed]:
    """Claim rows of one kind (expired or due, due of these users), expired claims first,
    then oldest due first, skipping rows others hold."""
    pick, stmt = _claim_statements(session, kind, limit is not None)
    params: dict[str, Any] = {"claim_now": now, "claim_worker": worker, "claim_until": lease_until}
    if limit is not None:
        params["claim_limit"] = limit
    if users:
        params["claim_users"] = list(users)
    if pick is not None:
        ids = list((await session.scalars(pick, params)).all())
        if not ids:
            return []
        params["claim_ids"] = ids
    rows = (await session.execute(stmt, params)).all()
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
    claim = functools.partial(
        _claim_where, session, now=now, worker=worker, lease_until=lease_until
    )
    claimed = await claim("expired_or_due", limit=limit)
    users = sorted({c.user_id for c in claimed})
    if len(claimed) == limit:
        # A full batch may have left due rows behind; a short one took every due row.
        # One message per learner: their other due skills go in the same message.
        claimed += await claim("due_of_users", limit=None, users=users)
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
        .where(
            locked_in_id_order(
                FOLLOWUPS.c.id.in_(ids),
                FOLLOWUPS.c.claimed_by == worker,
                FOLLOWUPS.c.status == "claimed",
            )
        )
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
        .where(locked_in_id_order(FOLLOWUPS.c.id.in_(ids), FOLLOWUPS.c.status == "claimed"))
        .values(status="cancelled", lease_until=None, error=reason)
        .execution_options(synchronize_session=False)
    )


# ------------------------------------------------------------------------ outcomes

# One per message sent: built once, like the claims.
_MARK_SENT = (
    update(FOLLOWUPS)
    .where(
        locked_in_id_order(
            FOLLOWUPS.c.id.in_(bindparam("sent_ids", expanding=True)),
            FOLLOWUPS.c.status == "claimed",
            FOLLOWUPS.c.claimed_by == bindparam("sent_by", type_=String),
        )
    )
    .values(
        status="sent",
        sent_at=bindparam("sent_now", type_=UTCDateTime()),
        lease_until=None,
        error=None,
    )
    .returning(FOLLOWUPS.c.id)
    .execution_options(synchronize_session=False)
)


async def mark_sent(
    session: AsyncSession, *, ids: Sequence[int], worker: str, now: dt.datetime
) -> set[int]:
    """Record that this worker sent its claimed rows; return those it still held."""
    marked = await session.scalars(
        _MARK_SENT, {"sent_ids": list(ids), "sent_by": worker, "sent_now": now}
    )
    held = set(marked.all())
    await session.commit()
    return held


async def mark_failed(
    session: AsyncSession, *, ids: Sequence[int], worker: str, now: dt.datetime, error: str
) -> int:
    """Put rows whose sending failed back with a backoff, or give them up; return failed."""
    rows = (
        await session.scalars(
            select(FollowUp)
            .where(
                FollowUp.id.in_(ids),
                FollowUp.status == "claimed",
                FollowUp.claimed_by == worker,
            )
            # Locked in id order, as every write of several follow-ups takes them.
            .order_by(FollowUp.id)
            .with_for_update()
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
