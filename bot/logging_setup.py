"""Logging: plain text or one JSON object a line; the bot token is never written."""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar

from bot.config import Settings

# Bot API URLs carry the token ("/bot123:ABC/"); libraries may log them.
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")

# The update being processed; asyncio tasks inherit it, so every handler log line has it.
current_update_id: ContextVar[int | None] = ContextVar("current_update_id", default=None)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Replace anything shaped like a bot token, and each given secret, with a placeholder."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<token>")
    return _TOKEN.sub("<token>", text)


class RedactingFilter(logging.Filter):
    """Replace anything shaped like a bot token (or the configured one) in a record."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self._secrets)
        if clean != message:
            record.msg = clean
            record.args = None
        if record.exc_info and not record.exc_text:
            # Exception texts carry request URLs too; format once here, redacted.
            record.exc_text = redact(
                logging.Formatter().formatException(record.exc_info), self._secrets
            )
        elif record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        return True


class UpdateContextFilter(logging.Filter):
    """Attach the id of the update being processed to every record logged while doing so."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "update_id"):
            update_id = current_update_id.get()
            if update_id is not None:
                record.update_id = update_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("update_id", "chat_id", "user_id"):
            if hasattr(record, key):
                data[key] = getattr(record, key)
        text = record.exc_text
        if not text and record.exc_info:
            text = self.formatException(record.exc_info)
        if text:
            data["exc"] = _TOKEN.sub("<token>", text)
        return json.dumps(data, ensure_ascii=False, default=str)


def configure_logging(settings: Settings) -> None:
    """Set the level and format from the settings."""
    handler = logging.StreamHandler()
    token = settings.telegram_bot_token
    handler.addFilter(RedactingFilter((token.get_secret_value(),) if token else ()))
    handler.addFilter(UpdateContextFilter())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # httpx logs every request line at INFO, token included in the URL.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Migrations report each step at INFO; that is noise on every start of `demo`.
    if settings.log_level != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)
