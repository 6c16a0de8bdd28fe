"""The poller's intake: what cannot be stored never stops the bot for everyone else."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.db.models import InboxUpdate
from tests.e2e.harness import eventually, running_bot
from tests.fakes import FakeTelegramServer

ANSWERED_WITHIN = 5.0  # seconds: what "at once" means on a loaded test machine


async def test_users_whose_updates_a_database_refuses_do_not_hold_up_the_others(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url) as bot:
        eve = bot.user(901, "E\x00ve")  # PostgreSQL holds no NUL, in jsonb or in text
        mal = bot.user(902, "Mal\ud800")  # nor half of a surrogate pair
        ana = bot.user(903, "Ana")
        eve.send_text("/start")
        mal.send_text("/start")
        ana.send_text("/start")
        await ana.wait_for_message("Hi Ana", timeout=ANSWERED_WITHIN)
        # The refused ones are served too, from a cleaned copy.
        await eve.wait_for_message("Hi Eve", timeout=ANSWERED_WITHIN)
        await mal.wait_for_message("Hi Mal\ufffd", timeout=ANSWERED_WITHIN)

        # An update_id no inbox can store: dropped with a log line, and polling goes on.
        odd = fake_telegram.enqueue_update(
            {
                "update_id": 2**63,
                "message": {
                    "message_id": 99,
                    "date": 0,
                    "chat": {"id": 903, "type": "private"},
                    "from": ana.info,
                    "text": "/help",
                },
            }
        )
        await eventually(
            lambda: _confirmed(fake_telegram, odd["update_id"]), what="the odd update confirmed"
        )
        await asyncio.sleep(0.2)
        assert bot._task is not None
        assert not bot._task.done(), "the poller is still running"
        async with bot.runtime.sessions() as session:
            rows = (await session.scalars(select(InboxUpdate))).all()
        assert len(rows) == 3
        assert all(r.processed_at is not None and r.error is None for r in rows)
    assert fake_telegram.rejected == []


async def _confirmed(server: FakeTelegramServer, update_id: int) -> bool:
    # Telegram forgets an update when a getUpdates asks for a later offset.
    return server.is_polling and all(u["update_id"] != update_id for u in server.pending_updates)
