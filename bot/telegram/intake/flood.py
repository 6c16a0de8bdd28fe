"""The per-user limit at intake: updates beyond it are dropped before they are stored.

Both the poller and each webhook worker ask `FloodControl.admit` about every update as it
arrives, before it costs a database write or a place in a queue. A press beyond the limit
is answered with a "slow down" popup (a press always wants an answer, and a popup is no
message: it costs nothing of the 30 a second); a message beyond it gets one short reply,
once per burst. The limit itself, and why it is what it is, is `domain/flood.py`.

Each process counts on its own: behind a round-robin proxy, N webhook workers let a user
through up to N times the burst.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from bot.console import i18n
from bot.console.i18n import N_, NP_, _, pgettext
from bot.domain import languages
from bot.domain.flood import FloodGate, Verdict
from bot.domain.updates import sender_of
from bot.telegram import metrics

log = logging.getLogger(__name__)

SLOW_DOWN_POPUP = NP_("popup", "Slow down a little: I skipped that tap.")
SLOW_DOWN_TEXT = N_(
    "You are sending faster than I can answer, so I skipped some of your messages. "
    "Wait a few seconds, then send the last one again."
)


class FloodControl:
    """Admit or drop updates by their sender's token bucket, and tell the sender."""

    def __init__(
        self,
        bot: Bot,
        *,
        burst: float,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self._gate = FloodGate(burst=burst, rate=rate)
        self._clock = clock
        self._notices: set[asyncio.Task[None]] = set()

    def admit(self, payload: dict[str, Any]) -> bool:
        """Whether to take an update in; a dropped one's sender is told in the background."""
        sender = sender_of(payload)
        if sender is None:  # not a message or a press (a block, an unblock): always in
            return True
        verdict = self._gate.check(sender, self._clock())
        if verdict is Verdict.ADMIT:
            return True
        # Said in the phone's language: a dropped update is not worth a database read.
        with i18n.use(languages.from_telegram(_language_code(payload))):
            query = payload.get("callback_query")
            if isinstance(query, dict):
                metrics.THROTTLED.labels(kind="press").inc()
                query_id = query.get("id")
                if isinstance(query_id, str):
                    text = pgettext("popup", SLOW_DOWN_POPUP)
                    self._tell(self._bot.answer_callback_query(query_id, text=text))
            else:
                metrics.THROTTLED.labels(kind="message").inc()
                chat = _chat_of_message(payload)
                if verdict is Verdict.DROP_AND_TELL and chat is not None:
                    self._tell(self._bot.send_message(chat, _(SLOW_DOWN_TEXT)))
        return False

    def _tell(self, call: Any) -> None:
        task = asyncio.ensure_future(self._send(call))
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    async def _send(self, call: Any) -> None:
        try:
            await call
        except TelegramError as exc:  # blocked, gone, or a query too old: nothing to do
            log.info("could not tell a flooding user to slow down: %s", exc)

    async def close(self) -> None:
        """Wait for the notices still being sent."""
        if self._notices:
            await asyncio.gather(*self._notices, return_exceptions=True)


def _chat_of_message(payload: dict[str, Any]) -> int | None:
    for key in ("message", "edited_message"):
        part = payload.get(key)
        if isinstance(part, dict):
            chat = part.get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
    return None


def _language_code(payload: dict[str, Any]) -> str | None:
    """The sender's `language_code` (their phone's language), if Telegram gave one."""
    for key in ("callback_query", "message", "edited_message"):
        part = payload.get(key)
        sender = part.get("from") if isinstance(part, dict) else None
        if isinstance(sender, dict) and isinstance(sender.get("language_code"), str):
            return str(sender["language_code"])
    return None
