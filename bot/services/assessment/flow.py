"""A learner's tests in the chat: the pre-test before training, starting and skipping."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.models import AssessmentStage, Attempt, Quiz
from bot.domain.assessment import OPEN_STATUSES, Stage, StageStatus
from bot.domain.errors import (
    ButtonsOf,
    NotYourButtonsError,
    QuizEmptyError,
    StageClosedError,
    StageClosedReason,
    StageGoneError,
)
from bot.services import content
from bot.services.assessment import progress, stages
from bot.services.assessment.views import StageOffer, StageStep
from bot.services.attempts import sitting
from bot.services.views import QuizStart

_CLOSED = {
    StageStatus.DONE: StageClosedReason.DONE,
    StageStatus.SKIPPED: StageClosedReason.SKIPPED,
    StageStatus.PENDING: StageClosedReason.NOT_YET,
    StageStatus.CLAIMED: StageClosedReason.NOT_YET,
    StageStatus.FAILED: StageClosedReason.NOT_YET,
}


async def pending_pre_test(session: AsyncSession, *, user_id: int) -> StageOffer | None:
    """The pre-test still to be taken or skipped while the cohort's tests are on: /quiz
    offers it first, so that no pre-test is taken after training began."""
    pre = await stages.stage_of(session, user_id, Stage.PRE)
    offer = None
    if (
        pre is not None
        and StageStatus(pre.status) in OPEN_STATUSES
        and await stages.enabled_setup(session, pre.cohort_id) is not None
    ):
        offer = await stages.offer_of(session, pre)
    await session.rollback()  # read only
    return offer


async def _own_stage(session: AsyncSession, user_id: int, stage_id: int) -> AssessmentStage:
    """The stage, locked for this transaction, checked to be this learner's."""
    stage = (
        await session.scalars(
            select(AssessmentStage).where(AssessmentStage.id == stage_id).with_for_update()
        )
    ).one_or_none()
    if stage is None:
        raise StageGoneError
    if stage.user_id != user_id:
        raise NotYourButtonsError(ButtonsOf.QUIZ)
    return stage


async def start_stage(
    session: AsyncSession, *, user_id: int, stage_id: int, now: dt.datetime
) -> QuizStart:
    """Start an offered test (an attempt on its form, in one round) or resume a started one.

    A second press resumes: the stage's row is locked, so two presses make one attempt.
    Learners in the middle of a test may finish it after the tests were turned off; an
    offered one cannot be started then.
    """
    stage = await _own_stage(session, user_id, stage_id)
    status = StageStatus(stage.status)
    if status in _CLOSED:
        raise StageClosedError(_CLOSED[status])
    attempt: Attempt | None = None
    if status is StageStatus.STARTED and stage.attempt_id is not None:
        attempt = await queries.lock_attempt(session, stage.attempt_id)
    resumed = attempt is not None
    if attempt is None:
        if await stages.enabled_setup(session, stage.cohort_id) is None:
            raise StageClosedError(StageClosedReason.TESTS_OFF)
        latest = await queries.latest_version(session, stage.quiz_id)
        if latest is None:  # forms are imported with a version: not in practice
            quiz = await session.get_one(Quiz, stage.quiz_id)
            raise QuizEmptyError(quiz.slug)
        attempt = Attempt(
            user_id=user_id,
            quiz_version_id=latest.id,
            seed=secrets.randbits(31),
            # One round: no summary (a score) before the end of the form.
            round_size=latest.item_count,
            started_at=now,
            answered_count=0,
            correct_count=0,
        )
        session.add(attempt)
        await session.flush()
        stage.attempt_id = attempt.id
        stage.status = StageStatus.STARTED.value
    version = await content.version(session, attempt.quiz_version_id)
    item = await sitting.present(session, attempt, version, now)
    await session.commit()
    return QuizStart(
        attempt_id=attempt.id,
        quiz_title=version.title,
        resumed=resumed,
        answered=attempt.answered_count,
        total=version.item_count,
        item=item,
    )


async def skip_stage(
    session: AsyncSession,
    *,
    user_id: int,
    stage_id: int,
    now: dt.datetime,
    delay_scale: float = 1.0,
) -> StageStep:
    """Skip a test (offered, or part answered): recorded, and the flow goes on.

    Skipping again (a redelivered press) shows the same next step and changes nothing. The
    answers of a part-answered form stay, but the stage counts as skipped in reports.
    """
    stage = await _own_stage(session, user_id, stage_id)
    status = StageStatus(stage.status)
    if status in OPEN_STATUSES:
        stage.status = StageStatus.SKIPPED.value
        stage.skipped_at = now
        if stage.attempt_id is not None:
            attempt = await queries.lock_attempt(session, stage.attempt_id)
            if attempt is not None:
                # Its buttons close, and the learner is no longer in a sitting.
                attempt.current_item_id = None
                attempt.presented_at = None
    elif status is not StageStatus.SKIPPED:
        raise StageClosedError(_CLOSED[status])
    total = await stages.item_count(session, stage.quiz_id)
    step = await progress.next_step(
        session, stage, skipped=True, correct=0, total=total, now=now, scale=delay_scale
    )
    await session.commit()
    return step
