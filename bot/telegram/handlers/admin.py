"""Admins' (and instructors') reports: /stats with a chart, /export as a CSV document."""

from __future__ import annotations

import asyncio
import gzip
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from telegram import InputFile
from telegram.constants import ChatAction
from telegram.ext import CommandHandler

from bot.console import i18n
from bot.console.i18n import N_
from bot.domain.report_query import ReportQuery, Viewer, check_may_report, parse_report_args
from bot.services import reports
from bot.telegram import render_reports
from bot.telegram.chart import render_chart
from bot.telegram.handlers.turn import Turn, command

if TYPE_CHECKING:
    from bot.telegram.app import QuizApplication

# Bots may send documents up to 50 MB; a bigger CSV goes gzipped, and past that the
# terminal export is the way.
DOCUMENT_MAX_BYTES = 50 * 1024 * 1024
STATS_USAGE = N_("Usage: /stats [quiz-id] [version=N] [cohort=CODE] [days=N]")
EXPORT_USAGE = N_("Usage: /export [quiz-id] [version=N] [cohort=CODE] [days=N]")


def register(app: QuizApplication) -> None:
    """Add /stats and /export."""
    app.add_handler(CommandHandler("stats", stats))
    app.add_handler(CommandHandler("export", export))


def _viewer(turn: Turn) -> Viewer:
    return Viewer(user_id=turn.user_id, role=turn.role)


@command(usage=STATS_USAGE)
async def stats(turn: Turn) -> None:
    """Reply with the score summary and a chart."""
    viewer = _viewer(turn)
    check_may_report(viewer)
    query = parse_report_args(turn.args)
    report = await turn.call(
        reports.quiz_report,
        viewer=viewer,
        query=query,
        now=turn.now(),
        language=i18n.language(),
    )
    await turn.reply(render_reports.stats_text(report))
    if report.attempts_started == 0 and report.assessment is None:
        return
    bot = turn.context.bot
    await bot.send_chat_action(turn.chat_id, ChatAction.UPLOAD_PHOTO)
    # Drawing takes a few hundred milliseconds of CPU: keep the event loop serving others.
    png = await asyncio.to_thread(render_chart, report)
    await bot.send_photo(
        turn.chat_id,
        InputFile(png, filename="stats.png"),
        caption=render_reports.stats_caption(report),
    )


@command(usage=EXPORT_USAGE)
async def export(turn: Turn) -> None:
    """Send the answers in scope as a CSV document, one row per answer."""
    viewer = _viewer(turn)
    check_may_report(viewer)
    query = parse_report_args(turn.args)
    with tempfile.TemporaryDirectory(prefix="quizbot-export-") as folder:
        path = Path(folder) / _file_name(query)
        with path.open("w", encoding="utf-8", newline="") as out:
            rows = await turn.call(
                reports.export_answers, viewer=viewer, query=query, now=turn.now(), out=out
            )
        if path.stat().st_size > DOCUMENT_MAX_BYTES:
            path = await asyncio.to_thread(_gzip, path)
        if path.stat().st_size > DOCUMENT_MAX_BYTES:
            await turn.reply(render_reports.export_too_big_text(rows))
            return
        bot = turn.context.bot
        await bot.send_chat_action(turn.chat_id, ChatAction.UPLOAD_DOCUMENT)
        with path.open("rb") as document:
            await bot.send_document(
                turn.chat_id,
                InputFile(document, filename=path.name),
                caption=render_reports.export_caption(rows),
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
