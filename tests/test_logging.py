"""Logs: one JSON object a line on request, the update id on handler lines, never the token."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.logging_setup import configure_logging, current_update_id

TOKEN = "123456:TEST-TOKEN"  # short: only the configured value, not the shape, gives it away
REAL_SHAPED = "7012345678:AAHk2mR9xQz-w1Vb3nYt5uJ8cLpDfGs0eKo"


@pytest.fixture
def captured(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """Configure logging as the bot does and capture what the root handler writes."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    settings = Settings(TELEGRAM_BOT_TOKEN=TOKEN, QUIZBOT_LOG_FORMAT=request.param)
    configure_logging(settings)
    stream = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        yield stream
    finally:
        root.handlers[:], root.level = saved


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
