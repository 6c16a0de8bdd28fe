"""Service tests of a quiz sitting on real databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.config import DEFAULT_QUIZ_ID
from bot.db.models import Answer, Item, SkillState
from bot.domain.discernment import Lean, count_answer, judge_answer
from bot.domain.errors import (
    AlreadyAnsweredError,
    AlreadyContinuedError,
    InvalidChoiceError,
    ItemClosedError,
    NotYourButtonsError,
)
from bot.domain.quizfile.model import Judgement, option_judgements
from bot.domain.statistics import DetectionCounts
from bot.runtime import Runtime
from bot.services import attempts, learners, quizzes
from bot.services.quizzes import QuizFile
from bot.services.views import ItemView
from tests.fakes.clock import FakeClock
from tests.quiz_samples import contradiction_quiz_yaml


async def _user(runtime: Runtime, telegram_id: int) -> int:
    async with runtime.sessions() as s:
        user = await learners.touch_telegram_user(
            s, telegram_id=telegram_id, first_name="Ana", language_code="en", now=runtime.clock()
        )
    return user.id


async def _correct_choice(runtime: Runtime, item: ItemView) -> list[int]:
    async with runtime.sessions() as s:
        row = await s.get_one(Item, item.item_id)
    return [i for i, o in enumerate(row.options) if o["correct"]]


async def _wrong_choice(runtime: Runtime, item: ItemView) -> list[int]:
    right = await _correct_choice(runtime, item)
    wrong = next(o.file_index for o in item.options if o.file_index not in right)
    return [wrong]


async def _start(runtime: Runtime, user_id: int):
    async with runtime.sessions() as s:
        return await attempts.start_quiz(
            s, user_id=user_id, slug=DEFAULT_QUIZ_ID, round_size=5, now=runtime.clock()
        )


async def _answer(runtime: Runtime, user_id: int, item: ItemView, chosen: list[int]):
    async with runtime.sessions() as s:
        return await attempts.answer_item(
            s,
            user_id=user_id,
            attempt_id=item.attempt_id,
            item_id=item.item_id,
            chosen=chosen,
            now=runtime.clock(),
        )


async def test_start_resume_and_rounds(runtime: Runtime, clock: FakeClock) -> None:
    uid = await _user(runtime, 1001)
    start = await _start(runtime, uid)
    assert not start.resumed
    assert start.item.number == 1
    item = start.item
    for n in range(1, 6):
        clock.advance(seconds=7)
        result = await _answer(runtime, uid, item, await _correct_choice(runtime, item))
        assert result.correct
        if n < 5:
            assert result.next_item is not None
            assert result.summary is None
            item = result.next_item
    # The fifth answer ends the round: a summary and no item until "continue".
    assert result.summary is not None
    assert result.next_item is None
    assert (result.summary.round_answered, result.summary.round_correct) == (5, 5)

    # A "restart": /quiz again resumes the same attempt, between rounds.
    again = await _start(runtime, uid)
    assert again.resumed
    assert again.attempt_id == start.attempt_id
    assert again.answered == 5
    assert again.item.number == 6


async def test_answer_counts_once_and_reports_it(runtime: Runtime) -> None:
    uid = await _user(runtime, 1002)
    item = (await _start(runtime, uid)).item
    first = await _answer(runtime, uid, item, await _wrong_choice(runtime, item))
    assert not first.correct
    with pytest.raises(AlreadyAnsweredError):
        await _answer(runtime, uid, item, await _correct_choice(runtime, item))
    async with runtime.sessions() as s:
        count = await s.scalar(select(func.count()).select_from(Answer))
        state = await s.get_one(SkillState, (uid, item.skill_id))
    assert count == 1
    assert (state.answered, state.correct) == (1, 0)


async def test_time_taken_is_measured_from_presentation(runtime: Runtime, clock: FakeClock):
    uid = await _user(runtime, 1003)
    item = (await _start(runtime, uid)).item
    clock.advance(seconds=12.5)
    await _answer(runtime, uid, item, await _correct_choice(runtime, item))
    async with runtime.sessions() as s:
        answer = (await s.scalars(select(Answer))).one()
    assert answer.seconds == pytest.approx(12.5)


async def test_foreign_stale_and_invalid_presses_change_nothing(runtime: Runtime) -> None:
    ana, ben = await _user(runtime, 1004), await _user(runtime, 1005)
    item = (await _start(runtime, ana)).item
    with pytest.raises(NotYourButtonsError):
        await _answer(runtime, ben, item, await _correct_choice(runtime, item))
    with pytest.raises(InvalidChoiceError):
        await _answer(runtime, ana, item, [99])
    with pytest.raises(InvalidChoiceError):
        await _answer(runtime, ana, item, [])
    result = await _answer(runtime, ana, item, await _correct_choice(runtime, item))
    assert result.next_item is not None
    # Pressing on an item that is not yet asked is stale, not an answer.
    later = result.next_item
    with pytest.raises(ItemClosedError):
        await _answer(
            runtime,
            ana,
            later.__class__(**{**later.__dict__, "item_id": later.item_id + 1}),
            [0],
        )
    async with runtime.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Answer)) == 1


async def test_scores_per_skill_and_whole_quiz(runtime: Runtime) -> None:
    uid = await _user(runtime, 1006)
    start = await _start(runtime, uid)
    item: ItemView | None = start.item
    expected: dict[str, list[int]] = {}
    n = 0
    while item is not None:
        right = n % 3 != 0  # miss every third item
        choice = await (_correct_choice if right else _wrong_choice)(runtime, item)
        result = await _answer(runtime, uid, item, choice)
        assert result.correct is right
        tally = expected.setdefault(item.skill_id, [0, 0])
        tally[0] += 1
        tally[1] += int(right)
        n += 1
        if result.summary is not None and not result.summary.finished:
            async with runtime.sessions() as s:
                item = await attempts.continue_attempt(
                    s,
                    user_id=uid,
                    attempt_id=result.summary.attempt_id,
                    answered=result.summary.answered,
                    now=runtime.clock(),
                )
        else:
            item = result.next_item
    summary = result.summary
    assert summary is not None
    assert summary.finished
    assert summary.answered == summary.total == start.total
    assert summary.correct == sum(c for _, c in expected.values())
    assert {s.skill_id: [s.answered, s.correct] for s in summary.skills} == expected

    async with runtime.sessions() as s:
        report = await learners.score_report(s, user_id=uid)
    assert [(q.slug, q.finished, q.correct) for q in report.quizzes] == [
        (DEFAULT_QUIZ_ID, True, summary.correct)
    ]
    assert {s.skill_id: [s.answered, s.correct] for s in report.skills} == expected

    # A finished quiz is taken again from the start in a new attempt.
    again = await _start(runtime, uid)
    assert not again.resumed
    assert again.attempt_id != start.attempt_id


async def test_continue_twice_is_stale(runtime: Runtime) -> None:
    uid = await _user(runtime, 1007)
    item = (await _start(runtime, uid)).item
    for _ in range(5):
        result = await _answer(runtime, uid, item, await _correct_choice(runtime, item))
        item = result.next_item or item
    assert result.summary is not None
    args = {
        "user_id": uid,
        "attempt_id": result.summary.attempt_id,
        "answered": result.summary.answered,
    }
    async with runtime.sessions() as s:
        nxt = await attempts.continue_attempt(s, now=runtime.clock(), **args)
    assert nxt.number == 6
    with pytest.raises(AlreadyContinuedError):
        async with runtime.sessions() as s:
            await attempts.continue_attempt(s, now=runtime.clock(), **args)


async def test_option_order_is_stable_per_attempt(runtime: Runtime) -> None:
    uid = await _user(runtime, 1008)
    first = (await _start(runtime, uid)).item
    again = (await _start(runtime, uid)).item
    assert [o.file_index for o in first.options] == [o.file_index for o in again.options]


async def test_contradiction_options_keep_the_written_order(runtime: Runtime) -> None:
    """Passages of the source, shown as written to every learner (the shuffle would move them)."""
    async with runtime.sessions() as s:
        file = QuizFile("bridge.yaml", contradiction_quiz_yaml().encode(), read_source=None)
        await quizzes.import_quizzes(s, [file], now=runtime.clock())
    for telegram_id in range(1100, 1108):
        uid = await _user(runtime, telegram_id)
        async with runtime.sessions() as s:
            start = await attempts.start_quiz(
                s, user_id=uid, slug="bridge", round_size=5, now=runtime.clock()
            )
        assert start.item.kind == "contradiction"
        assert [o.file_index for o in start.item.options] == [0, 1, 2, 3]
        assert start.item.options[2].text == "The bridge opened in 1992"


async def test_forget_user_deletes_everything(runtime: Runtime) -> None:
    uid = await _user(runtime, 1009)
    item = (await _start(runtime, uid)).item
    await _answer(runtime, uid, item, await _correct_choice(runtime, item))
    async with runtime.sessions() as s:
        await learners.forget_user(s, user_id=uid)
    async with runtime.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Answer)) == 0
        assert await s.scalar(select(func.count()).select_from(SkillState)) == 0


async def _sit(runtime: Runtime, user_id: int, *, items: int, doubt: bool) -> DetectionCounts:
    """Answer the first items of the bundled quiz as a learner who leans one way.

    Where an option judges the claim the other way from its verdict, the learner picks it
    when that is their lean (a doubter calls sound claims flawed, a truster takes flawed
    claims for sound); everything else they answer right. Returns the discernment counts
    those answers should add up to.
    """
    expected = DetectionCounts(0, 0, 0, 0)
    item: ItemView | None = (await _start(runtime, user_id)).item
    for _ in range(items):
        assert item is not None
        async with runtime.sessions() as s:
            row = await s.get_one(Item, item.item_id)
        judgements = option_judgements(
            row.verdict, [(o["correct"], o.get("judgement")) for o in row.options]
        )
        leaning = Judgement.FLAWED if doubt else Judgement.SOUND
        slips = [
            i
            for i, o in enumerate(row.options)
            if not o["correct"] and judgements is not None and judgements[i] is leaning
        ]
        chosen = slips[:1] or await _correct_choice(runtime, item)
        judged = judge_answer(
            row.kind, row.verdict, judgements, await _correct_choice(runtime, item), chosen
        )
        expected = _plus(expected, count_answer(row.verdict, judged))
        result = await _answer(runtime, user_id, item, chosen)
        item = result.next_item
        if result.summary is not None and not result.summary.finished:
            async with runtime.sessions() as s:
                item = await attempts.continue_attempt(
                    s,
                    user_id=user_id,
                    attempt_id=result.summary.attempt_id,
                    answered=result.summary.answered,
                    now=runtime.clock(),
                )
    return expected


def _plus(a: DetectionCounts, b: DetectionCounts) -> DetectionCounts:
    return DetectionCounts(
        a.hits + b.hits,
        a.flawed + b.flawed,
        a.false_alarms + b.false_alarms,
        a.sound + b.sound,
        a.misreadings + b.misreadings,
    )


async def test_score_says_which_way_a_learner_leans(runtime: Runtime) -> None:
    """A learner who takes flawed claims for sound leans to trusting, one who calls sound
    claims flawed leans to doubting; with too few of a kind judged, /score says nothing."""
    trusting = await _user(runtime, 1010)
    doubting = await _user(runtime, 1011)
    early = await _user(runtime, 1012)
    trusted = await _sit(runtime, trusting, items=12, doubt=False)
    doubted = await _sit(runtime, doubting, items=12, doubt=True)
    few = await _sit(runtime, early, items=3, doubt=False)
    async with runtime.sessions() as s:
        reports = {
            uid: await learners.score_report(s, user_id=uid) for uid in (trusting, doubting, early)
        }
    assert reports[trusting].discernment == trusted
    assert trusted.flawed >= 4
    assert trusted.sound >= 4
    assert trusted.hits < trusted.flawed  # some flawed claims were trusted
    assert trusted.false_alarms == 0
    assert reports[trusting].lean is Lean.TRUSTS
    assert reports[doubting].discernment == doubted
    assert doubted.false_alarms > 0
    assert doubted.hits == doubted.flawed
    assert reports[doubting].lean is Lean.DOUBTS
    assert reports[early].discernment == few
    assert reports[early].lean is None
