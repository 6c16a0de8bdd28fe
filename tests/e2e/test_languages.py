"""A learner in Khmer, end to end: the language from Telegram, /language, menus per language."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.db.models import Quiz, User
from tests.e2e.harness import BotHarness, answer_buttons, running_bot
from tests.e2e.test_learner_flow import answer
from tests.fakes import ChatMessage, FakeTelegramServer, FakeUser
from tests.quiz_samples import broken_quiz_yaml, line_of, quiz_yaml

KHMER_ITEM = "សំណួរទី 1 នៃ"


def _is_khmer_item(message: ChatMessage) -> bool:
    return message.content.startswith(KHMER_ITEM) and bool(answer_buttons(message))


async def _language_of(bot: BotHarness, telegram_id: int) -> str | None:
    async with bot.runtime.sessions() as session:
        return await session.scalar(select(User.language).where(User.telegram_id == telegram_id))


async def _switch(user: FakeUser, label: str) -> ChatMessage:
    user.send_text("/language")
    offer = await user.wait_for_message(lambda m: bool(m.buttons))
    user.press(offer, label)
    return offer


async def test_a_khmer_learner_plays_in_khmer_then_switches_to_english(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url) as bot:
        sok = bot.user(601, "Sok", language_code="km")
        sok.send_text("/start")
        greeting = await sok.wait_for_message("សួស្ដី Sok!")
        assert "/quiz" in greeting.content
        assert "Hi" not in greeting.content
        assert await _language_of(bot, 601) == "km"

        sok.send_text("/quiz")
        intro = await sok.wait_for_message("ជាជុំៗ")  # "in rounds of"
        # The quiz is English, and the learner is told so in Khmer.
        assert "សំណួរទាំងនេះជាភាសាអង់គ្លេស" in intro.content
        item = await sok.wait_for_message(_is_khmer_item)
        # The frame and the skill's name are Khmer; the item stays as its author wrote it.
        assert "· ចំណងជើង ធៀបនឹងខ្លឹមសារ" in item.content
        assert "Headline versus body" not in item.content
        press = await answer(bot, sok, item, right=False)
        assert (await sok.wait_for_answer(press))["text"] == "❌ មិនទាន់ត្រូវទេ"
        verdict = await sok.wait_for_message(lambda m: m.message_id == item.message_id)
        assert "មិនទាន់ត្រូវទេ។" in verdict.content
        assert "ចម្លើយគឺ៖" in verdict.content
        assert "Not quite" not in verdict.content

        sok.send_text("/score")
        score = await sok.wait_for_message("វឌ្ឍនភាពរបស់អ្នក")
        assert "Your progress" not in score.content

        offer = await _switch(sok, "English")
        chosen = await sok.wait_for_message(
            lambda m: m.message_id == offer.message_id and "English" in m.content
        )
        assert chosen.content == "From now on I speak English."
        assert await _language_of(bot, 601) == "en"

        sok.send_text("/score")
        score = await sok.wait_for_message("Your progress")
        assert "វឌ្ឍនភាព" not in score.content
        sok.send_text("/quiz")
        resumed = await sok.wait_for_message("Welcome back")
        assert "សូមស្វាគមន៍" not in resumed.content
        shown = await sok.wait_for_message(lambda m: m.content.startswith("Question 2 of"))
        assert "· Fact or opinion?" in shown.content
        # Sok's own chat menu now follows the choice, whatever the phone's language.
        menu = fake_telegram.my_commands({"type": "chat", "chat_id": 601})
        assert menu is not None
        assert {c["description"] for c in menu} >= {"start or resume a quiz"}
    assert fake_telegram.rejected == []


async def test_menus_are_set_per_language(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url):
        english = fake_telegram.my_commands()
        khmer = fake_telegram.my_commands(language_code="km")
    assert english is not None
    assert khmer is not None
    assert [c["command"] for c in khmer] == [c["command"] for c in english]
    assert "language" in {c["command"] for c in english}
    described = dict((c["command"], c["description"]) for c in khmer)
    assert described["quiz"] == "ចាប់ផ្ដើម ឬបន្តកម្រងសំណួរ"
    assert fake_telegram.rejected == []


async def test_a_forged_language_button_gets_a_short_reply(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url) as bot:
        ana = bot.user(602, "Ana", language_code="en")
        ana.send_text("/language")
        offer = await ana.wait_for_message(lambda m: bool(m.buttons))
        assert {b["callback_data"] for row in offer.buttons for b in row} == {
            "lang:en",
            "lang:km",
        }
        for forged in ("lang:xx", "lang:km\n", "lang:kmm", "lang:", "lang:EN"):
            popup = await ana.wait_for_answer(ana.press_data(offer, forged))
            assert popup["text"] == "This button is not valid any more.", forged
        assert await _language_of(bot, 602) == "en"
    assert fake_telegram.rejected == []


async def test_the_language_is_kept_until_forgotten(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url) as bot:
        dara = bot.user(603, "Dara", language_code="km")
        await _switch(dara, "English")
        await dara.wait_for_message("From now on I speak English.")
        # The phone still says Khmer; the choice stands.
        dara.send_text("/help")
        await dara.wait_for_message("Commands")

        dara.send_text("/forgetme")
        confirm = await dara.wait_for_message("Are you sure")
        dara.press(confirm, "Yes, delete my data")
        await dara.wait_for_message("everything stored about you is deleted")
        assert await _language_of(bot, 603) is None
        assert fake_telegram.my_commands({"type": "chat", "chat_id": 603}) is None

        # Forgotten: the next message is a first contact, in the phone's language.
        dara.send_text("/start")
        await dara.wait_for_message("សួស្ដី Dara!")
        assert await _language_of(bot, 603) == "km"
    assert fake_telegram.rejected == []


async def test_lessons_use_the_zone_of_the_language_until_one_is_set(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url) as bot:
        sok = bot.user(604, "Sok", language_code="km")
        sok.send_text("/lessons")
        status = await sok.wait_for_message("Asia/Phnom_Penh")
        assert "តាមភាសារបស់អ្នក" in status.content  # "from your language"
        sok.send_text("/lessons tz Asia/Bangkok")
        status = await sok.wait_for_message("Asia/Bangkok")
        assert "តាមភាសារបស់អ្នក" not in status.content
        async with bot.runtime.sessions() as session:
            user = await session.scalar(select(User).where(User.telegram_id == 604))
            assert user is not None
            assert user.timezone == "Asia/Bangkok"
    assert fake_telegram.rejected == []


async def test_a_cohorts_quizzes_show_their_language_learners_first(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    """The quizzes stay as written; the list names each one's language, the learner's first."""
    async with running_bot(fake_telegram, database_url, QUIZBOT_INSTRUCTOR_IDS="800") as bot:
        teacher = bot.user(800, "Teacher")
        for slug, language in (("a-english", "en"), ("b-khmer", "km")):
            teacher.send_document(f"{slug}.yaml", _quiz(slug, language), "application/x-yaml")
            await teacher.wait_for_message("Imported quiz")
        teacher.send_text("/cohort Class 9B")
        created = await teacher.wait_for_message("created")
        code = created.content.split("Code: ")[1].split()[0]
        teacher.send_text(f"/share a-english {code}")
        await teacher.wait_for_message("is open to")
        teacher.send_text(f"/share b-khmer {code}")
        await teacher.wait_for_message("is open to")
        teacher.send_text("/quizzes")
        overview = await teacher.wait_for_message("Your quizzes")
        assert "· English" in overview.content
        assert "· Khmer" in overview.content

        sok = bot.user(605, "Sok", language_code="km")
        sok.send_text(f"/start {code}")
        joined = await sok.wait_for_message("កម្រងសំណួររបស់ក្រុមនេះ")  # "Its quizzes"
        lines = [line for line in joined.content.splitlines() if line.startswith("/quiz")]
        assert lines == ["/quiz b-khmer – Title (ខ្មែរ)", "/quiz a-english – Title (អង់គ្លេស)"]
        ana = bot.user(606, "Ana", language_code="en")
        ana.send_text(f"/start {code}")
        joined = await ana.wait_for_message("Its quizzes")
        lines = [line for line in joined.content.splitlines() if line.startswith("/quiz")]
        assert lines == ["/quiz a-english – Title (English)", "/quiz b-khmer – Title (Khmer)"]
    assert fake_telegram.rejected == []


async def test_a_khmer_instructor_gets_the_problems_of_an_upload_in_khmer(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    """Each problem in Khmer at its line; field names, ids and values as the file has them."""
    async with running_bot(fake_telegram, database_url, QUIZBOT_INSTRUCTOR_IDS="801") as bot:
        dara = bot.user(801, "Dara", language_code="km")
        broken = broken_quiz_yaml("class-quiz")
        dara.send_document("class-quiz.yaml", broken.encode(), "application/x-yaml")
        reply = await dara.wait_for_message("មិនបាននាំចូលអ្វីទេ")  # "Nothing was imported"
        numbered = re.findall(r"^(\d+)\. បន្ទាត់ទី (\d+)៖ (.*)$", reply.content, re.MULTILINE)
        assert [(int(n), int(line)) for n, line, _ in numbered] == [
            (1, line_of(broken, "skill: sourcin")),
            (2, line_of(broken, "secret minutes")),
            (3, line_of(broken, "- id: q2")),
        ]
        skill, passage, question = (text for _, _, text in numbered)
        assert skill.startswith(
            "សំណួរទី 1 ('q1')៖ មិនស្គាល់ជំនាញ 'sourcin' (តើអ្នកចង់សរសេរ 'sourcing' មែនទេ?); ជំនាញដែលមាន៖ "
        )
        assert passage.startswith("សំណួរទី 1 ('q1')៖ រកមិនឃើញអត្ថបទដកស្រង់នេះក្នុងអត្ថបទប្រភពទេ (តួអក្សរ ")
        assert "'secret minutes'" in passage
        assert question == "សំណួរទី 2 ('q2')៖ ខ្វះវាល 'question'"
        assert "passage not found" not in reply.content

        # Imported, with a warning worth a look, in Khmer.
        stale = quiz_yaml("class-quiz").replace(
            "    explanation: The minutes are a public record anyone can check.\n",
            "    explanation: The minutes are a public record anyone can check.\n"
            "    checked: 2020-01-15\n",
        )
        dara.send_document("class-quiz.yaml", stale.encode(), "application/x-yaml")
        reply = await dara.wait_for_message("គួរពិនិត្យមើល")  # "Worth a look"
        line = line_of(stale, "checked: 2020")
        assert (
            f"បន្ទាត់ទី {line}៖ ការព្រមាន៖ សំណួរទី 1 ('q1')៖ ការពិតត្រូវបានពិនិត្យនៅថ្ងៃ 2020-01-15"
            in reply.content
        )
        assert "over a year ago" not in reply.content
    assert fake_telegram.rejected == []


def _quiz(slug: str, language: str) -> bytes:
    return quiz_yaml(slug, title="Title", language=language).encode()


async def test_quiz_offers_the_learners_other_quizzes_their_language_first(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url, QUIZBOT_INSTRUCTOR_IDS="900") as bot:
        tess = bot.user(900, "Tess")
        uploads = [
            ("bike-lane", "Bike lane news", "en"),
            ("kh-bike", "ផ្លូវកង់ថ្មី", "km"),
            ("hidden", "Not for learners", "en"),
        ]
        for slug, title, language in uploads:
            text = quiz_yaml(slug, title=title, language=language)
            tess.send_document(f"{slug}.yaml", text.encode(), "application/x-yaml")
            await tess.wait_for_message(f"Imported quiz {slug}")
            if slug != "hidden":
                tess.send_text(f"/public {slug}")
                await tess.wait_for_message("is public")

        sok = bot.user(602, "Sok", language_code="km")
        sok.send_text("/quiz")
        intro = await sok.wait_for_message("ជាជុំៗ")
        assert intro.content.index("ផ្លូវកង់ថ្មី (ខ្មែរ)") < intro.content.index(
            "Bike lane news (អង់គ្លេស)"
        )
        assert "កម្រងសំណួរផ្សេងទៀតសម្រាប់អ្នក" in intro.content  # "Other quizzes for you"
        assert "Not for learners" not in intro.content  # Tess's own quiz, not shared
        assert [row[0]["text"] for row in intro.buttons] == ["ផ្លូវកង់ថ្មី", "Bike lane news"]
        await sok.wait_for_message(_is_khmer_item)  # the bundled quiz starts as before

        sok.press(intro, "ផ្លូវកង់ថ្មី")
        started = await sok.wait_for_message(lambda m: "ផ្លូវកង់ថ្មី" in m.content and not m.buttons)
        assert "ជាជុំៗ" in started.content
        await sok.wait_for_message(lambda m: m.content.startswith("សំណួរទី 1 នៃ 2 ·"))

        # A forged button, or one naming a quiz Sok may not take, starts nothing and says so.
        async with bot.runtime.sessions() as session:
            hidden = await session.scalar(select(Quiz.id).where(Quiz.slug == "hidden"))
        for data in (f"qz:{hidden}", "qz:999999", "qz:0", "qz:1x"):
            press = sok.press_data(intro, data)
            answered = await sok.wait_for_answer(press)
            assert answered["text"] != ""
            assert "hidden" not in answered["text"]
        assert not [m for m in sok.messages() if "Not for learners" in m.content]

        # A learner with a named quiz gets no list.
        sok.send_text("/quiz kh-bike")
        resumed = await sok.wait_for_message(lambda m: m.content.startswith("សូមស្វាគមន៍"))
        assert not resumed.buttons
    assert fake_telegram.rejected == []
