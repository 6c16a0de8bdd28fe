"""The poller's in-memory queues: per-chat order, no duplicates, and a bounded backlog."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.db.models import InboxUpdate
from bot.telegram.intake import polling
from tests.e2e.harness import BotHarness, eventually, running_bot
from tests.fakes import FakeTelegramServer

NOTHING_YET = "You have not answered anything yet"


async def test_a_full_queue_pauses_fetching_and_loses_nothing(
    fake_telegram: FakeTelegramServer, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With room for two waiting updates, 24 updates from 8 chats go through in many fetches.
    monkeypatch.setattr(polling, "MAX_QUEUED", 2)
    async with running_bot(fake_telegram, database_url) as bot:
        users = [bot.user(700 + i, f"U{i}") for i in range(8)]
        for user in users:
            user.send_text("/help")
            user.send_text("/score")
            user.send_text("/help")

        async def all_processed() -> bool:
            async with bot.runtime.sessions() as session:
                left = await session.scalar(
                    select(func.count())
                    .select_from(InboxUpdate)
                    .where(InboxUpdate.processed_at.is_(None))
                )
                total = await session.scalar(select(func.count()).select_from(InboxUpdate))
            return left == 0 and total == 24

        await eventually(all_processed, within=30, what="every update processed")
        for user in users:
            replies = [m.content for m in user.messages()]
            kinds = ["help" if "Commands" in r else "score" for r in replies]
            # Each chat's updates once each, in the order they were sent.
            assert kinds == ["help", "score", "help"], replies
            assert NOTHING_YET in replies[1]
        assert len(fake_telegram.calls_of("getUpdates")) >= 12
    assert fake_telegram.rejected == []


async def test_stopping_with_a_full_queue_keeps_the_rest_for_the_next_start(
    fake_telegram: FakeTelegramServer, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(polling, "MAX_QUEUED", 1)
    # Slow replies keep the queue full while the bot is asked to stop.
    fake_telegram.faults.add("sendMessage", "delay", times=None, seconds=0.3)
    users = [fake_telegram.user(760 + i, f"U{i}") for i in range(3)]
    async with asyncio.timeout(15):
        async with running_bot(fake_telegram, database_url) as bot:
            for user in users:
                user.send_text("/help")
                user.send_text("/help")
            await eventually(lambda: _stored(bot, 1), within=5, what="the first update stored")
        # Stopped without hanging; what was stored and not handled is still unprocessed.
    fake_telegram.faults.clear()
    async with running_bot(fake_telegram, database_url) as bot:

        async def all_replied() -> bool:
            return all(len(user.messages()) >= 2 for user in users)

        await eventually(all_replied, within=15, what="every /help answered")
        await eventually(lambda: _unprocessed(bot, 0), within=5, what="every update marked")
    for user in users:
        # Each once: what the first run handled is not handled again after the restart.
        assert [("Commands" in m.content) for m in user.messages()] == [True, True]


async def _stored(bot: BotHarness, at_least: int) -> bool:
    async with bot.runtime.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(InboxUpdate))
    return (count or 0) >= at_least


async def _unprocessed(bot: BotHarness, expected: int) -> bool:
    async with bot.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.processed_at.is_(None))
        )
    return count == expected
