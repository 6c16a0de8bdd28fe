"""The delayed test's invitation: a dispatcher pass sends it when it is due.

Like a follow-up (docs/followups.md): a due row is claimed under a lease (`FOR UPDATE SKIP
LOCKED` on PostgreSQL, one UPDATE on SQLite), so two processes never send the same one; it
waits for the learner's daily window and the end of a sitting; it goes only to learners
who are reachable, active and have lessons on, and only while the cohort's tests are on.
A failed send is tried again with the follow-ups' backoff, in real time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, String, Update, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import Base, UTCDateTime
from bot.db.dialect import is_postgresql
from bot.db.models import AssessmentStage, Attempt, CohortAssessment, User
from bot.domain import followups as rules
from bot.domain.assessment import StageStatus
from bot.domain.clock import Clock
from bot.services import learners
from bot.services.assessment import stages
from bot.services.assessment.views import StageInvitation
from bot.services.followups import plans
from bot.services.followups.claims import BATCH, LEASE
from bot.services.followups.dispatch import RecipientBlockedError

log = logging.getLogger(__name__)

SendInvitation = Callable[[StageInvitation], Awaitable[None]]


@dataclass
class InvitationReport:
    """What one pass did."""

    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    blocked: int = 0


# Core tables: a dispatcher pass claims every half minute and mostly finds nothing due, so its
# statements are built once per dialect (as the follow-ups' claims are), with no ORM
# bookkeeping per statement.
STAGES = Base.metadata.tables[AssessmentStage.__tablename__]
USERS = Base.metadata.tables[User.__tablename__]
SETUPS = Base.metadata.tables[CohortAssessment.__tablename__]
_statements: dict[bool, tuple[Select[Any] | None, Update]] = {}


def _claim_statements(session: AsyncSession) -> tuple[Select[Any] | None, Update]:
    """The pick (PostgreSQL only) and the claiming UPDATE of due invitations."""
    postgresql = is_postgresql(session)
    found = _statements.get(postgresql)
    if found is not None:
        return found
    now = bindparam("claim_now", type_=UTCDateTime())
    pick = (
        select(STAGES.c.id)
        .join(USERS, USERS.c.id == STAGES.c.user_id)
        .join(SETUPS, SETUPS.c.cohort_id == STAGES.c.cohort_id)
        .where(
            or_(
                and_(STAGES.c.status == StageStatus.PENDING.value, STAGES.c.due_at <= now),
                and_(STAGES.c.status == StageStatus.CLAIMED.value, STAGES.c.lease_until < now),
            ),
            SETUPS.c.enabled.is_(True),
            USERS.c.telegram_id.is_not(None),
            USERS.c.is_active.is_(True),
            USERS.c.lessons_enabled.is_(True),
        )
        .order_by(STAGES.c.due_at, STAGES.c.id)
        .limit(bindparam("claim_limit", type_=Integer))
    )
    stmt = update(STAGES).values(
        status=StageStatus.CLAIMED.value,
        claimed_by=bindparam("claim_worker", type_=String),
        lease_until=bindparam("claim_until", type_=UTCDateTime()),
        tries=STAGES.c.tries + 1,
    )
    locked: Select[Any] | None = None
    if postgresql:
        locked = pick.with_for_update(of=STAGES, skip_locked=True)
        stmt = stmt.where(STAGES.c.id.in_(bindparam("claim_ids", expanding=True)))
    else:
        stmt = stmt.where(STAGES.c.id.in_(pick.scalar_subquery()))
    stmt = stmt.returning(STAGES.c.id)
    _statements[postgresql] = (locked, stmt)
    return locked, stmt


async def _claim(
    session: AsyncSession, *, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
) -> list[int]:
    """Claim due invitations (expired claims first) of learners and cohorts that take them."""
    pick, stmt = _claim_statements(session)
    params: dict[str, Any] = {
        "claim_now": now,
        "claim_limit": limit,
        "claim_worker": worker,
        "claim_until": now + lease,
    }
    if pick is not None:
        ids = list((await session.scalars(pick, params)).all())
        if not ids:
            await session.commit()
            return []
        params["claim_ids"] = ids
    claimed = list((await session.scalars(stmt, params)).all())
    await session.commit()
    return claimed


async def _release(
    session: AsyncSession, stage_id: int, *, worker: str, due_at: dt.datetime, tried: bool
) -> None:
    """Give a claimed row back as pending, due at `due_at`."""
    values: dict[str, object] = {
        "status": StageStatus.PENDING.value,
        "due_at": due_at,
        "claimed_by": None,
        "lease_until": None,
    }
    if not tried:
        values["tries"] = AssessmentStage.tries - 1  # a deferral is no try
    await session.execute(
        update(AssessmentStage)
        .where(AssessmentStage.id == stage_id, AssessmentStage.claimed_by == worker)
        .values(values)
        .execution_options(synchronize_session=False)
    )


async def _prepare(
    session: AsyncSession, stage_id: int, *, worker: str, now: dt.datetime, scale: float
) -> StageInvitation | None:
    """The invitation of a claimed row, or None when it waits (window, sitting) or is given
    up after too many tries; commits."""
    stage = await session.get_one(AssessmentStage, stage_id)
    user = await session.get_one(User, stage.user_id)
    setup = await session.get_one(CohortAssessment, stage.cohort_id)
    if stage.tries > rules.MAX_TRIES:
        stage.status, stage.lease_until = StageStatus.FAILED.value, None
        stage.error = f"gave up after {rules.MAX_TRIES} tries"
        await session.commit()
        return None
    presented = await session.scalar(
        select(func.max(Attempt.presented_at)).where(
            Attempt.user_id == user.id,
            Attempt.finished_at.is_(None),
            Attempt.current_item_id.is_not(None),
        )
    )
    window = plans.window_of(user)
    until = rules.sitting_until(presented, now, scale=scale) or now
    due = rules.into_window(until, window)
    if due > now:
        await _release(session, stage_id, worker=worker, due_at=due, tried=False)
        await session.commit()
        return None
    assert user.telegram_id is not None  # claimed only for learners on Telegram
    offer = await stages.offer_of(session, stage)
    await session.commit()
    return StageInvitation(
        user_id=user.id,
        chat_id=user.telegram_id,
        offer=offer,
        delay_days=setup.delay_days,
        language=user.language,
    )


async def dispatch_due_tests(
    sessions: async_sessionmaker[AsyncSession],
    *,
    worker: str,
    clock: Clock,
    send: SendInvitation,
    scale: float,
    limit: int = BATCH,
    lease: dt.timedelta = LEASE,
) -> InvitationReport:
    """One pass: invite every learner whose delayed test is due, then mark it offered.

    `send` raises RecipientBlockedError for a learner who blocked the bot, and any other
    exception for a failure worth retrying. Sent one after another: a pass has few, since
    each learner has one delayed test.
    """
    report = InvitationReport()
    while True:
        now = clock()
        async with sessions() as session:
            claimed = await _claim(session, worker=worker, now=now, lease=lease, limit=limit)
        report.claimed += len(claimed)
        for stage_id in claimed:
            async with sessions() as session:
                invitation = await _prepare(session, stage_id, worker=worker, now=now, scale=scale)
            if invitation is None:
                report.deferred += 1
                continue
            await _send(sessions, invitation, worker, clock, send, report)
        if len(claimed) < limit:
            return report


async def _send(
    sessions: async_sessionmaker[AsyncSession],
    invitation: StageInvitation,
    worker: str,
    clock: Clock,
    send: SendInvitation,
    report: InvitationReport,
) -> None:
    stage_id = invitation.offer.stage_id
    try:
        await send(invitation)
    except RecipientBlockedError:
        async with sessions() as session:
            await learners.mark_blocked(session, telegram_id=invitation.chat_id, now=clock())
        async with sessions() as session:
            # Back to waiting: a learner who writes again is active, and then invited.
            await _release(session, stage_id, worker=worker, due_at=clock(), tried=False)
            await session.commit()
        report.blocked += 1
        return
    except Exception as exc:  # one failed send must not stop the others
        log.warning("test invitation %s failed: %s", stage_id, exc)
        async with sessions() as session:
            stage = await session.get_one(AssessmentStage, stage_id)
            retry = clock() + rules.retry_delay(stage.tries)
            await _release(session, stage_id, worker=worker, due_at=retry, tried=True)
            await session.commit()
        report.failed += 1
        return
    async with sessions() as session:
        await session.execute(
            update(AssessmentStage)
            .where(
                AssessmentStage.id == stage_id,
                AssessmentStage.status == StageStatus.CLAIMED.value,
                AssessmentStage.claimed_by == worker,
            )
            .values(
                status=StageStatus.OFFERED.value,
                offered_at=clock(),
                claimed_by=None,
                lease_until=None,
                error=None,
            )
            .execution_options(synchronize_session=False)
        )
        await session.commit()
    report.sent += 1
