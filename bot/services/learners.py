"""Use cases about learners themselves: who they are, their progress, their data."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.models import (
    Answer,
    Attempt,
    Cohort,
    InboxUpdate,
    Item,
    Quiz,
    QuizVersion,
    SkillState,
    User,
)
from bot.domain import discernment, languages
from bot.domain.errors import UnknownLanguageError
from bot.domain.statistics import DetectionCounts
from bot.services.followups import plans as followup_plans
from bot.services.reports import counters as report_counters
from bot.services.views import Owned, QuizProgress, ScoreReport, SkillScore


async def touch_telegram_user(
    session: AsyncSession,
    *,
    telegram_id: int,
    first_name: str | None,
    language_code: str | None,
    now: dt.datetime,
) -> User:
    """Find or create the user behind a Telegram update; writing again makes them active."""
    user = await queries.user_by_telegram_id(session, telegram_id)
    if user is None:
        user = User(
            pseudonym=secrets.token_hex(6),
            telegram_id=telegram_id,
            first_name=first_name,
            language_code=language_code,
            language=languages.from_telegram(language_code),
            is_active=True,
            lessons_enabled=True,
            created_at=now,
            last_seen_at=now,
        )
        session.add(user)
    else:
        user.first_name = first_name
        user.language_code = language_code
        # Kept once chosen; a learner from before languages were stored gets one now.
        user.language = user.language or languages.from_telegram(language_code)
        user.last_seen_at = now
        user.is_active = True
        user.blocked_at = None
    await session.commit()
    return user


async def console_user(
    session: AsyncSession, *, name: str, now: dt.datetime, language: str | None = None
) -> User:
    """The local player of `quizbot demo` (one per name, so a later run resumes); a
    `language` given is stored as the player's choice."""
    user = (await session.scalars(select(User).where(User.console_name == name))).one_or_none()
    if user is not None and language is not None and user.language != language:
        user.language = language
        await session.commit()
    if user is None:
        user = User(
            pseudonym=secrets.token_hex(6),
            console_name=name,
            first_name=name,
            language=language,
            is_active=True,
            lessons_enabled=True,
            created_at=now,
            last_seen_at=now,
        )
        session.add(user)
        await session.commit()
    return user


async def score_report(
    session: AsyncSession, *, user_id: int, language: str | None = None
) -> ScoreReport:
    """The learner's progress per quiz (latest attempt) and per skill (all answers), and
    which way they lean when judging claims (all answers on sound and flawed items)."""
    latest = (
        select(func.max(Attempt.id).label("id"), func.count().label("n"), QuizVersion.quiz_id)
        .join(QuizVersion, QuizVersion.id == Attempt.quiz_version_id)
        .where(Attempt.user_id == user_id)
        .group_by(QuizVersion.quiz_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(Quiz.slug, QuizVersion.title, QuizVersion.item_count, Attempt, latest.c.n)
            .join(latest, latest.c.id == Attempt.id)
            .join(QuizVersion, QuizVersion.id == Attempt.quiz_version_id)
            .join(Quiz, Quiz.id == QuizVersion.quiz_id)
            .order_by(Quiz.slug)
        )
    ).all()
    quizzes = tuple(
        QuizProgress(
            slug=slug,
            title=title,
            answered=attempt.answered_count,
            correct=attempt.correct_count,
            total=total,
            finished=attempt.finished_at is not None,
            attempts=count,
        )
        for slug, title, total, attempt, count in rows
    )
    names = await queries.skill_names(session, language)
    states = (
        await session.scalars(
            select(SkillState).where(SkillState.user_id == user_id).order_by(SkillState.skill_id)
        )
    ).all()
    skills = tuple(
        SkillScore(
            skill_id=s.skill_id,
            name=names.get(s.skill_id, s.skill_id),
            answered=s.answered,
            correct=s.correct,
        )
        for s in states
    )
    counts = await _judgement_counts(session, user_id)
    return ScoreReport(
        quizzes=quizzes, skills=skills, discernment=counts, lean=discernment.lean(counts)
    )


async def _judgement_counts(session: AsyncSession, user_id: int) -> DetectionCounts:
    """The learner's answers on sound and flawed items, summed by their judgements (a
    learner's answers are few: one pass over them by the learner's index)."""
    sums = report_counters.detection_sums(Item.verdict, Answer.judgement)
    row = (
        await session.execute(
            select(*(sums[column] for column in report_counters.ATTEMPT_COUNTERS))
            .select_from(Answer)
            .join(Item, Item.id == Answer.item_id)
            .where(Answer.user_id == user_id, Answer.judgement.is_not(None))
        )
    ).one()
    return DetectionCounts(
        **{
            name: int(value or 0)
            for name, value in zip(report_counters.ATTEMPT_COUNTERS.values(), row, strict=True)
        }
    )


async def set_lessons(
    session: AsyncSession,
    *,
    user_id: int,
    enabled: bool,
    now: dt.datetime | None = None,
    delay_scale: float = 1.0,
) -> None:
    """Turn follow-up lessons on or off; off cancels pending ones, on plans them again."""
    user = await session.get_one(User, user_id)
    was_enabled = user.lessons_enabled
    user.lessons_enabled = enabled
    if not enabled:
        await followup_plans.cancel_for_user(session, user_id=user_id, reason="lessons off")
    elif not was_enabled and now is not None:
        await session.flush()
        await followup_plans.resume_for_user(session, user_id=user_id, now=now, scale=delay_scale)
    await session.commit()


async def set_language(
    session: AsyncSession, *, user_id: int, language: str, now: dt.datetime
) -> str:
    """Store the learner's language; a learner with no zone of their own gets its zone."""
    if languages.supported(language) is None:
        raise UnknownLanguageError(language)
    user = await session.get_one(User, user_id)
    user.language = language
    if not user.timezone_set:
        await followup_plans.rewindow_for_user(session, user=user, now=now)
    await session.commit()
    return language


async def mark_blocked(session: AsyncSession, *, telegram_id: int, now: dt.datetime) -> bool:
    """Record that a learner blocked the bot; their data is kept. False if unknown."""
    user = await queries.user_by_telegram_id(session, telegram_id)
    if user is None:
        return False
    user.is_active = False
    user.blocked_at = now
    await followup_plans.cancel_for_user(session, user_id=user.id, reason="blocked")
    await session.commit()
    return True


async def owned_by(session: AsyncSession, *, user_id: int) -> Owned:
    """How many quizzes and cohorts a user owns (what /forgetme leaves without an owner)."""
    quizzes = await session.scalar(
        select(func.count()).select_from(Quiz).where(Quiz.owner_id == user_id)
    )
    cohorts = await session.scalar(
        select(func.count()).select_from(Cohort).where(Cohort.owner_id == user_id)
    )
    return Owned(quizzes=int(quizzes or 0), cohorts=int(cohorts or 0))


async def forget_user(session: AsyncSession, *, user_id: int) -> None:
    """Delete everything stored about a learner: answers, attempts, skills, and the updates
    they sent, in their private chat and anywhere else.

    An instructor's quizzes and cohorts are kept (learners' answers and memberships depend on
    them) and handed to no one: with no owner only admins manage them.
    """
    user = await session.get(User, user_id)
    if user is None:
        return
    if user.telegram_id is not None:
        # In update order, as the inbox's marks lock them (docs/architecture.md, lock order).
        theirs = (
            select(InboxUpdate.update_id)
            .where(or_(InboxUpdate.chat_id == user.telegram_id, queries.sent_by(user.telegram_id)))
            .order_by(InboxUpdate.update_id)
            .with_for_update()
        )
        await session.execute(delete(InboxUpdate).where(InboxUpdate.update_id.in_(theirs)))
    # The foreign keys would set these to NULL too; said here, it does not hang on them.
    await session.execute(update(Quiz).where(Quiz.owner_id == user_id).values(owner_id=None))
    await session.execute(
        update(QuizVersion).where(QuizVersion.imported_by == user_id).values(imported_by=None)
    )
    await session.execute(update(Cohort).where(Cohort.owner_id == user_id).values(owner_id=None))
    # The report counters hold their answers too; take them out before the rows go.
    await report_counters.uncount_user(session, user_id)
    # Answers, attempts and skill states go with the user (ON DELETE CASCADE).
    await session.execute(delete(User).where(User.id == user_id))
    await session.commit()
