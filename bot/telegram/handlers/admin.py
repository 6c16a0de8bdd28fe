"""Admins' (and instructors') reports: /stats with a chart, /export as a CSV document."""

from __future__ import annotations

import asyncio
import gzip
import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import CommandHandler

from bot.domain.errors import QuizbotError
from bot.domain.report_query import ReportQuery, Viewer, check_may_report, parse_report_args
from bot.reports_chart import render_chart
from bot.services import reports
from bot.telegram import error_text, render_reports
from bot.telegram.context import QuizContext
from bot.telegram.sending import send_html

if TYPE_CHECKING:
    from bot.telegram.app import QuizApplication

log = logging.getLogger(__name__)

# Bots may send documents up to 50 MB; a bigger CSV goes gzipped, and past that the
# terminal export is the way.
DOCUMENT_MAX_BYTES = 50 * 1024 * 1024
STATS_USAGE = "Usage: /stats [quiz-id] [version=N] [cohort=CODE] [days=N]"
EXPORT_USAGE = "Usage: /export [quiz-id] [version=N] [cohort=CODE] [days=N]"


def register(app: QuizApplication) -> None:
    """Add /stats and /export."""
    app.add_handler(CommandHandler("stats", stats))
    app.add_handler(CommandHandler("export", export))


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None
    return chat.id


async def _viewer(update: Update, context: QuizContext) -> Viewer:
    return Viewer(user_id=await context.learner_id(update), role=context.role(update))


async def stats(update: Update, context: QuizContext) -> None:
    """Reply with the score summary and a chart."""
    viewer = await _viewer(update, context)
    runtime = context.runtime
    chat_id = _chat_id(update)
    try:
        check_may_report(viewer)
        query = parse_report_args(context.args or [])
        async with runtime.sessions() as session:
            report = await reports.quiz_report(
                session, viewer=viewer, query=query, now=runtime.clock()
            )
    except QuizbotError as exc:
        await send_html(context.bot, chat_id, error_text.reply_html(exc, usage=STATS_USAGE))
        return
    await send_html(context.bot, chat_id, render_reports.stats_text(report))
    if report.attempts_started == 0:
        return
    await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
    # Drawing takes a few hundred milliseconds of CPU: keep the event loop serving others.
    png = await asyncio.to_thread(render_chart, report)
    await context.bot.send_photo(
        chat_id,
        InputFile(png, filename="stats.png"),
        caption=render_reports.stats_caption(report),
    )


async def export(update: Update, context: QuizContext) -> None:
    """Send the answers in scope as a CSV document, one row per answer."""
    viewer = await _viewer(update, context)
    runtime = context.runtime
    chat_id = _chat_id(update)
    with tempfile.TemporaryDirectory(prefix="quizbot-export-") as folder:
        try:
            check_may_report(viewer)
            query = parse_report_args(context.args or [])
            name = _file_name(query)
            path = Path(folder) / name
            with path.open("w", encoding="utf-8", newline="") as out:
                async with runtime.sessions() as session:
                    rows = await reports.export_answers(
                        session, viewer=viewer, query=query, now=runtime.clock(), out=out
                    )
        except QuizbotError as exc:
            await send_html(context.bot, chat_id, error_text.reply_html(exc, usage=EXPORT_USAGE))
            return
        if path.stat().st_size > DOCUMENT_MAX_BYTES:
            path = await asyncio.to_thread(_gzip, path)
        if path.stat().st_size > DOCUMENT_MAX_BYTES:
            await send_html(
                context.bot,
                chat_id,
                f"The export has {rows} rows, too big for Telegram. Narrow it with days=N or "
                "cohort=CODE, or run quizbot export in the terminal.",
            )
            return
        await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
        with path.open("rb") as document:
            await context.bot.send_document(
                chat_id,
                InputFile(document, filename=path.name),
                caption=f"{rows} answers, one row each; learners by pseudonym only.",
            )


def _file_name(query: ReportQuery) -> str:
    parts = ["answers", query.quiz or "all"]
    if query.version is not None:
        parts.append(f"v{query.version}")
    if query.cohort is not None:
        # Not the invite code: a file is forwarded easily, and the code lets anyone join.
        parts.append("cohort")
    if query.days is not None:
        parts.append(f"{query.days}d")
    return "-".join(parts) + ".csv"


def _gzip(path: Path) -> Path:
    target = path.with_name(path.name + ".gz")
    with path.open("rb") as source, gzip.open(target, "wb") as sink:
        shutil.copyfileobj(source, sink)
    path.unlink()
    return target
