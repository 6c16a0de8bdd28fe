"""The poller's in-memory queues: per-chat order, no duplicates, and a bounded backlog."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db.models import InboxUpdate
from bot.telegram import inbox as poller_module
from tests.e2e.harness import eventually, running_bot
from tests.fakes import FakeTelegramServer

NOTHING_YET = "You have not answered anything yet"


async def test_a_full_queue_pauses_fetching_and_loses_nothing(
    fake_telegram: FakeTelegramServer, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With room for two waiting updates, 24 updates from 8 chats go through in many fetches.
    monkeypatch.setattr(poller_module, "MAX_QUEUED", 2)
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
