"""Instructor commands and quiz uploads: each parses its update, calls one service, renders.

Roles come from the settings (QUIZBOT_INSTRUCTOR_IDS, QUIZBOT_ADMIN_IDS); everyone else
gets a one-line refusal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.error import TelegramError
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.domain.limits import QUIZ_FILE_MAX_BYTES
from bot.domain.roles import Role
from bot.services import cohorts, quizzes
from bot.services.quizzes import QuizFile
from bot.telegram import render_instructor as ri
from bot.telegram.handlers import assessment
from bot.telegram.handlers.instructor_draft import draft_from_article, is_article
from bot.telegram.handlers.turn import Turn, command
from bot.telegram.render import escape_text

if TYPE_CHECKING:
    from bot.telegram.app import QuizApplication

QUIZ_SUFFIXES = (".yaml", ".yml")


def register(app: QuizApplication) -> None:
    """Add the instructors' handlers; call before the learners' document handler."""
    commands = {
        "cohort": cohort,
        "quizzes": list_quizzes,
        "share": share,
        "public": public,
        "assess": assessment.assess,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback))
    # Before the learners' catch-all document handler, which refuses every file.
    app.add_handler(MessageHandler(filters.Document.ALL, upload))


@command
async def upload(turn: Turn) -> None:
    """Import a quiz file sent as a document (or list every problem); draft one from an
    article (.txt, .html)."""
    if turn.role < Role.INSTRUCTOR:
        await turn.reply(ri.NOT_UPLOADER)
        return
    document = turn.message.document
    assert document is not None
    name = document.file_name or "quiz.yaml"
    if is_article(name):
        await draft_from_article(turn, document, name)
        return
    if not name.lower().endswith(QUIZ_SUFFIXES):
        await turn.reply(ri.WRONG_FILE_TYPE.format(name=escape_text(name)))
        return
    # Refuse big files before downloading them: the size is in the message already.
    if document.file_size is not None and document.file_size > QUIZ_FILE_MAX_BYTES:
        await turn.reply(ri.too_big_text(document.file_size))
        return
    try:
        file = await turn.context.bot.get_file(document.file_id)
        data = bytes(await file.download_as_bytearray())
    except TelegramError:
        await turn.reply(ri.DOWNLOAD_FAILED)
        return
    # Problems (QuizImportError) are listed by line, numbered: see error_text.reply_html.
    outcomes = await turn.call(
        quizzes.import_quizzes,
        # A file sent in the chat has no folder: its source text must be inline.
        [QuizFile(name=name, data=data, read_source=None)],
        now=turn.now(),
        owner_id=turn.user_id,
        admin=turn.role >= Role.ADMIN,
    )
    await turn.reply(ri.import_text(outcomes[0], turn.bot_username))


@command(staff_only="cohort")
async def cohort(turn: Turn) -> None:
    """Create a cohort and reply with its invite link and code."""
    created = await turn.call(
        cohorts.create_cohort, owner_id=turn.user_id, name=" ".join(turn.args), now=turn.now()
    )
    await turn.reply(ri.cohort_created_text(created, turn.bot_username))


@command(staff_only="quizzes")
async def list_quizzes(turn: Turn) -> None:
    """List the instructor's quizzes and cohorts, or one quiz's versions with statistics."""
    admin = turn.role >= Role.ADMIN
    if turn.args:
        versions = await turn.call(
            quizzes.quiz_versions, slug=turn.args[0].lower(), user_id=turn.user_id, admin=admin
        )
        await turn.reply(ri.versions_text(versions))
        return
    overview = await turn.call(quizzes.instructor_overview, user_id=turn.user_id, admin=admin)
    await turn.reply(ri.overview_text(overview, turn.bot_username))


@command(staff_only="share")
async def share(turn: Turn) -> None:
    """Limit a quiz to cohorts: /share QUIZ-ID CODE…"""
    slug, *codes = turn.args or [""]
    sharing = await turn.call(
        cohorts.share_quiz,
        user_id=turn.user_id,
        admin=turn.role >= Role.ADMIN,
        slug=slug,
        codes=codes,
    )
    await turn.reply(ri.sharing_text(sharing, turn.bot_username))


@command(staff_only="public")
async def public(turn: Turn) -> None:
    """Open a quiz to everyone: /public QUIZ-ID"""
    if not turn.args:
        await turn.reply(ri.PUBLIC_USAGE)
        return
    sharing = await turn.call(
        cohorts.make_public,
        user_id=turn.user_id,
        admin=turn.role >= Role.ADMIN,
        slug=turn.args[0],
    )
    await turn.reply(ri.sharing_text(sharing, turn.bot_username))
