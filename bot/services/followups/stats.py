"""Follow-up figures for reports: rows by state, and the share of learners who answered one
within a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, Interval, Select, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.db.dialect import is_postgresql
from bot.db.models import FollowUp
from bot.services.views import FollowUpStats

DAY = dt.timedelta(days=1)


def _within_day(session: AsyncSession) -> ColumnElement[bool]:
    if is_postgresql(session):
        return FollowUp.answered_at <= FollowUp.sent_at + literal(DAY, type_=Interval())
    # SQLite keeps datetimes as text; julianday() turns them into days.
    return func.julianday(FollowUp.answered_at) - func.julianday(FollowUp.sent_at) <= 1.0


async def followup_stats(
    session: AsyncSession,
    *,
    now: dt.datetime,
    users: Select[Any] | None = None,
    since: dt.datetime | None = None,
) -> FollowUpStats:
    """Follow-ups by state, and the share of learners who answered one within a day.

    `users` (a select of user ids) and `since` (planned since) narrow it to a report's scope.
    """
    conds: list[ColumnElement[bool]] = []
    if users is not None:
        conds.append(FollowUp.user_id.in_(users))
    if since is not None:
        conds.append(FollowUp.created_at >= since)
    rows = await session.execute(
        select(FollowUp.status, func.count()).where(*conds).group_by(FollowUp.status)
    )
    counts: dict[str, int] = {status: int(n) for status, n in rows.all()}
    quick = func.max(
        case((and_(FollowUp.answered_at.is_not(None), _within_day(session)), 1), else_=0)
    )
    per_user = (
        select(FollowUp.user_id, quick.label("quick"))
        .where(
            *conds,
            FollowUp.sent_at.is_not(None),
            or_(FollowUp.sent_at <= now - DAY, FollowUp.answered_at.is_not(None)),
        )
        .group_by(FollowUp.user_id)
        .subquery()
    )
    learners_sent, learners_quick = (
        await session.execute(
            select(
                func.count(), func.coalesce(func.sum(func.cast(per_user.c.quick, Integer)), 0)
            ).select_from(per_user)
        )
    ).one()
    answered = int(counts.get("answered", 0))
    return FollowUpStats(
        pending=int(counts.get("pending", 0)) + int(counts.get("claimed", 0)),
        sent=int(counts.get("sent", 0)) + answered,
        failed=int(counts.get("failed", 0)),
        cancelled=int(counts.get("cancelled", 0)),
        answered=answered,
        answered_within_day_share=(
            int(learners_quick) / int(learners_sent) if learners_sent else None
        ),
    )
