"""Starting and continuing a quiz: start or resume, the next round, the item on screen."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Integer, String, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries, writes
from bot.db.base import Base
from bot.db.models import Attempt, Quiz, QuizVersion
from bot.domain.errors import (
    AlreadyAnsweredError,
    AlreadyContinuedError,
    AssessmentFormError,
    AttemptGoneError,
    ButtonsOf,
    ItemClosedError,
    NotYourButtonsError,
    QuizEmptyError,
    QuizFinishedError,
    UnknownQuizError,
)
from bot.services import content, item_views
from bot.services.views import ItemView, QuizStart

ATTEMPTS = Base.metadata.tables[Attempt.__tablename__]

# What moving an attempt on reads of it (with its learner, to check the press is theirs).
ATTEMPT_COLUMNS = (
    ATTEMPTS.c.id,
    ATTEMPTS.c.user_id,
    ATTEMPTS.c.quiz_version_id,
    ATTEMPTS.c.seed,
    ATTEMPTS.c.round_size,
    ATTEMPTS.c.answered_count,
    ATTEMPTS.c.correct_count,
    ATTEMPTS.c.finished_at,
    ATTEMPTS.c.current_item_id,
)
# A "Continue" press reads the attempt on the table's columns (locked on PostgreSQL; SQLite's
# BEGIN IMMEDIATE holds the write lock) and puts the next item on screen with one UPDATE:
# a press as frequent as a round's end, with no ORM object to load and flush.
_CONTINUE_READ = (
    select(*ATTEMPT_COLUMNS)
    .where(ATTEMPTS.c.id == bindparam("attempt_id", type_=Integer))
    .with_for_update()
)
_PRESENT = (
    update(ATTEMPTS)
    .where(ATTEMPTS.c.id == bindparam("the_attempt", type_=Integer))
    .values(
        current_item_id=bindparam("shown_item", type_=Integer),
        presented_at=bindparam("shown_at", type_=ATTEMPTS.c.presented_at.type),
    )
)


QUIZZES = Base.metadata.tables[Quiz.__tablename__]
VERSIONS = Base.metadata.tables[QuizVersion.__tablename__]

# Starting or resuming a quiz, on the tables' columns: the quiz with whether this learner
# may take it, then their open attempt on it, or its newest version to start one on.
_START_USER = bindparam("start_user", type_=Integer)
_START_QUIZ = select(
    QUIZZES.c.id, QUIZZES.c.assessment_set, queries.visible_to(_START_USER).label("visible")
).where(QUIZZES.c.slug == bindparam("start_slug", type_=String))
_OPEN_ATTEMPT = (
    select(*ATTEMPT_COLUMNS)
    .join(VERSIONS, VERSIONS.c.id == ATTEMPTS.c.quiz_version_id)
    .where(
        ATTEMPTS.c.user_id == _START_USER,
        VERSIONS.c.quiz_id == bindparam("start_quiz", type_=Integer),
        ATTEMPTS.c.finished_at.is_(None),
    )
    .order_by(ATTEMPTS.c.id.desc())
    .limit(1)
)
_NEWEST_VERSION = (
    select(VERSIONS.c.id)
    .where(VERSIONS.c.quiz_id == bindparam("start_quiz", type_=Integer))
    .order_by(VERSIONS.c.number.desc())
    .limit(1)
)
_NEW_ATTEMPT = insert(ATTEMPTS).returning(ATTEMPTS.c.id)


@dataclass(frozen=True)
class _NewAttempt:
    """An attempt about to be inserted, as showing its first item reads it."""

    id: int
    seed: int
    round_size: int
    answered_count: int = 0
    correct_count: int = 0
    finished_at: dt.datetime | None = None


class AttemptLike(Protocol):
    """What showing an item or a summary reads of an attempt (an ORM row or a plain record)."""

    @property
    def id(self) -> int: ...
    @property
    def seed(self) -> int: ...
    @property
    def round_size(self) -> int: ...
    @property
    def answered_count(self) -> int: ...
    @property
    def correct_count(self) -> int: ...
    @property
    def finished_at(self) -> dt.datetime | None: ...


async def start_quiz(
    session: AsyncSession,
    *,
    user_id: int,
    slug: str,
    round_size: int,
    now: dt.datetime,
    see_all: bool = False,
    language: str | None = None,
) -> QuizStart:
    """Resume the learner's open attempt on a quiz, or start one on its newest version.

    A quiz limited to cohorts is refused to others exactly as an unknown one (`see_all`,
    for admins, lifts the limit), so its id does not leak.
    """
    quiz = (
        await session.execute(_START_QUIZ, {"start_slug": slug, "start_user": user_id})
    ).one_or_none()
    if quiz is None or not (see_all or quiz.visible):
        raise UnknownQuizError(slug)
    if quiz.assessment_set is not None:
        raise AssessmentFormError(slug)
    attempt = (
        await session.execute(_OPEN_ATTEMPT, {"start_user": user_id, "start_quiz": quiz.id})
    ).one_or_none()
    if attempt is not None:
        version = await content.version(session, attempt.quiz_version_id)
        item = await _on_screen(session, attempt, version)
        view = await quiz_item_view(session, attempt, version, item, language)
        await writes.execute_and_commit(
            session,
            [(_PRESENT, {"the_attempt": attempt.id, "shown_item": item.id, "shown_at": now})],
        )
        return _started(attempt.id, attempt.answered_count, version, view, resumed=True)
    latest = await session.scalar(_NEWEST_VERSION, {"start_quiz": quiz.id})
    if latest is None:
        raise QuizEmptyError(slug)
    version = await content.version(session, latest)
    first = await content.item_at(session, version.id, 0)
    if first is None:
        raise QuizFinishedError
    seed = secrets.randbits(31)
    attempt_id = await session.scalar(
        _NEW_ATTEMPT,
        {
            "user_id": user_id,
            "quiz_version_id": version.id,
            "seed": seed,
            "round_size": round_size,
            "started_at": now,
            "answered_count": 0,
            "correct_count": 0,
            "current_item_id": first.id,
            "presented_at": now,
        },
    )
    assert attempt_id is not None
    new = _NewAttempt(id=attempt_id, seed=seed, round_size=round_size)
    view = await quiz_item_view(session, new, version, first, language)
    await session.commit()
    return _started(attempt_id, 0, version, view, resumed=False)


async def _on_screen(
    session: AsyncSession, attempt: Any, version: content.VersionContent
) -> content.ItemContent:
    """The item on screen in an open attempt, or the next one to put there."""
    if attempt.current_item_id is not None:
        return await content.item(session, attempt.current_item_id)
    found = await content.item_at(session, version.id, attempt.answered_count)
    if found is None:
        raise QuizFinishedError
    return found


def _started(
    attempt_id: int,
    answered: int,
    version: content.VersionContent,
    item: ItemView,
    *,
    resumed: bool,
) -> QuizStart:
    return QuizStart(
        attempt_id=attempt_id,
        quiz_title=version.title,
        resumed=resumed,
        answered=answered,
        total=version.item_count,
        item=item,
        language=version.language,
    )


async def continue_attempt(
    session: AsyncSession,
    *,
    user_id: int,
    attempt_id: int,
    answered: int,
    now: dt.datetime,
    language: str | None = None,
) -> ItemView:
    """Show the next item after a round summary.

    `answered` is the count the summary was shown at: a second press on the same
    "Continue" button finds the count moved on (or the item already on screen) and is stale.
    """
    attempt = (await session.execute(_CONTINUE_READ, {"attempt_id": attempt_id})).one_or_none()
    if attempt is None:
        raise AttemptGoneError
    if attempt.user_id != user_id:
        raise NotYourButtonsError(ButtonsOf.QUIZ)
    if attempt.finished_at is not None:
        raise QuizFinishedError
    if attempt.answered_count != answered or attempt.current_item_id is not None:
        raise AlreadyContinuedError
    version = await content.version(session, attempt.quiz_version_id)
    item = await content.item_at(session, version.id, attempt.answered_count)
    if item is None:
        raise QuizFinishedError
    view = await quiz_item_view(session, attempt, version, item, language)
    await writes.execute_and_commit(
        session, [(_PRESENT, {"the_attempt": attempt_id, "shown_item": item.id, "shown_at": now})]
    )
    return view


async def open_item(
    session: AsyncSession,
    *,
    user_id: int,
    attempt_id: int,
    item_id: int,
    language: str | None = None,
) -> ItemView:
    """The item on screen, checked to be this learner's and still open (for toggles)."""
    attempt = await own_attempt(session, user_id, attempt_id)
    if attempt.current_item_id != item_id:
        if await queries.answer_of(session, attempt_id, item_id) is not None:
            raise AlreadyAnsweredError
        raise ItemClosedError(ButtonsOf.QUIZ)
    version = await content.version(session, attempt.quiz_version_id)
    item = await content.item(session, item_id)
    view = await quiz_item_view(session, attempt, version, item, language)
    await session.commit()  # read only; ends the transaction (and the row lock on PostgreSQL)
    return view


async def current_item(
    session: AsyncSession, *, user_id: int, attempt_id: int, language: str | None = None
) -> ItemView | None:
    """The item on screen in an attempt, if any (to show it again after a crash)."""
    attempt = await own_attempt(session, user_id, attempt_id)
    view = None
    if attempt.current_item_id is not None:
        version = await content.version(session, attempt.quiz_version_id)
        item = await content.item(session, attempt.current_item_id)
        view = await quiz_item_view(session, attempt, version, item, language)
    await session.commit()
    return view


async def own_attempt(session: AsyncSession, user_id: int, attempt_id: int) -> Attempt:
    """The attempt, locked for this transaction, checked to be this learner's."""
    attempt = await queries.lock_attempt(session, attempt_id)
    if attempt is None:
        raise AttemptGoneError
    if attempt.user_id != user_id:
        raise NotYourButtonsError(ButtonsOf.QUIZ)
    return attempt


async def present(
    session: AsyncSession,
    attempt: Attempt,
    version: content.VersionContent,
    now: dt.datetime,
    language: str | None = None,
) -> ItemView:
    """Put the next unanswered item on screen (or the current one again) and time it from now."""
    if attempt.current_item_id is not None:
        item = await content.item(session, attempt.current_item_id)
    else:
        found = await content.item_at(session, version.id, attempt.answered_count)
        if found is None:
            raise QuizFinishedError
        item = found
        attempt.current_item_id = item.id
    attempt.presented_at = now
    return await quiz_item_view(session, attempt, version, item, language)


async def quiz_item_view(
    session: AsyncSession,
    attempt: AttemptLike,
    version: content.VersionContent,
    item: content.ItemContent,
    language: str | None = None,
) -> ItemView:
    """An item as shown in an attempt, its options in the attempt's order (the skill named
    in `language`)."""
    return await item_views.item_view(
        session, item, version, seed=attempt.seed, attempt_id=attempt.id, language=language
    )
