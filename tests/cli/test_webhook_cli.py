"""`quizbot webhook` configuration errors: one clear line and exit code 2, never a traceback."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.fakes import FakeTelegramServer

TOKEN = "123456:TEST-TOKEN"
SECRET = "cli-test-secret-0123456789abcdefghijk"  # 36 characters


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No settings from the environment or a .env file; logging restored afterwards."""
    import os

    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "QUIZBOT_", "DATABASE_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'q.db'}")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    root.handlers[:], root.level = saved


def _webhook(*args: str) -> list[str]:
    return ["webhook", *args]


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({}, ["--url", "https://x.org/t", "--secret", SECRET], "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN}, ["--secret", SECRET], "give --url"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN}, ["--url", "https://x.org/t"], "give --secret"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN},
            ["--url", "https://x.org/t", "--secret", "has spaces"],
            "the secret must be 1-256 characters",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN},
            ["--url", "ftp://x.org/t", "--secret", SECRET],
            "must be an https:// URL",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN},
            ["--url", "https://x.org/healthz", "--secret", SECRET],
            "cannot be the webhook path",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN},
            ["--url", "https://x.org/t", "--secret", SECRET, "--port", "70000"],
            "--port must be 0-65535",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "QUIZBOT_WEBHOOK_MAX_CONNECTIONS": "500"},
            ["--url", "https://x.org/t", "--secret", SECRET],
            "QUIZBOT_WEBHOOK_MAX_CONNECTIONS",
        ),
    ],
)
def test_bad_webhook_configuration_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    args: list[str],
    message: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(_webhook(*args)) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert TOKEN not in err


def test_a_short_secret_is_refused_with_how_to_make_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    args = ["--url", "https://x.org/t", "--secret", "a" * 31]
    assert main(_webhook(*args)) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "at least 32 characters" in err
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in err
    assert "a" * 31 not in err


def test_the_workers_of_the_tests_use_a_long_enough_secret() -> None:
    from tests.webhook.harness import SECRET

    assert len(SECRET) >= 32


def test_settings_from_the_environment_are_enough(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Docker image passes no options: URL and secret come from the environment."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("QUIZBOT_WEBHOOK_URL", "https://x.org/t")
    monkeypatch.setenv("QUIZBOT_WEBHOOK_SECRET", "bad secret")
    assert main(_webhook()) == 2
    assert "the secret must be" in capsys.readouterr().err


async def test_a_taken_port_and_a_refused_token_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeTelegramServer(TOKEN) as server:
        monkeypatch.setenv("TELEGRAM_API_URL", server.url)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = str(taken.getsockname()[1])
            args = ["--url", "http://127.0.0.1/t", "--secret", SECRET, "--port", port]
            assert await asyncio.to_thread(main, _webhook(*args)) == 2
        err = capsys.readouterr().err
        assert f"cannot listen on 127.0.0.1:{port}" in err.strip().splitlines()[-1]
        assert "Traceback" not in err

        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "654321:WRONG-TOKEN")
        args = ["--url", "http://127.0.0.1/t", "--secret", SECRET, "--port", "0"]
        assert await asyncio.to_thread(main, _webhook(*args)) == 2
        err = capsys.readouterr().err
        assert "Telegram refused TELEGRAM_BOT_TOKEN" in err.strip().splitlines()[-1]
        assert "Traceback" not in err
        assert "WRONG-TOKEN" not in err


async def test_a_secret_given_on_the_command_line_is_kept_out_of_the_logs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "cli-given_secret-4321"
    async with FakeTelegramServer(TOKEN) as server:
        monkeypatch.setenv("TELEGRAM_API_URL", server.url)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = str(taken.getsockname()[1])
            args = ["--url", "http://127.0.0.1/t", "--secret", secret, "--port", port]
            assert await asyncio.to_thread(main, _webhook(*args)) == 2
    # Logging stays as the command configured it: whatever logs the secret later (a library
    # at DEBUG, an exception's text) gets a placeholder instead.
    logging.getLogger("telegram.ext.ExtBot").error("setWebhook {'secret_token': '%s'}", secret)
    err = capsys.readouterr().err
    assert "{'secret_token': '<secret>'}" in err
    assert secret not in err
