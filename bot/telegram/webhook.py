"""Webhook mode: several processes behind a proxy share the inbox in PostgreSQL.

A POST is stored in the inbox (committed) before it is answered 200, so an update Telegram
was told about is never lost; then it is processed from the inbox like a polled one. Each
worker processes a chat by claiming the head of that chat's queue under a lease
(services/update_store.py), so every update is processed once and one learner's updates in order,
whichever process received them. A sweeper picks up what a dead worker left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.error import TelegramError

from bot.domain.updates import BadUpdateError, parse_update
from bot.logging_setup import current_update_id
from bot.runtime import Runtime
from bot.services import monitoring, update_store
from bot.services.monitoring import DATABASE_ERRORS
from bot.services.update_store import StoredUpdate
from bot.telegram import metrics
from bot.telegram.app import QuizApplication, build_application, start_serving
from bot.telegram.flood import FloodControl
from bot.telegram.inbox import MAX_TRIES, REDELIVERED
from bot.telegram.limiter import make_rate_limiter
from bot.telegram.outage import again_when_back

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # bytes; an update is a few kilobytes, documents come as file ids
RESERVED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
READY_TIMEOUT = 2.0  # seconds /readyz waits for the database
# Longer than a proxy keeps idle upstream connections (nginx: 60 s), so that the proxy, not
# the worker, closes them: a worker closing one just as a POST is sent on it yields a 502.
KEEP_ALIVE = 75
# Seconds a stopping worker waits for open HTTP requests (a POST only stores its update);
# the updates in progress then get QUIZBOT_SHUTDOWN_TIMEOUT.
HTTP_GRACE = 5
DATABASE_OR_TIMEOUT: tuple[type[Exception], ...] = (*DATABASE_ERRORS, TimeoutError)


def worker_name() -> str:
    """A name unique to this process, stored with its claims (at most 64 characters)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(3)}"


class InboxWorker:
    """Process stored updates chat by chat, claiming each one under a lease."""

    def __init__(
        self,
        app: QuizApplication,
        runtime: Runtime,
        *,
        name: str,
        lanes: int,
        lease: dt.timedelta,
    ) -> None:
        self._app = app
        self._runtime = runtime
        self.name = name
        self._lease = lease
        # A lane per update, taken in turn: asyncio's semaphore wakes its waiters in the order
        # they came, and a chat that releases its lane queues behind those already waiting,
        # so chats with work take turns, one update each (round robin).
        self._lanes = asyncio.Semaphore(lanes)
        settings = runtime.settings
        self._flood = FloodControl(app.bot, burst=settings.user_burst, rate=settings.user_rate)
        self._draining: set[object] = set()
        self._again: set[object] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.accepting = True

    async def accept(self, payload: dict[str, Any]) -> None:
        """Store a posted update (committed before this returns), then start processing it.

        An update refused for its data is kept as failed and not processed; only an outage
        raises (and the POST is answered 503, so that Telegram sends it again). An update
        over its sender's limit is dropped before it is stored (`flood.py`).
        """
        if not self._flood.admit(payload):
            return
        runtime = self._runtime
        async with runtime.sessions() as session:
            waiting = await update_store.receive_update(session, payload, now=runtime.clock())
        if waiting is not None:
            self.schedule(waiting.chat_id, waiting.update_id)

    def schedule(self, chat_id: int | None, update_id: int) -> None:
        """Process a chat's queue (or one chatless update) unless this process already is."""
        if not self.accepting:
            return
        key: object = chat_id if chat_id is not None else ("update", update_id)
        if key in self._draining:
            # The running drain may have looked just before this update was committed.
            self._again.add(key)
            return
        self._draining.add(key)
        task = asyncio.create_task(self._drain(key, chat_id, update_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, key: object, chat_id: int | None, update_id: int) -> None:
        try:
            while self.accepting:
                # A lane per update, not per chat: a busy learner must not starve the others.
                # Taken in turn (see __init__): one update per chat per turn.
                async with self._lanes:
                    row = await self._claim(chat_id, update_id)
                    if row is not None:
                        await self.process(row)
                if row is None:
                    if key in self._again:
                        self._again.discard(key)
                        continue
                    return
                if chat_id is None:
                    return
        except Exception:
            # The database is away, or a bug: the rows stay in the inbox for the sweeper, and
            # a background task must not die without a word.
            log.exception("processing chat %s stopped", chat_id)
        finally:
            self._draining.discard(key)
            self._again.discard(key)

    async def _claim(self, chat_id: int | None, update_id: int) -> StoredUpdate | None:
        runtime = self._runtime
        async with runtime.sessions() as session:
            return await update_store.claim_next(
                session,
                chat_id=chat_id,
                update_id=update_id,
                worker=self.name,
                now=runtime.clock(),
                lease=self._lease,
            )

    async def process(self, row: StoredUpdate) -> None:
        """Process one claimed update and mark it done (or given up, with the error)."""
        runtime = self._runtime
        reset = current_update_id.set(row.update_id)
        metrics.IN_PROGRESS.inc()
        started = time.perf_counter()
        outcome, error = "ok", None
        try:
            if row.tries + 1 > MAX_TRIES:
                outcome, error = "given_up", f"given up after {MAX_TRIES} tries"
                log.error("update %s: %s", row.update_id, error)
            else:
                update = Update.de_json(row.payload, self._app.bot)
                # A retried update may have been half done by a worker that died: handlers
                # then show again what the learner may have missed (docs/architecture.md).
                REDELIVERED.set(row.tries > 0)
                if update.effective_user is not None:
                    # Another process may have deleted or blocked this learner since this
                    # one last saw them: the database decides, not this process's memory.
                    self._app.drop_user_data(update.effective_user.id)
                heartbeat = asyncio.create_task(self._keep_claim(row.update_id))
                try:
                    # Handler errors go to the error handler inside; this catches the rest.
                    await self._app.process_update(update)
                except TelegramError as exc:
                    outcome, error = "error", str(exc)
                    log.exception("update %s failed", row.update_id)
                finally:
                    heartbeat.cancel()
                    await asyncio.wait({heartbeat})

            async def finish() -> bool:
                async with runtime.sessions() as session:
                    return await update_store.finish_claimed(
                        session, row.update_id, worker=self.name, now=runtime.clock(), error=error
                    )

            # Done but not marked, the update would be processed again when its lease ran out.
            kept = await again_when_back(finish, what=f"marking update {row.update_id}")
            if not kept:
                log.warning("update %s: the claim ran out before it was done", row.update_id)
        finally:
            metrics.IN_PROGRESS.dec()
            metrics.UPDATES.labels(outcome=outcome).inc()
            metrics.UPDATE_SECONDS.observe(time.perf_counter() - started)
            current_update_id.reset(reset)

    async def _keep_claim(self, update_id: int) -> None:
        # A slow update (Telegram's 429s, a big upload) must not outlive its lease, or
        # another worker would take it over and process it a second time.
        runtime = self._runtime
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            try:
                async with runtime.sessions() as session:
                    await update_store.extend_claim(
                        session,
                        update_id,
                        worker=self.name,
                        now=runtime.clock(),
                        lease=self._lease,
                    )
            except DATABASE_ERRORS as exc:
                log.warning("update %s: could not renew the claim: %s", update_id, exc)

    async def sweep(self, *, grace: dt.timedelta) -> int:
        """Start processing chats whose updates nobody is on (left by a dead worker)."""
        runtime = self._runtime
        now = runtime.clock()
        async with runtime.sessions() as session:
            found = await update_store.waiting_work(session, now=now, received_before=now - grace)
        for waiting in found:
            self.schedule(waiting.chat_id, waiting.update_id)
        return len(found)

    async def run_sweeper(self, interval: float) -> None:
        """Sweep every `interval` seconds until cancelled."""
        grace = dt.timedelta(seconds=interval)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep(grace=grace)
            except DATABASE_ERRORS as exc:
                log.warning("inbox sweep failed: %s", exc)
            except Exception:
                # Not expected; the sweeper is what rescues stranded updates, so it goes on.
                log.exception("inbox sweep failed")

    async def finish(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Stop taking new work and wait for the updates in progress; False on timeout."""
        self.accepting = False
        await self._flood.close()
        pending = set(self._tasks)
        if not pending:
            return True
        _, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
            log.warning("%d chat(s) were cut off at shutdown; their leases will expire", len(late))
        return not late

    @property
    def busy(self) -> int:
        """Chats being processed (or waiting for a lane) in this process."""
        return len(self._tasks)


def build_asgi(worker: InboxWorker, runtime: Runtime, *, path: str, secret: str) -> Starlette:
    """The HTTP face of a worker: the webhook path, /healthz, /readyz and /metrics."""
    expected = secret.encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), expected):
            return _answer(403, "forbidden")
        # Refuse what cannot be an update before reading it: the length announced first,
        # then what actually arrives (a chunked body announces none).
        announced = request.headers.get("content-length")
        if announced is not None and not announced.isdigit():
            return _answer(400, "bad Content-Length")
        if announced is not None and int(announced) > MAX_BODY:
            return _answer(413, "too large")
        body = await _read_capped(request, MAX_BODY)
        if body is None:
            return _answer(413, "too large")
        try:
            payload = parse_update(body)
        except BadUpdateError:
            return _answer(400, "not a Telegram update")
        try:
            await worker.accept(payload)
        except DATABASE_ERRORS:
            # Not stored, so not confirmed: Telegram sends it again (maybe to another worker).
            log.exception("could not store update %s", payload.get("update_id"))
            return _answer(503, "database unavailable")
        return _answer(200, "")

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_request: Request) -> Response:
        if not worker.accepting:
            return PlainTextResponse("shutting down", status_code=503)
        try:
            async with runtime.sessions() as session:
                await asyncio.wait_for(monitoring.database_ready(session), READY_TIMEOUT)
        except DATABASE_OR_TIMEOUT:
            return PlainTextResponse("database unreachable", status_code=503)
        return PlainTextResponse("ready")

    async def metrics_page(_request: Request) -> Response:
        try:
            async with runtime.sessions() as session:
                status = await asyncio.wait_for(monitoring.fleet_status(session), READY_TIMEOUT)
            metrics.set_fleet_status(status)
        except DATABASE_OR_TIMEOUT as exc:
            log.warning("metrics: database counts unavailable (%s)", exc)
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    return Starlette(
        routes=[
            Route(path, receive, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_page, methods=["GET"]),
        ]
    )


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it grows past `limit` bytes."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _answer(status: int, text: str) -> Response:
    metrics.WEBHOOK_REQUESTS.labels(status=str(status)).inc()
    return PlainTextResponse(text, status_code=status)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the worker drains before the process exits."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises a caught SIGTERM once the HTTP side is down, which would kill
        # the process before the updates in progress are finished.
        yield


@dataclass(frozen=True)
class WebhookOptions:
    """Where Telegram posts and where this process listens."""

    url: str
    listen: str
    port: int
    secret: str
    path: str


def webhook_path(url: str) -> str:
    """The local path of the webhook: the path of its public URL ("/" when it has none)."""
    return urlsplit(url).path or "/"


def listen_socket(host: str, port: int) -> socket.socket:
    """Bind the listening socket here, so a taken port is an OSError and not uvicorn's exit."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


async def serve_webhook(
    runtime: Runtime,
    options: WebhookOptions,
    *,
    stop: asyncio.Event | None = None,
    token: str | None = None,
    on_ready: Callable[[InboxWorker], Awaitable[None]] | None = None,
) -> None:
    """Serve Telegram by webhook until SIGINT/SIGTERM (or `stop`); finish work in progress."""
    # Bound before anything else starts, so that a taken port is the first and only error.
    with listen_socket(options.listen, options.port) as sock:
        await _serve(runtime, options, sock, stop=stop, token=token, on_ready=on_ready)


async def _serve(
    runtime: Runtime,
    options: WebhookOptions,
    sock: socket.socket,
    *,
    stop: asyncio.Event | None,
    token: str | None,
    on_ready: Callable[[InboxWorker], Awaitable[None]] | None,
) -> None:
    settings = runtime.settings
    app = build_application(
        runtime, token=token or settings.token(), rate_limiter=make_rate_limiter(runtime)
    )
    lease = dt.timedelta(seconds=settings.inbox_lease_seconds)
    worker = InboxWorker(
        app, runtime, name=worker_name(), lanes=settings.webhook_lanes, lease=lease
    )
    server = _Server(
        uvicorn.Config(
            build_asgi(worker, runtime, path=options.path, secret=options.secret),
            host=options.listen,
            port=options.port,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_keep_alive=KEEP_ALIVE,
            timeout_graceful_shutdown=HTTP_GRACE,
        )
    )
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
    async with app:
        await start_serving(app)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        sweeper: asyncio.Task[None] | None = None
        try:
            while not server.started:
                if serving.done():
                    await serving
                    raise OSError(f"could not serve on {options.listen}:{options.port}")
                await asyncio.sleep(0.02)
            await app.bot.set_webhook(
                url=options.url,
                secret_token=options.secret,
                allowed_updates=list(settings.allowed_updates),
                max_connections=settings.webhook_max_connections,
            )
            # Leftovers of earlier runs (or of dead workers) first.
            await worker.sweep(grace=dt.timedelta(0))
            interval = max(0.2, min(5.0, settings.inbox_lease_seconds / 4))
            sweeper = asyncio.create_task(worker.run_sweeper(interval))
            log.info(
                "serving @%s by webhook on %s:%s%s as %s",
                app.bot.username,
                options.listen,
                options.port,
                options.path,
                worker.name,
            )
            if on_ready is not None:
                await on_ready(worker)
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
        finally:
            # Stop taking work, let the HTTP side finish its requests, then the updates.
            worker.accepting = False
            server.should_exit = True
            with contextlib.suppress(Exception):
                await serving
            if sweeper is not None:
                sweeper.cancel()
                await asyncio.wait({sweeper})
            await worker.finish(settings.shutdown_timeout)
            await app.stop()
    log.info("webhook worker %s stopped", worker.name)
