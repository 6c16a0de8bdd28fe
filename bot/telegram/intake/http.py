"""Webhook mode's HTTP side: the ASGI app, its routes and body checks, the server.

A POST is stored (committed) before it is answered 200, so an update Telegram was told
about is never lost; the worker (`worker.py`) then processes it from the stored updates like
a polled one. `serve_webhook` runs the app under uvicorn beside the worker and its sweeper,
and drains both on SIGINT/SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.domain.updates import BadUpdateError, parse_update
from bot.runtime import Runtime
from bot.services import monitoring
from bot.services.monitoring import DATABASE_ERRORS
from bot.telegram import metrics
from bot.telegram.app import build_application, start_serving
from bot.telegram.intake.worker import InboxWorker, worker_name
from bot.telegram.limiter import make_rate_limiter

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
