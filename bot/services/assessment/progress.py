"""A learner's tests move on: a form finished or skipped leads to the next step, and a
finished training quiz brings the post-test.

These join the caller's transaction (the answer that finished an attempt, a skip) and do
not commit. They import nothing of `attempts`, which calls them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Answer, AssessmentEnrolment, AssessmentStage, Attempt, User
from bot.domain import followups as rules
from bot.domain.assessment import OPEN_STATUSES, Stage, StageStatus, form_for
from bot.domain.quizfile.model import FormName
from bot.services import content
from bot.services.assessment import stages
from bot.services.assessment.views import NextStep, ReviewLine, StageOffer, StageStep
from bot.services.cohorts import quizzes_of
from bot.services.followups import plans


async def after_attempt(
    session: AsyncSession,
    *,
    user_id: int,
    attempt_id: int,
    is_form: bool,
    correct: int,
    total: int,
    now: dt.datetime,
    delay_scale: float = 1.0,
) -> tuple[StageStep | None, StageOffer | None]:
    """What an attempt that just finished means for the learner's tests.

    A form: its stage is done, and the step says what follows (planning the delayed test
    after the post-test). A training quiz: the post-test's offer, once the pre-test was
    taken or skipped and the cohort's tests are on.
    """
    if not is_form:
        return None, await offer_post_test(session, user_id=user_id, now=now)
    stage = (
        await session.scalars(
            select(AssessmentStage).where(AssessmentStage.attempt_id == attempt_id)
        )
    ).one_or_none()
    if stage is None or stage.status != StageStatus.STARTED.value:
        return None, None
    stage.status = StageStatus.DONE.value
    stage.finished_at = now
    step = await next_step(
        session, stage, skipped=False, correct=correct, total=total, now=now, scale=delay_scale
    )
    return step, None


async def offer_post_test(
    session: AsyncSession, *, user_id: int, now: dt.datetime
) -> StageOffer | None:
    """The post-test for a learner who finished a training quiz: added the first time, and
    offered again while it is open."""
    enrolment = await session.get(AssessmentEnrolment, user_id)
    if enrolment is None:
        return None
    setup = await stages.enabled_setup(session, enrolment.cohort_id)
    if setup is None:
        return None
    pre = await stages.stage_of(session, user_id, Stage.PRE)
    if pre is None or pre.status not in (StageStatus.DONE.value, StageStatus.SKIPPED.value):
        return None
    post = await stages.stage_of(session, user_id, Stage.POST)
    if post is None:
        form = form_for(Stage.POST, FormName(enrolment.first_form)).value
        quiz = (await stages.form_quizzes(session, setup.set_id)).get(form)
        if quiz is None:
            return None
        post = await stages.add_stage(
            session,
            enrolment=enrolment,
            stage=Stage.POST,
            form=form,
            quiz_id=quiz.id,
            status=StageStatus.OFFERED,
            due_at=now,
            now=now,
        )
    if post is None or StageStatus(post.status) not in OPEN_STATUSES:
        return None
    return await stages.offer_of(session, post)


async def next_step(
    session: AsyncSession,
    stage: AssessmentStage,
    *,
    skipped: bool,
    correct: int,
    total: int,
    now: dt.datetime,
    scale: float,
    plan: bool = True,
) -> StageStep:
    """What follows a finished or skipped test. After the post-test the delayed test is
    planned (unless `plan` is off, when a step is only shown again) while the cohort's tests
    are on; with them off the flow ends there."""
    kind = Stage(stage.stage)
    if kind is Stage.PRE:
        return StageStep(
            kind,
            skipped,
            correct,
            total,
            NextStep.TRAINING,
            training=await quizzes_of(session, stage.cohort_id),
        )
    if kind is Stage.POST:
        setup = await stages.enabled_setup(session, stage.cohort_id)
        delayed = await stages.stage_of(session, stage.user_id, Stage.DELAYED)
        if plan and setup is not None and delayed is None:
            delayed = await _plan_delayed(session, stage, setup.delay_days, now, scale)
        if setup is None or delayed is None:
            return StageStep(kind, skipped, correct, total, NextStep.FINISHED)
        return StageStep(
            kind, skipped, correct, total, NextStep.DELAYED, delay_days=setup.delay_days
        )
    review = () if skipped or stage.attempt_id is None else await _review(session, stage)
    return StageStep(kind, skipped, correct, total, NextStep.FINISHED, review=review)


async def _plan_delayed(
    session: AsyncSession,
    post: AssessmentStage,
    delay_days: int,
    now: dt.datetime,
    scale: float,
) -> AssessmentStage | None:
    """The delayed test, due `delay_days` (scaled) from now within the learner's window."""
    enrolment = await session.get(AssessmentEnrolment, post.user_id)
    user = await session.get(User, post.user_id)
    if enrolment is None or user is None:
        return None
    pre = await stages.stage_of(session, post.user_id, Stage.PRE)
    if pre is None:
        return None
    due = rules.into_window(
        now + rules.scaled(dt.timedelta(days=delay_days), scale), plans.window_of(user)
    )
    return await stages.add_stage(
        session,
        enrolment=enrolment,
        stage=Stage.DELAYED,
        form=pre.form,
        quiz_id=pre.quiz_id,
        status=StageStatus.PENDING,
        due_at=due,
        now=now,
    )


async def _review(session: AsyncSession, stage: AssessmentStage) -> tuple[ReviewLine, ...]:
    """Each item of the last test with the answer given and the right one, in form order."""
    answers = (
        await session.scalars(select(Answer).where(Answer.attempt_id == stage.attempt_id))
    ).all()
    lines = []
    for answer in answers:
        item = await content.item(session, answer.item_id)
        lines.append(
            ReviewLine(
                number=item.position + 1,
                question=item.question,
                chosen=tuple(item.options[i]["text"] for i in sorted(answer.chosen)),
                right=tuple(item.options[i]["text"] for i in item.correct_indices),
                correct=answer.correct,
                explanation=item.explanation,
            )
        )
    return tuple(sorted(lines, key=lambda line: line.number))


async def replayed(
    session: AsyncSession, *, user_id: int, attempt_id: int, is_form: bool
) -> tuple[StageStep | None, StageOffer | None]:
    """after_attempt's outcome again, read without writing, for an answer shown again after
    a crash."""
    if not is_form:
        post = await stages.stage_of(session, user_id, Stage.POST)
        if post is None or StageStatus(post.status) not in OPEN_STATUSES:
            return None, None
        return None, await stages.offer_of(session, post)
    stage = (
        await session.scalars(
            select(AssessmentStage).where(AssessmentStage.attempt_id == attempt_id)
        )
    ).one_or_none()
    if stage is None or stage.status != StageStatus.DONE.value:
        return None, None
    offer = await stages.offer_of(session, stage)
    attempt = await session.get_one(Attempt, attempt_id)
    step = await next_step(
        session,
        stage,
        skipped=False,
        correct=attempt.correct_count,
        total=offer.items,
        now=stage.finished_at or attempt.started_at,
        scale=1.0,
        plan=False,
    )
    return step, None
