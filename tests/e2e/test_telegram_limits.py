"""Telegram's limits and failures, on purpose: 429, 5xx, dropped connections, blocks, long text."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import Answer, User
from bot.telegram.text import split_paragraphs, visible_length
from tests.e2e.harness import eventually, running_bot
from tests.e2e.test_learner_flow import answer, next_item
from tests.fakes import FakeTelegramServer


async def test_429_and_5xx_on_send_still_deliver_the_feedback(
    fake_telegram: FakeTelegramServer, sqlite_url: str
) -> None:
    async with running_bot(fake_telegram, sqlite_url) as bot:
        ana = bot.user(601)
        ana.send_text("/quiz")
        first = await next_item(ana)
        # The next item's sendMessage fails with a 429, then a 502, then a dropped connection.
        fake_telegram.faults.add("sendMessage", "retry_after", seconds=1)
        fake_telegram.faults.add("sendMessage", "server_error", status=502)
        fake_telegram.faults.add("sendMessage", "drop")
        fake_telegram.faults.add("editMessageText", "server_error", status=500)
        press = await answer(bot, ana, first, right=True)
        assert (await ana.wait_for_answer(press))["text"] == "✅ Right!"
        second = await ana.wait_for_message(lambda m: m.content.startswith("Question 2"), 10)
        assert second.buttons
        edited = ana.messages()[ana.messages().index(first)]
        assert "Right!" in edited.content
    statuses = [c.status for c in fake_telegram.calls_of("sendMessage")]
    assert 429 in statuses
    assert 502 in statuses
    assert fake_telegram.rejected == []


async def test_a_press_too_old_for_its_popup_still_gets_its_feedback(sqlite_url: str) -> None:
    """An update taken over from a dead worker comes back after the lease, when Telegram no
    longer takes the callback answer: the verdict and the next item go out all the same."""
    async with (
        FakeTelegramServer(callback_query_timeout=0.0) as server,
        running_bot(server, sqlite_url) as bot,
    ):
        ana = bot.user(603)
        ana.send_text("/quiz")
        first = await next_item(ana)
        await answer(bot, ana, first, right=True)
        second = await ana.wait_for_message(lambda m: m.content.startswith("Question 2"), 10)
        assert second.buttons
        edited = ana.messages()[ana.messages().index(first)]
        assert "Right!" in edited.content
    assert [c.method for c in server.rejected] == ["answerCallbackQuery"]


async def test_blocked_learner_is_marked_inactive_and_comes_back(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url) as bot:
        ana = bot.user(602)
        ana.send_text("/quiz")
        item = await next_item(ana)
        fake_telegram.block(602)
        sends_before = len(fake_telegram.calls_of("sendMessage"))
        press = await answer(bot, ana, item, right=True)
        await ana.wait_for_answer(press)

        async def inactive() -> bool:
            async with bot.runtime.sessions() as session:
                user = (await session.scalars(select(User))).one()
                return not user.is_active and user.blocked_at is not None

        await eventually(inactive, what="the learner marked inactive")
        # Their answer and state are kept.
        async with bot.runtime.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Answer)) == 1
        # Only the failed attempt(s) to send went out; nothing was retried after the 403.
        failed = fake_telegram.calls_of("sendMessage")[sends_before:]
        assert all(c.status == 403 for c in failed)

        fake_telegram.unblock(602)
        ana.send_text("/score")
        await ana.wait_for_message("Your progress")
        async with bot.runtime.sessions() as session:
            assert (await session.scalars(select(User))).one().is_active


def test_long_text_is_split_at_paragraphs_within_the_limit() -> None:
    paragraphs = [f"<b>Part {n}</b> " + "word &amp; " * 150 for n in range(12)]
    text = "\n\n".join(paragraphs)
    assert visible_length(text) > 4096
    parts = split_paragraphs(text)
    assert len(parts) > 1
    assert all(visible_length(p) <= 4096 for p in parts)
    # No paragraph is cut: every part is whole paragraphs, in order.
    assert "\n\n".join(parts) == text


def test_one_huge_paragraph_is_cut_between_words() -> None:
    text = "<i>" + "lorem ipsum &lt;dolor&gt; " * 600 + "</i>"
    parts = split_paragraphs(text)
    assert all(visible_length(p) <= 4096 for p in parts)
    assert all("<" not in p.replace("&lt;", "") for p in parts)  # formatting dropped, not cut
    assert sum(visible_length(p) for p in parts) >= visible_length(text) - len(parts) * 2


async def test_long_message_reaches_the_learner_in_parts(
    fake_telegram: FakeTelegramServer, sqlite_url: str
) -> None:
    from bot.telegram.sending import send_html

    async with running_bot(fake_telegram, sqlite_url) as bot:
        ana = bot.user(603)
        ana.send_text("/start")
        await ana.wait_for_message("Hi")
        text = "\n\n".join("paragraph " + "x" * 900 for _ in range(10))
        await send_html(bot.app.bot, 603, text)
        sent = [
            c for c in fake_telegram.calls_of("sendMessage") if "paragraph" in c.params["text"]
        ]
        assert len(sent) >= 3
        assert all(c.status == 200 for c in sent)
    assert fake_telegram.rejected == []
