"""When something breaks inside, the user gets a short apology and the log the details."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text
from telegram.ext import CommandHandler

from bot.db.models import InboxUpdate
from bot.domain.errors import UnknownCohortError
from bot.telegram.app import APOLOGY
from tests.e2e.harness import running_bot
from tests.fakes import FakeTelegramServer


async def test_a_failing_handler_apologises_and_logs_the_update(
    fake_telegram: FakeTelegramServer, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(fake_telegram, sqlite_url) as bot:
        ana = bot.user(801)
        ana.send_text("/start")
        await ana.wait_for_message("Hi")
        # Break the database under the bot: /score can no longer read skill states.
        async with bot.runtime.engine.begin() as connection:
            await connection.execute(text("ALTER TABLE skill_states RENAME TO broken"))
        ana.send_text("/score")
        reply = await ana.wait_for_message()
        async with bot.runtime.sessions() as session:
            rows = (await session.scalars(select(InboxUpdate))).all()
        update_id = next(r.update_id for r in rows if "/score" in str(r.payload))

    assert reply.content == APOLOGY
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in failures] == [f"update {update_id} failed"]
    assert failures[0].exc_info is not None
    assert fake_telegram.rejected == []


async def test_a_domain_error_that_escapes_a_handler_gets_its_words_not_an_apology(
    fake_telegram: FakeTelegramServer, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def refer_to_a_gone_cohort(update: object, context: object) -> None:
        raise UnknownCohortError("Gone123")

    async with running_bot(fake_telegram, sqlite_url) as bot:
        # A handler of its own that lets a domain error escape, ahead of the bot's handlers.
        bot.app.add_handler(CommandHandler("gone", refer_to_a_gone_cohort), group=-2)
        ana = bot.user(802)
        ana.send_text("/gone")
        reply = await ana.wait_for_message("There is no cohort")

    assert reply.content == "There is no cohort with the code 'Gone123'."
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert fake_telegram.rejected == []
