"""Cohorts on real databases: invites, joining, quizzes limited to cohorts, listings."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot.db.models import CohortMember
from bot.domain.errors import (
    CohortCodesMissingError,
    InvalidInputError,
    NotFoundError,
    UnknownCohortError,
    UnknownQuizError,
)
from bot.runtime import Runtime
from bot.services import attempts, cohorts, learners, quizzes
from bot.services.quizzes import QuizFile
from bot.telegram.error_text import describe
from tests.quiz_samples import quiz_yaml


async def _user(runtime: Runtime, telegram_id: int) -> int:
    async with runtime.sessions() as s:
        user = await learners.touch_telegram_user(
            s, telegram_id=telegram_id, first_name="Ina", language_code="en", now=runtime.clock()
        )
    return user.id


async def _upload(runtime: Runtime, owner: int, slug: str) -> None:
    async with runtime.sessions() as s:
        await quizzes.import_quizzes(
            s,
            [QuizFile(name=f"{slug}.yaml", data=quiz_yaml(slug).encode(), read_source=None)],
            now=runtime.clock(),
            owner_id=owner,
        )


async def _cohort(runtime: Runtime, owner: int, name: str) -> str:
    async with runtime.sessions() as s:
        created = await cohorts.create_cohort(s, owner_id=owner, name=name, now=runtime.clock())
    return created.code


async def _start(runtime: Runtime, user: int, payload: str):
    async with runtime.sessions() as s:
        return await cohorts.resolve_start_payload(
            s, user_id=user, payload=payload, now=runtime.clock()
        )


async def _can_start(runtime: Runtime, user: int, slug: str, *, see_all: bool = False) -> bool:
    try:
        async with runtime.sessions() as s:
            await attempts.start_quiz(
                s, user_id=user, slug=slug, round_size=5, now=runtime.clock(), see_all=see_all
            )
    except NotFoundError as exc:
        refusal = describe(exc)
    else:
        return True
    assert refusal == f"There is no quiz '{slug}'."  # the same as for an unknown quiz
    return False


async def test_codes_are_random_and_fit_telegram_deep_links(runtime: Runtime) -> None:
    owner = await _user(runtime, 8001)
    codes = {await _cohort(runtime, owner, "Class 9B") for _ in range(5)}
    assert len(codes) == 5
    for code in codes:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", code)
        assert len(code) >= 20  # 128 random bits


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
async def test_cohort_name_must_be_given_and_short(runtime: Runtime, name: str) -> None:
    owner = await _user(runtime, 8002)
    with pytest.raises(InvalidInputError):
        await _cohort(runtime, owner, name)


async def test_limited_quiz_is_for_owner_and_cohort_members_only(runtime: Runtime) -> None:
    teacher, ana, ben = [await _user(runtime, n) for n in (8003, 8004, 8005)]
    await _upload(runtime, teacher, "class-quiz")
    # New uploads are the owner's only until shared.
    assert await _can_start(runtime, teacher, "class-quiz")
    assert not await _can_start(runtime, ana, "class-quiz")
    assert await _can_start(runtime, ana, "class-quiz", see_all=True)  # an admin

    code = await _cohort(runtime, teacher, "Class 9B")
    async with runtime.sessions() as s:
        sharing = await cohorts.share_quiz(
            s, user_id=teacher, admin=False, slug="class-quiz", codes=[code]
        )
    assert (sharing.is_public, sharing.cohorts) == (False, ("Class 9B",))

    joined = (await _start(runtime, ana, code)).cohort
    assert joined is not None
    assert (joined.name, joined.already_member) == ("Class 9B", False)
    assert joined.quizzes == (("class-quiz", "Bike lane news", "en"),)
    again = (await _start(runtime, ana, code)).cohort
    assert again is not None
    assert again.already_member
    async with runtime.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(CohortMember)) == 1

    assert await _can_start(runtime, ana, "class-quiz")
    assert not await _can_start(runtime, ben, "class-quiz")
    # A deep link to the quiz itself does not get Ben in either.
    assert (await _start(runtime, ben, "class-quiz")).quiz_slug is None

    async with runtime.sessions() as s:
        opened = await cohorts.make_public(s, user_id=teacher, admin=False, slug="class-quiz")
    assert opened.is_public
    assert await _can_start(runtime, ben, "class-quiz")
    assert (await _start(runtime, ben, "class-quiz")).quiz_slug == "class-quiz"


async def test_start_payloads_that_are_neither_code_nor_quiz(runtime: Runtime) -> None:
    ana = await _user(runtime, 8006)
    for payload in ("nope", "x" * 65, "bad code", "ünï", "../etc"):
        target = await _start(runtime, ana, payload)
        assert (target.cohort, target.quiz_slug) == (None, None)
    assert (await _start(runtime, ana, "nk-arms-article")).quiz_slug == "nk-arms-article"


async def test_sharing_needs_own_quiz_and_own_cohort(runtime: Runtime) -> None:
    teacher, other = await _user(runtime, 8007), await _user(runtime, 8008)
    await _upload(runtime, teacher, "mine")
    theirs = await _cohort(runtime, other, "Their class")
    mine = await _cohort(runtime, teacher, "My class")
    async with runtime.sessions() as s:
        with pytest.raises(UnknownCohortError) as no_cohort:
            await cohorts.share_quiz(s, user_id=teacher, admin=False, slug="mine", codes=[theirs])
    assert (no_cohort.value.code, no_cohort.value.owned) == (theirs, True)
    async with runtime.sessions() as s:
        with pytest.raises(UnknownQuizError) as no_quiz:
            await cohorts.share_quiz(s, user_id=other, admin=False, slug="mine", codes=[theirs])
    assert describe(no_quiz.value) == "There is no quiz 'mine' of yours."
    async with runtime.sessions() as s:
        with pytest.raises(NotFoundError):
            await cohorts.make_public(s, user_id=other, admin=False, slug="nk-arms-article")
    async with runtime.sessions() as s:
        with pytest.raises(CohortCodesMissingError):
            await cohorts.share_quiz(s, user_id=teacher, admin=False, slug="mine", codes=[])
    async with runtime.sessions() as s:
        shared = await cohorts.share_quiz(
            s, user_id=other, admin=True, slug="mine", codes=[mine, theirs, mine]
        )
    assert shared.cohorts == ("My class", "Their class")


async def test_overview_lists_own_quizzes_and_cohorts(runtime: Runtime) -> None:
    teacher, other, learner = [await _user(runtime, n) for n in (8009, 8010, 8011)]
    await _upload(runtime, teacher, "alpha")
    await _upload(runtime, other, "beta")
    code = await _cohort(runtime, teacher, "Morning group")
    await _cohort(runtime, other, "Evening group")
    await _start(runtime, learner, code)
    async with runtime.sessions() as s:
        await cohorts.share_quiz(s, user_id=teacher, admin=False, slug="alpha", codes=[code])
        mine = await quizzes.instructor_overview(s, user_id=teacher, admin=False)
        everything = await quizzes.instructor_overview(s, user_id=teacher, admin=True)
    assert [(q.slug, q.version, q.item_count, q.is_public, q.cohorts) for q in mine.quizzes] == [
        ("alpha", 1, 2, False, ("Morning group",))
    ]
    assert [(c.name, c.code, c.members) for c in mine.cohorts] == [("Morning group", code, 1)]
    assert not mine.everything
    assert {q.slug for q in everything.quizzes} == {"alpha", "beta", "nk-arms-article"}
    assert [c.name for c in everything.cohorts] == ["Evening group", "Morning group"]
