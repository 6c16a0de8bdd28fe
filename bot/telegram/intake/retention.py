"""Retention of stored updates: a JobQueue job that prunes processed ones, in both modes.

Processed updates hold users' names and messages. Every process prunes them on a schedule
(several webhook workers pruning the same rows is harmless: the deletes and the watermark
are idempotent), so that none outlives QUIZBOT_UPDATE_RETENTION_HOURS by more than
PRUNE_EVERY, however long the process runs.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from bot.services import update_store
from bot.services.monitoring import DATABASE_ERRORS
from bot.telegram.context import QuizContext

if TYPE_CHECKING:
    from bot.telegram.app import QuizApplication

log = logging.getLogger(__name__)

JOB_NAME = "inbox-pruning"
PRUNE_EVERY = 3600.0  # seconds between two prunes
# Soon after start: a process restarted more often than hourly still prunes.
PRUNE_FIRST = 30.0


def schedule_pruning(app: QuizApplication) -> None:
    """Prune processed updates every PRUNE_EVERY seconds on the JobQueue."""
    if app.job_queue is None:
        log.warning("no job queue: processed updates will not be pruned by this process")
        return
    job_kwargs: dict[str, Any] = {
        # A late run prunes as well as a punctual one; never drop it, fold missed ones.
        "misfire_grace_time": None,
        "coalesce": True,
        "max_instances": 1,
    }
    app.job_queue.run_repeating(
        prune_updates,
        interval=dt.timedelta(seconds=PRUNE_EVERY),
        first=PRUNE_FIRST,
        name=JOB_NAME,
        job_kwargs=job_kwargs,
    )


async def prune_updates(context: QuizContext) -> None:
    """Delete the updates processed longer ago than the retention period."""
    runtime = context.runtime
    keep = dt.timedelta(hours=runtime.settings.update_retention_hours)
    try:
        async with runtime.sessions() as session:
            pruned = await update_store.prune_processed(session, now=runtime.clock(), keep=keep)
    except DATABASE_ERRORS as exc:
        log.warning("pruning processed updates failed (%s); trying again later", exc)
        return
    if pruned:
        log.info("pruned %d processed updates", pruned)
