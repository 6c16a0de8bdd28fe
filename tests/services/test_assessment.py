"""A cohort's pre-, post- and delayed tests through the services, on SQLite and PostgreSQL:
the whole flow, counterbalancing, skips, and the bad input of issue 14."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.db.models import (
    Answer,
    AssessmentEnrolment,
    AssessmentStage,
    FollowUp,
    Item,
    Quiz,
    QuizVersion,
    SkillState,
    User,
)
from bot.domain import followups as rules
from bot.domain.assessment import Stage
from bot.domain.errors import (
    AlreadyAnsweredError,
    AssessmentFormError,
    FormSetChoiceError,
    FormSetFixedError,
    IncompleteFormSetError,
    ItemClosedError,
    NoAssessmentFormsError,
    NotYourButtonsError,
    QuizImportError,
    StageClosedError,
    StageClosedReason,
    UnknownCohortError,
    UnknownFormSetError,
)
from bot.runtime import Runtime
from bot.services import attempts, cohorts, learners, quizzes
from bot.services.assessment import flow, setup
from bot.services.assessment.invitations import dispatch_due_tests
from bot.services.assessment.report import cohort_assessment
from bot.services.assessment.views import AssessmentState, NextStep, StageInvitation
from bot.services.followups import dispatch as followup_dispatch
from bot.services.followups.dispatch import DeliveryError, RecipientBlockedError
from bot.services.quizzes import QuizFile
from tests.assessment_support import (
    FORM_FILES,
    Inbox,
    answer,
    cohort_with_tests,
    dispatch,
    id_of_cohort,
    import_forms,
    join,
    skip,
    stage_of,
    take,
    train,
    user,
)
from tests.fakes.clock import FakeClock

DAY = dt.timedelta(days=1)


async def _stages(runtime: Runtime, user_id: int) -> dict[str, AssessmentStage]:
    async with runtime.sessions() as s:
        rows = await s.scalars(select(AssessmentStage).where(AssessmentStage.user_id == user_id))
        return {row.stage: row for row in rows.all()}


async def test_the_whole_flow_pre_training_post_delayed(
    runtime: Runtime, clock: FakeClock
) -> None:
    await import_forms(runtime)
    _, code = await cohort_with_tests(runtime, days=14)
    ana = await user(runtime, 101, "Ana")
    joined = await join(runtime, ana, code)
    pre = stage_of(joined.tests, Stage.PRE)
    assert (pre.items, pre.answered) == (4, 0)
    async with runtime.sessions() as s:
        assert await flow.pending_pre_test(s, user_id=ana) == pre

    # The pre-test: answers recorded, nothing shown, no memory model, no follow-up.
    async with runtime.sessions() as s:
        started = await flow.start_stage(s, user_id=ana, stage_id=pre.stage_id, now=clock())
    assert started.item.is_test
    assert started.total == 4
    first = await answer(runtime, ana, started.item, right=False)
    assert first.withheld
    assert first.summary is None
    assert first.next_item is not None
    done = await take(runtime, ana, pre, right=3)  # resumes at item 2
    assert done.withheld
    step = done.stage_step
    assert step is not None
    assert (step.stage, step.skipped, step.next) == (Stage.PRE, False, NextStep.TRAINING)
    assert (step.correct, step.total) == (2, 4), "item 1 wrong (first try), 2-3 right, 4 wrong"
    assert step.review == (), "no answers after the pre-test: the delayed test repeats it"
    async with runtime.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(SkillState)) == 0
        assert await s.scalar(select(func.count()).select_from(FollowUp)) == 0
        assert await flow.pending_pre_test(s, user_id=ana) is None

    # Training, then the post-test on the other form.
    trained = await train(runtime, ana)
    post = stage_of(trained.stage_offer, Stage.POST)
    rows = await _stages(runtime, ana)
    assert (rows["pre"].form, rows["post"].form) == ("A", "B")
    finished = await take(runtime, ana, post, right=4)
    step = finished.stage_step
    assert step is not None
    assert step.next is NextStep.DELAYED
    assert step.delay_days == 14
    delayed = (await _stages(runtime, ana))["delayed"]
    assert delayed.status == "pending"
    assert delayed.form == "A"
    assert delayed.due_at == clock() + 14 * DAY

    # The dispatcher invites Ana when it is due, once.
    inbox = Inbox()
    clock.advance(days=13)
    assert await dispatch(runtime, inbox) == 0
    clock.advance(days=1)
    assert await dispatch(runtime, inbox) == 1
    assert await dispatch(runtime, inbox) == 0
    (invitation,) = inbox.sent
    assert invitation.chat_id == 101
    assert invitation.offer.stage is Stage.DELAYED
    last = await take(runtime, ana, invitation.offer, right=1)
    step = last.stage_step
    assert step is not None
    assert step.next is NextStep.FINISHED
    assert [(line.number, line.correct) for line in step.review] == [
        (1, True),
        (2, False),
        (3, False),
        (4, False),
    ]
    assert step.review[0].right == step.review[0].chosen
    statuses = {stage: row.status for stage, row in (await _stages(runtime, ana)).items()}
    assert statuses == {"pre": "done", "post": "done", "delayed": "done"}


async def test_forms_alternate_in_join_order(runtime: Runtime) -> None:
    await import_forms(runtime)
    _, code = await cohort_with_tests(runtime)
    firsts = []
    for n in range(4):
        learner = await user(runtime, 200 + n)
        await join(runtime, learner, code)
        async with runtime.sessions() as s:
            enrolment = await s.get_one(AssessmentEnrolment, learner)
        firsts.append((enrolment.position, enrolment.first_form))
    assert firsts == [(1, "A"), (2, "B"), (3, "A"), (4, "B")]


async def test_members_from_before_the_tests_take_none(runtime: Runtime) -> None:
    await import_forms(runtime)
    owner = await user(runtime, 900, "Tess")
    async with runtime.sessions() as s:
        code = (await cohorts.create_cohort(s, owner_id=owner, name="C", now=runtime.clock())).code
    early = await user(runtime, 160)
    assert (await join(runtime, early, code)).tests is None
    async with runtime.sessions() as s:
        await setup.configure(
            s, user_id=owner, admin=False, code=code, enabled=True, now=runtime.clock()
        )
    again = await join(runtime, early, code)  # the invite opened again
    assert again.already_member
    assert again.tests is None
    late = await user(runtime, 161)
    offer = stage_of((await join(runtime, late, code)).tests, Stage.PRE)
    assert stage_of((await join(runtime, late, code)).tests, Stage.PRE) == offer, "offered again"
    async with runtime.sessions() as s:
        state = await setup.state(s, user_id=owner, admin=False, code=code)
    assert (state.enrolled, state.not_enrolled) == (1, 1)


async def test_skipping_is_recorded_and_the_flow_goes_on(runtime: Runtime) -> None:
    await import_forms(runtime)
    _, code = await cohort_with_tests(runtime)
    ben = await user(runtime, 102, "Ben")
    pre = stage_of((await join(runtime, ben, code)).tests, Stage.PRE)
    step = await skip(runtime, ben, pre)
    assert (step.skipped, step.next) == (True, NextStep.TRAINING)
    assert await skip(runtime, ben, pre) == step, "a redelivered skip changes nothing"
    with pytest.raises(StageClosedError) as closed:
        async with runtime.sessions() as s:
            await flow.start_stage(s, user_id=ben, stage_id=pre.stage_id, now=runtime.clock())
    assert closed.value.reason is StageClosedReason.SKIPPED
    post = stage_of((await train(runtime, ben)).stage_offer, Stage.POST)
    # Skipping part-way: the answers stay, the form's buttons close, the stage is skipped.
    async with runtime.sessions() as s:
        started = await flow.start_stage(
            s, user_id=ben, stage_id=post.stage_id, now=runtime.clock()
        )
    await answer(runtime, ben, started.item, right=True)
    step = await skip(runtime, ben, post)
    assert step.next is NextStep.DELAYED
    rows = await _stages(runtime, ben)
    assert (rows["pre"].status, rows["post"].status, rows["delayed"].status) == (
        "skipped",
        "skipped",
        "pending",
    )
    assert rows["post"].skipped_at is not None


async def test_a_learner_who_leaves_mid_form_resumes_where_they_stopped(runtime: Runtime) -> None:
    await import_forms(runtime)
    _, code = await cohort_with_tests(runtime)
    cai = await user(runtime, 103, "Cai")
    pre = stage_of((await join(runtime, cai, code)).tests, Stage.PRE)
    async with runtime.sessions() as s:
        started = await flow.start_stage(
            s, user_id=cai, stage_id=pre.stage_id, now=runtime.clock()
        )
    second = (await answer(runtime, cai, started.item, right=True)).next_item
    assert second is not None
    assert second.number == 2
    # Days later, from the offer /quiz shows again: "continue", at question 2.
    async with runtime.sessions() as s:
        again = await flow.pending_pre_test(s, user_id=cai)
    assert again is not None
    assert again.answered == 1
    async with runtime.sessions() as s:
        resumed = await flow.start_stage(
            s, user_id=cai, stage_id=pre.stage_id, now=runtime.clock()
        )
    assert resumed.resumed
    assert resumed.item.number == 2
    assert resumed.attempt_id == started.attempt_id


async def test_an_answer_to_a_form_item_delivered_twice_counts_once(runtime: Runtime) -> None:
    await import_forms(runtime)
    _, code = await cohort_with_tests(runtime)
    dan = await user(runtime, 104, "Dan")
    pre = stage_of((await join(runtime, dan, code)).tests, Stage.PRE)
    async with runtime.sessions() as s:
        started = await flow.start_stage(
            s, user_id=dan, stage_id=pre.stage_id, now=runtime.clock()
        )
    await answer(runtime, dan, started.item, right=True)
    with pytest.raises(AlreadyAnsweredError):
        await answer(runtime, dan, started.item, right=False)
    # The last answer twice: the stage is done once, the delayed test is not planned twice.
    done = await take(runtime, dan, pre, right=4)
    assert done.stage_step is not None
    last = done.item
    with pytest.raises(AlreadyAnsweredError):
        await answer(runtime, dan, last, right=True)
    async with runtime.sessions() as s:
        replayed = await attempts.replay_answer(
            s, user_id=dan, attempt_id=started.attempt_id, item_id=last.item_id
        )
        answers = await s.scalar(
            select(func.count()).select_from(Answer).where(Answer.user_id == dan)
        )
    assert replayed is not None
    assert replayed.withheld
    assert replayed.stage_step == done.stage_step
    assert answers == 4


async def test_a_learner_who_changes_cohort_keeps_their_first_tests(runtime: Runtime) -> None:
    await import_forms(runtime)
    _, first = await cohort_with_tests(runtime, owner_telegram_id=901, name="Morning")
    _, second = await cohort_with_tests(runtime, owner_telegram_id=902, name="Evening")
    eva = await user(runtime, 105, "Eva")
    pre = stage_of((await join(runtime, eva, first)).tests, Stage.PRE)
    async with runtime.sessions() as s:
        started = await flow.start_stage(
            s, user_id=eva, stage_id=pre.stage_id, now=runtime.clock()
        )
    await answer(runtime, eva, started.item, right=True)
    moved = await join(runtime, eva, second)
    assert moved.tests is None
    assert moved.tests_elsewhere
    await take(runtime, eva, pre, right=4)
    async with runtime.sessions() as s:
        second_id = await id_of_cohort(s, second)
        first_id = await id_of_cohort(s, first)
        other = await cohort_assessment(s, cohort_id=second_id)
        report = await cohort_assessment(s, cohort_id=first_id)
    assert other is not None
    assert other.enrolled == 0
    assert report is not None
    assert report.enrolled == 1
    assert report.stages[0].taken == 1


async def test_forgetme_takes_the_learners_tests_with_them(runtime: Runtime) -> None:
    await import_forms(runtime)
    _, code = await cohort_with_tests(runtime)
    fay = await user(runtime, 106, "Fay")
    pre = stage_of((await join(runtime, fay, code)).tests, Stage.PRE)
    await take(runtime, fay, pre, right=2)
    async with runtime.sessions() as s:
        cohort_id = await id_of_cohort(s, code)
        before = await cohort_assessment(s, cohort_id=cohort_id)
    assert before is not None
    assert before.stages[0].taken == 1
    async with runtime.sessions() as s:
        await learners.forget_user(s, user_id=fay)
    async with runtime.sessions() as s:
        for table in (AssessmentStage, AssessmentEnrolment):
            assert await s.scalar(select(func.count()).select_from(table)) == 0
        after = await cohort_assessment(s, cohort_id=cohort_id)
    assert after is not None
    assert after.enrolled == 0
    assert [f.taken for f in after.stages] == [0, 0, 0]
    assert after.stages[0].mean_accuracy is None


async def test_tests_turned_off_midway(runtime: Runtime, clock: FakeClock) -> None:
    """Learners in the middle of a form finish it; nobody gets a new test: no enrolment, no
    post-test after training, no delayed invitation, and an offered test cannot start."""
    await import_forms(runtime)
    owner, code = await cohort_with_tests(runtime)
    gus, hal, ivy, jo = [await user(runtime, 110 + n) for n in range(4)]
    pre_gus = stage_of((await join(runtime, gus, code)).tests, Stage.PRE)
    pre_hal = stage_of((await join(runtime, hal, code)).tests, Stage.PRE)
    pre_ivy = stage_of((await join(runtime, ivy, code)).tests, Stage.PRE)
    await take(runtime, ivy, pre_ivy, right=4)
    post_ivy = stage_of((await train(runtime, ivy)).stage_offer, Stage.POST)
    await take(runtime, ivy, post_ivy, right=4)  # the delayed test is planned
    async with runtime.sessions() as s:
        started = await flow.start_stage(s, user_id=gus, stage_id=pre_gus.stage_id, now=clock())
    await answer(runtime, gus, started.item, right=True)

    async with runtime.sessions() as s:
        state = await setup.configure(
            s, user_id=owner, admin=False, code=code, enabled=False, now=clock()
        )
    assert not state.enabled
    assert state.enrolled == 3

    done = await take(runtime, gus, pre_gus, right=4)  # Gus finishes his form
    assert done.stage_step is not None
    assert done.stage_step.correct == 4
    with pytest.raises(StageClosedError) as closed:
        async with runtime.sessions() as s:
            await flow.start_stage(s, user_id=hal, stage_id=pre_hal.stage_id, now=clock())
    assert closed.value.reason is StageClosedReason.TESTS_OFF
    async with runtime.sessions() as s:
        assert await flow.pending_pre_test(s, user_id=hal) is None
    assert (await train(runtime, gus)).stage_offer is None
    assert (await join(runtime, jo, code)).tests is None
    clock.advance(days=30)
    inbox = Inbox()
    assert await dispatch(runtime, inbox) == 0
    # On again: the waiting delayed test goes out.
    async with runtime.sessions() as s:
        await setup.configure(s, user_id=owner, admin=False, code=code, enabled=True, now=clock())
    assert await dispatch(runtime, inbox) == 1


async def test_turning_tests_on_names_what_is_missing(runtime: Runtime) -> None:
    owner = await user(runtime, 900, "Tess")
    async with runtime.sessions() as s:
        code = (await cohorts.create_cohort(s, owner_id=owner, name="C", now=runtime.clock())).code

    async def on(set_id: str | None = None, who: int = owner) -> AssessmentState:
        async with runtime.sessions() as s:
            return await setup.configure(
                s,
                user_id=who,
                admin=False,
                code=code,
                enabled=True,
                set_id=set_id,
                now=runtime.clock(),
            )

    with pytest.raises(NoAssessmentFormsError):
        await on()
    await import_forms(runtime, FORM_FILES[0])
    with pytest.raises(IncompleteFormSetError) as incomplete:
        await on()
    assert (incomplete.value.set_id, incomplete.value.present, incomplete.value.missing) == (
        "placeholder",
        "A",
        "B",
    )
    with pytest.raises(UnknownFormSetError):
        await on("autumn")
    other = await user(runtime, 901)
    with pytest.raises(UnknownCohortError):
        await on(who=other)
    await import_forms(runtime, FORM_FILES[1])
    await _import_set(runtime, "second")
    with pytest.raises(FormSetChoiceError) as choice:
        await on()
    assert choice.value.sets == ("placeholder", "second")
    state = await on("placeholder")
    assert state.enabled
    assert state.set_id == "placeholder"
    assert state.delay_days == 14
    assert state.forms == (("A", "placeholder-form-a"), ("B", "placeholder-form-b"))
    await join(runtime, await user(runtime, 120), code)
    with pytest.raises(FormSetFixedError):
        await on("second")


async def _import_set(runtime: Runtime, set_id: str) -> None:
    files = []
    for path in FORM_FILES:
        text = path.read_text(encoding="utf-8")
        text = text.replace("set: placeholder", f"set: {set_id}")
        text = text.replace("id: placeholder-form-", f"id: {set_id}-form-")
        files.append(QuizFile(name=path.name, data=text.encode(), read_source=None))
    async with runtime.sessions() as s:
        await quizzes.import_quizzes(s, files, now=runtime.clock())


async def test_a_form_keeps_its_part_and_is_not_a_quiz(runtime: Runtime) -> None:
    await import_forms(runtime)
    learner = await user(runtime, 130)
    with pytest.raises(AssessmentFormError):
        async with runtime.sessions() as s:
            await attempts.start_quiz(
                s, user_id=learner, slug="placeholder-form-a", round_size=5, now=runtime.clock()
            )
    text = FORM_FILES[0].read_text(encoding="utf-8")
    cases = {
        "made a training quiz": text.replace("assessment:\n  set: placeholder\n  form: A\n", ""),
        "moved to form B": text.replace("form: A", "form: B"),
        "a second form A": text.replace("id: placeholder-form-a", "id: another-form-a"),
    }
    for what, changed in cases.items():
        with pytest.raises(QuizImportError) as refused:
            async with runtime.sessions() as s:
                await quizzes.import_quizzes(
                    s,
                    [QuizFile(name="f.yaml", data=changed.encode(), read_source=None)],
                    now=runtime.clock(),
                )
        assert len(refused.value.problems) == 1, what
    assert "is form A of the set 'placeholder'" in refused.value.problems[0]
    training = text.replace("id: placeholder-form-a", "id: bike-lane")
    with pytest.raises(QuizImportError) as refused:
        async with runtime.sessions() as s:
            await quizzes.import_quizzes(
                s,
                [QuizFile(name="f.yaml", data=training.encode(), read_source=None)],
                now=runtime.clock(),
            )
    assert "'bike-lane' is a training quiz" in refused.value.problems[0]


async def test_form_items_are_never_follow_up_practice(runtime: Runtime) -> None:
    await import_forms(runtime)
    learner = await user(runtime, 131)
    async with runtime.sessions() as s:
        found = await followup_dispatch._candidates(s, {learner: ["sourcing"]})
        form_items = set(
            await s.scalars(
                select(Item.id)
                .join(QuizVersion, QuizVersion.id == Item.quiz_version_id)
                .join(Quiz, Quiz.id == QuizVersion.quiz_id)
                .where(Quiz.assessment_set.is_not(None), Item.skill_id == "sourcing")
            )
        )
    offered = {c.item_id for c in found[learner, "sourcing"]}
    assert form_items
    assert offered
    assert not offered & form_items


async def test_the_delayed_invitation_waits_for_window_lessons_and_sitting(
    runtime: Runtime, clock: FakeClock
) -> None:
    await import_forms(runtime)
    _, code = await cohort_with_tests(runtime, days=2)
    kim = await user(runtime, 140, "Kim")
    pre = stage_of((await join(runtime, kim, code)).tests, Stage.PRE)
    await take(runtime, kim, pre, right=2)
    post = stage_of((await train(runtime, kim)).stage_offer, Stage.POST)
    await take(runtime, kim, post, right=2)
    inbox = Inbox()
    clock.advance(days=2)
    # Lessons off: not invited.
    async with runtime.sessions() as s:
        await learners.set_lessons(s, user_id=kim, enabled=False)
    assert await dispatch(runtime, inbox) == 0
    async with runtime.sessions() as s:
        await learners.set_lessons(s, user_id=kim, enabled=True, now=clock())
    # In a sitting (a quiz item on screen just now): after the sitting.
    async with runtime.sessions() as s:
        await attempts.start_quiz(s, user_id=kim, slug="bike-lane", round_size=5, now=clock())
    assert await dispatch(runtime, inbox) == 0
    row = (await _stages(runtime, kim))["delayed"]
    assert row.status == "pending"
    assert row.due_at == clock() + dt.timedelta(minutes=30)
    assert row.tries == 0
    # At 18:00, outside a window of 8-12 (UTC): the next morning at 8.
    clock.advance(hours=9)
    async with runtime.sessions() as s:
        found = await s.get_one(User, kim)
        found.window_start_hour, found.window_end_hour = 8, 12
        await s.commit()
    assert await dispatch(runtime, inbox) == 0
    row = (await _stages(runtime, kim))["delayed"]
    assert row.due_at == dt.datetime(2026, 3, 5, 8, tzinfo=dt.UTC)
    clock.now = row.due_at
    assert await dispatch(runtime, inbox) == 1


async def test_an_offered_test_is_not_yours_to_press(runtime: Runtime) -> None:
    await import_forms(runtime)
    _, code = await cohort_with_tests(runtime)
    lou = await user(runtime, 150)
    max_ = await user(runtime, 151)
    pre = stage_of((await join(runtime, lou, code)).tests, Stage.PRE)
    with pytest.raises(NotYourButtonsError):
        async with runtime.sessions() as s:
            await flow.start_stage(s, user_id=max_, stage_id=pre.stage_id, now=runtime.clock())
    async with runtime.sessions() as s:
        started = await flow.start_stage(
            s, user_id=lou, stage_id=pre.stage_id, now=runtime.clock()
        )
    step = await skip(runtime, lou, pre)
    assert step.skipped
    # The skipped form's question still on screen: its buttons count no more.
    with pytest.raises(ItemClosedError):
        await answer(runtime, lou, started.item, right=True)


async def test_an_invitation_that_cannot_be_sent_waits_or_is_retried(
    runtime: Runtime, clock: FakeClock
) -> None:
    """A learner who blocked the bot is marked inactive and invited once they write again; a
    failed send is tried again after the follow-ups' backoff."""
    await import_forms(runtime)
    _, code = await cohort_with_tests(runtime, days=1)
    noa = await user(runtime, 170, "Noa")
    await take(runtime, noa, stage_of((await join(runtime, noa, code)).tests, Stage.PRE), 2)
    post = stage_of((await train(runtime, noa)).stage_offer, Stage.POST)
    await take(runtime, noa, post, right=2)
    clock.advance(days=1)

    async def blocked(invitation: StageInvitation) -> None:
        raise RecipientBlockedError("Forbidden: bot was blocked by the user")

    report = await dispatch_due_tests(
        runtime.sessions, worker="w1", clock=clock, send=blocked, scale=1.0
    )
    assert report.blocked == 1
    async with runtime.sessions() as s:
        assert not (await s.get_one(User, noa)).is_active
    assert (await _stages(runtime, noa))["delayed"].status == "pending"
    inbox = Inbox()
    assert await dispatch(runtime, inbox) == 0, "not while blocked"
    await user(runtime, 170, "Noa")  # Noa writes again

    async def broken(invitation: StageInvitation) -> None:
        raise DeliveryError("Bad Gateway")

    report = await dispatch_due_tests(
        runtime.sessions, worker="w1", clock=clock, send=broken, scale=1.0
    )
    assert report.failed == 1
    row = (await _stages(runtime, noa))["delayed"]
    assert (row.status, row.tries) == ("pending", 1)
    assert row.due_at == clock() + rules.retry_delay(1)
    assert await dispatch(runtime, inbox) == 0
    clock.now = row.due_at
    assert await dispatch(runtime, inbox) == 1


async def test_the_bundled_set_is_the_default_where_it_is_the_only_one(runtime: Runtime) -> None:
    """A fresh install imports the bundled folder: `/assess CODE on` needs no set named."""
    from bot.config import BUNDLED_QUIZ_DIR

    async with runtime.sessions() as s:
        await quizzes.ensure_bundled_quizzes(s, BUNDLED_QUIZ_DIR, now=runtime.clock())
    owner = await user(runtime, 900, "Tess")
    async with runtime.sessions() as s:
        code = (await cohorts.create_cohort(s, owner_id=owner, name="C", now=runtime.clock())).code
    async with runtime.sessions() as s:
        state = await setup.configure(
            s, user_id=owner, admin=False, code=code, enabled=True, now=runtime.clock()
        )
    assert (state.enabled, state.set_id, state.delay_days) == (True, "transfer-2019", 14)

    # The first learner takes form A first: the eight items of the Saudi report.
    joined = await join(runtime, await user(runtime, 901), code)
    assert joined.tests is not None
    assert (joined.tests.stage, joined.tests.items) == (Stage.PRE, 8)
