"""The framework's floor for bench_answers.py: a PTB bot that only echoes presses.

It makes the same three Bot API calls per press that quizbot makes per answer
(answerCallbackQuery, editMessageText, sendMessage with a new inline keyboard), with texts
of about the same size in HTML, but keeps no database and does no grading. It is a plain
`Application.run_polling`; the benchmark starts it as a subprocess.

Environment: TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL (as for quizbot), ECHO_MAX_SEND_RATE
(messages per second of the AIORateLimiter; 0 = no limiter), ECHO_CONCURRENCY (updates
processed at once; 1 = PTB's default of one at a time).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

# About the size and markup of a quizbot item: a header, a quoted passage, a question.
PASSAGE = (
    "The report cites two unnamed officials and one public filing; the figures in the "
    "second paragraph do not match the table further down, and the headline states as "
    "fact what the body presents as an estimate. "
) * 3
ITEM = (
    "<b>Question {n}</b> · <i>Sourcing</i>\n\n<blockquote>{passage}</blockquote>\n\n"
    "<b>Which claim in this passage is attributed to a named source?</b>"
)
FEEDBACK = (
    "<b>Question {n}</b>\n\n<blockquote>{passage}</blockquote>\n\n✅ <b>Right!</b> "
    "The filing is the only named source; the officials are anonymous."
)


def _keyboard(n: int) -> InlineKeyboardMarkup:
    labels = ("Officials", "Filing", "Table", "Headline")
    buttons = [
        InlineKeyboardButton(label, callback_data=f"ans:echo:{n}:{i}")
        for i, label in enumerate(labels)
    ]
    return InlineKeyboardMarkup([buttons])


async def item(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the first item on /quiz or /start."""
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id,
        ITEM.format(n=1, passage=PASSAGE),
        parse_mode=ParseMode.HTML,
        reply_markup=_keyboard(1),
    )


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press, fold the verdict into the item, and send the next item."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert update.effective_chat is not None
    n = int(query.data.split(":")[2])
    await query.answer("✅ Right!")
    await query.edit_message_text(FEEDBACK.format(n=n, passage=PASSAGE), parse_mode=ParseMode.HTML)
    await context.bot.send_message(
        update.effective_chat.id,
        ITEM.format(n=n + 1, passage=PASSAGE),
        parse_mode=ParseMode.HTML,
        reply_markup=_keyboard(n + 1),
    )


def build(
    token: str, api: str, *, max_rate: float, concurrency: int
) -> Application[Any, Any, Any, Any, Any, Any]:
    """Build the echo Application."""
    builder = Application.builder().token(token).base_url(f"{api}/bot")
    if max_rate > 0:
        builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=max_rate))
    app = builder.concurrent_updates(concurrency).build()
    app.add_handler(CommandHandler(["quiz", "start"], item))
    app.add_handler(CallbackQueryHandler(press))
    return app


def main() -> None:
    """Serve by long polling until SIGINT/SIGTERM."""
    logging.basicConfig(level=logging.WARNING)
    app = build(
        os.environ["TELEGRAM_BOT_TOKEN"],
        os.environ["TELEGRAM_API_URL"].rstrip("/"),
        max_rate=float(os.environ.get("ECHO_MAX_SEND_RATE", "0")),
        concurrency=int(os.environ.get("ECHO_CONCURRENCY", "32")),
    )
    app.run_polling(allowed_updates=["message", "callback_query"], timeout=25)


if __name__ == "__main__":
    main()
