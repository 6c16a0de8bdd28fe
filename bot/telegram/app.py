"""Composition root of the Telegram bot: build the Application, register handlers, serve."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.console import i18n
from bot.console.i18n import N_, _
from bot.domain.errors import QuizbotError
from bot.runtime import Runtime
from bot.services import learners
from bot.telegram import callback_data as cd
from bot.telegram.context import RUNTIME_KEY, QuizContext
from bot.telegram.dispatcher import schedule_dispatcher
from bot.telegram.handlers import admin, assessment, instructor, learner
from bot.telegram.handlers.turn import refuse
from bot.telegram.intake.polling import InboxPoller
from bot.telegram.intake.retention import schedule_pruning
from bot.telegram.limiter import RetryingRateLimiter
from bot.telegram.menus import set_default_menus
from bot.telegram.outage import rerun_on_lost_connection

log = logging.getLogger(__name__)

QuizApplication = Application[Any, QuizContext, Any, Any, Any, Any]

APOLOGY = N_("Sorry, something went wrong on my side. Please try again in a moment.")


def build_application(
    runtime: Runtime, *, token: str, rate_limiter: RetryingRateLimiter | None = None
) -> QuizApplication:
    """Build the PTB Application with every handler; updates come from the inbox."""
    api = runtime.settings.telegram_api_url
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .context_types(ContextTypes(context=QuizContext))
        .rate_limiter(
            rate_limiter or RetryingRateLimiter(overall_max_rate=runtime.settings.max_send_rate)
        )
        # The inbox poller feeds updates in; PTB's Updater would confirm them too early.
        .updater(None)
        .build()
    )
    app.bot_data[RUNTIME_KEY] = runtime
    register_handlers(app)
    schedule_dispatcher(app)
    schedule_pruning(app)
    return app


def register_handlers(app: QuizApplication) -> None:
    """Register handlers; in group 0 the first match wins, so order matters."""
    # Group -1 runs first for every message and press: it knows (or creates) the learner.
    app.add_handler(
        TypeHandler(Update, learner.identify, block=True),
        group=-1,
    )
    app.add_handler(ChatMemberHandler(learner.membership, ChatMemberHandler.MY_CHAT_MEMBER))
    commands = {
        "start": learner.start,
        "help": learner.help_command,
        "quiz": learner.quiz,
        "score": learner.score,
        "lessons": learner.lessons,
        "stop": learner.stop,
        "forgetme": learner.forgetme,
        "language": learner.language,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback))
    app.add_handler(CallbackQueryHandler(learner.answer_press, pattern=cd.ANSWER_PATTERN))
    app.add_handler(CallbackQueryHandler(learner.mask_press, pattern=cd.TOGGLE_PATTERN))
    app.add_handler(CallbackQueryHandler(learner.continue_press, pattern=cd.CONTINUE_PATTERN))
    app.add_handler(CallbackQueryHandler(learner.forget_press, pattern=cd.FORGET_PATTERN))
    app.add_handler(CallbackQueryHandler(learner.practice_press, pattern=cd.PRACTICE_PATTERN))
    app.add_handler(CallbackQueryHandler(learner.practice_press, pattern=cd.PRACTICE_MASK_PATTERN))
    app.add_handler(CallbackQueryHandler(learner.window_press, pattern=cd.WINDOW_PATTERN))
    app.add_handler(CallbackQueryHandler(learner.language_press, pattern=cd.LANGUAGE_PATTERN))
    app.add_handler(CallbackQueryHandler(learner.quiz_press, pattern=cd.QUIZ_PATTERN))
    app.add_handler(CallbackQueryHandler(assessment.stage_press, pattern=cd.STAGE_PATTERN))
    app.add_handler(CallbackQueryHandler(learner.unknown_button))
    # Instructors' commands and uploads; before the learners' document handler, which
    # refuses every file (order matters).
    instructor.register(app)
    admin.register(app)
    app.add_handler(MessageHandler(filters.Document.ALL, learner.document))
    # Last: anything else that looks like a command, then any other text.
    app.add_handler(MessageHandler(filters.COMMAND, learner.unknown_command))
    app.add_handler(MessageHandler(filters.TEXT, learner.plain_text))
    # Every handler above runs again if a database restart cuts its connection.
    for group in app.handlers.values():
        for handler in group:
            handler.callback = rerun_on_lost_connection(handler.callback)
    app.add_error_handler(on_error)


async def start_serving(app: QuizApplication) -> None:
    """Start the Application (job queue included) and publish the command menus."""
    await app.start()
    await set_default_menus(app.bot)


async def on_error(update: object, context: QuizContext) -> None:
    """Log the error with the update id, and tell the user briefly; never a traceback.

    A domain error is no failure: the user gets its own words, and the log only its kind.
    """
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, QuizbotError) and isinstance(update, Update):
        log.info("update %s refused: %s", update_id, type(error).__name__)
        with contextlib.suppress(TelegramError), i18n.use(context.language):
            await refuse(update, context, error)
        return
    if isinstance(error, Forbidden) and isinstance(update, Update) and update.effective_user:
        # The learner blocked the bot: keep their data, send nothing until they write again.
        runtime = context.runtime
        async with runtime.sessions() as session:
            await learners.mark_blocked(
                session, telegram_id=update.effective_user.id, now=runtime.clock()
            )
        context.forget_cached_user()
        log.info("update %s: user blocked the bot; marked inactive", update_id)
        return
    log.error("update %s failed", update_id, exc_info=error, extra={"update_id": update_id})
    if not isinstance(update, Update):
        return
    with contextlib.suppress(TelegramError), i18n.use(context.language):
        if update.callback_query is not None:
            await update.callback_query.answer(_(APOLOGY)[:200])
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, _(APOLOGY))


async def run_polling(runtime: Runtime, *, stop: asyncio.Event | None = None) -> None:
    """Serve by long polling through the inbox until SIGINT/SIGTERM (or `stop` is set)."""
    app = build_application(runtime, token=runtime.settings.token())
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with app:
        await start_serving(app)
        await app.bot.delete_webhook()
        poller = InboxPoller(app, runtime)
        log.info("serving @%s by long polling", app.bot.username)
        try:
            await poller.run(stop)
        finally:
            await app.stop()
