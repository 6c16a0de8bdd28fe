"""Use cases of a quiz sitting: start or resume, answer an item, continue after a round."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Insert, and_, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.base import Base
from bot.db.models import Answer, Attempt, SkillState, User
from bot.domain import grading, mastery
from bot.domain.errors import (
    AlreadyAnsweredError,
    AttemptFinishedError,
    NotFoundError,
    NotYourAttemptError,
    StaleItemError,
)
from bot.domain.quizfile.model import Judgement
from bot.services import content, followup_plans, item_views, report_counters
from bot.services.views import (
    AnswerResult,
    ItemView,
    QuizStart,
    RoundSummary,
    SkillScore,
)

# Time on an item is capped: a learner who left the phone for a day did not think for a day.
MAX_SECONDS_PER_ANSWER = 600.0

# The answer path writes with Core statements on the tables: no ORM unit of work per press.
ATTEMPTS = Base.metadata.tables[Attempt.__tablename__]
ANSWERS = Base.metadata.tables[Answer.__tablename__]
SKILL_STATES = Base.metadata.tables[SkillState.__tablename__]
USERS = Base.metadata.tables[User.__tablename__]

# One read for a press: the attempt (locked on PostgreSQL; SQLite's BEGIN IMMEDIATE already
# holds the write lock), the learner's follow-up settings and the item's skill state.
_ANSWER_READ = (
    select(
        ATTEMPTS.c.id,
        ATTEMPTS.c.user_id,
        ATTEMPTS.c.quiz_version_id,
        ATTEMPTS.c.seed,
        ATTEMPTS.c.round_size,
        ATTEMPTS.c.finished_at,
        ATTEMPTS.c.current_item_id,
        ATTEMPTS.c.presented_at,
        ATTEMPTS.c.answered_count,
        ATTEMPTS.c.correct_count,
        USERS.c.telegram_id,
        USERS.c.is_active,
        USERS.c.lessons_enabled,
        USERS.c.timezone,
        USERS.c.window_start_hour,
        USERS.c.window_end_hour,
        SKILL_STATES.c.card,
        SKILL_STATES.c.answered,
        SKILL_STATES.c.correct,
        SKILL_STATES.c.streak,
    )
    .select_from(
        ATTEMPTS.join(USERS, USERS.c.id == ATTEMPTS.c.user_id).outerjoin(
            SKILL_STATES,
            and_(
                SKILL_STATES.c.user_id == ATTEMPTS.c.user_id,
                SKILL_STATES.c.skill_id == bindparam("skill_id"),
            ),
        )
    )
    .where(ATTEMPTS.c.id == bindparam("attempt_id"))
    .with_for_update(of=ATTEMPTS)
)
_skill_state_upserts: dict[str, Insert] = {}


class _AttemptLike(Protocol):
    """What showing an item or a summary reads of an attempt (an ORM row or a _Sitting)."""

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


@dataclass
class _Sitting:
    """The attempt as answer_item reads and then writes it."""

    id: int
    user_id: int
    quiz_version_id: int
    seed: int
    round_size: int
    finished_at: dt.datetime | None
    current_item_id: int | None
    presented_at: dt.datetime | None
    answered_count: int
    correct_count: int

    @classmethod
    def of(cls, row: Any) -> _Sitting:
        return cls(
            id=row.id,
            user_id=row.user_id,
            quiz_version_id=row.quiz_version_id,
            seed=row.seed,
            round_size=row.round_size,
            finished_at=row.finished_at,
            current_item_id=row.current_item_id,
            presented_at=row.presented_at,
            answered_count=row.answered_count,
            correct_count=row.correct_count,
        )


@dataclass(frozen=True)
class _Learner:
    """The learner's settings that planning a follow-up reads."""

    telegram_id: int | None
    is_active: bool
    lessons_enabled: bool
    timezone: str
    window_start_hour: int
    window_end_hour: int

    @classmethod
    def of(cls, row: Any) -> _Learner:
        return cls(
            row.telegram_id,
            row.is_active,
            row.lessons_enabled,
            row.timezone,
            row.window_start_hour,
            row.window_end_hour,
        )


@dataclass(frozen=True)
class _KnownState:
    """A skill state as read (all None when the learner has none yet)."""

    card: dict[str, Any] | None
    answered: int | None
    correct: int | None
    streak: int | None


def _skill_state_upsert(dialect: str) -> Insert:
    stmt = _skill_state_upserts.get(dialect)
    if stmt is None:
        insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
        base = insert_(SKILL_STATES)
        stmt = _skill_state_upserts[dialect] = base.on_conflict_do_update(
            index_elements=[SKILL_STATES.c.user_id, SKILL_STATES.c.skill_id],
            set_={
                name: base.excluded[name]
                for name in ("card", "due_at", "answered", "correct", "streak", "last_answer_at")
            },
        )
    return stmt


async def start_quiz(
    session: AsyncSession,
    *,
    user_id: int,
    slug: str,
    round_size: int,
    now: dt.datetime,
    see_all: bool = False,
) -> QuizStart:
    """Resume the learner's open attempt on a quiz, or start one on its newest version.

    A quiz limited to cohorts is refused to others exactly as an unknown one (`see_all`,
    for admins, lifts the limit), so its id does not leak.
    """
    quiz = await queries.quiz_by_slug(session, slug)
    if quiz is None or not (see_all or await queries.may_take(session, quiz.id, user_id)):
        raise NotFoundError(f"There is no quiz '{slug}'.")
    attempt = await queries.open_attempt(session, user_id, quiz.id)
    resumed = attempt is not None
    if attempt is None:
        latest = await queries.latest_version(session, quiz.id)
        if latest is None:
            raise NotFoundError(f"The quiz '{slug}' has no content yet.")
        attempt = Attempt(
            user_id=user_id,
            quiz_version_id=latest.id,
            seed=secrets.randbits(31),
            round_size=round_size,
            started_at=now,
            answered_count=0,
            correct_count=0,
        )
        session.add(attempt)
        await session.flush()
    version = await content.version(session, attempt.quiz_version_id)
    item = await _present(session, attempt, version, now)
    await session.commit()
    return QuizStart(
        attempt_id=attempt.id,
        quiz_title=version.title,
        resumed=resumed,
        answered=attempt.answered_count,
        total=version.item_count,
        item=item,
    )


async def continue_attempt(
    session: AsyncSession, *, user_id: int, attempt_id: int, answered: int, now: dt.datetime
) -> ItemView:
    """Show the next item after a round summary.

    `answered` is the count the summary was shown at: a second press on the same
    "Continue" button finds the count moved on (or the item already on screen) and is stale.
    """
    attempt = await _own_attempt(session, user_id, attempt_id)
    if attempt.finished_at is not None:
        raise AttemptFinishedError("This quiz is finished. Send /quiz to take it again.")
    if attempt.answered_count != answered or attempt.current_item_id is not None:
        raise StaleItemError("You already continued.")
    version = await content.version(session, attempt.quiz_version_id)
    item = await _present(session, attempt, version, now)
    await session.commit()
    return item


async def answer_item(
    session: AsyncSession,
    *,
    user_id: int,
    attempt_id: int,
    item_id: int,
    chosen: list[int],
    now: dt.datetime,
    delay_scale: float = 1.0,
) -> AnswerResult:
    """Grade and record an answer exactly once, update the skill state, and move on.

    This is the path of every press, so it reads once (the attempt, locked, with the
    learner's settings and skill state), takes the quiz content from memory, and writes
    with plain statements: the answer, the skill state, its follow-up, the report counters
    and the attempt.
    """
    item = await content.find_item(session, item_id)
    row = (
        await session.execute(
            _ANSWER_READ,
            {"attempt_id": attempt_id, "skill_id": item.skill_id if item else ""},
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError("This quiz session no longer exists. Send /quiz to start again.")
    sitting = _Sitting.of(row)
    if sitting.user_id != user_id:
        raise NotYourAttemptError("These buttons belong to someone else's quiz.")
    if item is None or sitting.current_item_id != item_id:
        if await queries.answer_of(session, attempt_id, item_id) is not None:
            raise AlreadyAnsweredError("You already answered this one; your first answer counts.")
        if sitting.finished_at is not None:
            raise AttemptFinishedError("This quiz is finished. Send /quiz to take it again.")
        raise StaleItemError("This question is no longer open.")
    grading.check_choice(item.kind, len(item.options), chosen)
    correct = grading.grade(item.correct_indices, chosen)
    recorded = await record_answer(
        session,
        user_id=user_id,
        item=item,
        chosen=chosen,
        correct=correct,
        shown_at=sitting.presented_at or now,
        now=now,
        attempt_id=attempt_id,
    )
    await record_skill_review(
        session,
        user_id=user_id,
        skill_id=item.skill_id,
        correct=correct,
        now=now,
        delay_scale=delay_scale,
        known=_KnownState(row.card, row.answered, row.correct, row.streak),
        learner=_Learner.of(row),
    )
    await report_counters.count_attempt_answer(
        session, item_id=item.id, chosen=chosen, correct=correct, seconds=recorded.seconds
    )

    version = await content.version(session, sitting.quiz_version_id)
    view = await _item_view(session, sitting, version, item)
    sitting.answered_count += 1
    sitting.correct_count += int(correct)
    sitting.current_item_id = None
    sitting.presented_at = None
    adds = report_counters.attempt_counter_adds(item.verdict, recorded.judgement)
    changes: dict[str, Any] = {
        "answered_count": sitting.answered_count,
        "correct_count": sitting.correct_count,
        **{name: ATTEMPTS.c[name] + add for name, add in adds.items()},
    }
    next_item: ItemView | None = None
    summary: RoundSummary | None = None
    if sitting.answered_count >= version.item_count:
        sitting.finished_at = changes["finished_at"] = now
        await report_counters.count_finished_attempt(
            session, attempt_id=attempt_id, total=sitting.correct_count
        )
    if grading.is_round_end(sitting.answered_count, version.item_count, sitting.round_size):
        summary = await _summary(session, sitting, version)
    else:
        following = await content.item_at(session, version.id, sitting.answered_count)
        if following is None:
            raise AttemptFinishedError("This quiz is finished. Send /quiz to take it again.")
        sitting.current_item_id = following.id
        sitting.presented_at = now
        next_item = await _item_view(session, sitting, version, following)
    changes["current_item_id"] = sitting.current_item_id
    changes["presented_at"] = sitting.presented_at
    await session.execute(update(ATTEMPTS).where(ATTEMPTS.c.id == attempt_id).values(changes))
    await session.commit()
    return item_views.answer_result(view, item, chosen, correct, next_item, summary)


@dataclass(frozen=True)
class RecordedAnswer:
    """What recording an answer worked out: its time and the judgement it expresses."""

    seconds: float
    judgement: Judgement | None  # None for an item without a verdict


async def record_answer(
    session: AsyncSession,
    *,
    user_id: int,
    item: content.ItemContent,
    chosen: list[int],
    correct: bool,
    shown_at: dt.datetime,
    now: dt.datetime,
    attempt_id: int | None = None,
    followup_id: int | None = None,
) -> RecordedAnswer:
    """Append an answer (of a quiz attempt or a follow-up) with its seconds and judgement,
    or raise AlreadyAnsweredError.

    The unique constraints on (attempt, item) and on the follow-up are the guard: a second
    press, even one racing the first in another process, cannot add a row.
    """
    seconds = min(max((now - shown_at).total_seconds(), 0.0), MAX_SECONDS_PER_ANSWER)
    judgement = item.judge(chosen)
    try:
        await session.execute(
            insert(ANSWERS),
            {
                "attempt_id": attempt_id,
                "followup_id": followup_id,
                "user_id": user_id,
                "item_id": item.id,
                "skill_id": item.skill_id,
                "chosen": sorted(set(chosen)),
                "correct": correct,
                "judgement": None if judgement is None else judgement.value,
                "seconds": seconds,
                "answered_at": now,
            },
        )
    except IntegrityError:
        await session.rollback()
        raise AlreadyAnsweredError(
            "You already answered this one; your first answer counts."
        ) from None
    return RecordedAnswer(seconds=seconds, judgement=judgement)


async def replay_answer(
    session: AsyncSession, *, user_id: int, attempt_id: int, item_id: int
) -> AnswerResult | None:
    """The outcome of the attempt's latest answer, to show it again after a crash.

    A press whose answer was committed, by a process that died before it sent the feedback,
    is processed again from the inbox: the answer is not counted twice, but the learner
    still needs the verdict and the next item. None when the item is not the latest answer
    (then there is nothing to repeat).
    """
    attempt = await _own_attempt(session, user_id, attempt_id)
    latest = (
        await session.scalars(
            select(Answer).where(Answer.attempt_id == attempt_id).order_by(Answer.id.desc())
        )
    ).first()
    if latest is None or latest.item_id != item_id:
        await session.commit()
        return None
    version = await content.version(session, attempt.quiz_version_id)
    item = await content.item(session, item_id)
    view = await _item_view(session, attempt, version, item)
    next_item: ItemView | None = None
    summary: RoundSummary | None = None
    if attempt.current_item_id is not None:
        current = await content.item(session, attempt.current_item_id)
        next_item = await _item_view(session, attempt, version, current)
    else:
        summary = await _summary(session, attempt, version)
    # Commit, not rollback: a rollback would expire `latest`, which the result reads.
    await session.commit()
    return item_views.answer_result(
        view, item, list(latest.chosen), latest.correct, next_item, summary
    )


async def open_item(
    session: AsyncSession, *, user_id: int, attempt_id: int, item_id: int
) -> ItemView:
    """The item on screen, checked to be this learner's and still open (for toggles)."""
    attempt = await _own_attempt(session, user_id, attempt_id)
    if attempt.current_item_id != item_id:
        if await queries.answer_of(session, attempt_id, item_id) is not None:
            raise AlreadyAnsweredError("You already answered this one.")
        raise StaleItemError("This question is no longer open.")
    version = await content.version(session, attempt.quiz_version_id)
    item = await content.item(session, item_id)
    view = await _item_view(session, attempt, version, item)
    await session.commit()  # read only; ends the transaction (and the row lock on PostgreSQL)
    return view


async def current_item(session: AsyncSession, *, user_id: int, attempt_id: int) -> ItemView | None:
    """The item on screen in an attempt, if any (to show it again after a crash)."""
    attempt = await _own_attempt(session, user_id, attempt_id)
    view = None
    if attempt.current_item_id is not None:
        version = await content.version(session, attempt.quiz_version_id)
        item = await content.item(session, attempt.current_item_id)
        view = await _item_view(session, attempt, version, item)
    await session.commit()
    return view


async def record_skill_review(
    session: AsyncSession,
    *,
    user_id: int,
    skill_id: str,
    correct: bool,
    now: dt.datetime,
    delay_scale: float = 1.0,
    known: _KnownState | None = None,
    learner: followup_plans.LearnerPrefs | None = None,
) -> None:
    """Feed one graded answer into the learner's memory model, and plan its follow-up.

    `known` is the skill state when the caller read it already (answer_item reads it with
    the attempt); `learner` likewise spares reading the learner's settings.
    """
    if known is None:
        state = (
            await session.execute(
                select(
                    SKILL_STATES.c.card,
                    SKILL_STATES.c.answered,
                    SKILL_STATES.c.correct,
                    SKILL_STATES.c.streak,
                ).where(SKILL_STATES.c.user_id == user_id, SKILL_STATES.c.skill_id == skill_id)
            )
        ).one_or_none()
        known = _KnownState(*state) if state is not None else _KnownState(None, None, None, None)
    outcome = mastery.review(known.card or mastery.new_card(now), correct, now)
    values = {
        "user_id": user_id,
        "skill_id": skill_id,
        "card": outcome.card,
        "due_at": outcome.due_at,
        "answered": (known.answered or 0) + 1,
        "correct": (known.correct or 0) + int(correct),
        "streak": (known.streak or 0) + 1 if correct else 0,
        "last_answer_at": now,
    }
    await session.execute(_skill_state_upsert(session.get_bind().dialect.name), values)
    await followup_plans.plan_after_review(
        session,
        user_id=user_id,
        skill_id=skill_id,
        model_due=outcome.due_at,
        now=now,
        scale=delay_scale,
        learner=learner,
    )


async def attempt_summary(session: AsyncSession, *, user_id: int, attempt_id: int) -> RoundSummary:
    """The summary of an attempt as it stands."""
    attempt = await _own_attempt(session, user_id, attempt_id)
    version = await content.version(session, attempt.quiz_version_id)
    return await _summary(session, attempt, version)


async def _own_attempt(session: AsyncSession, user_id: int, attempt_id: int) -> Attempt:
    attempt = await queries.lock_attempt(session, attempt_id)
    if attempt is None:
        raise NotFoundError("This quiz session no longer exists. Send /quiz to start again.")
    if attempt.user_id != user_id:
        raise NotYourAttemptError("These buttons belong to someone else's quiz.")
    return attempt


async def _present(
    session: AsyncSession, attempt: Attempt, version: content.VersionContent, now: dt.datetime
) -> ItemView:
    """Put the next unanswered item on screen (or the current one again) and time it from now."""
    if attempt.current_item_id is not None:
        item = await content.item(session, attempt.current_item_id)
    else:
        found = await content.item_at(session, version.id, attempt.answered_count)
        if found is None:
            raise AttemptFinishedError("This quiz is finished. Send /quiz to take it again.")
        item = found
        attempt.current_item_id = item.id
    attempt.presented_at = now
    return await _item_view(session, attempt, version, item)


async def _item_view(
    session: AsyncSession,
    attempt: _AttemptLike,
    version: content.VersionContent,
    item: content.ItemContent,
) -> ItemView:
    return await item_views.item_view(
        session, item, version, seed=attempt.seed, attempt_id=attempt.id
    )


async def _summary(
    session: AsyncSession, attempt: _AttemptLike, version: content.VersionContent
) -> RoundSummary:
    names = await content.skill_names(session)
    counts = await queries.attempt_skill_counts(session, attempt.id)
    in_round = attempt.answered_count % attempt.round_size or min(
        attempt.round_size, attempt.answered_count
    )
    recent = (
        await session.scalars(
            select(Answer.correct)
            .where(Answer.attempt_id == attempt.id)
            .order_by(Answer.id.desc())
            .limit(in_round)
        )
    ).all()
    return RoundSummary(
        attempt_id=attempt.id,
        quiz_title=version.title,
        round_answered=len(recent),
        round_correct=sum(recent),
        answered=attempt.answered_count,
        correct=attempt.correct_count,
        total=version.item_count,
        finished=attempt.finished_at is not None,
        skills=tuple(
            SkillScore(skill_id=s, name=names.get(s, s), answered=n, correct=c)
            for s, n, c in counts
        ),
    )
