"""A learner on Telegram, end to end: the real Application against the fake Bot API."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import func, select

from bot.db.models import Answer, Item, User
from bot.services import quizzes
from bot.services.quizzes import QuizFile
from tests.e2e.harness import (
    BotHarness,
    answer_buttons,
    eventually,
    running_bot,
    update_processed,
)
from tests.fakes import ChatMessage, FakeTelegramServer, FakeUser
from tests.quiz_samples import contradiction_quiz_yaml

ITEM_HEADER = re.compile(r"^Question (\d+) of (\d+)")


def _is_item(message: ChatMessage) -> bool:
    return bool(ITEM_HEADER.match(message.content)) and bool(answer_buttons(message))


async def _correct_options(bot: BotHarness, item_id: int) -> set[int]:
    async with bot.runtime.sessions() as session:
        item = await session.get_one(Item, item_id)
    return {i for i, o in enumerate(item.options) if o["correct"]}


async def answer(bot: BotHarness, user: FakeUser, message: ChatMessage, *, right: bool) -> Any:
    """Press the right (or a wrong) answer on an item message, Submit for "choose all"."""
    buttons = answer_buttons(message)
    data = str(buttons[0]["callback_data"])
    _, attempt, item_id, _ = data.split(":")
    correct = await _correct_options(bot, int(item_id))
    if data.startswith("ans:"):
        options = [int(str(b["callback_data"]).rsplit(":", 1)[1]) for b in buttons]
        pick = next(o for o in options if (o in correct) == right)
        return user.press(message, f"ans:{attempt}:{item_id}:{pick}")
    # "Choose all": tick the right set (or just one wrong option), then Submit.
    chosen = correct if right else {max(set(range(len(buttons))) - correct, default=0)}
    mask = sum(1 << i for i in chosen)
    return user.press_data(message, f"sub:{attempt}:{item_id}:{mask:x}")


async def next_item(user: FakeUser) -> ChatMessage:
    return await user.wait_for_message(_is_item)


async def test_learner_plays_a_whole_quiz_and_score_is_right(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    # Ana answers 55 items in a few seconds, faster than any person: no person's limit.
    async with running_bot(fake_telegram, database_url, QUIZBOT_USER_BURST=1000) as bot:
        ana = bot.user(501, "Ana")
        ana.send_text("/start")
        greeting = await ana.wait_for_message("Hi Ana")
        assert "/quiz" in greeting.content

        ana.send_text("/quiz")
        item = await next_item(ana)
        total = int(ITEM_HEADER.match(item.content)[2])  # type: ignore[index]
        right = 0
        for number in range(1, total + 1):
            assert item.content.startswith(f"Question {number} of {total}")
            is_right = number % 4 != 0
            press = await answer(bot, ana, item, right=is_right)
            right += is_right
            popup = await ana.wait_for_answer(press)
            assert popup.get("text") == ("✅ Right!" if is_right else "❌ Not quite")
            edited = await ana.wait_for_message(lambda m, i=item.message_id: m.message_id == i)
            assert not edited.buttons, "answered items lose their buttons"
            assert ("Right!" if is_right else "Not quite.") in edited.content
            if number == total:
                break
            if number % 5 == 0:
                summary = await ana.wait_for_message("Round done")
                assert f"{number} of {total} questions answered" in summary.content
                ana.press(summary, "Continue ▶")
            item = await next_item(ana)

        final = await ana.wait_for_message("Finished")
        assert f"{right} of {total} right." in final.content

        ana.send_text("/score")
        score = await ana.wait_for_message("Your progress")
        assert f"{right} right of {total} answered" in score.content

        async with bot.runtime.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Answer)) == total

    assert fake_telegram.rejected == []


async def test_score_tells_a_learner_which_way_they_lean(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    """Two rounds taking every flawed claim for sound where an option does: /score says so."""
    async with running_bot(fake_telegram, database_url) as bot:
        ana = bot.user(505, "Ana")
        ana.send_text("/quiz")
        item = await next_item(ana)
        sound = flawed = 0
        for number in range(1, 11):
            _, attempt, item_id, _ = str(answer_buttons(item)[0]["callback_data"]).split(":")
            async with bot.runtime.sessions() as session:
                row = await session.get_one(Item, int(item_id))
            trusting = [
                i
                for i, o in enumerate(row.options)
                if row.verdict == "flawed" and not o["correct"] and o.get("judgement") == "sound"
            ]
            if trusting and row.kind != "multiple":
                ana.press(item, f"ans:{attempt}:{item_id}:{trusting[0]}")
            else:
                trusting = []
                await answer(bot, ana, item, right=True)
            # Every answer here judges the claim one way or the other: count the claims.
            sound += row.verdict == "sound"
            flawed += row.verdict == "flawed"
            if number == 5:
                ana.press(await ana.wait_for_message("Round done"), "Continue ▶")
            if number < 10:
                item = await next_item(ana)
        await ana.wait_for_message(lambda m: "Round done" in m.content and "10 of" in m.content)
        ana.send_text("/score")
        score = await ana.wait_for_message("Your progress")
        assert f"your answers on {sound} claims that hold up and {flawed} with a flaw" in (
            score.content
        )
        assert "You tend to trust claims that have a flaw" in score.content
    assert fake_telegram.rejected == []


async def test_passage_and_question_are_escaped_html(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url) as bot:
        ana = bot.user(502)
        ana.send_text("/quiz")
        item = await next_item(ana)
        call = fake_telegram.calls_of("sendMessage")[-1]
        assert call.params["parse_mode"] == "HTML"
        assert "<blockquote>" in call.params["text"]
        # What the user sees is the plain text of the passage, with quotes intact.
        assert "Alleged North Korean Arms in Hamas' Attack on Israel" in html.unescape(
            item.content
        )
    assert fake_telegram.rejected == []


async def test_double_delivered_press_counts_once(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url) as bot:
        ana = bot.user(503)
        ana.send_text("/quiz")
        item = await next_item(ana)
        old_buttons = [str(b["callback_data"]) for b in answer_buttons(item)]
        press = await answer(bot, ana, item, right=True)
        await ana.wait_for_answer(press)
        await next_item(ana)
        # Telegram delivers the same update again (as after a lost confirmation) and the
        # learner taps another of the old buttons (a stale client): neither is counted.
        fake_telegram.redeliver(press.update_id)
        other = next(d for d in old_buttons if d != press.data)
        again = ana.press_data(item, other)
        popup = await ana.wait_for_answer(again)
        assert "already answered" in popup.get("text", "").lower() or "no longer" in popup.get(
            "text", ""
        )
        await eventually(lambda: update_processed(bot, again.update_id), what="the press")
        async with bot.runtime.sessions() as session:
            answers = (await session.scalars(select(Answer))).all()
        assert len(answers) == 1
        assert answers[0].correct
    assert fake_telegram.rejected == []


async def test_forged_and_foreign_presses_change_nothing(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url) as bot:
        ana, ben = bot.user(504, "Ana"), bot.user(505, "Ben")
        ana.send_text("/quiz")
        item = await next_item(ana)
        data = str(answer_buttons(item)[0]["callback_data"])

        # Ben forges a press on Ana's attempt from his own chat.
        ben.send_text("/start")
        greeting = await ben.wait_for_message("Hi Ben")
        foreign = ben.press_data(greeting, data)
        popup = await ben.wait_for_answer(foreign)
        assert "someone else" in popup["text"]

        junks = ("ans:1:2", "ans:x:y:z", "zzz", "ans:99999:1:0", "tog:1:1:fff", "cont:")
        # A real payload with more after it is forged too: matched whole, never by prefix.
        for junk in (*junks, f"{data}\n", f"{data}junk", f"{data}:0"):
            press = ana.press_data(item, junk)
            popup = await ana.wait_for_answer(press)
            assert popup.get("text"), junk

        async with bot.runtime.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Answer)) == 0
        # The item is still open and answerable.
        press = await answer(bot, ana, item, right=True)
        assert (await ana.wait_for_answer(press))["text"] == "✅ Right!"
    assert fake_telegram.rejected == []


async def test_choose_all_items_toggle_then_submit(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url) as bot:
        ana = bot.user(506)
        ana.send_text("/quiz")
        item = await next_item(ana)
        while not any(str(b["callback_data"]).startswith("tog:") for b in answer_buttons(item)):
            await answer(bot, ana, item, right=True)
            message = await ana.wait_for_message(
                lambda m: _is_item(m) or "Round done" in m.content
            )
            if "Round done" in message.content:
                ana.press(message, "Continue ▶")
                message = await next_item(ana)
            item = message
        first = answer_buttons(item)[0]
        assert str(first["text"]).startswith("☐")
        ana.press(item, str(first["callback_data"]))
        ticked = await ana.wait_for_message(
            lambda m: m.message_id == item.message_id and "☑" in str(m.button_texts)
        )
        assert str(answer_buttons(ticked)[0]["text"]).startswith("☑")
        async with bot.runtime.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Answer))
        # Ticking records nothing; only Submit does.
        assert count == _answers_before(ticked)


def _answers_before(item: ChatMessage) -> int:
    return int(ITEM_HEADER.match(item.content)[1]) - 1  # type: ignore[index]


async def test_help_shows_only_what_the_role_may_use(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(
        fake_telegram, database_url, QUIZBOT_ADMIN_IDS="900", QUIZBOT_INSTRUCTOR_IDS="800"
    ) as bot:
        learner, teacher, admin = bot.user(507), bot.user(800), bot.user(900)
        for user in (learner, teacher, admin):
            user.send_text("/help")
        plain = (await learner.wait_for_message("Commands")).content
        taught = (await teacher.wait_for_message("Commands")).content
        full = (await admin.wait_for_message("Commands")).content
        assert "/quiz" in plain
        assert "/cohort" not in plain
        assert "/stats" not in plain
        assert "/cohort" in taught
        assert "/stats" in taught
        assert "every quiz and cohort" not in taught
        assert "/stats" in full
        assert "every quiz and cohort" in full
        # One command menu per role scope.
        default = fake_telegram.my_commands()
        assert {c["command"] for c in default} >= {"quiz", "score", "help"}
        assert "stats" not in {c["command"] for c in default}
        staff = fake_telegram.my_commands({"type": "chat", "chat_id": 900})
        assert staff is not None
        assert "stats" in {c["command"] for c in staff}
    assert fake_telegram.rejected == []


async def test_unknown_command_text_and_files_get_short_answers(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url) as bot:
        ana = bot.user(508)
        ana.send_text("/frobnicate")
        assert "don't know" in (await ana.wait_for_message()).content
        ana.send_text("hello?")
        assert "/quiz" in (await ana.wait_for_message()).content
        ana.send_document("quiz.yaml", b"id: x\n", "application/x-yaml")
        assert "Only instructors" in (await ana.wait_for_message()).content
    assert fake_telegram.rejected == []


async def test_forgetme_asks_then_deletes_everything(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url) as bot:
        ana = bot.user(509)
        ana.send_text("/quiz")
        item = await next_item(ana)
        await answer(bot, ana, item, right=True)
        await next_item(ana)
        ana.send_text("/forgetme")
        confirm = await ana.wait_for_message("Are you sure")
        forged = ana.press_data(confirm, "fgt:yes\n")
        assert (await ana.wait_for_answer(forged))["text"] == "This button is not valid any more."
        async with bot.runtime.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(User)) == 1
        ana.press(confirm, "Yes, delete my data")
        await ana.wait_for_message("everything stored about you is deleted")
        async with bot.runtime.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(User)) == 0
            assert await session.scalar(select(func.count()).select_from(Answer)) == 0
    assert fake_telegram.rejected == []


async def test_contradiction_passages_come_in_the_written_order(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    """The explanation may say "the third passage": C) must be the third one written."""
    async with running_bot(fake_telegram, database_url) as bot:
        async with bot.runtime.sessions() as session:
            file = QuizFile("bridge.yaml", contradiction_quiz_yaml().encode(), read_source=None)
            await quizzes.import_quizzes(session, [file], now=bot.runtime.clock())
        ana = bot.user(507, "Ana")
        ana.send_text("/quiz bridge")
        item = await next_item(ana)
        options = [str(b["callback_data"]).rsplit(":", 1)[1] for b in answer_buttons(item)]
        assert options == ["0", "1", "2", "3"]
        assert "C) The bridge opened in 1992" in item.content
        await ana.wait_for_answer(await answer(bot, ana, item, right=False))
        edited = await ana.wait_for_message(lambda m: m.message_id == item.message_id)
        assert "The answer: C) The bridge opened in 1992." in edited.content
