"""The rate limiter: PTB's AIORateLimiter, which also retries Telegram's transient errors.

Webhook workers on PostgreSQL share one send budget (`SharedSendBudget`, over the token
bucket in services/send_budget.py); `make_rate_limiter` picks it or an in-process one.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter

from bot.domain.flood import RecentUse
from bot.runtime import Runtime
from bot.services import send_budget
from bot.services.monitoring import DATABASE_ERRORS
from bot.telegram import metrics

log = logging.getLogger(__name__)

# Waits until one message may be sent under a budget shared with other processes.
SendBudget = Callable[[], Awaitable[None]]

RETRIES = 3
FIRST_BACKOFF = 0.5  # seconds; doubled after each failed try


class RetryingRateLimiter(AIORateLimiter):
    """Keep to 30 messages a second overall, retry a 429 after `retry_after`, and a 5xx or a
    dropped connection a few times with backoff.

    A 5xx or a drop may come after Telegram did send the message, so a retry can send it
    twice; a learner who misses their feedback is worse off than one who reads it twice.
    BadRequest is a NetworkError subclass in PTB but is final, so it is not retried.

    A callback query Telegram no longer takes an answer for (some 15 s after the press, or
    answered already) is let go as if answered: an update taken over from a dead worker
    comes back after the inbox lease, and the popup is a courtesy, while the edit and the
    next item that the handler sends after it are the learner's feedback.

    Messages waiting for the overall budget leave lightest chat first (`FairTurns`), not in
    the order they came: a flood of replies to a few chats does not hold up the others. With
    a `budget` (several processes, one bot), that budget, shared with the other processes,
    is the overall limit; without one, an in-process bucket of `overall_max_rate` a
    `overall_time_period` is.
    """

    def __init__(
        self,
        *,
        overall_max_rate: float = 30,
        overall_time_period: float = 1,
        retries: int = RETRIES,
        backoff: float = FIRST_BACKOFF,
        budget: SendBudget | None = None,
    ) -> None:
        # PTB's own overall limiter is off: the turns below take its place.
        super().__init__(
            overall_max_rate=0, overall_time_period=overall_time_period, max_retries=retries
        )
        self._retries = retries
        self._backoff = backoff
        if budget is None and overall_max_rate > 0:
            budget = AsyncLimiter(overall_max_rate, overall_time_period).acquire
        self._budget = budget
        self._turns = FairTurns()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        delay = self._backoff
        chat_id = _chat_key(data.get("chat_id"))
        for attempt in range(self._retries + 1):
            # The messages Telegram's overall limit counts: those addressed to a chat.
            if self._budget is not None and chat_id is not None:
                await self._turns.take(chat_id, self._budget)
            metrics.TELEGRAM_REQUESTS.labels(method=endpoint).inc()
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except TelegramError as exc:
                metrics.TELEGRAM_ERRORS.labels(kind=metrics.error_kind(exc)).inc()
                if endpoint == "answerCallbackQuery" and _query_expired(exc):
                    log.info("callback query not answered: %s", exc)
                    return True
                if isinstance(exc, BadRequest) or not isinstance(exc, NetworkError):
                    raise
                if endpoint == "getUpdates" or attempt == self._retries:
                    raise
                if isinstance(exc, TimedOut) and endpoint == "answerCallbackQuery":
                    raise
                log.warning(
                    "%s failed (%s); retry %d in %.1f s", endpoint, exc, attempt + 1, delay
                )
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


def _query_expired(exc: TelegramError) -> bool:
    return isinstance(exc, BadRequest) and "query is too old" in exc.message.lower()


def _chat_key(chat_id: object) -> int | None:
    if chat_id is None:
        return None
    if isinstance(chat_id, int):
        return chat_id
    # A channel's @username: one key for all of them is good enough.
    with contextlib.suppress(TypeError, ValueError):
        return int(str(chat_id))
    return 0


@dataclass
class _Waiter:
    chat_id: int
    since: float
    seq: int
    turn: asyncio.Future[None]


class FairTurns:
    """Let messages take the send budget one at a time, the lightest chat's first.

    A message's place is the time it began to wait, pushed back by PENALTY for each message
    its chat was sent lately (a count that halves every HALF_LIFE seconds) and for each other
    one of its chat still waiting, by at most MAX_PENALTY. So a learner who has had a reply
    or two goes before a chat that has had twenty in the last seconds, and no message waits
    more than MAX_PENALTY behind ones that began to wait after it. Without a queue, a
    message goes at once.
    """

    PENALTY = 0.1  # seconds per recent or waiting message of the same chat
    MAX_PENALTY = 1.0  # seconds
    HALF_LIFE = 2.0  # seconds

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sent = RecentUse(half_life=self.HALF_LIFE)
        self._waiting: list[_Waiter] = []
        self._held = False
        self._seq = itertools.count()

    async def take(self, chat_id: int, acquire: Callable[[], Awaitable[None]]) -> None:
        """Wait for this chat's turn, then for the budget (`acquire`); pass the turn on."""
        if self._held or self._waiting:
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append(_Waiter(chat_id, self._clock(), next(self._seq), turn))
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._pass_on()  # it was our turn: give it to the next
                raise
        else:
            self._held = True
        try:
            await acquire()
        finally:
            self._sent.add(chat_id, self._clock())
            self._pass_on()

    def _pass_on(self) -> None:
        self._waiting = [w for w in self._waiting if not w.turn.done()]
        if not self._waiting:
            self._held = False
            return
        now = self._clock()
        waiting = collections.Counter(w.chat_id for w in self._waiting)

        def place(w: _Waiter) -> tuple[float, int]:
            load = self._sent.level(w.chat_id, now) + waiting[w.chat_id] - 1
            return w.since + min(self.MAX_PENALTY, self.PENALTY * load), w.seq

        chosen = min(self._waiting, key=place)
        self._waiting.remove(chosen)
        chosen.turn.set_result(None)


class SharedSendBudget:
    """Wait for Telegram's overall message budget, shared by every process on PostgreSQL."""

    def __init__(self, runtime: Runtime, *, rate: float, burst: float) -> None:
        self._runtime = runtime
        self._rate = rate
        self._burst = burst

    async def __call__(self) -> None:
        started = time.perf_counter()
        try:
            async with self._runtime.sessions() as session:
                wait = await send_budget.reserve_send(session, rate=self._rate, burst=self._burst)
        except DATABASE_ERRORS as exc:
            # Without the database keep this process's share of the pace rather than stall.
            log.warning("shared send budget unavailable (%s); pacing locally", exc)
            wait = 1.0 / self._rate
        if wait > 0:
            await asyncio.sleep(wait)
        metrics.SEND_WAIT_SECONDS.observe(time.perf_counter() - started)


def make_rate_limiter(runtime: Runtime) -> RetryingRateLimiter:
    """The rate limiter of a worker: a shared budget on PostgreSQL, in-process on SQLite."""
    settings = runtime.settings
    if runtime.shared_database:
        budget = SharedSendBudget(runtime, rate=settings.max_send_rate, burst=settings.send_burst)
        return RetryingRateLimiter(budget=budget)
    return RetryingRateLimiter(overall_max_rate=settings.max_send_rate)
