"""Webhook workers for tests: in-process (on the test's loop) or as `quizbot webhook` processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp

from bot.db.engine import make_engine, make_sessionmaker
from bot.runtime import Runtime
from bot.services.quizzes import ensure_bundled_quizzes
from bot.telegram.intake.http import WebhookOptions, serve_webhook
from bot.telegram.intake.worker import InboxWorker
from tests.db_support import TRAINING_QUIZ_DIR
from tests.e2e.harness import TOKEN, make_settings
from tests.fakes import FakeTelegramServer
from tests.fakes.clock import FakeClock

SECRET = "test-webhook-secret_0123456789-abcdefghij"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class InProcessWorker:
    """A webhook worker running on the test's event loop."""

    server: FakeTelegramServer
    runtime: Runtime
    worker: InboxWorker
    base_url: str
    url: str
    stop: asyncio.Event = field(default_factory=asyncio.Event)


@contextlib.asynccontextmanager
async def running_webhook(
    server: FakeTelegramServer,
    database_url: str,
    *,
    clock: FakeClock | None = None,
    **settings: Any,
) -> AsyncIterator[InProcessWorker]:
    """Serve the fake server's webhook in-process; stop it (gracefully) on exit."""
    clock = clock or FakeClock()
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    runtime = Runtime(
        settings=make_settings(database_url, server.url, **settings),
        engine=engine,
        sessions=sessions,
        clock=clock,
    )
    async with sessions() as session:
        await ensure_bundled_quizzes(session, TRAINING_QUIZ_DIR, now=clock())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    options = WebhookOptions(
        url=f"{base}/telegram", listen="127.0.0.1", port=port, secret=SECRET, path="/telegram"
    )
    ready: asyncio.Future[InboxWorker] = asyncio.get_running_loop().create_future()

    async def on_ready(worker: InboxWorker) -> None:
        ready.set_result(worker)

    stop = asyncio.Event()
    task = asyncio.create_task(
        serve_webhook(runtime, options, stop=stop, token=TOKEN, on_ready=on_ready)
    )
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=15, return_when="FIRST_COMPLETED")
        if task in done:
            task.result()
        if ready not in done:
            raise TimeoutError("the webhook worker did not start")
        yield InProcessWorker(server, runtime, ready.result(), base, options.url, stop)
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=30)
        finally:
            await engine.dispose()


async def post_update(url: str, update: dict[str, Any], *, secret: str | None = SECRET) -> int:
    """POST an update as Telegram does; return the HTTP status."""
    headers = {} if secret is None else {HEADER: secret}
    async with aiohttp.ClientSession() as http, http.post(url, json=update, headers=headers) as r:
        await r.read()
        return r.status


# ------------------------------------------------------------------ processes


@dataclass
class WorkerProcess:
    """A `quizbot webhook` subprocess; its log goes to a file the test can read."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        """Everything the process wrote so far."""
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    async def wait_ready(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until /readyz answers 200 (the webhook is set by then)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"worker exited {self.process.returncode}:\n{self.log()}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{self.base_url}/readyz") as response:
                        if response.status == 200 and "serving @" in self.log():
                            return
                if loop.time() > deadline:
                    raise TimeoutError(f"worker not ready after {timeout}s:\n{self.log()}")
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as when a machine dies."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)

    async def terminate(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        """SIGTERM and wait for the graceful exit; return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.process.poll() is None:
            if loop.time() > deadline:
                self.kill()
                raise TimeoutError(f"worker ignored SIGTERM for {timeout}s:\n{self.log()}")
            await asyncio.sleep(0.05)
        return int(self.process.returncode)

    def close(self) -> None:
        self.kill()
        self._log.close()


def start_worker(
    server_url: str,
    database_url: str,
    *,
    public_url: str,
    log_dir: Path,
    port: int | None = None,
    env: dict[str, str] | None = None,
    log_name: str | None = None,
) -> WorkerProcess:
    """Start `quizbot webhook` on loopback; Telegram is told to post to `public_url`.

    The log is `log_dir/worker-PORT.log` unless `log_name` names another file.
    """
    port = port or free_port()
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("QUIZBOT_", "TELEGRAM_"))
    }
    environment.update(
        {
            "DATABASE_URL": database_url,
            "TELEGRAM_API_URL": server_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "QUIZBOT_QUIZ_DIR": str(TRAINING_QUIZ_DIR),
            "QUIZBOT_ROUND_SIZE": "5",
            "QUIZBOT_WEBHOOK_SECRET": SECRET,
            "PYTHONUNBUFFERED": "1",
        }
    )
    environment.update(env or {})
    log_path = log_dir / (log_name or f"worker-{port}.log")
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "webhook",
            "--url",
            public_url,
            "--listen",
            "127.0.0.1",
            "--port",
            str(port),
            "--path",
            "/telegram",
        ],
        cwd=tempfile.gettempdir(),
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    return WorkerProcess(port, process, log_path, log_file)


async def eventually(check: Any, timeout: float = 10.0, what: str = "condition") -> Any:  # noqa: ASYNC109
    """Poll `check` (sync or async) until it returns something truthy, or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)
