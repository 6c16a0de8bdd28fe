"""The poller's intake: what cannot be stored never stops the bot for everyone else."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import InboxUpdate
from bot.services import update_store
from bot.telegram.intake import retention
from tests.e2e.harness import BotHarness, eventually, running_bot
from tests.fakes import FakeTelegramServer, FakeUser
from tests.fakes.clock import FakeClock

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


# ------------------------------------------------------------------ tries and restarts


async def test_quick_restarts_give_up_no_update_that_was_never_tried(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    ana = fake_telegram.user(920, "Ana")
    for _ in range(6):
        ana.send_text("/help")
    # Slow replies: each run gets through one update before it is stopped.
    fake_telegram.faults.add("sendMessage", "delay", times=None, seconds=0.3, chat_id=920)
    for run in range(1, 4):
        async with running_bot(fake_telegram, database_url):
            await eventually(_replied(ana, run), within=10, what=f"reply {run}")
    fake_telegram.faults.clear()
    async with running_bot(fake_telegram, database_url) as bot:
        await eventually(_replied(ana, 6), within=10, what="every /help answered")
        await eventually(lambda: _all_processed(bot), what="every update marked")
        async with bot.runtime.sessions() as session:
            rows = (await session.scalars(select(InboxUpdate))).all()
    assert [r.error for r in rows] == [None] * 6
    assert [r.tries for r in rows] == [1] * 6, "each counted once: when it was processed"
    assert _help_replies(ana) == 6


async def test_a_try_is_on_record_while_the_update_is_processed(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    """A crash mid-update must find the try counted, or a poison update loops forever."""
    ana = fake_telegram.user(921, "Ana")
    fake_telegram.faults.add("sendMessage", "delay", times=1, seconds=3, chat_id=921)
    ana.send_text("/help")
    async with running_bot(fake_telegram, database_url) as bot:

        async def sending() -> bool:
            return not fake_telegram.faults.active()  # taken: the reply is held

        await eventually(sending, what="the reply on its way")

        async def tried_once() -> bool:
            async with bot.runtime.sessions() as session:
                row = (await session.scalars(select(InboxUpdate))).one()
            return row.tries == 1 and row.processed_at is None

        await eventually(tried_once, what="the try recorded while processing")
        fake_telegram.faults.clear()


async def test_an_update_tried_three_times_is_given_up(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    ana = fake_telegram.user(922, "Ana")
    ana.send_text("/help")
    async with running_bot(fake_telegram, database_url) as bot:
        await ana.wait_for_message("Commands")
        await eventually(lambda: _all_processed(bot), what="marked")
        async with bot.runtime.sessions() as session:
            row = (await session.scalars(select(InboxUpdate))).one()
            # As if it had killed the process three times.
            row.processed_at, row.tries = None, 3
            await session.commit()
    async with running_bot(fake_telegram, database_url) as bot:
        await eventually(lambda: _all_processed(bot), what="given up")
        async with bot.runtime.sessions() as session:
            row = (await session.scalars(select(InboxUpdate))).one()
    assert row.error == "given up after 3 tries"
    assert row.tries == 3
    assert _help_replies(ana) == 1, "not handled a fourth time"


def _replied(user: FakeUser, replies: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return _help_replies(user) >= replies

    return check


def _help_replies(user: object) -> int:
    return sum(1 for m in user.messages() if "Commands" in m.content)  # type: ignore[attr-defined]


async def _all_processed(bot: BotHarness) -> bool:
    async with bot.runtime.sessions() as session:
        left = await session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.processed_at.is_(None))
        )
    return left == 0


# ------------------------------------------------------------------------ retention


async def test_processed_updates_are_pruned_while_the_bot_runs_and_copies_still_ignored(
    fake_telegram: FakeTelegramServer, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "PRUNE_FIRST", 0.05)
    monkeypatch.setattr(retention, "PRUNE_EVERY", 0.1)
    clock = FakeClock()
    async with running_bot(fake_telegram, database_url, clock=clock) as bot:
        ana = bot.user(930, "Ana")
        ana.send_text("/help")
        await ana.wait_for_message("Commands")
        await eventually(lambda: _all_processed(bot), what="marked")
        update_id = (await _rows(bot))[0].update_id
        clock.advance(hours=23)
        await asyncio.sleep(0.5)
        assert len(await _rows(bot)) == 1, "kept for QUIZBOT_UPDATE_RETENTION_HOURS (24)"
        clock.advance(hours=2)

        async def pruned() -> bool:
            return not await _rows(bot)

        await eventually(pruned, what="the processed update pruned, with no restart")
        # Telegram sends it again (its confirmation was lost): it is not handled twice.
        fake_telegram.redeliver(update_id)
        await eventually(lambda: _taken(fake_telegram), what="the copy fetched")
        await asyncio.sleep(0.3)
        assert _help_replies(ana) == 1
        assert not await _rows(bot)


async def _rows(bot: BotHarness) -> list[InboxUpdate]:
    async with bot.runtime.sessions() as session:
        return list((await session.scalars(select(InboxUpdate))).all())


async def _taken(server: FakeTelegramServer) -> bool:
    return server.is_polling and not server.pending_updates


async def test_an_outage_is_waited_out_and_loses_nothing(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    """Unlike refused data, an unreachable database is retried: the update waits in Telegram."""
    gone = make_engine(
        "postgresql://postgres@127.0.0.1:1/gone"  # connection refused
        if database_url.startswith("postgresql")
        else "sqlite:////nonexistent-dir/quizbot.db"
    )
    async with running_bot(fake_telegram, database_url) as bot:
        ana = bot.user(932, "Ana")
        ana.send_text("/help")
        await ana.wait_for_message("Commands")
        sessions = bot.runtime.sessions
        object.__setattr__(bot.runtime, "sessions", make_sessionmaker(gone))
        try:
            ana.send_text("/help")
            await asyncio.sleep(2.0)  # a few tries, with backoff
            assert _help_replies(ana) == 1
            assert len(fake_telegram.pending_updates) == 1, "not confirmed: not stored"
        finally:
            object.__setattr__(bot.runtime, "sessions", sessions)
            await gone.dispose()
        await eventually(_replied(ana, 2), within=10, what="the reply once it is back")
        await eventually(lambda: _all_processed(bot), what="marked")
        rows = await _rows(bot)
    assert [r.error for r in rows] == [None, None]
    assert fake_telegram.pending_updates == []


async def test_a_stored_update_that_cannot_be_read_is_given_up_after_three_tries(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    broken = {"update_id": 7, "message": {"message_id": 1, "chat": "not a chat"}}
    async with running_bot(fake_telegram, database_url) as bot, bot.runtime.sessions() as db:
        await update_store.store_updates(db, [broken], now=bot.runtime.clock())  # a leftover
    async with running_bot(fake_telegram, database_url) as bot:
        await eventually(lambda: _all_processed(bot), within=15, what="given up")
        rows = await _rows(bot)
    assert [(r.tries, r.error) for r in rows] == [(3, "given up after 3 tries")]
