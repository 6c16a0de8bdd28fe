"""`kill -9` of `quizbot run` mid-quiz: restart on the same database, nothing lost or doubled."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import Answer, InboxUpdate, Item
from tests.e2e.harness import TOKEN, answer_buttons, eventually
from tests.fakes import ChatMessage, FakeTelegramServer, FakeUser

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


class BotProcess:
    """`python -m bot run` against the fake server; killed with SIGKILL on demand."""

    def __init__(self, server: FakeTelegramServer, database_url: str, log: Path) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TELEGRAM_API_URL": server.url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "QUIZBOT_LOG_LEVEL": "WARNING",
        }
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def bot_process(
    fake_telegram: FakeTelegramServer, database_url: str, tmp_path: Path
) -> Iterator[BotProcess]:
    process = BotProcess(fake_telegram, database_url, tmp_path / "bot.log")
    yield process
    process.stop()


def _is_item(message: ChatMessage) -> bool:
    return message.content.startswith("Question ") and bool(answer_buttons(message))


async def _press_right(sessions, user: FakeUser, message: ChatMessage) -> str:  # type: ignore[no-untyped-def]
    data = str(answer_buttons(message)[0]["callback_data"])
    kind, attempt, item_id, _ = data.split(":")
    async with sessions() as session:
        item = await session.get_one(Item, int(item_id))
    correct = [i for i, o in enumerate(item.options) if o["correct"]]
    if kind == "ans":
        choice = f"ans:{attempt}:{item_id}:{correct[0]}"
    else:
        choice = f"sub:{attempt}:{item_id}:{sum(1 << i for i in correct):x}"
    user.press_data(message, choice)
    return item_id


async def test_kill_9_mid_quiz_loses_nothing_and_counts_nothing_twice(
    fake_telegram: FakeTelegramServer, database_url: str, bot_process: BotProcess
) -> None:
    rng = random.Random(7)
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        bot_process.start()
        ana = fake_telegram.user(701, "Ana")
        ana.send_text("/quiz")
        item = await ana.wait_for_message(_is_item, timeout=60)
        pressed: list[str] = []
        kills = 0
        for number in range(1, 16):
            pressed.append(await _press_right(sessions, ana, item))
            if number % 2 == 1:
                # Kill at a random moment between the press and its feedback.
                await asyncio.sleep(rng.uniform(0.0, 0.15))
                bot_process.kill()
                kills += 1
                bot_process.start()
            # After a crash the learner may get a message twice (at-least-once sending), but
            # never an answer counted twice: wait for the next question, whichever copy.
            following = f"Question {number + 1} of"
            message = await ana.wait_for_message(
                lambda m, q=following: (
                    (_is_item(m) and m.content.startswith(q)) or "Round done" in m.content
                ),
                timeout=60,
            )
            if "Round done" in message.content:
                ana.press(message, "Continue ▶")
                message = await ana.wait_for_message(
                    lambda m, q=following: _is_item(m) and m.content.startswith(q), timeout=60
                )
            item = message

        async def all_processed() -> bool:
            async with sessions() as session:
                left = await session.scalar(
                    select(func.count())
                    .select_from(InboxUpdate)
                    .where(InboxUpdate.processed_at.is_(None))
                )
            return left == 0

        # The next item is sent just before its update is marked processed.
        await eventually(all_processed, what="every stored update processed")
        async with sessions() as session:
            answers = (await session.scalars(select(Answer).order_by(Answer.id))).all()
        assert [str(a.item_id) for a in answers] == pressed
        assert all(a.correct for a in answers)
        assert kills == 8
    finally:
        await engine.dispose()
    # A press redelivered after a crash is shown again: its callback may have been answered
    # and its message (text or buttons) edited before the kill. Those repeats are the only
    # calls Telegram refuses here, and they are harmless.
    expected = {
        ("answerCallbackQuery", "query is too old"),
        ("editMessageText", "message is not modified"),
        ("editMessageReplyMarkup", "message is not modified"),
    }
    for call in fake_telegram.rejected:
        assert any(
            call.method == method and text in call.response["description"]
            for method, text in expected
        ), call
