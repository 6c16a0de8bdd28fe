"""Query helpers shared by services. They read and add; the calling service commits."""

from __future__ import annotations

from sqlalchemy import BigInteger, ColumnElement, Select, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import Base
from bot.db.models import (
    Answer,
    Attempt,
    CohortMember,
    InboxUpdate,
    Quiz,
    QuizCohort,
    QuizVersion,
    Skill,
    User,
)
from bot.domain import languages

_QUIZZES = Base.metadata.tables[Quiz.__tablename__]
_QUIZ_COHORTS = Base.metadata.tables[QuizCohort.__tablename__]
_MEMBERS = Base.metadata.tables[CohortMember.__tablename__]


async def user_by_telegram_id(session: AsyncSession, telegram_id: int) -> User | None:
    """The user with this Telegram id, if known."""
    result = await session.scalars(select(User).where(User.telegram_id == telegram_id))
    return result.one_or_none()


async def quiz_by_slug(session: AsyncSession, slug: str) -> Quiz | None:
    """The quiz with this id, if any."""
    return (await session.scalars(select(Quiz).where(Quiz.slug == slug))).one_or_none()


async def latest_version(session: AsyncSession, quiz_id: int) -> QuizVersion | None:
    """The newest version of a quiz."""
    stmt = (
        select(QuizVersion)
        .where(QuizVersion.quiz_id == quiz_id)
        .order_by(QuizVersion.number.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).one_or_none()


async def lock_attempt(session: AsyncSession, attempt_id: int) -> Attempt | None:
    """Load an attempt for update, so two presses on it are applied one after the other."""
    stmt = select(Attempt).where(Attempt.id == attempt_id).with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def answer_of(session: AsyncSession, attempt_id: int, item_id: int) -> Answer | None:
    """The recorded answer to an item in an attempt, if any."""
    stmt = select(Answer).where(Answer.attempt_id == attempt_id, Answer.item_id == item_id)
    return (await session.scalars(stmt)).one_or_none()


async def skill_names(session: AsyncSession, language: str | None = None) -> dict[str, str]:
    """Skill id -> display name, in `language` where the catalogue translates it."""
    rows = (await session.execute(select(Skill.id, Skill.name, Skill.translations))).all()
    return {id_: languages.translated(name, words, language, "name") for id_, name, words in rows}


def training_quizzes() -> Select[tuple[int, str, str, str]]:
    """Each quiz that is not a test form: its id, slug, and its newest version's title and
    language (quizzes without a version left out), ordered by slug."""
    newest = (
        select(QuizVersion.quiz_id, func.max(QuizVersion.number).label("number"))
        .group_by(QuizVersion.quiz_id)
        .subquery()
    )
    return (
        select(Quiz.id, Quiz.slug, QuizVersion.title, QuizVersion.language)
        .join(newest, newest.c.quiz_id == Quiz.id)
        .join(
            QuizVersion,
            (QuizVersion.quiz_id == Quiz.id) & (QuizVersion.number == newest.c.number),
        )
        # Test forms come through a cohort's tests, never as a quiz of their own.
        .where(Quiz.assessment_set.is_(None))
        .order_by(Quiz.slug)
    )


def visible_to(user_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """SQL condition on `Quiz`: the user may take it (public, theirs, or shared with a cohort).

    Admins see every quiz; callers that know the user is one skip this condition. Written on
    the tables' columns, so that a Core statement using it stays one (`user_id` may be a
    bound parameter of a statement built once).
    """
    shared = (
        select(_QUIZ_COHORTS.c.quiz_id)
        .join(_MEMBERS, _MEMBERS.c.cohort_id == _QUIZ_COHORTS.c.cohort_id)
        .where(_MEMBERS.c.user_id == user_id)
    )
    return or_(
        _QUIZZES.c.is_public.is_(True), _QUIZZES.c.owner_id == user_id, _QUIZZES.c.id.in_(shared)
    )


async def may_take(session: AsyncSession, quiz_id: int, user_id: int) -> bool:
    """Whether the user may take the quiz (see `visible_to`)."""
    stmt = select(exists().where(Quiz.id == quiz_id, visible_to(user_id)))
    return bool(await session.scalar(stmt))


# Where a stored update names the user who sent it: "from" in most kinds, "user" in a few.
_SENDER_PATHS = (
    *(
        (kind, "from", "id")
        for kind in (
            "message",
            "edited_message",
            "channel_post",
            "edited_channel_post",
            "business_message",
            "edited_business_message",
            "inline_query",
            "chosen_inline_result",
            "callback_query",
            "shipping_query",
            "pre_checkout_query",
            "purchased_paid_media",
            "my_chat_member",
            "chat_member",
            "chat_join_request",
        )
    ),
    ("poll_answer", "user", "id"),
    ("message_reaction", "user", "id"),
)


def sent_by(telegram_id: int) -> ColumnElement[bool]:
    """SQL condition on `InboxUpdate`: the stored update was sent by this Telegram user, in
    whatever chat (or none: a press under an inline message has no chat).

    Read from the stored JSON, so every row is looked at: meant for the rare /forgetme.
    """
    # As text, then a 64-bit integer: Telegram ids outgrow a 32-bit cast.
    return or_(
        *(
            cast(InboxUpdate.payload[path].as_string(), BigInteger) == telegram_id
            for path in _SENDER_PATHS
        )
    )
