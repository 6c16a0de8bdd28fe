"""Instructor commands and quiz uploads: parse the update, call one service, render.

Roles come from the settings (QUIZBOT_INSTRUCTOR_IDS, QUIZBOT_ADMIN_IDS); everyone else
gets a one-line refusal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.domain.errors import QuizbotError, QuizImportError
from bot.domain.limits import QUIZ_FILE_MAX_BYTES
from bot.domain.quizfile.messages import Problem
from bot.domain.roles import Role
from bot.services import cohorts, quizzes
from bot.services.quizzes import QuizFile
from bot.telegram import error_text
from bot.telegram import render_instructor as ri
from bot.telegram.context import QuizContext
from bot.telegram.handlers import learner
from bot.telegram.render import escape_text
from bot.telegram.sending import send_html

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
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback))
    # Before the learners' catch-all document handler, which refuses every file.
    app.add_handler(MessageHandler(filters.Document.ALL, upload))


async def _reply(update: Update, context: QuizContext, text: str) -> None:
    chat = update.effective_chat
    assert chat is not None
    await send_html(context.bot, chat.id, text)


async def _allowed(update: Update, context: QuizContext, command: str) -> bool:
    if context.role(update) >= Role.INSTRUCTOR:
        return True
    await context.learner_id(update)
    await _reply(update, context, ri.NOT_INSTRUCTOR.format(command=command))
    return False


def _username(context: QuizContext) -> str:
    return context.bot.username


async def upload(update: Update, context: QuizContext) -> None:
    """Validate a quiz file sent as a document and import it, or list every problem."""
    if context.role(update) < Role.INSTRUCTOR:
        await learner.document(update, context)
        return
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    user_id = await context.learner_id(update)
    name = document.file_name or "quiz.yaml"
    if not name.lower().endswith(QUIZ_SUFFIXES):
        await _reply(update, context, ri.WRONG_FILE_TYPE.format(name=escape_text(name)))
        return
    # Refuse big files before downloading them: the size is in the message already.
    if document.file_size is not None and document.file_size > QUIZ_FILE_MAX_BYTES:
        await _reply(update, context, ri.too_big_text(document.file_size))
        return
    try:
        file = await context.bot.get_file(document.file_id)
        data = bytes(await file.download_as_bytearray())
    except TelegramError:
        await _reply(update, context, ri.DOWNLOAD_FAILED)
        return
    runtime = context.runtime
    try:
        async with runtime.sessions() as session:
            outcomes = await quizzes.import_quizzes(
                session,
                # A file sent in the chat has no folder: its source text must be inline.
                [QuizFile(name=name, data=data, read_source=None)],
                now=runtime.clock(),
                owner_id=user_id,
                admin=context.role(update) >= Role.ADMIN,
            )
    except QuizImportError as exc:
        located = exc.located or [Problem(name, 1, text) for text in exc.problems]
        await _reply(update, context, ri.problems_text(name, located))
        return
    await _reply(update, context, ri.import_text(outcomes[0], _username(context)))


async def cohort(update: Update, context: QuizContext) -> None:
    """Create a cohort and reply with its invite link and code."""
    if not await _allowed(update, context, "cohort"):
        return
    user_id = await context.learner_id(update)
    runtime = context.runtime
    try:
        async with runtime.sessions() as session:
            created = await cohorts.create_cohort(
                session, owner_id=user_id, name=" ".join(context.args or ()), now=runtime.clock()
            )
    except QuizbotError as exc:
        await _reply(update, context, error_text.reply_html(exc))
        return
    await _reply(update, context, ri.cohort_created_text(created, _username(context)))


async def list_quizzes(update: Update, context: QuizContext) -> None:
    """List the instructor's quizzes and cohorts, or one quiz's versions with statistics."""
    if not await _allowed(update, context, "quizzes"):
        return
    user_id = await context.learner_id(update)
    admin = context.role(update) >= Role.ADMIN
    if context.args:
        try:
            async with context.runtime.sessions() as session:
                versions = await quizzes.quiz_versions(
                    session, slug=context.args[0].lower(), user_id=user_id, admin=admin
                )
        except QuizbotError as exc:
            await _reply(update, context, error_text.reply_html(exc))
            return
        await _reply(update, context, ri.versions_text(versions))
        return
    async with context.runtime.sessions() as session:
        overview = await quizzes.instructor_overview(session, user_id=user_id, admin=admin)
    await _reply(update, context, ri.overview_text(overview, _username(context)))


async def share(update: Update, context: QuizContext) -> None:
    """Limit a quiz to cohorts: /share QUIZ-ID CODE…"""
    if not await _allowed(update, context, "share"):
        return
    user_id = await context.learner_id(update)
    args = list(context.args or ())
    try:
        async with context.runtime.sessions() as session:
            sharing = await cohorts.share_quiz(
                session,
                user_id=user_id,
                admin=context.role(update) >= Role.ADMIN,
                slug=args[0] if args else "",
                codes=args[1:],
            )
    except QuizbotError as exc:
        await _reply(update, context, error_text.reply_html(exc))
        return
    await _reply(update, context, ri.sharing_text(sharing, _username(context)))


async def public(update: Update, context: QuizContext) -> None:
    """Open a quiz to everyone: /public QUIZ-ID"""
    if not await _allowed(update, context, "public"):
        return
    user_id = await context.learner_id(update)
    if not context.args:
        await _reply(update, context, "Name the quiz: /public QUIZ-ID")
        return
    try:
        async with context.runtime.sessions() as session:
            sharing = await cohorts.make_public(
                session,
                user_id=user_id,
                admin=context.role(update) >= Role.ADMIN,
                slug=context.args[0],
            )
    except QuizbotError as exc:
        await _reply(update, context, error_text.reply_html(exc))
        return
    await _reply(update, context, ri.sharing_text(sharing, _username(context)))
