"""A flood from a few accounts: limited per user, and everyone else is served in turn."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db.models import InboxUpdate
from bot.telegram.handlers.learner import INVALID_BUTTON
from bot.telegram.intake import polling
from bot.telegram.intake.flood import SLOW_DOWN_POPUP, SLOW_DOWN_TEXT
from tests.e2e.harness import eventually, running_bot
from tests.fakes import FakeTelegramServer, FakeUser

# Tests run for seconds, so the refill is all but off: what passes is the burst.
LIMIT = {"QUIZBOT_USER_BURST": 5, "QUIZBOT_USER_RATE": 0.001}


def _helps(user: FakeUser) -> int:
    return sum(1 for m in user.messages() if "Commands" in m.content)


def _notices(user: FakeUser) -> int:
    return sum(1 for m in user.messages() if m.content == SLOW_DOWN_TEXT)


async def test_commands_beyond_the_limit_are_dropped_with_one_reply(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url, **LIMIT) as bot:
        eve = bot.user(940, "Eve")
        ana = bot.user(941, "Ana")
        for _ in range(12):
            eve.send_text("/help")
        ana.send_text("/help")
        await ana.wait_for_message("Commands")

        async def settled() -> bool:
            return _helps(eve) == 5 and _notices(eve) == 1

        await eventually(settled, what="five answers and one notice")
        async with bot.runtime.sessions() as session:
            stored = await session.scalar(select(func.count()).select_from(InboxUpdate))
    assert stored == 6, "what was dropped was never stored"
    assert _helps(eve) == 5
    assert _notices(eve) == 1, "told once per burst"
    assert not fake_telegram.rejected


async def test_presses_beyond_the_limit_each_get_a_slow_down_popup(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url, **LIMIT) as bot:
        eve = bot.user(942, "Eve")
        eve.send_text("/help")  # one of the five
        reply = await eve.wait_for_message("Commands")
        presses = [eve.press_data(reply, "zzz") for _ in range(8)]
        answers = [(await eve.wait_for_answer(p)).get("text") for p in presses]
    assert sorted(answers, key=str) == sorted(
        [INVALID_BUTTON] * 4 + [SLOW_DOWN_POPUP] * 4, key=str
    )
    assert _notices(eve) == 0, "a press is answered by its popup, not by a message"


async def test_chats_take_turns_one_update_each(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    # One lane: without turns, Ana would wait for all ten of Eve's updates.
    async with running_bot(fake_telegram, database_url, lanes=1) as bot:
        eve = bot.user(943, "Eve")
        ana = bot.user(944, "Ana")
        for _ in range(10):
            eve.send_text("/help")
        ana.send_text("/help")
        await ana.wait_for_message("Commands", timeout=10)
        served_before = _helps(eve)
        await eventually(lambda: _all_helped(eve, 10), within=10, what="Eve served too")
    assert served_before <= 2, f"Ana waited for {served_before} of Eve's updates"


async def test_a_flood_does_not_fill_the_queue_for_everyone(
    fake_telegram: FakeTelegramServer, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(polling, "MAX_QUEUED", 30)
    async with running_bot(fake_telegram, database_url, **LIMIT) as bot:
        floods = [bot.user(950 + i, f"F{i}") for i in range(4)]
        ana = bot.user(949, "Ana")
        for _ in range(30):
            for user in floods:
                user.send_text("/help")
        ana.send_text("/help")
        await ana.wait_for_message("Commands", timeout=15)
        served_before = sum(_helps(u) for u in floods)
    assert served_before <= 20, "no more than the four bursts went before Ana"


async def _all_helped(user: FakeUser, count: int) -> bool:
    return _helps(user) >= count


async def test_a_khmer_phone_is_told_to_slow_down_in_khmer(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    """A dropped update is never stored, so its notice speaks the phone's language."""
    async with running_bot(fake_telegram, database_url, **LIMIT) as bot:
        sok = bot.user(944, "Sok", language_code="km")
        sok.send_text("/help")  # one of the five
        reply = await sok.wait_for_message("ពាក្យបញ្ជា")  # "Commands"
        presses = [sok.press_data(reply, "zzz") for _ in range(8)]
        answers = [(await sok.wait_for_answer(p)).get("text") for p in presses]
        dara = bot.user(945, "Dara", language_code="km")
        for _ in range(7):
            dara.send_text("/help")
        notice = await dara.wait_for_message("ខ្ញុំបានរំលងសាររបស់អ្នកខ្លះ")  # "I skipped some"
    assert "ប៊ូតុងនេះលែងប្រើបានហើយ។" in answers  # "This button is not valid any more."
    assert "សូមយឺតបន្តិច៖ ខ្ញុំបានរំលងការចុចនោះ។" in answers  # "Slow down a little"
    assert SLOW_DOWN_POPUP not in answers
    assert notice.content != SLOW_DOWN_TEXT
    assert not fake_telegram.rejected
