"""Follow-up practice: the practice item of a follow-up, and the learner's answer to it.

The dispatcher puts the first practice item of a message in the message itself (dispatch.py);
each answer brings the next one of the same message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FollowUp, Skill
from bot.domain import grading, languages
from bot.domain.errors import (
    AlreadyAnsweredError,
    ButtonsOf,
    ItemClosedError,
    LessonGoneError,
    NotYourButtonsError,
)
from bot.services import attempts, content, item_views
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


async def _own_followup(session: AsyncSession, user_id: int, followup_id: int) -> FollowUp:
    row = (
        await session.scalars(select(FollowUp).where(FollowUp.id == followup_id).with_for_update())
    ).one_or_none()
    if row is None:
        raise LessonGoneError
    if row.user_id != user_id:
        raise NotYourButtonsError(ButtonsOf.LESSON)
    if row.status == "answered":
        raise AlreadyAnsweredError
    if row.item_id is None or row.status not in ("sent", "claimed"):
        raise ItemClosedError(ButtonsOf.LESSON)
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
    """
    row = await _own_followup(session, user_id, followup_id)
    assert row.item_id is not None
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
        followup_id=row.id,
    )
    row.status = "answered"
    row.answered_at = now
    row.sent_at = sent_at
    row.lease_until = None
    await attempts.record_skill_review(
        session,
        user_id=user_id,
        skill_id=item.skill_id,
        correct=correct,
        now=now,
        delay_scale=delay_scale,
    )
    view = await practice_view(session, row.id, item.id, language)
    siblings = await _message_rows(session, row)
    next_view = await _next_practice(session, row, siblings, language)
    lessons = await _lessons_of(session, row, siblings, language)
    await session.commit()
    result = item_views.answer_result(view, item, chosen, correct, next_view)
    return PracticeResult(answer=result, lessons=lessons)


async def _message_rows(session: AsyncSession, row: FollowUp) -> list[FollowUp]:
    """The rows sent in the same message as `row` (marked sent together), in message order."""
    found = (
        await session.scalars(
            select(FollowUp)
            .where(FollowUp.user_id == row.user_id, FollowUp.sent_at == row.sent_at)
            .order_by(FollowUp.due_at, FollowUp.id)
        )
    ).all()
    return list(found)


async def _next_practice(
    session: AsyncSession, row: FollowUp, siblings: Sequence[FollowUp], language: str | None
) -> ItemView | None:
    """The next unanswered practice item of the message `row` came in."""
    following = next(
        (s for s in siblings if s.id != row.id and s.status == "sent" and s.item_id is not None),
        None,
    )
    if following is None or following.item_id is None:
        return None
    return await practice_view(session, following.id, following.item_id, language)


async def _lessons_of(
    session: AsyncSession, row: FollowUp, siblings: Sequence[FollowUp], language: str | None
) -> tuple[SkillLesson, ...]:
    """The message's lessons if `row`'s item is the one shown in the message itself."""
    first = next((s for s in siblings if s.item_id is not None), None)
    if first is None or first.id != row.id:
        return ()
    skills = {
        s.id: s
        for s in (
            await session.scalars(
                select(Skill).where(Skill.id.in_([r.skill_id for r in siblings]))
            )
        ).all()
    }
    return tuple(
        lesson_of(s, language) for r in siblings if (s := skills.get(r.skill_id)) is not None
    )


def lesson_of(skill: Skill, language: str | None) -> SkillLesson:
    """A skill's follow-up lesson in `language`, as written where it has no translation."""
    return SkillLesson(
        skill.id,
        languages.translated(skill.name, skill.translations, language, "name"),
        languages.translated(skill.lesson, skill.translations, language, "lesson"),
    )
