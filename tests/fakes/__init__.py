"""Test doubles: a fake Telegram Bot API server and its helpers."""

from .control import FakeServerClient, RemoteUser
from .faults import Fault, FaultRegistry
from .models import Call, CallbackPress, ChatMessage, StoredFile, WaitTimeout
from .spec import BotApiSpec, UploadedFile
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
