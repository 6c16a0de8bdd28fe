"""What every handler does around its one service call: refusals worded for the chat."""

from __future__ import annotations

from telegram import Update

from bot.domain.errors import QuizbotError
from bot.telegram import error_text
from bot.telegram.context import QuizContext
from bot.telegram.sending import send_html


async def refuse(
    update: Update, context: QuizContext, error: QuizbotError, *, usage: str | None = None
) -> None:
    """Tell the user what stood in the way: a popup for a button, else a reply."""
    query = update.callback_query
    if query is not None:
        await query.answer(error_text.popup_text(error))
    elif update.effective_chat is not None:
        await send_html(
            context.bot, update.effective_chat.id, error_text.reply_html(error, usage=usage)
        )
