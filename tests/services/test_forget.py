"""/forgetme on real databases: the learner's stored updates in every chat go; an
instructor's quizzes and cohorts stay, handed to no one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.db.models import Cohort, InboxUpdate, Quiz, QuizVersion, User
from bot.runtime import Runtime
from bot.services import attempts, learners, update_store
from tests.scope_data import AMY, build_classes

# Telegram ids use up to 52 bits: past what a 32-bit integer holds.
LEA, OLAF = 6_123_456_789, 7_000_000_001
GROUP = -1_001_234_567_890


def _person(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"Person {user_id}"}


def _message(update_id: int, user_id: int, chat_id: int, key: str = "message") -> dict[str, Any]:
    kind = "private" if chat_id > 0 else "supergroup"
    return {
        "update_id": update_id,
        key: {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": chat_id, "type": kind},
            "from": _person(user_id),
            "text": f"words of {user_id}",
        },
    }


def _press(update_id: int, user_id: int, chat_id: int | None) -> dict[str, Any]:
    query: dict[str, Any] = {
        "id": str(update_id),
        "from": _person(user_id),
        "chat_instance": "1",
        "data": "ans:1:2:0",
    }
    if chat_id is None:
        query["inline_message_id"] = "AAAA"  # a message sent inline: no chat at all
    else:
        query["message"] = _message(update_id, 1, chat_id)["message"] | {"from": _person(1)}
    return {"update_id": update_id, "callback_query": query}


def _membership(update_id: int, user_id: int, chat_id: int) -> dict[str, Any]:
    member = {"user": _person(1), "status": "member"}
    return {
        "update_id": update_id,
        "my_chat_member": {
            "chat": {"id": chat_id, "type": "supergroup"},
            "from": _person(user_id),
            "date": 1_700_000_000,
            "old_chat_member": member | {"status": "left"},
            "new_chat_member": member,
        },
    }


async def test_forgetting_deletes_the_learners_updates_in_every_chat(runtime: Runtime) -> None:
    async with runtime.sessions() as s:
        user = await learners.touch_telegram_user(
            s, telegram_id=LEA, first_name="Lea", language_code="en", now=runtime.clock()
        )
    hers = [
        _message(1, LEA, LEA),  # her private chat
        _message(2, LEA, GROUP),  # in a group
        _message(3, LEA, GROUP, key="edited_message"),
        _press(4, LEA, GROUP),  # a button under a group message
        _press(5, LEA, None),  # a button under an inline message
        _membership(6, LEA, GROUP),  # she added the bot to a group
    ]
    others = [_message(10, OLAF, OLAF), _message(11, OLAF, GROUP), _press(12, OLAF, GROUP)]
    async with runtime.sessions() as s:
        await update_store.store_updates(s, [*hers, *others], now=runtime.clock())
    async with runtime.sessions() as s:
        await learners.forget_user(s, user_id=user.id)
    async with runtime.sessions() as s:
        kept = set((await s.scalars(select(InboxUpdate.update_id))).all())
    assert kept == {10, 11, 12}


async def test_an_instructors_quizzes_and_cohorts_stay_with_no_owner(runtime: Runtime) -> None:
    classes = await build_classes(runtime)
    amy = classes.amy.user_id
    assert amy is not None
    async with runtime.sessions() as s:
        owned = await learners.owned_by(s, user_id=amy)
    assert (owned.quizzes, owned.cohorts) == (1, 1)
    async with runtime.sessions() as s:
        lea = (await s.scalars(select(User.id).where(User.first_name == "Lea"))).one()
        learner = await learners.owned_by(s, user_id=lea)
    assert (learner.quizzes, learner.cohorts) == (0, 0)

    async with runtime.sessions() as s:
        await learners.forget_user(s, user_id=amy)
    async with runtime.sessions() as s:
        quiz = (await s.scalars(select(Quiz).where(Quiz.slug == "amy-quiz"))).one()
        cohort = (await s.scalars(select(Cohort).where(Cohort.name == "Amy class"))).one()
        versions = (
            await s.scalars(select(QuizVersion).where(QuizVersion.quiz_id == quiz.id))
        ).all()
        assert await s.scalar(select(User.id).where(User.telegram_id == AMY)) is None
    assert (quiz.owner_id, quiz.is_public, cohort.owner_id) == (None, False, None)
    assert [v.imported_by for v in versions] == [None]
    # Her cohort's learners keep the quiz she opened to them.
    async with runtime.sessions() as s:
        started = await attempts.start_quiz(
            s, user_id=lea, slug="amy-quiz", round_size=5, now=runtime.clock()
        )
    assert started.resumed
