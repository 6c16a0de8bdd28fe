"""The learner's follow-up settings (/lessons): what is planned, the daily window, the time
zone. Turning lessons on or off is learners.set_lessons.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FollowUp, Skill, User
from bot.domain import followups as rules
from bot.domain import languages
from bot.domain.errors import UnknownWindowError
from bot.services.followups import plans
from bot.services.views import LessonsStatus


async def _status(session: AsyncSession, user: User) -> LessonsStatus:
    nxt = (
        await session.execute(
            select(FollowUp.due_at, Skill.name, Skill.translations)
            .join(Skill, Skill.id == FollowUp.skill_id)
            .where(FollowUp.user_id == user.id, FollowUp.status.in_(plans.OPEN))
            .order_by(FollowUp.due_at)
            .limit(1)
        )
    ).first()
    pending = await session.scalar(
        select(func.count())
        .select_from(FollowUp)
        .where(FollowUp.user_id == user.id, FollowUp.status.in_(plans.OPEN))
    )
    window = plans.window_of(user)
    return LessonsStatus(
        enabled=user.lessons_enabled,
        timezone=window.timezone,
        zone_from_language=not user.timezone_set,
        window_start_hour=user.window_start_hour,
        window_end_hour=user.window_end_hour,
        window_label=rules.window_label(window),
        next_due_at=nxt[0] if nxt else None,
        next_skill=languages.translated(nxt[1], nxt[2], user.language, "name") if nxt else None,
        pending=int(pending or 0),
    )


async def next_due(session: AsyncSession, *, user_id: int) -> LessonsStatus:
    """What /lessons shows: on or off, the next follow-up due, the daily window."""
    user = await session.get_one(User, user_id)
    status = await _status(session, user)
    await session.rollback()
    return status


async def set_window(
    session: AsyncSession, *, user_id: int, preset: str, now: dt.datetime
) -> LessonsStatus:
    """Set the learner's daily window to one of the presets; pending follow-ups move into it."""
    if preset not in rules.WINDOW_PRESETS:
        raise UnknownWindowError(preset)
    _, start, end = rules.WINDOW_PRESETS[preset]
    user = await session.get_one(User, user_id)
    user.window_start_hour, user.window_end_hour = start, end
    await plans.rewindow_for_user(session, user=user, now=now)
    status = await _status(session, user)
    await session.commit()
    return status


async def set_timezone(
    session: AsyncSession, *, user_id: int, name: str, now: dt.datetime
) -> LessonsStatus:
    """Set the learner's time zone (an IANA name such as Europe/Berlin)."""
    tz = rules.zone(name)  # or UnknownTimezoneError
    user = await session.get_one(User, user_id)
    user.timezone, user.timezone_set = tz.key, True
    await plans.rewindow_for_user(session, user=user, now=now)
    status = await _status(session, user)
    await session.commit()
    return status
