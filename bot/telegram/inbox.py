"""Long polling through the inbox: store each update, then confirm it, then process it."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError

from bot.logging_setup import current_update_id
from bot.runtime import Runtime
from bot.services import inbox
from bot.services.inbox import StoredUpdate
from bot.services.monitoring import DATABASE_ERRORS

if TYPE_CHECKING:
    from bot.telegram.app import QuizApplication

log = logging.getLogger(__name__)
T = TypeVar("T")

POLL_TIMEOUT = 25  # seconds Telegram may hold a getUpdates call open
BATCH = 100  # getUpdates' maximum, and the most updates processed in one pass
MAX_TRIES = 3  # an update that failed this often is given up, not retried forever
CHAT_LANES = 32  # chats processed at the same time on PostgreSQL; one chat stays in order
SQLITE_LANES = 8  # the same on SQLite, where writers queue for one lock anyway
MARK_RETRIES = 4
KEEP_PROCESSED = dt.timedelta(days=2)
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]

# True while processing an update that an earlier run already started (it crashed or was
# killed): handlers then repeat what the learner may not have seen, instead of refusing.
REDELIVERED: contextvars.ContextVar[bool] = contextvars.ContextVar("redelivered", default=False)


class InboxPoller:
    """Fetch updates into the inbox table and process them from there.

    Fetching and processing run side by side: one task stores what getUpdates returns and
    confirms it; the other starts one task per chat with stored updates, so one chat's updates
    are handled in order while different chats go on at the same time.
    """

    def __init__(
        self, app: QuizApplication, runtime: Runtime, *, lanes: int | None = None
    ) -> None:
        self._app = app
        self._runtime = runtime
        # SQLite has one writer at a time: more lanes would only queue on its lock.
        sqlite = runtime.engine.dialect.name == "sqlite"
        self._lanes = lanes or (SQLITE_LANES if sqlite else CHAT_LANES)
        self._busy: dict[int | None, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set, then let the updates in hand finish."""
        offset = await _retrying(stop, self._start_up)
        self._wake.set()  # leftovers of an earlier run first
        pump = asyncio.create_task(self._pump(stop))
        try:
            await self._poll(stop, offset)
        finally:
            stop.set()
            self._wake.set()
            await pump
            if self._busy:
                await asyncio.gather(*self._busy.values(), return_exceptions=True)

    async def _start_up(self) -> int | None:
        async with self._runtime.sessions() as session:
            offset = await inbox.next_offset(session)
            await inbox.count_restart(session)
            await inbox.prune_processed(session, older_than=self._runtime.clock() - KEEP_PROCESSED)
        return offset

    async def _poll(self, stop: asyncio.Event, offset: int | None) -> None:
        backoff = 1.0
        while not stop.is_set():
            fetch = asyncio.ensure_future(self._fetch(offset))
            stopped = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if fetch not in done:
                fetch.cancel()
                break
            stopped.cancel()
            try:
                payloads = fetch.result()
            except InvalidToken:
                raise
            except (Conflict, NetworkError) as exc:
                # Conflict: another poller or a webhook; NetworkError: Telegram or the network
                # is down. Both pass; wait a little longer each time.
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, backoff)
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if not payloads:
                continue
            await _retrying(stop, functools.partial(self._store, payloads))
            # Only now, with the updates committed, may the next call confirm them.
            offset = max(int(p["update_id"]) for p in payloads) + 1
            self._wake.set()

    async def _store(self, payloads: list[dict[str, Any]]) -> None:
        async with self._runtime.sessions() as session:
            await inbox.store_updates(session, payloads, now=self._runtime.clock())

    async def _fetch(self, offset: int | None) -> list[dict[str, Any]]:
        updates = await self._app.bot.get_updates(
            offset=offset, timeout=POLL_TIMEOUT, limit=BATCH, allowed_updates=ALLOWED_UPDATES
        )
        return [u.to_dict() for u in updates]

    async def _pump(self, stop: asyncio.Event) -> None:
        """Start a task for each chat with stored updates that no task is working on."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            if stop.is_set():
                return
            free = self._lanes - len(self._busy)
            if free <= 0:
                continue  # a finishing chat task wakes us again
            try:
                async with self._runtime.sessions() as session:
                    chats = await inbox.waiting_chats(session, busy=list(self._busy), limit=free)
            except DATABASE_ERRORS:
                log.exception("cannot read the inbox; retrying")
                await _sleep_or_stop(stop, 1.0)
                self._wake.set()
                continue
            for chat_id in chats:
                self._busy[chat_id] = asyncio.create_task(self._drain(chat_id))

    async def _drain(self, chat_id: int | None) -> None:
        """Process one chat's stored updates in order, until none is left."""
        try:
            while True:
                async with self._runtime.sessions() as session:
                    rows = await inbox.pending_updates(session, chat_id=chat_id)
                if not rows:
                    return
                for row in rows:
                    await self.process_row(row)
        except Exception:
            # The update stays unprocessed and is taken up again on a later pass.
            log.exception("processing chat %s stopped; will retry", chat_id)
            await asyncio.sleep(1.0)
        finally:
            del self._busy[chat_id]
            self._wake.set()

    async def process_row(self, row: StoredUpdate) -> None:
        """Process one stored update, and mark it processed."""
        error: str | None = None
        if row.tries >= MAX_TRIES:
            error = f"given up after {row.tries} tries"
            log.error("update %s: %s", row.update_id, error)
        else:
            update = Update.de_json(row.payload, self._app.bot)
            REDELIVERED.set(row.tries > 0)
            current_update_id.set(row.update_id)  # every log line of the handlers carries it
            try:
                # Handler errors go to the error handler inside; this catches the rest.
                await self._app.process_update(update)
            except TelegramError as exc:
                error = str(exc)
                log.exception("update %s failed", row.update_id)
        for attempt in range(MARK_RETRIES):
            try:
                async with self._runtime.sessions() as session:
                    await inbox.mark_processed(
                        session, row.update_id, now=self._runtime.clock(), error=error
                    )
                return
            except DATABASE_ERRORS:
                if attempt == MARK_RETRIES - 1:
                    raise
                log.warning("cannot mark update %s processed; retrying", row.update_id)
                await asyncio.sleep(0.5 * 2**attempt)


async def _retrying(stop: asyncio.Event, step: Callable[[], Awaitable[T]]) -> T:
    """Run a database step, retrying while the database is briefly unavailable or locked."""
    backoff = 0.5
    while True:
        try:
            return await step()
        except DATABASE_ERRORS as exc:
            if stop.is_set():
                raise
            log.warning("database unavailable (%s); retrying in %.1f s", exc, backoff)
            await _sleep_or_stop(stop, backoff)
            backoff = min(backoff * 2, 10.0)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return
