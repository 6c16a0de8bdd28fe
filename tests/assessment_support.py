"""Cohorts with tests, driven through the services: the placeholder forms of tests/data,
learners who join, take tests and train. Shared by the service, report and CLI tests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Cohort, Item
from bot.domain.assessment import Stage
from bot.runtime import Runtime
from bot.services import attempts, cohorts, learners, quizzes
from bot.services.assessment import flow, setup
from bot.services.assessment.invitations import dispatch_due_tests
from bot.services.assessment.views import StageInvitation, StageOffer, StageStep
from bot.services.quizzes import QuizFile, read_quiz_file
from bot.services.views import AnswerResult, CohortJoined, ItemView
from tests.quiz_samples import quiz_yaml

FORMS_DIR = Path(__file__).resolve().parent / "data" / "assessment"
FORM_FILES = (FORMS_DIR / "placeholder-form-a.yaml", FORMS_DIR / "placeholder-form-b.yaml")
TRAINING = "bike-lane"  # two items, public
# The placeholder forms' items in order: two sound claims, then two flawed ones.
FORM_VERDICTS = ("sound", "sound", "flawed", "flawed")


async def import_forms(runtime: Runtime, *files: Path, owner: int | None = None) -> None:
    """Import test forms (both placeholder forms by default) and the training quiz."""
    async with runtime.sessions() as s:
        await quizzes.import_quizzes(
            s,
            [read_quiz_file(path) for path in files or FORM_FILES],
            now=runtime.clock(),
            owner_id=owner,
        )
        await quizzes.import_quizzes(
            s,
            [QuizFile(name="bike.yaml", data=quiz_yaml(TRAINING).encode(), read_source=None)],
            now=runtime.clock(),
        )


async def user(runtime: Runtime, telegram_id: int, name: str = "Lea") -> int:
    """A learner on Telegram whose daily window is the whole day."""
    async with runtime.sessions() as s:
        found = await learners.touch_telegram_user(
            s, telegram_id=telegram_id, first_name=name, language_code="en", now=runtime.clock()
        )
        found.window_start_hour, found.window_end_hour = 0, 24
        await s.commit()
        return found.id


async def cohort_with_tests(
    runtime: Runtime, *, owner_telegram_id: int = 900, name: str = "Class 9B", days: int = 14
) -> tuple[int, str]:
    """An instructor's cohort with its tests on: (instructor's user id, invite code)."""
    owner = await user(runtime, owner_telegram_id, "Tess")
    async with runtime.sessions() as s:
        created = await cohorts.create_cohort(s, owner_id=owner, name=name, now=runtime.clock())
    async with runtime.sessions() as s:
        await setup.configure(
            s,
            user_id=owner,
            admin=False,
            code=created.code,
            enabled=True,
            delay_days=days,
            now=runtime.clock(),
        )
    return owner, created.code


async def join(runtime: Runtime, user_id: int, code: str) -> CohortJoined:
    async with runtime.sessions() as s:
        target = await cohorts.resolve_start_payload(
            s, user_id=user_id, payload=code, now=runtime.clock()
        )
    assert target.cohort is not None
    return target.cohort


async def correct_options(runtime: Runtime, item_id: int) -> set[int]:
    async with runtime.sessions() as s:
        item = await s.get_one(Item, item_id)
    return {i for i, o in enumerate(item.options) if o["correct"]}


async def answer(runtime: Runtime, user_id: int, item: ItemView, *, right: bool) -> AnswerResult:
    """Answer an item of a quiz or a form, rightly or with the first wrong option."""
    correct = await correct_options(runtime, item.item_id)
    choice = sorted(correct) if right else [min(set(range(len(item.options))) - correct)]
    assert item.attempt_id is not None
    async with runtime.sessions() as s:
        return await attempts.answer_item(
            s,
            user_id=user_id,
            attempt_id=item.attempt_id,
            item_id=item.item_id,
            chosen=choice,
            now=runtime.clock(),
        )


async def take(runtime: Runtime, user_id: int, offer: StageOffer, right: int) -> AnswerResult:
    """Take a test, the first `right` items of the form right and the rest wrong."""
    async with runtime.sessions() as s:
        started = await flow.start_stage(
            s, user_id=user_id, stage_id=offer.stage_id, now=runtime.clock()
        )
    item: ItemView | None = started.item
    result: AnswerResult | None = None
    while item is not None:
        result = await answer(runtime, user_id, item, right=item.number <= right)
        item = result.next_item
    assert result is not None
    return result


async def skip(runtime: Runtime, user_id: int, offer: StageOffer) -> StageStep:
    async with runtime.sessions() as s:
        return await flow.skip_stage(
            s, user_id=user_id, stage_id=offer.stage_id, now=runtime.clock()
        )


async def train(runtime: Runtime, user_id: int) -> AnswerResult:
    """Finish the training quiz (every item right); the result carries the post-test offer."""
    async with runtime.sessions() as s:
        started = await attempts.start_quiz(
            s, user_id=user_id, slug=TRAINING, round_size=5, now=runtime.clock()
        )
    item: ItemView | None = started.item
    result: AnswerResult | None = None
    while item is not None:
        result = await answer(runtime, user_id, item, right=True)
        item = result.next_item
    assert result is not None
    return result


def stage_of(offer: StageOffer | None, stage: Stage) -> StageOffer:
    assert offer is not None
    assert offer.stage is stage, offer
    return offer


class Inbox:
    """A dispatcher's sender that records the invitations."""

    def __init__(self) -> None:
        self.sent: list[StageInvitation] = []

    async def __call__(self, invitation: StageInvitation) -> None:
        self.sent.append(invitation)


async def dispatch(runtime: Runtime, inbox: Inbox, scale: float = 1.0) -> int:
    report = await dispatch_due_tests(
        runtime.sessions, worker="w1", clock=runtime.clock, send=inbox, scale=scale
    )
    return report.sent


async def id_of_cohort(session: AsyncSession, code: str) -> int:
    """The database id of the cohort with this invite code."""
    return (await session.scalars(select(Cohort.id).where(Cohort.code == code))).one()
