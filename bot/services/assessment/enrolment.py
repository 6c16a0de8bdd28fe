"""A learner who joins a cohort with tests on is enrolled and offered the pre-test."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dialect import insert_for
from bot.db.models import AssessmentEnrolment, CohortAssessment
from bot.domain.assessment import OPEN_STATUSES, Stage, StageStatus, first_form
from bot.services.assessment import stages
from bot.services.assessment.views import StageOffer


@dataclass(frozen=True)
class Enrolment:
    """What joining meant for the tests: the pre-test's offer, or the learner's tests are
    another cohort's (one flow per learner)."""

    offer: StageOffer | None = None
    elsewhere: bool = False


async def enrol(
    session: AsyncSession,
    *,
    cohort_id: int,
    user_id: int,
    now: dt.datetime,
    new_member: bool = True,
) -> Enrolment:
    """Enrol a learner who just joined the cohort in its tests, if they are on, and offer
    the pre-test.

    Joins the caller's transaction (the join) and does not commit. A learner enrolled
    already gets their pre-test offered again while it is open; one enrolled in another
    cohort stays there; a member from before the tests (`new_member` False: the invite
    opened again) is not enrolled, as /assess says. Which form comes first alternates in
    join order.
    """
    setup = await stages.enabled_setup(session, cohort_id)
    if setup is None:
        return Enrolment()
    known = await session.get(AssessmentEnrolment, user_id)
    if known is not None:
        if known.cohort_id != cohort_id:
            return Enrolment(elsewhere=True)
        pre = await stages.stage_of(session, user_id, Stage.PRE)
        if pre is not None and StageStatus(pre.status) in OPEN_STATUSES:
            return Enrolment(offer=await stages.offer_of(session, pre))
        return Enrolment()
    if not new_member:
        return Enrolment()
    forms = await stages.form_quizzes(session, setup.set_id)
    if set(forms) != {"A", "B"}:
        return Enrolment()  # a form is gone: /assess names what is missing
    position = int(
        (
            await session.execute(
                update(CohortAssessment)
                .where(CohortAssessment.cohort_id == cohort_id)
                .values(enrolled=CohortAssessment.enrolled + 1)
                .returning(CohortAssessment.enrolled)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one()
    )
    form = first_form(position).value
    inserted = await session.execute(
        insert_for(session)(AssessmentEnrolment.__table__)
        .values(
            user_id=user_id,
            cohort_id=cohort_id,
            position=position,
            first_form=form,
            enrolled_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    if not getattr(inserted, "rowcount", 0):
        return Enrolment()  # the same link opened twice at once: the other one enrolled
    enrolment = await session.get_one(AssessmentEnrolment, user_id)
    pre = await stages.add_stage(
        session,
        enrolment=enrolment,
        stage=Stage.PRE,
        form=form,
        quiz_id=forms[form].id,
        status=StageStatus.OFFERED,
        due_at=now,
        now=now,
    )
    assert pre is not None
    return Enrolment(offer=await stages.offer_of(session, pre))
