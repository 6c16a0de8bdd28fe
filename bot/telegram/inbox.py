"""Long polling through the inbox: store each update, then confirm it, then process it."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import itertools
import logging
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError

from bot.logging_setup import current_update_id
from bot.runtime import Runtime
from bot.services import inbox
from bot.services.inbox import StoredUpdate

if TYPE_CHECKING:
    from bot.telegram.app import QuizApplication

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25  # seconds Telegram may hold a getUpdates call open
BATCH = 100  # getUpdates' maximum, and the most updates processed in one pass
MAX_TRIES = 3  # an update that failed this often is given up, not retried forever
CHAT_LANES = 32  # chats processed at the same time; one chat's updates stay in order
KEEP_PROCESSED = dt.timedelta(days=2)
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]

# True while processing an update that an earlier run already started (it crashed or was
# killed): handlers then repeat what the learner may not have seen, instead of refusing.
REDELIVERED: contextvars.ContextVar[bool] = contextvars.ContextVar("redelivered", default=False)


class InboxPoller:
    """Fetch updates into the inbox table and process them from there."""

    def __init__(self, app: QuizApplication, runtime: Runtime) -> None:
        self._app = app
        self._runtime = runtime
        self._lanes = asyncio.Semaphore(CHAT_LANES)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; leftovers from a previous run are processed first."""
        async with self._runtime.sessions() as session:
            offset = await inbox.next_offset(session)
            await inbox.prune_processed(session, older_than=self._runtime.clock() - KEEP_PROCESSED)
        await self.process_pending()
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
            async with self._runtime.sessions() as session:
                await inbox.store_updates(session, payloads, now=self._runtime.clock())
            # Only now, with the updates committed, may the next call confirm them.
            offset = max(int(p["update_id"]) for p in payloads) + 1
            await self.process_pending()

    async def _fetch(self, offset: int | None) -> list[dict[str, Any]]:
        updates = await self._app.bot.get_updates(
            offset=offset, timeout=POLL_TIMEOUT, limit=BATCH, allowed_updates=ALLOWED_UPDATES
        )
        return [u.to_dict() for u in updates]

    async def process_pending(self) -> None:
        """Process every stored, unprocessed update; different chats run side by side."""
        while True:
            async with self._runtime.sessions() as session:
                rows = await inbox.pending_updates(session, limit=BATCH)
            if not rows:
                return
            by_chat = itertools.groupby(
                sorted(rows, key=lambda r: (r.chat_id or 0, r.update_id)),
                key=lambda r: r.chat_id or 0,
            )
            await asyncio.gather(*(self._process_chat(list(group)) for _, group in by_chat))

    async def _process_chat(self, rows: list[StoredUpdate]) -> None:
        async with self._lanes:
            for row in rows:
                await self.process_row(row)

    async def process_row(self, row: StoredUpdate) -> None:
        """Process one stored update once, and mark it."""
        sessions, clock = self._runtime.sessions, self._runtime.clock
        error: str | None = None
        async with sessions() as session:
            await inbox.claim_update(session, row.update_id)
        if row.tries + 1 > MAX_TRIES:
            error = f"given up after {MAX_TRIES} tries"
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
        async with sessions() as session:
            await inbox.mark_processed(session, row.update_id, now=clock(), error=error)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return
