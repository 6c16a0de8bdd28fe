"""Webhook mode's worker: several processes behind a proxy share the stored updates.

Each worker processes a chat by claiming the head of that chat's queue under a lease
(services/update_store.py), so every update is processed once and one learner's updates in
order, whichever process received them. A sweeper picks up what a dead worker left behind.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import socket
import time
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import TelegramError

from bot.logging_setup import current_update_id
from bot.runtime import Runtime
from bot.services import update_store
from bot.services.monitoring import DATABASE_ERRORS
from bot.services.update_store import StoredUpdate
from bot.telegram import metrics
from bot.telegram.intake.flood import FloodControl
from bot.telegram.intake.shared import MAX_TRIES, REDELIVERED
from bot.telegram.outage import again_when_back

if TYPE_CHECKING:
    from bot.telegram.app import QuizApplication

log = logging.getLogger(__name__)


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
