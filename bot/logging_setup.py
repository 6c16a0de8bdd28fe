"""Logging: plain text or one JSON object a line; the token and the webhook secret are never
written, nor (short of DEBUG) what learners send."""

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


def redact(text: str, secrets: tuple[str, ...] = (), webhook_secrets: tuple[str, ...] = ()) -> str:
    """Replace anything shaped like a bot token, each given token and each webhook secret
    with a placeholder."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<token>")
    for secret in webhook_secrets:
        if secret:
            text = text.replace(secret, "<secret>")
    return _TOKEN.sub("<token>", text)


def _is_telegram_object(arg: object) -> bool:
    # By name: importing the telegram package here would slow every command-line start.
    return any(
        c.__name__ == "TelegramObject" and c.__module__.startswith("telegram")
        for c in type(arg).__mro__
    )


def _short(arg: object) -> object:
    """A Telegram object in a log call's arguments, without its content: libraries log whole
    updates ("Error while building CallbackContext for update %s"), names and texts included."""
    if not _is_telegram_object(arg):
        return arg
    update_id = getattr(arg, "update_id", None)
    if isinstance(update_id, int):
        return f"<update {update_id}>"
    return f"<{type(arg).__name__}>"


class RedactingFilter(logging.Filter):
    """Replace the bot token (the configured one, and anything shaped like one) and the
    webhook secret in a record, and Telegram objects in its arguments by their ids."""

    def __init__(
        self, secrets: tuple[str, ...] = (), webhook_secrets: tuple[str, ...] = ()
    ) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)
        self._webhook_secrets = tuple(s for s in webhook_secrets if s)

    def add_webhook_secret(self, secret: str) -> None:
        """Also replace this webhook secret (one given on the command line)."""
        if secret and secret not in self._webhook_secrets:
            self._webhook_secrets += (secret,)

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets, self._webhook_secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(_is_telegram_object(a) for a in record.args):
            record.args = tuple(_short(a) for a in record.args)
        message = record.getMessage()
        clean = self._redact(message)
        if clean != message:
            record.msg = clean
            record.args = None
        if record.exc_info and not record.exc_text:
            # Exception texts carry request URLs too; format once here, redacted.
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self._redact(record.exc_text)
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
    webhook_secret = settings.webhook_secret
    handler.addFilter(
        RedactingFilter(
            (token.get_secret_value(),) if token else (),
            (webhook_secret.get_secret_value(),) if webhook_secret else (),
        )
    )
    handler.addFilter(UpdateContextFilter())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    debug = settings.log_level == "DEBUG"
    level = logging.getLevelName(settings.log_level)
    # Below INFO the Telegram library logs every request and update it sends and receives
    # (learners' names and messages), and httpx every request line: only when asked for.
    logging.getLogger("telegram").setLevel(level if debug else max(level, logging.INFO))
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
    # Migrations report each step at INFO; that is noise on every start of `demo`.
    logging.getLogger("alembic").setLevel(logging.DEBUG if debug else logging.WARNING)


def redact_webhook_secret(secret: str) -> None:
    """Keep a webhook secret given on the command line out of the logs, too."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, RedactingFilter):
                found.add_webhook_secret(secret)
