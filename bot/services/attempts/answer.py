"""Answering an item: grade and record it exactly once, update the skill, move the attempt on.

Just over 400 lines: the answer's one transaction (a read, five Core writes) and the
statements it prepares once per database belong together; the replay of a recorded answer
after a crash reads the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Insert, Integer, and_, bindparam, cast, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries, writes
from bot.db.base import Base
from bot.db.dialect import dialect_name, insert_for
from bot.db.models import Answer, Attempt, SkillState, User
from bot.db.writes import Write
from bot.domain import grading, mastery
from bot.domain.errors import (
    AlreadyAnsweredError,
    AttemptGoneError,
    ButtonsOf,
    ItemClosedError,
    NotYourButtonsError,
    QuizFinishedError,
)
from bot.domain.quizfile.model import Judgement
from bot.services import content, item_views
from bot.services.assessment import progress as tests
from bot.services.assessment.views import StageOffer, StageStep
from bot.services.attempts import sitting
from bot.services.followups import plans as followup_plans
from bot.services.reports import counters as report_counters
from bot.services.views import AnswerResult, ItemView, RoundSummary, SkillScore

# Time on an item is capped: a learner who left the phone for a day did not think for a day.
MAX_SECONDS_PER_ANSWER = 600.0

# The answer path writes with Core statements on the tables: no ORM unit of work per press.
ATTEMPTS = Base.metadata.tables[Attempt.__tablename__]
ANSWERS = Base.metadata.tables[Answer.__tablename__]
SKILL_STATES = Base.metadata.tables[SkillState.__tablename__]
USERS = Base.metadata.tables[User.__tablename__]

# What planning a follow-up reads of the learner, and of the skill's state: read with what
# a use case reads anyway (LearnerSettings.of, KnownState.of), they cost no statement.
LEARNER_COLUMNS = (
    USERS.c.telegram_id,
    USERS.c.is_active,
    USERS.c.lessons_enabled,
    USERS.c.timezone,
    USERS.c.timezone_set,
    USERS.c.window_start_hour,
    USERS.c.window_end_hour,
    USERS.c.language,
)
STATE_COLUMNS = (
    SKILL_STATES.c.card,
    SKILL_STATES.c.answered,
    SKILL_STATES.c.correct,
    SKILL_STATES.c.streak,
)

# One read for a press: the attempt (locked on PostgreSQL; SQLite's BEGIN IMMEDIATE already
# holds the write lock), the learner's follow-up settings and the item's skill state.
_ANSWER_READ = (
    select(
        *sitting.ATTEMPT_COLUMNS,
        ATTEMPTS.c.presented_at,
        *LEARNER_COLUMNS,
        *STATE_COLUMNS,
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
# The attempt moved on after an answer, and its discernment counters added to. Built once:
# building it per answer (the counters as expressions) cost more than running it.
_ATTEMPT_UPDATE = (
    update(ATTEMPTS)
    .where(ATTEMPTS.c.id == bindparam("the_attempt"))
    .values(
        answered_count=bindparam("new_answered", type_=Integer),
        correct_count=bindparam("new_correct", type_=Integer),
        finished_at=bindparam("new_finished", type_=ATTEMPTS.c.finished_at.type),
        current_item_id=bindparam("new_item", type_=Integer),
        presented_at=bindparam("new_presented", type_=ATTEMPTS.c.presented_at.type),
        **{
            name: ATTEMPTS.c[name] + bindparam(f"add_{name}", type_=Integer)
            for name in report_counters.ATTEMPT_COUNTERS
        },
    )
)
_ANSWER_INSERT = insert(ANSWERS)
# A round's summary: the attempt's answers per skill, and the round's latest answers.
_ROUND_SKILLS = (
    select(
        ANSWERS.c.skill_id,
        func.count(),
        func.sum(cast(ANSWERS.c.correct, Integer)),
    )
    .where(ANSWERS.c.attempt_id == bindparam("round_attempt", type_=Integer))
    .group_by(ANSWERS.c.skill_id)
    .order_by(ANSWERS.c.skill_id)
)
_ROUND_RECENT = (
    select(ANSWERS.c.correct)
    .where(ANSWERS.c.attempt_id == bindparam("round_attempt", type_=Integer))
    .order_by(ANSWERS.c.id.desc())
    .limit(bindparam("round_size", type_=Integer))
)


@dataclass
class _AttemptState:
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
    def of(cls, row: Any) -> _AttemptState:
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
class LearnerSettings:
    """The learner's settings that planning a follow-up reads (read with LEARNER_COLUMNS)."""

    telegram_id: int | None
    is_active: bool
    lessons_enabled: bool
    timezone: str
    timezone_set: bool
    window_start_hour: int
    window_end_hour: int
    language: str | None

    @classmethod
    def of(cls, row: Any) -> LearnerSettings:
        return cls(
            row.telegram_id,
            row.is_active,
            row.lessons_enabled,
            row.timezone,
            row.timezone_set,
            row.window_start_hour,
            row.window_end_hour,
            row.language,
        )


@dataclass(frozen=True)
class KnownState:
    """A skill state as read with STATE_COLUMNS (all None when the learner has none yet)."""

    card: dict[str, Any] | None
    answered: int | None
    correct: int | None
    streak: int | None

    @classmethod
    def of(cls, row: Any) -> KnownState:
        return cls(row.card, row.answered, row.correct, row.streak)


def _skill_state_upsert(session: AsyncSession) -> Insert:
    dialect = dialect_name(session)
    stmt = _skill_state_upserts.get(dialect)
    if stmt is None:
        base = insert_for(session)(SKILL_STATES)
        stmt = _skill_state_upserts[dialect] = base.on_conflict_do_update(
            index_elements=[SKILL_STATES.c.user_id, SKILL_STATES.c.skill_id],
            set_={
                name: base.excluded[name]
                for name in ("card", "due_at", "answered", "correct", "streak", "last_answer_at")
            },
        )
    return stmt


async def answer_item(
    session: AsyncSession,
    *,
    user_id: int,
    attempt_id: int,
    item_id: int,
    chosen: list[int],
    now: dt.datetime,
    delay_scale: float = 1.0,
    language: str | None = None,
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
        raise AttemptGoneError
    attempt = _AttemptState.of(row)
    if attempt.user_id != user_id:
        raise NotYourButtonsError(ButtonsOf.QUIZ)
    if item is None or attempt.current_item_id != item_id:
        if await queries.answer_of(session, attempt_id, item_id) is not None:
            raise AlreadyAnsweredError
        if attempt.finished_at is not None:
            raise QuizFinishedError
        raise ItemClosedError(ButtonsOf.QUIZ)
    grading.check_choice(item.kind, len(item.options), chosen)
    correct = grading.grade(item.correct_indices, chosen)
    recorded = await record_answer(
        session,
        user_id=user_id,
        item=item,
        chosen=chosen,
        correct=correct,
        shown_at=attempt.presented_at or now,
        now=now,
        attempt_id=attempt_id,
    )
    version = await content.version(session, attempt.quiz_version_id)
    # The writes wait here and go with the attempt's update and the commit, in one go
    # (bot/db/writes.py), unless a read of the finished attempt or the round needs them.
    pending: list[Write] = []
    if not version.is_form:
        # A test form measures, it does not train: no memory model, no follow-up.
        pending += await skill_review_writes(
            session,
            user_id=user_id,
            skill_id=item.skill_id,
            correct=correct,
            now=now,
            delay_scale=delay_scale,
            known=KnownState.of(row),
            learner=LearnerSettings.of(row),
        )
    pending.append(
        report_counters.attempt_answer_write(
            session, item_id=item.id, chosen=chosen, correct=correct, seconds=recorded.seconds
        )
    )

    view = await sitting.quiz_item_view(session, attempt, version, item, language)
    attempt.answered_count += 1
    attempt.correct_count += int(correct)
    attempt.current_item_id = None
    attempt.presented_at = None
    adds = report_counters.attempt_counter_adds(item.verdict, recorded.judgement)
    next_item: ItemView | None = None
    summary: RoundSummary | None = None
    step: StageStep | None = None
    offer: StageOffer | None = None
    if attempt.answered_count >= version.item_count:
        attempt.finished_at = now
        await writes.execute(session, pending)
        pending = []
        await report_counters.count_finished_attempt(
            session, attempt_id=attempt_id, total=attempt.correct_count
        )
        step, offer = await tests.after_attempt(
            session,
            user_id=user_id,
            attempt_id=attempt_id,
            is_form=version.is_form,
            correct=attempt.correct_count,
            total=version.item_count,
            now=now,
            delay_scale=delay_scale,
        )
    if grading.is_round_end(attempt.answered_count, version.item_count, attempt.round_size):
        await writes.execute(session, pending)
        pending = []
        summary = await _round_summary(session, attempt, version, language)
    else:
        following = await content.item_at(session, version.id, attempt.answered_count)
        if following is None:
            raise QuizFinishedError
        attempt.current_item_id = following.id
        attempt.presented_at = now
        next_item = await sitting.quiz_item_view(session, attempt, version, following, language)
    pending.append(
        (
            _ATTEMPT_UPDATE,
            {
                "the_attempt": attempt_id,
                "new_answered": attempt.answered_count,
                "new_correct": attempt.correct_count,
                "new_finished": attempt.finished_at,
                "new_item": attempt.current_item_id,
                "new_presented": attempt.presented_at,
                **{f"add_{name}": add for name, add in adds.items()},
            },
        )
    )
    await writes.execute_and_commit(session, pending)
    result = item_views.answer_result(view, item, chosen, correct, next_item, summary)
    if not version.is_form and offer is None:
        return result
    return replace(result, withheld=version.is_form, stage_step=step, stage_offer=offer)


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
            _ANSWER_INSERT,
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
        raise AlreadyAnsweredError from None
    return RecordedAnswer(seconds=seconds, judgement=judgement)


async def replay_answer(
    session: AsyncSession,
    *,
    user_id: int,
    attempt_id: int,
    item_id: int,
    language: str | None = None,
) -> AnswerResult | None:
    """The outcome of the attempt's latest answer, to show it again after a crash.

    A press whose answer was committed, by a process that died before it sent the feedback,
    is processed again from the inbox: the answer is not counted twice, but the learner
    still needs the verdict and the next item. None when the item is not the latest answer
    (then there is nothing to repeat).
    """
    attempt = await sitting.own_attempt(session, user_id, attempt_id)
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
    view = await sitting.quiz_item_view(session, attempt, version, item, language)
    next_item: ItemView | None = None
    summary: RoundSummary | None = None
    if attempt.current_item_id is not None:
        current = await content.item(session, attempt.current_item_id)
        next_item = await sitting.quiz_item_view(session, attempt, version, current, language)
    else:
        summary = await _round_summary(session, attempt, version, language)
    step: StageStep | None = None
    offer: StageOffer | None = None
    if attempt.finished_at is not None:
        step, offer = await tests.replayed(
            session, user_id=user_id, attempt_id=attempt_id, is_form=version.is_form
        )
    chosen, correct = list(latest.chosen), latest.correct
    # Commit, not rollback: a rollback would expire `latest`, which the result reads.
    await session.commit()
    result = item_views.answer_result(view, item, chosen, correct, next_item, summary)
    return replace(result, withheld=version.is_form, stage_step=step, stage_offer=offer)


async def skill_review_writes(
    session: AsyncSession,
    *,
    user_id: int,
    skill_id: str,
    correct: bool,
    now: dt.datetime,
    delay_scale: float = 1.0,
    known: KnownState | None = None,
    learner: followup_plans.LearnerPrefs | None = None,
) -> list[Write]:
    """Feed one graded answer into the learner's memory model and plan its follow-up: the
    statements that do it, for the caller to run with its own.

    `known` is the skill state when the caller read it already (answer_item reads it with
    the attempt); `learner` likewise spares reading the learner's settings. What is not
    given is read here.
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
        known = KnownState(*state) if state is not None else KnownState(None, None, None, None)
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
    followup, _due = await followup_plans.writes_after_review(
        session,
        user_id=user_id,
        skill_id=skill_id,
        model_due=outcome.due_at,
        now=now,
        scale=delay_scale,
        learner=learner,
    )
    return [(_skill_state_upsert(session), values), *followup]


async def _round_summary(
    session: AsyncSession,
    attempt: sitting.AttemptLike,
    version: content.VersionContent,
    language: str | None,
) -> RoundSummary:
    names = await content.skill_names(session, language)
    counts = [
        (skill, n, int(right or 0))
        for skill, n, right in await session.execute(_ROUND_SKILLS, {"round_attempt": attempt.id})
    ]
    in_round = attempt.answered_count % attempt.round_size or min(
        attempt.round_size, attempt.answered_count
    )
    recent = (
        await session.scalars(_ROUND_RECENT, {"round_attempt": attempt.id, "round_size": in_round})
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
