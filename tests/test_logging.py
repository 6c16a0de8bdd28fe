"""Logs: one JSON object a line on request, the update id on handler lines, never the token."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from telegram import Update

from bot.config import Settings
from bot.logging_setup import configure_logging, current_update_id, redact_webhook_secret

TOKEN = "123456:TEST-TOKEN"  # short: only the configured value, not the shape, gives it away
REAL_SHAPED = "7012345678:AAHk2mR9xQz-w1Vb3nYt5uJ8cLpDfGs0eKo"
SECRET = "webhook-secret_from-env"


LIBRARIES = ("telegram", "httpx", "httpcore", "alembic")


@pytest.fixture
def restored() -> Iterator[None]:
    """Put the root logger and the libraries' levels back as they were."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in LIBRARIES})
    try:
        yield
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
def captured(request: pytest.FixtureRequest, restored: None) -> io.StringIO:
    """Configure logging as the bot does and capture what the root handler writes."""
    settings = Settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        QUIZBOT_WEBHOOK_SECRET=SECRET,
        QUIZBOT_LOG_FORMAT=request.param,
    )
    configure_logging(settings)
    stream = io.StringIO()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    return stream


def _boom(url: str) -> None:
    raise RuntimeError(f"POST {url} failed")


@pytest.mark.parametrize("captured", ["json", "text"], indirect=True)
def test_the_token_never_appears(captured: io.StringIO) -> None:
    log = logging.getLogger("quizbot.test")
    log.warning("calling https://api.telegram.org/bot%s/sendMessage", TOKEN)
    log.warning("and with a real-shaped one: /bot%s/getMe", REAL_SHAPED)
    try:
        _boom(f"https://api.telegram.org/bot{TOKEN}/getUpdates")
    except RuntimeError:
        log.exception("request failed")
    output = captured.getvalue()
    assert "sendMessage" in output
    assert "request failed" in output
    assert TOKEN not in output
    assert "TEST-TOKEN" not in output
    assert REAL_SHAPED not in output
    assert output.count("<token>") == 3


@pytest.mark.parametrize("captured", ["json"], indirect=True)
def test_json_lines_carry_the_update_being_processed(captured: io.StringIO) -> None:
    log = logging.getLogger("quizbot.test")
    log.info("before")
    reset = current_update_id.set(4242)
    try:
        log.info("inside a handler")
        log.error("explicit", extra={"update_id": 7})
    finally:
        current_update_id.reset(reset)
    log.info("after")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [line["message"] for line in lines] == [
        "before",
        "inside a handler",
        "explicit",
        "after",
    ]
    assert [line.get("update_id") for line in lines] == [None, 4242, 7, None]
    assert {"time", "level", "logger", "message"} <= set(lines[0])


@pytest.mark.parametrize("captured", ["json", "text"], indirect=True)
def test_webhook_secrets_never_appear(captured: io.StringIO) -> None:
    given = "secret_given-on-the-command-line"
    redact_webhook_secret(given)  # what `quizbot webhook --secret` does
    log = logging.getLogger("telegram.ext.ExtBot")
    log.warning("setWebhook with parameters {'secret_token': '%s'}", SECRET)
    log.warning("setWebhook with parameters {'secret_token': '%s'}", given)
    try:
        raise RuntimeError(f"header {given} refused")
    except RuntimeError:
        log.exception("request failed")
    output = captured.getvalue()
    assert SECRET not in output
    assert given not in output
    assert output.count("<secret>") == 3


@pytest.mark.parametrize("captured", ["text"], indirect=True)
def test_updates_in_log_arguments_appear_by_id_only(captured: io.StringIO) -> None:
    user = {"id": 4711, "is_bot": False, "first_name": "Zoltan"}
    update = Update.de_json(
        {
            "update_id": 5003,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": 4711, "type": "private", "first_name": "Zoltan"},
                "from": user,
                "text": "my diary says",
            },
        },
        None,
    )
    # What the Telegram library logs when a context cannot be built for an update.
    logging.getLogger("telegram.ext.Application").critical(
        "Error while building CallbackContext for update %s. Update will not be processed.",
        update,
    )
    logging.getLogger("quizbot.test").error("message %s of %s", update.message, update)
    output = captured.getvalue()
    assert "for update <update 5003>." in output
    assert "message <Message> of <update 5003>" in output
    assert "Zoltan" not in output
    assert "diary" not in output


@pytest.mark.parametrize("level", ["INFO", "WARNING", "DEBUG"])
def test_library_loggers_stay_quiet_unless_debug_is_asked_for(restored: None, level: str) -> None:
    configure_logging(Settings(TELEGRAM_BOT_TOKEN=TOKEN, QUIZBOT_LOG_LEVEL=level))
    telegram, httpx = logging.getLogger("telegram.ext.ExtBot"), logging.getLogger("httpx")
    if level == "DEBUG":
        assert telegram.isEnabledFor(logging.DEBUG)
        assert httpx.isEnabledFor(logging.DEBUG)
        return
    assert not telegram.isEnabledFor(logging.DEBUG)
    assert telegram.getEffectiveLevel() == max(logging.INFO, logging.getLevelName(level))
    assert not httpx.isEnabledFor(logging.INFO)
    # Even if something later lowers the root logger's level.
    logging.getLogger().setLevel(logging.DEBUG)
    assert not telegram.isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("httpcore").isEnabledFor(logging.DEBUG)
