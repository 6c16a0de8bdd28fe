"""The follow-up dispatcher: a repeating JobQueue job that sends due follow-ups and the
invitations to delayed tests.

The job holds no schedule of its own: each run asks the database what is due (see
bot/services/followups/dispatch.py), so a restart, a late run or a second process loses nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
from typing import TYPE_CHECKING, Any

from telegram.error import Forbidden, TelegramError
from telegram.ext import ExtBot

from bot.services.assessment.invitations import SendInvitation, dispatch_due_tests
from bot.services.assessment.views import StageInvitation
from bot.services.followups.dispatch import (
    DeliveryError,
    RecipientBlockedError,
    Send,
    dispatch_due_followups,
)
from bot.services.views import FollowUpDelivery
from bot.telegram import render_assessment
from bot.telegram.context import QuizContext
from bot.telegram.followup_render import delivery_text
from bot.telegram.render import item_keyboard
from bot.telegram.sending import send_html

if TYPE_CHECKING:
    from bot.telegram.app import QuizApplication

log = logging.getLogger(__name__)

JOB_NAME = "followup-dispatcher"
WORKER_KEY = "followup_worker"


def worker_id() -> str:
    """A worker id unique to this process: host, pid and a random part (pids get reused)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"[:64]


def telegram_sender(bot: ExtBot[None]) -> Send:
    """Send a follow-up as one Telegram message (split only if it is very long)."""

    async def send(delivery: FollowUpDelivery) -> None:
        keyboard = item_keyboard(delivery.practice) if delivery.practice is not None else None
        try:
            await send_html(bot, delivery.chat_id, delivery_text(delivery), keyboard)
        except Forbidden as exc:
            raise RecipientBlockedError(str(exc)) from exc
        except TelegramError as exc:
            raise DeliveryError(str(exc)) from exc

    return send


def invitation_sender(bot: ExtBot[None]) -> SendInvitation:
    """Send the delayed test's invitation, with its Start and Skip buttons."""

    async def send(invitation: StageInvitation) -> None:
        text = render_assessment.invitation_text(invitation)
        keyboard = render_assessment.offer_keyboard(invitation.offer)
        try:
            await send_html(bot, invitation.chat_id, text, keyboard)
        except Forbidden as exc:
            raise RecipientBlockedError(str(exc)) from exc
        except TelegramError as exc:
            raise DeliveryError(str(exc)) from exc

    return send


async def dispatch(context: QuizContext) -> None:
    """Run one dispatcher pass: send every follow-up and delayed test that is due."""
    runtime = context.runtime
    worker = context.bot_data.setdefault(WORKER_KEY, worker_id())
    report = await dispatch_due_followups(
        runtime.sessions,
        worker=worker,
        clock=runtime.clock,
        send=telegram_sender(context.bot),
        scale=runtime.settings.followup_delay_scale,
    )
    invited = await dispatch_due_tests(
        runtime.sessions,
        worker=worker,
        clock=runtime.clock,
        send=invitation_sender(context.bot),
        scale=runtime.settings.followup_delay_scale,
    )
    if invited.claimed:
        log.info(
            "tests: %d invitations claimed, %d sent, %d deferred, %d failed, %d blocked",
            invited.claimed,
            invited.sent,
            invited.deferred,
            invited.failed,
            invited.blocked,
        )
    if report.claimed:
        log.info(
            "follow-ups: %d claimed, %d sent in %d messages, %d deferred, %d failed, "
            "%d blocked, %d cancelled",
            report.claimed,
            report.sent,
            report.messages,
            report.deferred,
            report.failed,
            report.blocked,
            report.cancelled,
        )


def schedule_dispatcher(app: QuizApplication) -> None:
    """Run the dispatcher every QUIZBOT_DISPATCH_INTERVAL seconds on the JobQueue."""
    if app.job_queue is None:
        log.warning("no job queue: follow-up lessons will not be sent by this process")
        return
    runtime = app.bot_data["runtime"]
    interval = float(runtime.settings.dispatch_interval)
    job_kwargs: dict[str, Any] = {
        # APScheduler drops a run that starts more than misfire_grace_time late (default 1 s),
        # which a busy event loop or a suspended laptop easily causes. A run only reads the
        # database, so a late run is as good as a punctual one: never drop it (None), and
        # fold several missed runs into one (coalesce) instead of running them back to back.
        "misfire_grace_time": None,
        "coalesce": True,
        # A pass that takes longer than the interval (a large backlog at 30 messages a
        # second) keeps going; the next run waits for it instead of racing it.
        "max_instances": 1,
    }
    app.job_queue.run_repeating(
        dispatch,
        interval=dt.timedelta(seconds=interval),
        first=min(interval, 1.0),
        name=JOB_NAME,
        job_kwargs=job_kwargs,
    )
