"""The real bot, in-process, polling the fake Bot API server over HTTP.

`BotHarness` builds the same Application as `quizbot run` (handlers, rate limiter, inbox
poller) on a real database, starts it against a `FakeTelegramServer`, and stops it cleanly.
Tests drive simulated users through the server and read what they would see.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import InboxUpdate
from bot.domain.clock import Clock
from bot.runtime import Runtime
from bot.services.quizzes import ensure_bundled_quizzes
from bot.telegram.app import QuizApplication, build_application, start_serving
from bot.telegram.intake.polling import InboxPoller
from bot.telegram.limiter import RetryingRateLimiter
from tests.db_support import TRAINING_QUIZ_DIR
from tests.fakes import ChatMessage, FakeTelegramServer, FakeUser
from tests.fakes.clock import FakeClock

TOKEN = "123456:TEST-TOKEN"


@dataclass
class BotHarness:
    """A running bot and the fake server it talks to."""

    server: FakeTelegramServer
    runtime: Runtime
    app: QuizApplication
    poller: InboxPoller
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def user(self, user_id: int, first_name: str = "Ana", **kwargs: Any) -> FakeUser:
        return self.server.user(user_id, first_name=first_name, **kwargs)


def make_settings(database_url: str, server_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": server_url,
        "QUIZBOT_ROUND_SIZE": 5,
        "QUIZBOT_QUIZ_DIR": TRAINING_QUIZ_DIR,
    }
    values.update(overrides)
    return Settings(**values)


@contextlib.asynccontextmanager
async def running_bot(
    server: FakeTelegramServer,
    database_url: str,
    *,
    clock: Clock | None = None,
    limiter: RetryingRateLimiter | None = None,
    lanes: int | None = None,
    **settings: Any,
) -> AsyncIterator[BotHarness]:
    """Start the bot against the fake server; stop it (and wait for it) on exit."""
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    clock = clock or FakeClock()
    runtime = Runtime(
        settings=make_settings(database_url, server.url, **settings),
        engine=engine,
        sessions=sessions,
        clock=clock,
    )
    async with sessions() as session:
        await ensure_bundled_quizzes(session, TRAINING_QUIZ_DIR, now=clock())
    app = build_application(
        runtime, token=TOKEN, rate_limiter=limiter or RetryingRateLimiter(backoff=0.05)
    )
    poller = InboxPoller(app, runtime, lanes=lanes)
    harness = BotHarness(server=server, runtime=runtime, app=app, poller=poller)
    try:
        async with app:
            await start_serving(app)
            harness._task = asyncio.create_task(harness.poller.run(harness._stop))
            try:
                yield harness
            finally:
                harness._stop.set()
                await asyncio.wait_for(harness._task, timeout=10)
                await app.stop()
    finally:
        await engine.dispose()


def answer_buttons(message: ChatMessage) -> list[dict[str, Any]]:
    """The answer buttons of an item message (not Submit)."""
    return [
        b
        for row in message.buttons
        for b in row
        if str(b.get("callback_data", "")).startswith(("ans:", "tog:"))
    ]


async def eventually(
    check: Callable[[], Awaitable[bool]], within: float = 5.0, what: str = "condition"
) -> None:
    """Poll an async condition until it holds, failing the test after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def update_processed(bot: BotHarness, update_id: int) -> bool:
    """Whether the inbox has processed an update."""
    async with bot.runtime.sessions() as session:
        row = await session.get(InboxUpdate, update_id)
        return row is not None and row.processed_at is not None
