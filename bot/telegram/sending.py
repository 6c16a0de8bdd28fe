"""Sending and editing messages within Telegram's limits."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.telegram.text import split_paragraphs

log = logging.getLogger(__name__)


async def send_html(
    bot: ExtBot[None],
    chat_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """Send HTML text, split at paragraphs when long; the keyboard goes on the last part."""
    parts = split_paragraphs(text)
    message: Message | None = None
    for number, part in enumerate(parts, start=1):
        message = await bot.send_message(
            chat_id,
            part,
            parse_mode=ParseMode.HTML,
            reply_markup=reply_markup if number == len(parts) else None,
        )
    assert message is not None
    return message


async def edit_or_send_html(
    bot: ExtBot[None],
    chat_id: int,
    message_id: int | None,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Edit a message in place; send a new one when it cannot be edited any more."""
    parts = split_paragraphs(text)
    if message_id is not None and len(parts) == 1:
        try:
            await bot.edit_message_text(
                parts[0],
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=reply_markup,
            )
            return
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return
            # Too old to edit (48 hours), deleted by the user, …: say it in a new message.
            log.info("cannot edit message %s: %s", message_id, exc.message)
    await send_html(bot, chat_id, text, reply_markup)


async def drop_keyboard(bot: ExtBot[None], chat_id: int, message_id: int) -> None:
    """Remove the buttons of a message, so old buttons cannot be pressed again."""
    try:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
    except BadRequest as exc:
        log.info("cannot remove buttons of message %s: %s", message_id, exc.message)
