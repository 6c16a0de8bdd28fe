"""What the tests' use cases share: the forms of a set, a stage's offer, its rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dialect import insert_for
from bot.db.models import (
    AssessmentEnrolment,
    AssessmentStage,
    Attempt,
    CohortAssessment,
    Quiz,
    QuizVersion,
)
from bot.domain.assessment import Stage, StageStatus
from bot.services.assessment.views import StageOffer

STAGES = AssessmentStage.__table__


async def form_quizzes(session: AsyncSession, set_id: str) -> dict[str, Quiz]:
    """The quizzes of a set by form ("A", "B"); a form not imported is missing."""
    rows = await session.scalars(select(Quiz).where(Quiz.assessment_set == set_id))
    return {quiz.assessment_form: quiz for quiz in rows.all() if quiz.assessment_form}


async def item_count(session: AsyncSession, quiz_id: int) -> int:
    """The questions in the newest version of a quiz (0 when it has none)."""
    count = await session.scalar(
        select(QuizVersion.item_count)
        .where(QuizVersion.quiz_id == quiz_id)
        .order_by(QuizVersion.number.desc())
        .limit(1)
    )
    return int(count or 0)


async def offer_of(session: AsyncSession, stage: AssessmentStage) -> StageOffer:
    """The offer of a stage: its form's questions, and how many are answered already."""
    answered = 0
    total = 0
    if stage.attempt_id is not None:
        row = (
            await session.execute(
                select(Attempt.answered_count, QuizVersion.item_count)
                .join(QuizVersion, QuizVersion.id == Attempt.quiz_version_id)
                .where(Attempt.id == stage.attempt_id)
            )
        ).one_or_none()
        if row is not None:
            answered, total = int(row[0]), int(row[1])
    if not total:
        total = await item_count(session, stage.quiz_id)
    return StageOffer(stage_id=stage.id, stage=Stage(stage.stage), items=total, answered=answered)


async def stage_of(session: AsyncSession, user_id: int, stage: Stage) -> AssessmentStage | None:
    """A learner's row of one stage, if it was reached."""
    return (
        await session.scalars(
            select(AssessmentStage).where(
                AssessmentStage.user_id == user_id, AssessmentStage.stage == stage.value
            )
        )
    ).one_or_none()


async def add_stage(
    session: AsyncSession,
    *,
    enrolment: AssessmentEnrolment,
    stage: Stage,
    form: str,
    quiz_id: int,
    status: StageStatus,
    due_at: dt.datetime,
    now: dt.datetime,
) -> AssessmentStage | None:
    """Add a stage once: a second call (a redelivered update, two presses racing) finds the
    row there and adds nothing. Returns the learner's row of that stage."""
    values = {
        "user_id": enrolment.user_id,
        "cohort_id": enrolment.cohort_id,
        "stage": stage.value,
        "form": form,
        "quiz_id": quiz_id,
        "status": status.value,
        "due_at": due_at,
        "offered_at": now if status is StageStatus.OFFERED else None,
        "tries": 0,
    }
    await session.execute(
        insert_for(session)(STAGES)
        .values(values)
        .on_conflict_do_nothing(index_elements=["user_id", "stage"])
    )
    return await stage_of(session, enrolment.user_id, stage)


async def enabled_setup(session: AsyncSession, cohort_id: int) -> CohortAssessment | None:
    """The cohort's tests when they are on."""
    setup = await session.get(CohortAssessment, cohort_id)
    return setup if setup is not None and setup.enabled else None


async def done_counts(session: AsyncSession, cohort_id: int) -> dict[str, int]:
    """Tests finished per stage in a cohort."""
    rows = await session.execute(
        select(AssessmentStage.stage, func.count())
        .where(
            AssessmentStage.cohort_id == cohort_id,
            AssessmentStage.status == StageStatus.DONE.value,
        )
        .group_by(AssessmentStage.stage)
    )
    return {stage: int(n) for stage, n in rows.all()}
