"""/assess: an instructor turns a cohort's tests on or off, and sees where they stand."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AssessmentEnrolment, Cohort, CohortAssessment, CohortMember, Quiz
from bot.domain.assessment import DEFAULT_DELAY_DAYS, Stage
from bot.domain.errors import (
    FormSetChoiceError,
    FormSetFixedError,
    IncompleteFormSetError,
    NoAssessmentFormsError,
    UnknownCohortError,
    UnknownFormSetError,
)
from bot.services.assessment import stages
from bot.services.assessment.views import AssessmentState

FORMS = ("A", "B")


async def _own_cohort(
    session: AsyncSession, code: str, user_id: int | None, admin: bool
) -> Cohort:
    cohort = (await session.scalars(select(Cohort).where(Cohort.code == code))).one_or_none()
    if cohort is None or (not admin and cohort.owner_id != user_id):
        raise UnknownCohortError(code, owned=True)
    return cohort


async def _usable_sets(
    session: AsyncSession, user_id: int | None, admin: bool
) -> dict[str, set[str]]:
    """Set id -> forms imported, among the forms this instructor may use: public ones and
    their own (an admin: every one)."""
    stmt = select(Quiz.assessment_set, Quiz.assessment_form).where(
        Quiz.assessment_set.is_not(None)
    )
    if not admin:
        stmt = stmt.where(or_(Quiz.is_public.is_(True), Quiz.owner_id == user_id))
    found: dict[str, set[str]] = {}
    for set_id, form in (await session.execute(stmt)).all():
        if set_id is not None and form is not None:
            found.setdefault(set_id, set()).add(form)
    return found


def _choose_set(usable: dict[str, set[str]], named: str | None, current: str | None) -> str:
    """The set to use: the one named, else the cohort's, else the only complete one; raise
    an error that names what is missing otherwise."""
    complete = tuple(sorted(s for s, forms in usable.items() if forms >= set(FORMS)))
    wanted = named or current
    if wanted is not None:
        if wanted not in usable:
            raise UnknownFormSetError(wanted, complete)
        if wanted in complete:
            return wanted
        (present,) = sorted(usable[wanted])
        raise IncompleteFormSetError(wanted, present, "B" if present == "A" else "A")
    if not usable:
        raise NoAssessmentFormsError
    if not complete:
        set_id = sorted(usable)[0]
        (present,) = sorted(usable[set_id])
        raise IncompleteFormSetError(set_id, present, "B" if present == "A" else "A")
    if len(complete) > 1:
        raise FormSetChoiceError(complete)
    return complete[0]


async def configure(
    session: AsyncSession,
    *,
    user_id: int | None,
    admin: bool,
    code: str,
    enabled: bool,
    now: dt.datetime,
    delay_days: int | None = None,
    set_id: str | None = None,
) -> AssessmentState:
    """Turn a cohort's tests on (with a set of forms and the delayed test's delay) or off.

    On needs both forms of a set imported; the error says what is missing. Once learners
    are enrolled the set stays, so that every learner's tests are on the same two forms.
    Off lets learners in the middle of a test finish it, and sends no new test.
    """
    cohort = await _own_cohort(session, code, user_id, admin)
    setup = await session.get(CohortAssessment, cohort.id)
    if enabled:
        usable = await _usable_sets(session, user_id, admin)
        current = setup.set_id if setup is not None else None
        if setup is not None and setup.enrolled and set_id not in (None, current):
            raise FormSetFixedError(current or "")
        chosen = _choose_set(usable, set_id, current)
        days = delay_days or (setup.delay_days if setup is not None else DEFAULT_DELAY_DAYS)
        if setup is None:
            setup = CohortAssessment(
                cohort_id=cohort.id,
                set_id=chosen,
                delay_days=days,
                enabled=True,
                enrolled=0,
                changed_at=now,
            )
            session.add(setup)
        else:
            setup.set_id, setup.delay_days, setup.enabled = chosen, days, True
            setup.changed_at = now
    elif setup is not None and setup.enabled:
        setup.enabled = False
        setup.changed_at = now
    await session.flush()
    result = await _state(session, cohort, setup)
    await session.commit()
    return result


async def state(
    session: AsyncSession, *, user_id: int | None, admin: bool, code: str
) -> AssessmentState:
    """Where a cohort's tests stand: on or off, the forms, learners enrolled, tests taken."""
    cohort = await _own_cohort(session, code, user_id, admin)
    setup = await session.get(CohortAssessment, cohort.id)
    result = await _state(session, cohort, setup)
    await session.rollback()  # read only
    return result


async def _state(
    session: AsyncSession, cohort: Cohort, setup: CohortAssessment | None
) -> AssessmentState:
    enrolled = int(
        await session.scalar(
            select(func.count())
            .select_from(AssessmentEnrolment)
            .where(AssessmentEnrolment.cohort_id == cohort.id)
        )
        or 0
    )
    members = int(
        await session.scalar(
            select(func.count())
            .select_from(CohortMember)
            .where(CohortMember.cohort_id == cohort.id)
        )
        or 0
    )
    forms: tuple[tuple[str, str], ...] = ()
    items: tuple[int, ...] = ()
    if setup is not None:
        quizzes = await stages.form_quizzes(session, setup.set_id)
        forms = tuple((form, quizzes[form].slug) for form in FORMS if form in quizzes)
        items = tuple([await stages.item_count(session, quizzes[form].id) for form, _ in forms])
    done = await stages.done_counts(session, cohort.id)
    return AssessmentState(
        cohort=cohort.name,
        code=cohort.code,
        enabled=setup is not None and setup.enabled,
        configured=setup is not None,
        set_id=setup.set_id if setup is not None else None,
        forms=forms,
        form_items=items,
        delay_days=setup.delay_days if setup is not None else None,
        enrolled=enrolled,
        not_enrolled=max(members - enrolled, 0),
        taken=(done.get(Stage.PRE, 0), done.get(Stage.POST, 0), done.get(Stage.DELAYED, 0)),
    )
