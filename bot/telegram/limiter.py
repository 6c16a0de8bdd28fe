"""The rate limiter: PTB's AIORateLimiter, which also retries Telegram's transient errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter

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

    With a `budget` (several processes, one bot), every message to a chat first waits for the
    shared budget, and the in-process overall limit is off: the budget is the overall limit.
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
        super().__init__(
            overall_max_rate=0 if budget is not None else overall_max_rate,
            overall_time_period=overall_time_period,
            max_retries=retries,
        )
        self._retries = retries
        self._backoff = backoff
        self._budget = budget

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
        for attempt in range(self._retries + 1):
            # The same messages the in-process limiter counts: those addressed to a chat.
            if self._budget is not None and data.get("chat_id") is not None:
                await self._budget()
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
