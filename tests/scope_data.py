"""Two instructors with a private quiz and a cohort each, and a learner in both cohorts.

Amy and Bob each upload a private quiz and open it to a cohort of their own; Lea joins both
cohorts and answers the first item of both quizzes and of the bundled public one. Nothing
Amy can ask for may show Bob's invite code, his cohort's name, or that his quiz exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.report_query import Viewer
from bot.domain.roles import Role
from bot.runtime import Runtime
from bot.services import attempts, cohorts, learners, quizzes
from bot.services.quizzes import QuizFile
from tests.quiz_samples import quiz_yaml

AMY, BOB, LEA = 9101, 9102, 9103  # Telegram ids


@dataclass(frozen=True)
class Classes:
    """The two instructors as report viewers, and their cohorts' invite codes."""

    amy: Viewer
    bob: Viewer
    amy_code: str
    bob_code: str


async def _user(runtime: Runtime, telegram_id: int, name: str) -> int:
    async with runtime.sessions() as s:
        user = await learners.touch_telegram_user(
            s, telegram_id=telegram_id, first_name=name, language_code="en", now=runtime.clock()
        )
    return user.id


async def upload(runtime: Runtime, owner: int, slug: str) -> None:
    """Import a sample quiz as uploaded in the chat by `owner`."""
    async with runtime.sessions() as s:
        await quizzes.import_quizzes(
            s,
            [QuizFile(name=f"{slug}.yaml", data=quiz_yaml(slug).encode(), read_source=None)],
            now=runtime.clock(),
            owner_id=owner,
        )


async def _own_cohort(runtime: Runtime, owner: int, name: str, slug: str) -> str:
    """A cohort of `owner` with their quiz `slug` open to it; its invite code."""
    async with runtime.sessions() as s:
        code = (
            await cohorts.create_cohort(s, owner_id=owner, name=name, now=runtime.clock())
        ).code
    async with runtime.sessions() as s:
        await cohorts.share_quiz(s, user_id=owner, admin=False, slug=slug, codes=[code])
    return code


async def _answer_first_item(runtime: Runtime, user: int, slug: str) -> None:
    async with runtime.sessions() as s:
        started = await attempts.start_quiz(
            s, user_id=user, slug=slug, round_size=5, now=runtime.clock()
        )
    async with runtime.sessions() as s:
        await attempts.answer_item(
            s,
            user_id=user,
            attempt_id=started.attempt_id,
            item_id=started.item.item_id,
            chosen=[started.item.options[0].file_index],
            now=runtime.clock(),
        )


async def build_classes(runtime: Runtime) -> Classes:
    """Insert the two classes of the module docstring through the services."""
    amy = await _user(runtime, AMY, "Amy")
    bob = await _user(runtime, BOB, "Bob")
    lea = await _user(runtime, LEA, "Lea")
    await upload(runtime, amy, "amy-quiz")
    await upload(runtime, bob, "bob-secret")
    amy_code = await _own_cohort(runtime, amy, "Amy class", "amy-quiz")
    bob_code = await _own_cohort(runtime, bob, "Bob class", "bob-secret")
    for code in (amy_code, bob_code):
        async with runtime.sessions() as s:
            await cohorts.resolve_start_payload(s, user_id=lea, payload=code, now=runtime.clock())
    for slug in ("amy-quiz", "bob-secret", "nk-arms-article"):
        await _answer_first_item(runtime, lea, slug)
    return Classes(
        amy=Viewer(user_id=amy, role=Role.INSTRUCTOR),
        bob=Viewer(user_id=bob, role=Role.INSTRUCTOR),
        amy_code=amy_code,
        bob_code=bob_code,
    )
