"""Pytest fixtures: a per-test fake Telegram server and a guard against the real API."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from .telegram_server import FakeTelegramServer

BLOCKED_HOST_SUFFIXES = ("telegram.org", "t.me", "telegram.me")


class RealTelegramBlocked(OSError):
    """Raised when code under test tries to reach the real Telegram servers."""


def _is_blocked(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    host = host.lower().rstrip(".")
    return any(host == s or host.endswith("." + s) for s in BLOCKED_HOST_SUFFIXES)


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegramServer]:
    """A running FakeTelegramServer for one test (token 123456:TEST-TOKEN)."""
    async with FakeTelegramServer() as server:
        yield server


@pytest.fixture(autouse=True)
def block_real_telegram(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail the test if anything resolves or connects to a Telegram host."""
    attempts: list[str] = []
    real_getaddrinfo = socket.getaddrinfo
    real_create_connection = socket.create_connection

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if _is_blocked(host):
            attempts.append(f"getaddrinfo({host!r})")
            raise RealTelegramBlocked(f"tests must not contact {host}; use the fake server")
        return real_getaddrinfo(host, *args, **kwargs)

    def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        if _is_blocked(address[0]):
            attempts.append(f"create_connection({address[0]!r})")
            raise RealTelegramBlocked(f"tests must not contact {address[0]}; use the fake server")
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
    yield attempts
    if attempts:
        pytest.fail(f"the test tried to reach the real Telegram API: {attempts}")
