"""An instructor sends an article and gets a draft quiz back; bad files get one line."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db.models import Quiz
from tests.cli.test_draft_cli import BAD
from tests.draft_samples import ARTICLE, HTML, complete
from tests.e2e.harness import BotHarness, running_bot
from tests.fakes import FakeTelegramServer
from tests.fakes.models import ChatMessage

TEACHER, LEARNER = 900, 901


async def _quiz_count(bot: BotHarness) -> int:
    async with bot.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Quiz)) or 0)


def _is_document(message: ChatMessage) -> bool:
    return message.document is not None


async def test_an_article_comes_back_as_a_draft_to_complete(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(
        fake_telegram, database_url, QUIZBOT_INSTRUCTOR_IDS=str(TEACHER)
    ) as bot:
        tess = bot.user(TEACHER, "Tess")
        quizzes = await _quiz_count(bot)
        for name, data, mime in (
            ("flood.txt", ARTICLE.encode(), "text/plain"),
            ("flood.html", HTML.encode(), "text/html"),
        ):
            tess.send_document(name, data, mime)
            reply = await tess.wait_for_message(_is_document, timeout=20)
            assert reply.document is not None
            assert reply.document["file_name"] == "flood.draft.yaml"
            assert reply.caption is not None
            assert reply.caption.startswith("A draft quiz: 4 items from an article of")
            draft = fake_telegram.file_content(reply).decode("utf-8")
            assert (
                'title: "City council approves flood wall after storm, residents furious"' in draft
            )
        assert await _quiz_count(bot) == quizzes  # a draft stores nothing

        # Sent back unfinished: every TODO by line, nothing imported.
        tess.send_document("flood.draft.yaml", draft.encode(), "application/x-yaml")
        reply = await tess.wait_for_message("Nothing was imported")
        assert "still to write (write the right answer)" in reply.content
        assert await _quiz_count(bot) == quizzes

        tess.send_document("flood.draft.yaml", complete(draft).encode(), "application/x-yaml")
        reply = await tess.wait_for_message("Imported quiz")
        assert "city-council-approves-flood-wall-after-storm version 1: 4 items" in reply.content
        assert await _quiz_count(bot) == quizzes + 1

        # A learner may not.
        lea = bot.user(LEARNER, "Lea")
        lea.send_document("flood.txt", ARTICLE.encode(), "text/plain")
        await lea.wait_for_message("Only instructors can upload quiz files and articles.")
        assert not any(m.document for m in lea.messages())
    assert fake_telegram.rejected == []


@pytest.mark.parametrize(("name", "data", "message"), BAD, ids=[b[0] for b in BAD])
async def test_a_bad_article_gets_one_line(
    fake_telegram: FakeTelegramServer, sqlite_url: str, name: str, data: bytes, message: str
) -> None:
    async with running_bot(fake_telegram, sqlite_url, QUIZBOT_INSTRUCTOR_IDS=str(TEACHER)) as bot:
        tess = bot.user(TEACHER, "Tess")
        quizzes = await _quiz_count(bot)
        tess.send_document(name, data, "text/plain")
        first_words = message.split(":")[0].split(";")[0][:20]
        reply = await tess.wait_for_message(first_words, timeout=20)
        assert "\n" not in reply.content
        assert not any(m.document for m in tess.messages())
        assert await _quiz_count(bot) == quizzes


async def test_a_file_of_another_kind_is_named(
    fake_telegram: FakeTelegramServer, sqlite_url: str
) -> None:
    async with running_bot(fake_telegram, sqlite_url, QUIZBOT_INSTRUCTOR_IDS=str(TEACHER)) as bot:
        tess = bot.user(TEACHER, "Tess")
        tess.send_document("article.pdf", b"%PDF-1.4", "application/pdf")
        reply = await tess.wait_for_message("'article.pdf' is neither")
        assert ".txt or .html" in reply.content
