"""An article sent by an instructor (.txt or .html): the reply is a draft quiz to complete.

Nothing is stored: the draft comes back as a .yaml document, which the instructor completes
and sends back like any quiz file (docs/drafting.md).
"""

from __future__ import annotations

import asyncio

from telegram import Document, InputFile
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.domain.errors import ArticleProblem, ArticleRejectedError
from bot.services import drafts
from bot.telegram import render_instructor as ri
from bot.telegram.handlers.turn import Turn


def is_article(name: str) -> bool:
    """Whether a document's name is that of an article to draft from."""
    return name.lower().endswith(drafts.ARTICLE_SUFFIXES)


async def draft_from_article(turn: Turn, document: Document, name: str) -> None:
    """Reply to an article with a draft quiz file, or with why it cannot be drafted."""
    # Refuse big files before downloading them: the size is in the message already.
    if document.file_size is not None and document.file_size > drafts.ARTICLE_MAX_BYTES:
        raise ArticleRejectedError(
            ArticleProblem.TOO_BIG, document.file_size, drafts.ARTICLE_MAX_BYTES
        )
    try:
        file = await turn.context.bot.get_file(document.file_id)
        data = bytes(await file.download_as_bytearray())
    except TelegramError:
        await turn.reply(ri.DOWNLOAD_FAILED)
        return
    bot = turn.context.bot
    await bot.send_chat_action(turn.chat_id, ChatAction.UPLOAD_DOCUMENT)
    # A long article takes a second or two of CPU: learners' answers go on meanwhile.
    draft = await asyncio.to_thread(drafts.draft_quiz, name, data)
    await bot.send_document(
        turn.chat_id,
        InputFile(draft.text.encode("utf-8"), filename=draft.file_name),
        caption=ri.draft_caption(draft.items, draft.words),
    )
