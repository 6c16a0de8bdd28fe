"""What a webhook worker logs when things fail holds no learner's name or words, no token, no
secret: the database refuses to store an update, then a handler fails on it."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.db.models import InboxUpdate
from bot.logging_setup import configure_logging
from tests.e2e.harness import TOKEN
from tests.fakes import FakeTelegramServer
from tests.webhook.harness import SECRET, eventually, post_update, running_webhook

NAME, SURNAME = "Zoltan", "Privatename"
WORDS = "my diary says meet me at Elm Street"


def _update(update_id: int, user_id: int = 4711) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": NAME, "last_name": SURNAME}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": NAME},
            "from": user,
            "text": WORDS,
        },
    }


@pytest.fixture
def logs(level: str) -> Iterator[io.StringIO]:
    """Configure logging as `quizbot webhook` does, at the given level; capture it."""
    root = logging.getLogger()
    watched = ("telegram", "httpx", "httpcore", "alembic")
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in watched})
    configure_logging(
        Settings(
            TELEGRAM_BOT_TOKEN=TOKEN,
            QUIZBOT_WEBHOOK_SECRET=SECRET,
            QUIZBOT_LOG_LEVEL=level,
        )
    )
    stream = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        yield stream
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


async def _refuse_inserts(engine: AsyncEngine, table: str) -> None:
    """Make the database refuse every new row of a table, as a broken database might."""
    async with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            await connection.execute(
                text(
                    f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
            )
            return
        await connection.execute(
            text(
                "CREATE OR REPLACE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
            )
        )
        await connection.execute(
            text(
                f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_row()"
            )
        )


async def _allow_inserts(engine: AsyncEngine, table: str) -> None:
    async with engine.begin() as connection:
        on = "" if connection.dialect.name == "sqlite" else f" ON {table}"
        await connection.execute(text(f"DROP TRIGGER refuse_{table}{on}"))


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_failures_log_no_names_words_token_or_secret(
    fake_telegram: FakeTelegramServer, database_url: str, level: str, logs: io.StringIO
) -> None:
    async with running_webhook(fake_telegram, database_url) as bot:
        engine = bot.runtime.engine
        # The inbox cannot store the update. SQLite's trigger refuses it as bad data: kept
        # as failed, and Telegram is told it arrived. PostgreSQL's raises an error that is
        # no verdict on the data, so Telegram is told to send it again.
        sqlite = engine.dialect.name == "sqlite"
        await _refuse_inserts(engine, "inbox_updates")
        assert await post_update(bot.url, _update(5001)) == (200 if sqlite else 503)
        await _allow_inserts(engine, "inbox_updates")

        # Stored, but the handlers fail on it: the learner cannot be recorded.
        await _refuse_inserts(engine, "users")
        assert await post_update(bot.url, _update(5002)) == 200

        async def processed() -> bool:
            async with bot.runtime.sessions() as session:
                row = await session.get(InboxUpdate, 5002)
                return row is not None and row.processed_at is not None

        await eventually(processed, what="the failed update to be done with")
        await _allow_inserts(engine, "users")

    output = logs.getvalue()
    assert ("update 5001 not stored" if sqlite else "could not store update 5001") in output
    assert "update 5002 failed" in output
    assert "refused by the test" in output  # the error itself is there, its data is not
    assert TOKEN not in output
    assert "TEST-TOKEN" not in output
    assert SECRET not in output
    if level != "DEBUG":
        # At DEBUG (asked for) Telegram's library logs what it sends and receives; short of
        # that, a learner's name and words never appear.
        for private in (NAME, SURNAME, WORDS, "Elm Street"):
            assert private not in output
