"""Follow-up practice: the practice item of a follow-up, and the learner's answer to it.

The dispatcher puts the first practice item of a message in the message itself (dispatch.py);
each answer brings the next one of the same message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import writes
from bot.db.base import Base, UTCDateTime
from bot.db.models import FollowUp, SkillState, User
from bot.db.writes import Write
from bot.domain import grading
from bot.domain.errors import (
    AlreadyAnsweredError,
    ButtonsOf,
    ItemClosedError,
    LessonGoneError,
    NotYourButtonsError,
)
from bot.services import attempts, content, item_views
from bot.services.followups.plans import FOLLOWUPS
from bot.services.views import (
    ItemView,
    PracticeResult,
    SkillLesson,
)


async def practice_view(
    session: AsyncSession, followup_id: int, item_id: int, language: str | None = None
) -> ItemView:
    """A follow-up's practice item as shown; the follow-up's id orders its options."""
    item = await content.item(session, item_id)
    version = await content.version(session, item.quiz_version_id)
    return await item_views.item_view(
        session, item, version, seed=followup_id, followup_id=followup_id, language=language
    )


# ---------------------------------------------------------------------- practice answers

USERS = Base.metadata.tables[User.__tablename__]
SKILL_STATES = Base.metadata.tables[SkillState.__tablename__]


def _check_open(row: Any, user_id: int) -> None:
    """Raise unless the follow-up (a row or None) is this learner's, its item still open."""
    if row is None:
        raise LessonGoneError
    if row.user_id != user_id:
        raise NotYourButtonsError(ButtonsOf.LESSON)
    if row.status == "answered":
        raise AlreadyAnsweredError
    if row.item_id is None or row.status not in ("sent", "claimed"):
        raise ItemClosedError(ButtonsOf.LESSON)


async def _own_followup(session: AsyncSession, user_id: int, followup_id: int) -> FollowUp:
    row = (
        await session.scalars(select(FollowUp).where(FollowUp.id == followup_id).with_for_update())
    ).one_or_none()
    _check_open(row, user_id)
    assert row is not None
    return row


async def open_practice(
    session: AsyncSession, *, user_id: int, followup_id: int, language: str | None = None
) -> ItemView:
    """The practice item of a follow-up, checked to be this learner's and still open."""
    row = await _own_followup(session, user_id, followup_id)
    assert row.item_id is not None
    view = await practice_view(session, row.id, row.item_id, language)
    await session.rollback()  # read only; releases the row lock on PostgreSQL
    return view


# The answer's one read: the follow-up (locked on PostgreSQL), the learner's settings and
# the skill's state, which planning the next follow-up needs.
_PRACTICE_READ = (
    select(
        FOLLOWUPS.c.user_id,
        FOLLOWUPS.c.status,
        FOLLOWUPS.c.item_id,
        FOLLOWUPS.c.skill_id,
        FOLLOWUPS.c.sent_at,
        *attempts.LEARNER_COLUMNS,
        *attempts.STATE_COLUMNS,
    )
    .select_from(
        FOLLOWUPS.join(USERS, USERS.c.id == FOLLOWUPS.c.user_id).outerjoin(
            SKILL_STATES,
            and_(
                SKILL_STATES.c.user_id == FOLLOWUPS.c.user_id,
                SKILL_STATES.c.skill_id == FOLLOWUPS.c.skill_id,
            ),
        )
    )
    .where(FOLLOWUPS.c.id == bindparam("followup_id", type_=Integer))
    .with_for_update(of=FOLLOWUPS)
)
_MARK_ANSWERED = (
    update(FOLLOWUPS)
    .where(FOLLOWUPS.c.id == bindparam("answered_id", type_=Integer))
    .values(
        status="answered",
        answered_at=bindparam("answered_now", type_=UTCDateTime()),
        sent_at=bindparam("answered_sent", type_=UTCDateTime()),
        lease_until=None,
    )
)
_MESSAGE_ROWS = (
    select(FOLLOWUPS.c.id, FOLLOWUPS.c.status, FOLLOWUPS.c.item_id, FOLLOWUPS.c.skill_id)
    .where(
        FOLLOWUPS.c.user_id == bindparam("message_user", type_=Integer),
        FOLLOWUPS.c.sent_at == bindparam("message_sent", type_=UTCDateTime()),
    )
    .order_by(FOLLOWUPS.c.due_at, FOLLOWUPS.c.id)
)


async def answer_practice(
    session: AsyncSession,
    *,
    user_id: int,
    followup_id: int,
    chosen: list[int],
    now: dt.datetime,
    delay_scale: float = 1.0,
    language: str | None = None,
) -> PracticeResult:
    """Grade a follow-up's practice item once, feed the memory model, plan the next one.

    The answer's next_item is the practice item of the next skill of the same message.
    Like a quiz answer, it reads once and writes with plain statements: a learner answers
    a practice item about as often as a quiz item.
    """
    row = (await session.execute(_PRACTICE_READ, {"followup_id": followup_id})).one_or_none()
    _check_open(row, user_id)
    assert row is not None
    item = await content.item(session, row.item_id)
    grading.check_choice(item.kind, len(item.options), chosen)
    correct = grading.grade(item.correct_indices, chosen)
    sent_at = row.sent_at or now
    await attempts.record_answer(
        session,
        user_id=user_id,
        item=item,
        chosen=chosen,
        correct=correct,
        shown_at=sent_at,
        now=now,
        followup_id=followup_id,
    )
    # The follow-up marked answered, the skill state and the next follow-up: written with
    # the commit in one go (bot/db/writes.py), after the reads, which none of them changes.
    pending: list[Write] = [
        (
            _MARK_ANSWERED,
            {"answered_id": followup_id, "answered_now": now, "answered_sent": sent_at},
        ),
        *await attempts.skill_review_writes(
            session,
            user_id=user_id,
            skill_id=item.skill_id,
            correct=correct,
            now=now,
            delay_scale=delay_scale,
            # The state read is the follow-up's skill: the practice item's, as it was chosen.
            known=attempts.KnownState.of(row) if row.skill_id == item.skill_id else None,
            learner=attempts.LearnerSettings.of(row),
        ),
    ]
    view = await practice_view(session, followup_id, item.id, language)
    siblings = (
        await session.execute(_MESSAGE_ROWS, {"message_user": user_id, "message_sent": sent_at})
    ).all()
    next_view = await _next_practice(session, followup_id, siblings, language)
    lessons = await _lessons_of(session, followup_id, siblings, language)
    await writes.execute_and_commit(session, pending)
    result = item_views.answer_result(view, item, chosen, correct, next_view)
    return PracticeResult(answer=result, lessons=lessons)


async def _next_practice(
    session: AsyncSession, followup_id: int, siblings: Sequence[Any], language: str | None
) -> ItemView | None:
    """The next unanswered practice item of the message the follow-up came in."""
    following = next(
        (
            s
            for s in siblings
            if s.id != followup_id and s.status == "sent" and s.item_id is not None
        ),
        None,
    )
    if following is None:
        return None
    return await practice_view(session, following.id, following.item_id, language)


async def _lessons_of(
    session: AsyncSession, followup_id: int, siblings: Sequence[Any], language: str | None
) -> tuple[SkillLesson, ...]:
    """The message's lessons if the follow-up's item is the one shown in the message itself."""
    first = next((s for s in siblings if s.item_id is not None), None)
    if first is None or first.id != followup_id:
        return ()
    lessons = await content.skill_lessons(session, language)
    return tuple(
        SkillLesson(r.skill_id, *lessons[r.skill_id]) for r in siblings if r.skill_id in lessons
    )
