"""Long polling through the inbox: store each update, then confirm it, then process it."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError

from bot.logging_setup import current_update_id
from bot.runtime import Runtime
from bot.services import update_store
from bot.services.monitoring import DATABASE_ERRORS
from bot.telegram.intake.flood import FloodControl
from bot.telegram.intake.shared import MAX_TRIES, REDELIVERED

if TYPE_CHECKING:
    from bot.telegram.app import QuizApplication

log = logging.getLogger(__name__)
T = TypeVar("T")

POLL_TIMEOUT = 25  # seconds Telegram may hold a getUpdates call open
BATCH = 100  # getUpdates' maximum, and the most updates processed in one pass
CHAT_LANES = 32  # chats processed at the same time on PostgreSQL; one chat stays in order
SQLITE_LANES = 8  # the same on SQLite, where writers queue for one lock anyway
# Handled updates are marked in the inbox together, a little after the fact: one commit for
# many updates instead of one each. A crash in that window makes a restart handle them
# again, as a crash just before a mark always could (answers still count once).
MARK_EVERY = 0.02  # seconds
# Updates held in memory waiting for their chat's turn: the poller fetches no more than
# the room left (Telegram keeps what it has not confirmed), so memory stays bounded when
# processing falls behind.
MAX_QUEUED = 2_000
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


@dataclass
class _Queued:
    """An update stored in the inbox and waiting in memory for its chat's turn."""

    update_id: int
    tries: int
    update: Update | None = None  # parsed already when it was fetched in this run
    payload: dict[str, Any] | None = None  # as stored: a leftover of an earlier run, or cleaned
    leftover: bool = False  # stored by an earlier run, which may have died processing it


class InboxPoller:
    """Fetch updates into the inbox table and process them from there.

    Fetching and processing run side by side. The fetch loop stores each batch, confirms it
    (by asking for the next offset) only once it is committed, and hands the updates it just
    stored to per-chat queues in memory, so processing does not read back what it wrote.
    A chat has one update in progress at a time (a learner's updates are handled in order),
    different chats run side by side up to the number of lanes, and chats take turns: one
    update each, round robin. Updates over their sender's limit are dropped before they are
    stored (`flood.py`). Updates left unprocessed by an earlier run are read from the table
    at start-up, ahead of new ones.
    """

    def __init__(
        self, app: QuizApplication, runtime: Runtime, *, lanes: int | None = None
    ) -> None:
        self._app = app
        self._runtime = runtime
        settings = runtime.settings
        self._flood = FloodControl(app.bot, burst=settings.user_burst, rate=settings.user_rate)
        # SQLite has one writer at a time: more lanes would only queue on its lock.
        self._lanes = lanes or (CHAT_LANES if runtime.shared_database else SQLITE_LANES)
        self._queues: dict[int | None, deque[_Queued]] = {}
        # Chats with queued updates and no task, in turn: a chat goes to the back of the line
        # after each of its updates.
        self._ready: OrderedDict[int | None, None] = OrderedDict()
        self._busy: dict[int | None, asyncio.Task[None]] = {}
        self._queued = 0
        self._room = asyncio.Event()
        self._room.set()
        self._stop = asyncio.Event()
        self._handled: dict[int, str | None] = {}  # processed, to be marked in the table
        # Tries to record: of leftovers, waiting for the commit; of fresh updates, not.
        self._starting: dict[int, asyncio.Future[None]] = {}
        self._started: list[int] = []
        self._books = asyncio.Event()  # something to record
        self._start_wanted = asyncio.Event()  # a try to record: no waiting for company
        self._books_closed = False

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set, then let the updates being processed finish.

        Updates still queued stay in the table for the next start.
        """
        self._stop = stop
        offset = await _retrying(stop, self._start_up)
        marker = asyncio.create_task(self._keep_books())
        # Without its books the poller cannot start an update: stop, and say why below.
        marker.add_done_callback(lambda _: stop.set())
        try:
            await self._poll(stop, offset)
        finally:
            stop.set()
            self._room.set()
            while self._busy:
                await asyncio.gather(*list(self._busy.values()), return_exceptions=True)
            self._books.set()
            await marker
            await self._flood.close()

    async def _start_up(self) -> int | None:
        async with self._runtime.sessions() as session:
            offset = await update_store.next_offset(session, now=self._runtime.clock())
            leftovers = await update_store.unprocessed_updates(session)
        for row in leftovers:
            queued = _Queued(row.update_id, row.tries, payload=row.payload, leftover=True)
            self._enqueue(row.chat_id, queued)
        self._start_chats()
        return offset

    async def _poll(self, stop: asyncio.Event, offset: int | None) -> None:
        backoff = 1.0
        while not stop.is_set():
            room = MAX_QUEUED - self._queued
            if room <= 0:
                self._room.clear()
                await _either(self._room, stop)
                continue
            fetch = asyncio.ensure_future(self._fetch(offset, min(BATCH, room)))
            stopped = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if fetch not in done:
                fetch.cancel()
                break
            stopped.cancel()
            try:
                updates = fetch.result()
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
            if not updates:
                continue
            # Updates over their sender's limit are dropped here, before they are stored.
            taken = [(u, p) for u in updates if self._flood.admit(p := u.to_dict())]
            payloads = [p for _, p in taken]
            new = await _retrying(stop, functools.partial(self._store, payloads))
            # Only now, with the updates committed, may the next call confirm them.
            offset = max(u.update_id for u in updates) + 1
            for update, payload in taken:
                stored = new.get(update.update_id)  # not one delivered again, nor refused
                if stored is None:
                    continue
                queued = _Queued(update.update_id, 0, update=update)
                if stored is not payload:  # cleaned: handle what was stored, not the original
                    queued = _Queued(update.update_id, 0, payload=stored)
                self._enqueue(update_store.chat_of(stored), queued)
            self._start_chats()

    async def _store(self, payloads: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
        async with self._runtime.sessions() as session:
            return await update_store.store_updates(session, payloads, now=self._runtime.clock())

    async def _fetch(self, offset: int | None, limit: int) -> tuple[Update, ...]:
        updates: tuple[Update, ...] = await self._app.bot.get_updates(
            offset=offset, timeout=POLL_TIMEOUT, limit=limit, allowed_updates=ALLOWED_UPDATES
        )
        return updates

    def _enqueue(self, chat_id: int | None, queued: _Queued) -> None:
        self._queues.setdefault(chat_id, deque()).append(queued)
        self._queued += 1
        if chat_id not in self._busy:
            self._ready[chat_id] = None

    def _start_chats(self) -> None:
        """Give free lanes to the chats that have waited longest."""
        while self._ready and len(self._busy) < self._lanes and not self._stop.is_set():
            chat_id, _ = self._ready.popitem(last=False)
            self._busy[chat_id] = asyncio.create_task(self._turn(chat_id))

    async def _turn(self, chat_id: int | None) -> None:
        """Process a chat's next update; then the chat goes to the back of the line.

        One update per chat per turn: a chat with many updates waiting (a flood) holds a lane
        for one update at a time, and every other chat waiting is served before its next.
        """
        queue = self._queues[chat_id]
        try:
            if queue and not self._stop.is_set():
                queued = queue[0]
                try:
                    await self.process_row(queued)
                except _BooksClosed:
                    return  # stopping with the database away: it stays for the next start
                except Exception:
                    # Not marked: it stays first in line and is tried again (its try counted).
                    log.exception("processing update %s failed; will retry", queued.update_id)
                    await asyncio.sleep(1.0)
                    return
                queue.popleft()
                self._queued -= 1
                if self._queued < MAX_QUEUED:
                    self._room.set()
        finally:
            del self._busy[chat_id]
            if queue and not self._stop.is_set():
                self._ready[chat_id] = None
            else:
                del self._queues[chat_id]
            self._start_chats()

    async def process_row(self, queued: _Queued) -> None:
        """Process one stored update, and hand it to be marked processed.

        Its try is counted first (see `_count_try`); one tried MAX_TRIES times already is
        given up instead.
        """
        error: str | None = None
        if queued.tries >= MAX_TRIES:
            error = f"given up after {queued.tries} tries"
            log.error("update %s: %s", queued.update_id, error)
        else:
            await self._count_try(queued)
            # An earlier run may have been midway through it (a fresh update's try may not
            # have been recorded before the crash): show again what may not have been seen.
            REDELIVERED.set(queued.leftover or queued.tries > 0)
            queued.tries += 1
            update = queued.update
            if update is None:
                assert queued.payload is not None
                update = Update.de_json(queued.payload, self._app.bot)
            current_update_id.set(queued.update_id)  # every log line of the handlers carries it
            try:
                # Handler errors go to the error handler inside; this catches the rest.
                await self._app.process_update(update)
            except TelegramError as exc:
                error = str(exc)
                log.exception("update %s failed", queued.update_id)
        self._handled[queued.update_id] = error
        self._books.set()

    async def _count_try(self, queued: _Queued) -> None:
        """Count a try of an update whose processing starts now.

        A leftover of an earlier run may be what killed it: its try is committed before it
        is processed (with other tries starting meanwhile), so that an update that kills the
        process again and again is given up. A fresh update's try goes with the next marks,
        without waiting: if it kills the process first, it comes back as a leftover, and from
        then on every try of it is committed first. Either way a try is counted only when
        processing starts, never for an update still waiting its turn.
        """
        if self._books_closed:
            raise _BooksClosed
        if not queued.leftover:
            self._started.append(queued.update_id)
            self._books.set()
            return
        started = asyncio.get_running_loop().create_future()
        self._starting[queued.update_id] = started
        self._books.set()
        self._start_wanted.set()
        await started

    async def _keep_books(self) -> None:
        """Record tries and processed updates, many in one transaction, until stopped.

        Tries a leftover waits for are committed at once; the rest wait a little for company.
        """
        try:
            while True:
                await self._books.wait()
                if not self._stop.is_set() and not self._starting:
                    # Let a few more finish, unless an update waits for its try meanwhile.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._start_wanted.wait(), MARK_EVERY)
                self._books.clear()
                self._start_wanted.clear()
                starting, self._starting = self._starting, {}
                started, self._started = self._started, []
                batch, self._handled = self._handled, {}
                if starting or started or batch:
                    step = functools.partial(self._record, [*starting, *started], batch)
                    try:
                        await _retrying(self._stop, step)
                    except DATABASE_ERRORS:
                        # Stopping with the database away: these are handled after a restart.
                        log.warning(
                            "could not record %d handled updates before stopping", len(batch)
                        )
                        for waiting in starting.values():
                            waiting.set_exception(_BooksClosed())
                        return
                    for waiting in starting.values():
                        waiting.set_result(None)
                if (
                    self._stop.is_set()
                    and not self._busy
                    and not self._handled
                    and not self._starting
                    and not self._started
                ):
                    return
        finally:
            self._books_closed = True
            for waiting in self._starting.values():
                if not waiting.done():
                    waiting.set_exception(_BooksClosed())

    async def _record(self, started: list[int], batch: dict[int, str | None]) -> None:
        async with self._runtime.sessions() as session:
            await update_store.record_progress(
                session, started=started, outcomes=batch, now=self._runtime.clock()
            )


class _BooksClosed(Exception):
    """The inbox can no longer record a try (stopping with the database away)."""


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


async def _either(first: asyncio.Event, second: asyncio.Event) -> None:
    """Wait until one of two events is set."""
    waits = {asyncio.ensure_future(first.wait()), asyncio.ensure_future(second.wait())}
    _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for wait in pending:
        wait.cancel()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return
