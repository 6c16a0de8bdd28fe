"""A flood through the webhook: limited per user before storing, chats served in turn."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import InboxUpdate
from bot.telegram.handlers.learner import INVALID_BUTTON
from bot.telegram.intake.flood import SLOW_DOWN_POPUP, SLOW_DOWN_TEXT
from tests.fakes import FakeTelegramServer, FakeUser
from tests.webhook.harness import eventually, running_webhook

LIMIT = {"QUIZBOT_USER_BURST": 5, "QUIZBOT_USER_RATE": 0.001}


def _helps(user: FakeUser) -> int:
    return sum(1 for m in user.messages() if "Commands" in m.content)


def _notices(user: FakeUser) -> int:
    return sum(1 for m in user.messages() if m.content == SLOW_DOWN_TEXT)


async def test_commands_and_presses_beyond_the_limit_are_dropped_and_told(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_webhook(fake_telegram, database_url, **LIMIT) as bot:
        eve = fake_telegram.user(960, "Eve")
        ana = fake_telegram.user(961, "Ana")
        for _ in range(12):
            eve.send_text("/help")
        ana.send_text("/help")
        await ana.wait_for_message("Commands", timeout=10)
        await eventually(
            lambda: _helps(eve) == 5 and _notices(eve) == 1, 10, "five answers, one notice"
        )
        reply = next(m for m in eve.messages() if "Commands" in m.content)
        presses = [eve.press_data(reply, "zzz") for _ in range(3)]
        answers = [(await eve.wait_for_answer(p)).get("text") for p in presses]
        async with bot.runtime.sessions() as session:
            stored = await session.scalar(select(func.count()).select_from(InboxUpdate))
    assert answers == [SLOW_DOWN_POPUP] * 3
    assert INVALID_BUTTON not in answers
    assert stored == 6, "what was dropped was never stored"
    assert all(d.status == 200 for d in fake_telegram.webhook_deliveries)
    assert _notices(eve) == 1


async def test_chats_take_turns_one_update_each(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    fake_telegram.faults.add("sendMessage", "delay", times=None, seconds=0.1, chat_id=962)
    async with running_webhook(fake_telegram, database_url, QUIZBOT_WEBHOOK_LANES=1):
        eve = fake_telegram.user(962, "Eve")
        ana = fake_telegram.user(963, "Ana")
        for _ in range(10):
            eve.send_text("/help")
        ana.send_text("/help")
        await ana.wait_for_message("Commands", timeout=10)
        served_before = _helps(eve)
        await eventually(lambda: _helps(eve) == 10, 15, "Eve served too")
    assert served_before <= 2, f"Ana waited for {served_before} of Eve's updates"
