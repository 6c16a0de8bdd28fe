"""An instructor on Telegram, end to end: uploads, versions, cohorts, and a learner who joins."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from bot.db.models import Cohort, Quiz, QuizVersion
from bot.domain.limits import MESSAGE_TEXT_MAX
from tests.e2e.harness import BotHarness, running_bot
from tests.e2e.test_learner_flow import answer, next_item
from tests.fakes import FakeTelegramServer
from tests.quiz_samples import (
    COLON_SLIPS,
    broken_quiz_yaml,
    colon_quiz_yaml,
    line_of,
    quiz_yaml,
)

TEACHER, ADMIN = 900, 990
YAML = "application/x-yaml"
INVITE = re.compile(r"https://t\.me/(\w+)\?start=([A-Za-z0-9_-]{1,64})")


async def _versions(bot: BotHarness, slug: str) -> list[int]:
    async with bot.runtime.sessions() as session:
        rows = await session.scalars(
            select(QuizVersion.number)
            .join(Quiz, Quiz.id == QuizVersion.quiz_id)
            .where(Quiz.slug == slug)
            .order_by(QuizVersion.number)
        )
        return list(rows)


async def test_instructor_uploads_versions_and_runs_a_cohort(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(
        fake_telegram, database_url, QUIZBOT_INSTRUCTOR_IDS=str(TEACHER)
    ) as bot:
        tess = bot.user(TEACHER, "Tess")
        tess.send_text("/help")
        help_text = (await tess.wait_for_message("Commands")).content
        assert "/cohort" in help_text
        assert "/share" in help_text
        assert ".yaml" in help_text

        # A good file.
        tess.send_document("class-quiz.yaml", quiz_yaml("class-quiz").encode(), YAML)
        reply = await tess.wait_for_message("Imported quiz")
        assert reply.content.startswith(
            "Imported quiz class-quiz version 1: 2 items, skills sourcing, vague-attribution."
        )
        assert "Only you can take it so far" in reply.content

        # A broken one: every problem with its line, nothing imported.
        broken = broken_quiz_yaml("class-quiz")
        tess.send_document("class-quiz.yaml", broken.encode(), YAML)
        reply = await tess.wait_for_message("Nothing was imported")
        assert "3 problems to fix" in reply.content
        numbered = re.findall(r"^(\d+)\. line (\d+): (.*)$", reply.content, re.MULTILINE)
        assert [(int(n), int(line)) for n, line, _ in numbered] == [
            (1, line_of(broken, "skill: sourcin")),
            (2, line_of(broken, "secret minutes")),
            (3, line_of(broken, "- id: q2")),
        ]
        assert numbered[1][2].startswith("item 1 ('q1'): passage not found in the source text")
        assert await _versions(bot, "class-quiz") == [1]

        # A new version, then the same again.
        tess.send_document("class-quiz.yaml", quiz_yaml("class-quiz", extra_item=True).encode())
        reply = await tess.wait_for_message("Imported quiz")
        assert reply.content.startswith("Imported quiz class-quiz version 2: 3 items")
        tess.send_document("again.yml", quiz_yaml("class-quiz", extra_item=True).encode())
        reply = await tess.wait_for_message("already up to date")
        assert "version 2" in reply.content
        assert await _versions(bot, "class-quiz") == [1, 2]

        # A cohort, and the quiz opened to it.
        tess.send_text("/cohort Class 9B")
        reply = await tess.wait_for_message("Cohort Class 9B created")
        match = INVITE.search(reply.content)
        assert match is not None, reply.content
        assert match[1] == fake_telegram.bot_username
        code = match[2]
        assert f"Code: {code}" in reply.content
        tess.send_text(f"/share class-quiz {code}")
        await tess.wait_for_message("open to: Class 9B")

        # A learner outside the cohort cannot see the quiz; one who opens the link can.
        olaf = bot.user(902, "Olaf")
        olaf.send_text("/quiz class-quiz")
        await olaf.wait_for_message("There is no quiz 'class-quiz'")

        lea = bot.user(901, "Lea")
        lea.send_text(f"/start {code}")  # what Telegram sends for the deep link
        await lea.wait_for_message("Hi Lea")
        joined = await lea.wait_for_message("You joined Class 9B")
        assert "/quiz class-quiz – Bike lane news" in joined.content
        lea.send_text("/quiz class-quiz")
        item = await next_item(lea)
        assert item.content.startswith("Question 1 of 3")
        for number in range(1, 4):
            await lea.wait_for_answer(await answer(bot, lea, item, right=True))
            if number < 3:
                item = await next_item(lea)
        final = await lea.wait_for_message("Finished")
        assert "3 of 3 right." in final.content

        # The instructor's lists: quizzes with versions, items and cohorts; per-version stats.
        tess.send_text("/quizzes")
        listing = (await tess.wait_for_message("Your quizzes")).content
        assert "class-quiz – Bike lane news" in listing
        assert "version 2 (of 2) · 3 items · cohorts: Class 9B" in listing
        assert "nk-arms-article" not in listing  # not hers
        assert f"Class 9B – 1 learner · code {code}" in listing
        tess.send_text("/quizzes class-quiz")
        stats = (await tess.wait_for_message("class-quiz – Bike lane news")).content
        assert "version 1" in stats
        assert "version 2" in stats
        assert "3 items · 1 attempt, 1 finished · 3 answers, 100% right" in stats

        # Opening it to everyone lets Olaf in.
        tess.send_text("/public class-quiz")
        await tess.wait_for_message("is public")
        olaf.send_text("/quiz class-quiz")
        assert (await next_item(olaf)).content.startswith("Question 1 of 3")
    assert fake_telegram.rejected == []


async def test_upload_reply_lists_item_writing_warnings(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    text = quiz_yaml("lint-quiz").replace(
        "        feedback: Look at the end of the sentence.\n", ""
    )
    async with running_bot(
        fake_telegram, database_url, QUIZBOT_INSTRUCTOR_IDS=str(TEACHER)
    ) as bot:
        tess = bot.user(TEACHER, "Tess")
        tess.send_document("lint-quiz.yaml", text.encode(), YAML)
        reply = await tess.wait_for_message("Imported quiz")
        assert "Worth a look" in reply.content
        line = line_of(text, "No: it gives no source")
        assert f"line {line}: warning: item 1 ('q1'), option 2: a wrong option with no" in (
            reply.content
        )
        assert "[no-feedback]" in reply.content


async def test_learners_and_bad_files_get_one_line_refusals(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(
        fake_telegram, database_url, QUIZBOT_INSTRUCTOR_IDS=str(TEACHER)
    ) as bot:
        lea = bot.user(903, "Lea")
        lea.send_document("quiz.yaml", quiz_yaml().encode(), YAML)
        await lea.wait_for_message("Only instructors can upload quiz files and articles.")
        for command in ("/cohort Sneaky", "/quizzes", "/share x y", "/public x"):
            lea.send_text(command)
            name = command.split()[0]
            await lea.wait_for_message(f"Only instructors can use {name}.")

        tess = bot.user(TEACHER, "Tess")
        # Refused from its announced size alone: no download.
        tess.send_document("huge.yaml", b"#" * 5_000_000, YAML)
        reply = await tess.wait_for_message("5.0 MB")
        assert "at most 1 MB" in reply.content
        tess.send_document("notes.pdf", b"%PDF-1.4", "application/pdf")
        await tess.wait_for_message("Send a quiz as a .yaml or .yml file")
        assert fake_telegram.calls_of("getFile") == []
        # A .txt file is an article to draft from; a quiz in one is told how to upload it.
        tess.send_document("notes.txt", b"id: x\n", "text/plain")
        await tess.wait_for_message("To upload a quiz, send it as a .yaml file.")

        cases = [
            (bytes(range(256)) * 8, "the file is binary data, not text"),
            ("title: Café\n".encode("latin-1"), "line 1: the file is not UTF-8 text"),
            (b"", "line 1: the file is empty"),
            (b"id: [unclosed\n", "line 1: YAML syntax error"),
            (b"a: &x [1]\nb: *x\n", "aliases"),
        ]
        for data, expected in cases:
            tess.send_document("quiz.yaml", data, YAML)
            reply = await tess.wait_for_message("Nothing was imported")
            assert "\n" not in reply.content, reply.content  # one line
            assert expected in reply.content, reply.content

        # The source text must be inline in the chat: there is no folder to read it from.
        text = quiz_yaml("linked").replace("  text: |\n", "  text_file: article.txt\n")
        text = "\n".join(line for line in text.splitlines() if "The city council" not in line)
        tess.send_document("linked.yaml", text.encode(), YAML)
        reply = await tess.wait_for_message("Nothing was imported")
        assert "put the source text inline under source.text" in reply.content

        # Telegram fails to hand the file over.
        fake_telegram.faults.add("getFile", "server_error", times=None, status=500)
        tess.send_document("quiz.yaml", quiz_yaml().encode(), YAML)
        await tess.wait_for_message("could not download the file")

        async with bot.runtime.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Quiz))
        assert count == 1  # the bundled quiz only
    assert fake_telegram.rejected == []


async def test_an_upload_reports_every_unquoted_colon_at_once(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(
        fake_telegram, database_url, QUIZBOT_INSTRUCTOR_IDS=str(TEACHER)
    ) as bot:
        tess = bot.user(TEACHER, "Tess")
        text = colon_quiz_yaml()
        tess.send_document("colons.yaml", text.encode(), YAML)
        reply = await tess.wait_for_message("Nothing was imported")
        lines = [int(n) for n in re.findall(r"^\d+\. line (\d+):", reply.content, re.MULTILINE)]
        assert lines == sorted(line_of(text, marker) for marker in COLON_SLIPS), reply.content
        assert 'quote the value: question: "Critics: who are they?"' in html.unescape(
            reply.content
        )
        assert await _versions(bot, "bike-lane") == []
    assert fake_telegram.rejected == []


async def test_long_problem_lists_are_split_and_capped(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url, QUIZBOT_ADMIN_IDS=str(ADMIN)) as bot:
        ada = bot.user(ADMIN, "Ada")
        # 120 items, each quoting a passage that is not in the source.
        base = quiz_yaml("long-list")
        head = base[: base.index("items:")] + "items:\n"
        items = "".join(
            f"  - id: i{n}\n    skill: sourcing\n    verdict: sound\n"
            f"    passage: words that are not in the source number {n}\n"
            f"    question: Is it sourced?\n    options:\n"
            f"      - text: 'Yes'\n        correct: true\n      - text: 'No'\n"
            f"    explanation: Because.\n"
            for n in range(120)
        )
        ada.send_document("long.yaml", (head + items).encode(), YAML)
        await ada.wait_for_message("… and 70 more")
        texts = [m.content for m in ada.messages() if m.content]
        report = [t for t in texts if re.search(r"^\d+\. line", t, re.MULTILINE)]
        assert len(report) >= 2, "the list is split over several messages"
        assert all(len(t) <= MESSAGE_TEXT_MAX for t in report)
        numbers = [int(n) for t in report for n in re.findall(r"^(\d+)\. line", t, re.MULTILINE)]
        assert numbers == list(range(1, 51))
        assert await _versions(bot, "long-list") == []

        # An admin may replace the bundled quiz (here with the same content: up to date).
        bundled = (bot.runtime.settings.quiz_dir / "nk-arms-article.yaml").read_text()
        article = (bot.runtime.settings.quiz_dir / "article.txt").read_text()
        inline = "  text: |\n" + "".join(f"    {line}\n" for line in article.splitlines())
        ada.send_document(
            "nk.yaml", bundled.replace("  text_file: article.txt\n", inline).encode(), YAML
        )
        reply = await ada.wait_for_message(lambda m: "nk-arms-article" in m.content)
        assert "already up to date" in reply.content or "version 2" in reply.content
    assert fake_telegram.rejected == []


async def test_an_instructor_who_forgets_themself_leaves_quizzes_and_cohorts_ownerless(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(
        fake_telegram, database_url, QUIZBOT_INSTRUCTOR_IDS=str(TEACHER)
    ) as bot:
        tess = bot.user(TEACHER, "Tess")
        tess.send_text("/forgetme")
        confirm = (await tess.wait_for_message("Are you sure")).content
        assert "Quizzes and cohorts you own would be kept with no owner" in confirm
        tess.press(await tess.wait_for_message("Are you sure"), "No, keep it")
        await tess.wait_for_message("Nothing was deleted.")

        tess.send_document("class-quiz.yaml", quiz_yaml("class-quiz").encode(), YAML)
        await tess.wait_for_message("Imported quiz")
        tess.send_text("/cohort Class 9B")
        match = INVITE.search((await tess.wait_for_message("Cohort Class 9B created")).content)
        assert match is not None
        tess.send_text(f"/share class-quiz {match[2]}")
        await tess.wait_for_message("open to: Class 9B")
        lea = bot.user(901, "Lea")
        lea.send_text(f"/start {match[2]}")
        await lea.wait_for_message("You joined Class 9B")

        # Before she confirms, she is told what becomes of them.
        tess.send_text("/forgetme")
        confirm_message = await tess.wait_for_message("Are you sure")
        assert (
            "Your 1 quiz and 1 cohort will be kept, with no owner: learners keep what you "
            "opened to them, and from then on only admins can manage them."
        ) in confirm_message.content
        tess.press(confirm_message, "Yes, delete my data")
        await tess.wait_for_message("everything stored about you is deleted")

        async with bot.runtime.sessions() as session:
            quiz = (await session.scalars(select(Quiz).where(Quiz.slug == "class-quiz"))).one()
            cohort = (await session.scalars(select(Cohort))).one()
        assert (quiz.owner_id, quiz.is_public, cohort.owner_id) == (None, False, None)
        # Lea keeps the quiz that was opened to her cohort.
        lea.send_text("/quiz class-quiz")
        assert (await next_item(lea)).content.startswith("Question 1 of 2")

        # A learner's question says nothing of quizzes or cohorts.
        lea.send_text("/forgetme")
        plain = (await lea.wait_for_message("Are you sure")).content
        assert plain == "This deletes your answers, scores and lessons for good. Are you sure?"
    assert fake_telegram.rejected == []
