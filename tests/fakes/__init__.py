"""Test doubles: a fake Telegram Bot API server and its helpers."""

from typing import TYPE_CHECKING, Any

from .control import FakeServerClient, RemoteUser
from .faults import Fault, FaultRegistry
from .models import Call, CallbackPress, ChatMessage, StoredFile, WaitTimeout
from .spec import BotApiSpec, UploadedFile

if TYPE_CHECKING:
    from .telegram_server import FakeTelegramServer, FakeUser

__all__ = [
    "BotApiSpec",
    "Call",
    "CallbackPress",
    "ChatMessage",
    "FakeServerClient",
    "FakeTelegramServer",
    "FakeUser",
    "Fault",
    "FaultRegistry",
    "RemoteUser",
    "StoredFile",
    "UploadedFile",
    "WaitTimeout",
]


def __getattr__(name: str) -> Any:
    # Imported lazily so `python -m tests.fakes.telegram_server` does not load it twice.
    if name in {"FakeTelegramServer", "FakeUser"}:
        from . import telegram_server

        return getattr(telegram_server, name)
    raise AttributeError(name)
