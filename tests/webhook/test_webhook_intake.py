"""The webhook's intake: an update that cannot be stored is answered 200, not retried forever."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.models import InboxUpdate
from bot.telegram.intake import retention
from tests.fakes import FakeTelegramServer
from tests.fakes.clock import FakeClock
from tests.webhook.harness import eventually, post_update, running_webhook

ANSWERED_WITHIN = 5.0


def _message(update_id: int, chat_id: int) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Bo"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Bo"},
            "from": user,
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


async def test_users_whose_updates_a_database_refuses_do_not_hold_up_the_others(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_webhook(fake_telegram, database_url) as bot:
        eve = fake_telegram.user(911, "E\x00ve")
        mal = fake_telegram.user(912, "Mal\ud800")
        ana = fake_telegram.user(913, "Ana")
        # Telegram posts one update at a time: one refused forever would block the rest.
        eve.send_text("/start")
        mal.send_text("/start")
        ana.send_text("/start")
        await ana.wait_for_message("Hi Ana", timeout=ANSWERED_WITHIN)
        await eve.wait_for_message("Hi Eve", timeout=ANSWERED_WITHIN)
        await mal.wait_for_message("Hi Mal\ufffd", timeout=ANSWERED_WITHIN)
        assert [d.status for d in fake_telegram.webhook_deliveries] == [200, 200, 200]

        # A chat id no BIGINT holds: no cleaning mends it, so it is kept as failed.
        assert await post_update(bot.url, _message(50, 2**64)) == 200

        async def failed_row() -> InboxUpdate | None:
            async with bot.runtime.sessions() as session:
                row = await session.get(InboxUpdate, 50)
            return row

        row = await eventually(failed_row, 5, "the refused update kept as failed")
        assert row.processed_at is not None
        assert row.error is not None
        assert row.error.startswith("not stored:")
        async with bot.runtime.sessions() as session:
            rows = (await session.scalars(select(InboxUpdate))).all()
        assert sum(1 for r in rows if r.error is None and r.processed_at is not None) == 3
    assert not fake_telegram.rejected


async def test_processed_updates_are_pruned_while_the_worker_runs_and_copies_still_ignored(
    fake_telegram: FakeTelegramServer, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "PRUNE_FIRST", 0.05)
    monkeypatch.setattr(retention, "PRUNE_EVERY", 0.1)
    clock = FakeClock()
    async with running_webhook(fake_telegram, database_url, clock=clock) as bot:
        assert await post_update(bot.url, _message(60, 931)) == 200
        bo = fake_telegram.user(931, "Bo")
        await bo.wait_for_message("Commands")

        async def rows() -> list[InboxUpdate]:
            async with bot.runtime.sessions() as session:
                return list((await session.scalars(select(InboxUpdate))).all())

        await eventually(lambda: _done(rows), 5, "the update processed")
        clock.advance(hours=25)

        async def pruned() -> bool:
            return not await rows()

        await eventually(pruned, 5, "the processed update pruned, with no restart")
        # Telegram posts it again: answered 200, and not handled twice.
        assert await post_update(bot.url, _message(60, 931)) == 200
        await asyncio.sleep(0.3)
        assert bot.worker.busy == 0
        assert not await rows()
        assert sum(1 for m in bo.messages() if "Commands" in m.content) == 1


async def _done(rows: Any) -> bool:
    found = await rows()
    return bool(found) and all(r.processed_at is not None for r in found)
