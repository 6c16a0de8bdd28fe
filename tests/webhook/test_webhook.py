"""`quizbot webhook` in-process: the secret, once-only processing, health, metrics, shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from sqlalchemy import func, select

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import InboxUpdate
from tests.e2e.test_learner_flow import answer, next_item
from tests.fakes import FakeTelegramServer
from tests.webhook.harness import HEADER, SECRET, eventually, post_update, running_webhook


def _start_update(update_id: int, user_id: int = 799) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "Ana"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Ana"},
            "from": user,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def _inbox_rows(bot: object) -> int:
    async with bot.runtime.sessions() as session:  # type: ignore[attr-defined]
        return int(await session.scalar(select(func.count()).select_from(InboxUpdate)) or 0)


async def test_set_webhook_carries_secret_allowed_updates_and_max_connections(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_webhook(
        fake_telegram, database_url, QUIZBOT_WEBHOOK_MAX_CONNECTIONS=12
    ) as bot:
        hook = fake_telegram.webhook
        assert hook is not None
        assert hook.url == bot.url
        assert hook.secret_token == SECRET
        assert hook.max_connections == 12
        assert hook.allowed_updates == ["message", "callback_query", "my_chat_member"]
    assert not fake_telegram.rejected


async def test_wrong_or_missing_secret_is_refused_and_nothing_stored(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_webhook(fake_telegram, database_url) as bot:
        assert await post_update(bot.url, _start_update(90), secret=None) == 403
        assert await post_update(bot.url, _start_update(91), secret="wrong") == 403
        assert await post_update(bot.url, _start_update(92), secret=SECRET + "x") == 403
        assert await _inbox_rows(bot) == 0
        assert not fake_telegram.calls_of("sendMessage")


async def test_malformed_posts_get_400(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_webhook(fake_telegram, database_url) as bot:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with aiohttp.ClientSession() as http:
            for body in (b"not json", b"[]", b'{"message": {}}', b'{"update_id": "x"}'):
                async with http.post(bot.url, data=body, headers=headers) as response:
                    assert response.status == 400, body
        assert await _inbox_rows(bot) == 0


async def test_bad_bodies_get_400_and_never_500(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    deep = b'{"update_id": 5, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    nested = b'{"update_id": 6, "x": ' + b"[" * 200 + b"]" * 200 + b"}"
    bodies = [
        b"\xff\xfe\x00garbage",  # not UTF-8
        b'{"update_id": 7, "x": NaN}',  # Python reads it; JSON and PostgreSQL do not
        b'{"update_id": 8, "x": Infinity}',
        deep,  # would raise RecursionError in the parser
        nested,  # parses, but no Telegram update is nested that deep
        b'{"update_id": 9223372036854775808}',  # beyond int64
        b'{"update_id": -1}',
        b'{"update_id": 1.5}',
        b'{"update_id": true}',
        b'{"update_id": "10"}',
    ]
    async with running_webhook(fake_telegram, database_url) as bot:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with aiohttp.ClientSession() as http:
            for body in bodies:
                async with http.post(bot.url, data=body, headers=headers) as response:
                    assert response.status == 400, body[:60]
        assert await _inbox_rows(bot) == 0
        # The worker is none the worse for them.
        assert await post_update(bot.url, _start_update(11, user_id=798)) == 200
        await fake_telegram.user(798, "Ana").wait_for_message("Hi Ana")


async def test_a_body_over_the_cap_gets_413_without_being_read(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_webhook(fake_telegram, database_url) as bot:
        port = int(bot.base_url.rsplit(":", 1)[1])
        # Announced too large: refused at once, though not a byte of the body was sent.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(
                b"POST /telegram HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: application/json\r\n"
                + f"{HEADER}: {SECRET}\r\n".encode()
                + b"Content-Length: 50000000\r\n\r\n"
            )
            await writer.drain()
            status_line = await asyncio.wait_for(reader.readline(), timeout=5)
        finally:
            writer.close()
        assert status_line.split()[1] == b"413", status_line

        # Not announced (chunked): read only up to the cap.
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"update_id": 12, "x": "'
            for _ in range(40):
                yield b"a" * 65_536
            yield b'"}'

        headers = {HEADER: SECRET, "Content-Type": "application/json"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(bot.url, data=chunks(), headers=headers) as response,
        ):
            assert response.status == 413
        assert await _inbox_rows(bot) == 0


async def test_an_update_posted_twice_is_processed_once(database_url: str) -> None:
    # No automatic delivery: the test posts each update itself, twice at the same time.
    async with (
        FakeTelegramServer(webhook_auto_delivery=False) as server,
        running_webhook(server, database_url) as bot,
    ):
        ana = server.user(701, "Ana")
        ana.send_text("/start")
        first = server.pending_updates[-1]
        statuses = await asyncio.gather(
            server.deliver_to_webhook(first), server.deliver_to_webhook(first)
        )
        assert statuses == [200, 200]
        await ana.wait_for_message("Hi Ana")
        # Redelivered later (Telegram missed the 200): still once.
        assert await server.deliver_to_webhook(first) == 200
        ana.send_text("/help")
        assert await server.deliver_to_webhook(server.pending_updates[-1]) == 200
        await eventually(lambda: bot.worker.busy == 0 and len(ana.messages()) >= 2, 5, "/help")
        greetings = [m for m in ana.messages() if m.from_bot and "Hi Ana" in m.content]
        assert len(greetings) == 1
        async with bot.runtime.sessions() as session:
            rows = (await session.scalars(select(InboxUpdate))).all()
        assert len(rows) == 2
        assert all(r.processed_at is not None and r.error is None for r in rows)
        assert [r.tries for r in rows] == [1, 1]
        assert not server.rejected


async def test_learner_plays_through_the_webhook(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_webhook(fake_telegram, database_url) as bot:
        ana = fake_telegram.user(601, "Ana")
        ana.send_text("/quiz")
        item = await next_item(ana)
        press = await answer(bot, ana, item, right=True)  # type: ignore[arg-type]
        popup = await ana.wait_for_answer(press)
        assert popup.get("text") == "✅ Right!"
        await next_item(ana)
    assert not fake_telegram.rejected
    assert all(d.status == 200 for d in fake_telegram.webhook_deliveries)


async def test_health_readiness_and_metrics(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    # One 502: retried, and counted as a Telegram error of kind "network".
    fake_telegram.faults.add("sendMessage", "server_error", status=502, chat_id=602)
    async with running_webhook(fake_telegram, database_url) as bot:
        ana = fake_telegram.user(602, "Ana")
        ana.send_text("/start")
        await ana.wait_for_message("Hi Ana")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{bot.base_url}/healthz") as response:
                assert response.status == 200
            async with http.get(f"{bot.base_url}/readyz") as response:
                assert response.status == 200
            async with http.get(f"{bot.base_url}/metrics") as response:
                assert response.status == 200
                text = await response.text()
            async with http.get(f"{bot.base_url}/telegram") as response:
                assert response.status == 405, "the webhook path takes POST only"
        for name in (
            'quizbot_updates_handled_total{outcome="ok"}',
            "quizbot_update_handler_seconds_bucket",
            'quizbot_followups{status="pending"}',
            'quizbot_followups{status="sent"}',
            'quizbot_followups{status="failed"}',
            "quizbot_inbox_unprocessed_updates",
            'quizbot_telegram_requests_total{method="sendMessage"}',
            'quizbot_webhook_requests_total{status="200"}',
            'quizbot_telegram_errors_total{kind="network"}',
        ):
            assert name in text, name


async def test_readyz_fails_when_the_database_is_gone(
    fake_telegram: FakeTelegramServer, sqlite_url: str
) -> None:
    async with running_webhook(fake_telegram, sqlite_url) as bot:
        # The database goes away: the worker's sessions now open a file that cannot exist.
        engine = make_engine("sqlite:////nonexistent-dir/quizbot.db")
        object.__setattr__(bot.runtime, "sessions", make_sessionmaker(engine))
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"{bot.base_url}/readyz") as response,
            ):
                assert response.status == 503
                assert "database" in await response.text()
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"{bot.base_url}/healthz") as response,
            ):
                assert response.status == 200, "the process itself is alive"
            status = await post_update(bot.url, _start_update(77))
            assert status == 503, "an update that could not be stored is not confirmed"
        finally:
            await engine.dispose()


async def test_graceful_shutdown_finishes_updates_in_progress(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    fake_telegram.faults.add("sendMessage", "delay", seconds=1.5, chat_id=603)
    async with running_webhook(fake_telegram, database_url) as bot:
        ana = fake_telegram.user(603, "Ana")
        ana.send_text("/start")
        await eventually(lambda: bot.worker.busy > 0, 5, "the update to start")
        bot.stop.set()  # as SIGTERM does; leaving the block waits for the worker to exit
    greetings = fake_telegram.calls_of("sendMessage")
    assert greetings, "the greeting went out before the exit"
    assert greetings[0].status == 200
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            row = (await session.scalars(select(InboxUpdate))).one()
        assert row.processed_at is not None
    finally:
        await engine.dispose()
