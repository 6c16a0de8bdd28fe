"""Follow-up lessons end to end: the real bot, its JobQueue dispatcher and the fake Bot API.

Delays are scaled down (QUIZBOT_FOLLOWUP_DELAY_SCALE) and the dispatcher runs every 0.2 s;
the bot's clock is a FakeClock the test moves, so "later" is exact and nothing sleeps.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import select

from bot.db.models import FollowUp, Item, User
from bot.domain.clock import utc_now
from tests.e2e.harness import BotHarness, answer_buttons, running_bot
from tests.e2e.test_learner_flow import answer, next_item
from tests.fakes import ChatMessage, FakeTelegramServer, FakeUser
from tests.fakes.clock import FakeClock

FAST = {"QUIZBOT_FOLLOWUP_DELAY_SCALE": 0.0001, "QUIZBOT_DISPATCH_INTERVAL": 0.2}
LESSON = "Time for a short review"


async def _rows(bot: BotHarness, telegram_id: int) -> list[FollowUp]:
    async with bot.runtime.sessions() as session:
        user = (await session.scalars(select(User).where(User.telegram_id == telegram_id))).one()
        rows = await session.scalars(
            select(FollowUp).where(FollowUp.user_id == user.id).order_by(FollowUp.id)
        )
        return list(rows.all())


async def _eventually_rows(
    bot: BotHarness, telegram_id: int, check: Any, what: str, within: float = 5.0
) -> list[FollowUp]:
    """Poll the learner's follow-up rows until `check(rows)` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        rows = await _rows(bot, telegram_id)
        if check(rows):
            return rows
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {rows}")
        await asyncio.sleep(0.05)


def _practice_buttons(message: ChatMessage) -> list[dict[str, Any]]:
    return [
        b
        for row in message.buttons
        for b in row
        if str(b.get("callback_data", "")).startswith(("fu:", "fum:"))
    ]


async def _answer_practice(bot: BotHarness, user: FakeUser, message: ChatMessage, *, right: bool):
    buttons = _practice_buttons(message)
    assert buttons, message.content
    data = str(buttons[0]["callback_data"])
    followup_id = int(data.split(":")[1])
    async with bot.runtime.sessions() as session:
        row = await session.get_one(FollowUp, followup_id)
        assert row.item_id is not None
        item = await session.get_one(Item, row.item_id)
    correct = {i for i, o in enumerate(item.options) if o["correct"]}
    if data.startswith("fu:"):
        options = [int(str(b["callback_data"]).rsplit(":", 1)[1]) for b in buttons]
        pick = next(o for o in options if (o in correct) == right)
        return user.press(message, f"fu:{followup_id}:{pick}")
    chosen = correct if right else {max(set(range(len(buttons))) - correct, default=0)}
    return user.press_data(message, f"fus:{followup_id}:{sum(1 << i for i in chosen):x}")


async def test_a_missed_item_brings_a_lesson_whose_answer_spaces_the_next(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    clock = FakeClock()
    async with running_bot(fake_telegram, database_url, clock=clock, **FAST) as bot:
        ana = bot.user(601, "Ana")
        ana.send_text("/quiz")
        item = await next_item(ana)
        missed_item = int(str(answer_buttons(item)[0]["callback_data"]).split(":")[2])
        missed_at = clock()
        press = await answer(bot, ana, item, right=False)
        await ana.wait_for_answer(press)
        await next_item(ana)
        (planned,) = await _rows(bot, 601)
        first_gap = planned.due_at - missed_at
        assert first_gap == dt.timedelta(hours=4) * 0.0001

        # Just before it is due Ana comes back to the quiz: the question is shown again.
        clock.advance(seconds=1.4)
        ana.mark()
        ana.send_text("/quiz")
        await ana.wait_for_message("Welcome back")
        await next_item(ana)
        # Due now, but Ana has the question on screen: the dispatcher defers it until the
        # sitting is over (half an hour, scaled like every wait: 0.18 s here).
        clock.advance(seconds=0.05)
        (deferred,) = await _eventually_rows(
            bot, 601, lambda rs: rs[0].due_at > clock(), "the follow-up to wait for the sitting"
        )
        assert deferred.status == "pending"
        assert deferred.due_at == missed_at + dt.timedelta(seconds=1.4 + 0.18)
        assert not [m for m in ana.messages() if LESSON in m.content]

        # The sitting is over: the lesson and a practice item arrive.
        ana.mark()
        clock.advance(seconds=0.2)
        lesson = await ana.wait_for_message(LESSON)
        assert "Practice" in lesson.content
        assert _practice_buttons(lesson)
        (sent,) = await _eventually_rows(
            bot, 601, lambda rs: rs[0].status == "sent", "the follow-up to be marked sent"
        )
        assert sent.item_id != missed_item, "a fresh item, not the one just missed"

        clock.advance(seconds=20)
        answered_at = clock()
        press = await _answer_practice(bot, ana, lesson, right=True)
        assert (await ana.wait_for_answer(press))["text"] == "✅ Right!"
        edited = await ana.wait_for_message(lambda m: m.message_id == lesson.message_id)
        assert "Right!" in edited.content
        assert LESSON in edited.content, "the lesson stays above the verdict"
        assert not _practice_buttons(edited)

        rows = await _rows(bot, 601)
        assert [r.status for r in rows] == ["answered", "pending"]
        assert rows[1].due_at - answered_at > first_gap, "a success spaces the next one out"

        # /lessons shows it and lets Ana pick a window.
        ana.send_text("/lessons")
        status = await ana.wait_for_message("Follow-up lessons are on")
        assert "Next:" in status.content
        ana.press(status, "Mornings (8–12)")
        changed = await ana.wait_for_message(
            lambda m: m.message_id == status.message_id and "• Mornings" in str(m.button_texts)
        )
        assert "Mornings (8–12)" in changed.content
        ana.send_text("/lessons tz Mars/Olympus")
        assert "don't know the time zone" in (await ana.wait_for_message()).content

        # /lessons off cancels at once; nothing more is sent, however late it gets.
        ana.send_text("/lessons off")
        await ana.wait_for_message("Follow-up lessons are off")
        rows = await _rows(bot, 601)
        assert [r.status for r in rows] == ["answered", "cancelled"]
        before = len(fake_telegram.calls_of("sendMessage"))
        clock.advance(days=3)
        ana.send_text("/help")  # a round trip through the bot, after several passes
        await ana.wait_for_message("Commands")
        lessons_after = [
            c
            for c in fake_telegram.calls_of("sendMessage")[before:]
            if LESSON in str(c.params.get("text"))
        ]
        assert lessons_after == []
    assert fake_telegram.rejected == []


async def test_a_learner_who_leaves_mid_quiz_gets_the_lesson_at_a_small_scale(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    """The real clock and job queue at QUIZBOT_FOLLOWUP_DELAY_SCALE 0.00002: the relearning
    step (4 h) is 0.29 s and the end of a sitting (30 min) 0.04 s, so a learner who misses an
    item and walks away from the next one gets the lesson within a second or two."""
    scale = {"QUIZBOT_FOLLOWUP_DELAY_SCALE": 0.00002, "QUIZBOT_DISPATCH_INTERVAL": 0.1}
    async with running_bot(fake_telegram, database_url, clock=utc_now, **scale) as bot:
        eve = bot.user(603, "Eve")
        eve.send_text("/lessons")
        status = await eve.wait_for_message("Follow-up lessons are on")
        eve.press(status, "Any time")  # whatever the hour of the test run
        await eve.wait_for_message(lambda m: "• Any time" in str(m.button_texts))
        eve.send_text("/quiz")
        item = await next_item(eve)
        press = await answer(bot, eve, item, right=False)
        await eve.wait_for_answer(press)
        await next_item(eve)  # and Eve leaves, the next question on screen
        lesson = await eve.wait_for_message(LESSON, timeout=10)
        assert _practice_buttons(lesson)
    assert fake_telegram.rejected == []


async def test_a_learner_who_blocked_the_bot_gets_nothing_more(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    clock = FakeClock()
    async with running_bot(fake_telegram, database_url, clock=clock, **FAST) as bot:
        ben = bot.user(602, "Ben")
        ben.send_text("/quiz")
        item = await next_item(ben)
        press = await answer(bot, ben, item, right=False)
        await ben.wait_for_answer(press)
        await next_item(ben)
        fake_telegram.block(602)
        clock.advance(hours=1)
        rows = await _eventually_rows(
            bot, 602, lambda rs: rs and rs[0].status == "cancelled", "the block to cancel"
        )
        assert rows[0].error == "blocked"
        async with bot.runtime.sessions() as session:
            user = (await session.scalars(select(User).where(User.telegram_id == 602))).one()
        assert not user.is_active
        assert user.blocked_at is not None
        refused = [
            c
            for c in fake_telegram.calls_of("sendMessage")
            if str(c.params.get("chat_id")) == "602" and c.status != 200
        ]
        assert [c.status for c in refused if LESSON in str(c.params.get("text"))] == [403]
    assert fake_telegram.rejected == []
