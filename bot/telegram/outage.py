"""Work interrupted by a lost database connection is done again once the server is back.

A PostgreSQL restart or failover ends the connections of the transactions in flight, and
for a moment refuses new ones. The pool's pre-ping replaces connections that died while
idle; these helpers cover the transactions that were running: a handler is run again, and
the inbox's own bookkeeping is retried, with pauses that span a restart (about 15 s in all).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from bot.services.monitoring import DATABASE_ERRORS, connection_lost
from bot.telegram.intake.shared import REDELIVERED

log = logging.getLogger(__name__)
T = TypeVar("T")

PAUSES = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # seconds before each new try

Callback = Callable[[Any, Any], Coroutine[Any, Any, Any]]


async def again_when_back(step: Callable[[], Awaitable[T]], *, what: str) -> T:
    """Run `step`; while it fails because the connection was lost, wait and run it again."""
    for pause in (*PAUSES, None):
        try:
            return await step()
        except DATABASE_ERRORS as exc:
            if pause is None or not connection_lost(exc):
                raise
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            log.warning("%s: database connection lost (%s); again in %.2f s", what, reason, pause)
            await asyncio.sleep(pause)
    raise AssertionError("unreachable")


def rerun_on_lost_connection(callback: Callback) -> Callback:
    """Wrap a handler so that it runs again when the database connection was lost under it.

    The rerun counts as a redelivery: what committed before the connection went (an answer)
    is shown again rather than refused as already done, as after a crash.
    """

    @functools.wraps(callback)
    async def run(update: Any, context: Any) -> Any:
        async def once() -> Any:
            try:
                return await callback(update, context)
            except DATABASE_ERRORS as exc:
                if connection_lost(exc):
                    REDELIVERED.set(True)
                raise

        return await again_when_back(once, what=f"handler {callback.__name__}")

    return run
