"""A cohort's pre-, post- and delayed tests end to end: the real bot and its JobQueue
dispatcher against the fake Bot API, on SQLite and PostgreSQL. The bot's clock is a
FakeClock and QUIZBOT_FOLLOWUP_DELAY_SCALE turns the 14 days into two minutes of it."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.db.models import Answer, AssessmentStage, User
from tests.assessment_support import FORM_FILES
from tests.e2e.harness import BotHarness, answer_buttons, running_bot
from tests.e2e.test_instructor_flow import INVITE
from tests.e2e.test_learner_flow import answer, next_item
from tests.fakes import ChatMessage, FakeTelegramServer, FakeUser
from tests.fakes.clock import FakeClock
from tests.quiz_samples import quiz_yaml

TEACHER = 900
FAST = {"QUIZBOT_FOLLOWUP_DELAY_SCALE": 0.0001, "QUIZBOT_DISPATCH_INTERVAL": 0.2}
TEST_ITEM = re.compile(r"^📝 Test · question (\d+) of (\d+)")


def _is_test_item(message: ChatMessage) -> bool:
    return bool(TEST_ITEM.match(message.content)) and bool(answer_buttons(message))


async def _take(bot: BotHarness, learner: FakeUser, offer: ChatMessage, right: int) -> str:
    """Start the test from its offer and answer it (the first `right` items right); return
    the text that ends it."""
    learner.press(offer, "Start the test ▶")
    item = await learner.wait_for_message(_is_test_item)
    while True:
        number, total = map(int, TEST_ITEM.match(item.content).groups())  # type: ignore[union-attr]
        press = await answer(bot, learner, item, right=number <= right)
        popup = await learner.wait_for_answer(press)
        assert popup.get("text") == "📝 Answer saved", "no verdict during a test"
        if number == 1:
            # The same press again (a double tap, a client sending it twice): counted once.
            again = learner.press_data(item, press.data)
            popup = await learner.wait_for_answer(again)
            assert popup.get("text") == "You already answered this one; your first answer counts."
        edited = await learner.wait_for_message(lambda m, i=item.message_id: m.message_id == i)
        assert "Answer saved" in edited.content
        assert "Right" not in edited.content
        assert "Not quite" not in edited.content
        assert not edited.buttons
        if number == total:
            return (await learner.wait_for_message("Test done")).content
        item = await learner.wait_for_message(_is_test_item)


async def test_a_cohort_runs_pre_training_post_and_delayed_tests(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    clock = FakeClock()
    async with running_bot(
        fake_telegram,
        database_url,
        clock=clock,
        QUIZBOT_INSTRUCTOR_IDS=str(TEACHER),
        QUIZBOT_USER_BURST=1000,
        **FAST,
    ) as bot:
        tess = bot.user(TEACHER, "Tess")
        tess.send_text("/help")
        assert "/assess" in (await tess.wait_for_message("Commands")).content
        tess.send_text("/cohort Class 9B")
        created = await tess.wait_for_message("Cohort Class 9B created")
        match = INVITE.search(created.content)
        assert match is not None
        code = match[2]

        # On with no forms, then with one form: each reply names what is missing.
        tess.send_text(f"/assess {code} on")
        assert "No test forms are imported yet" in (await tess.wait_for_message()).content
        form_a, form_b = (path.read_bytes() for path in FORM_FILES)
        tess.send_document("form-a.yaml", form_a)
        await tess.wait_for_message("Imported quiz placeholder-form-a")
        tess.send_text(f"/assess {code} on")
        missing = (await tess.wait_for_message()).content
        assert "The set 'placeholder' has form A but no form B yet" in missing
        tess.send_document("form-b.yaml", form_b)
        await tess.wait_for_message("Imported quiz placeholder-form-b")
        tess.send_document("class-quiz.yaml", quiz_yaml("class-quiz").encode())
        await tess.wait_for_message("Imported quiz class-quiz")
        tess.send_text(f"/share class-quiz {code}")
        await tess.wait_for_message("is open to")
        tess.send_text(f"/assess {code} on 14")
        on = (await tess.wait_for_message("Tests for Class 9B are on")).content
        assert "one 14 days after that" in on
        assert "A = placeholder-form-a (4 questions)" in on

        # Ana joins: form A first. /quiz offers the pre-test before any training.
        ana = bot.user(701, "Ana")
        ana.send_text(f"/start {code}")
        offer = await ana.wait_for_message("First, a short test")
        assert offer.button_texts == [["Start the test ▶"], ["Skip it"]]
        ana.send_text("/quiz class-quiz")
        offer = await ana.wait_for_message("First, a short test")
        # Ben joins second: form B first, and skips it.
        ben = bot.user(702, "Ben")
        ben.send_text(f"/start {code}")
        ben_offer = await ben.wait_for_message("First, a short test")
        ben.press(ben_offer, "Skip it")
        assert (
            "You skipped this test"
            in (await ben.wait_for_message(lambda m: m.message_id == ben_offer.message_id)).content
        )

        ended = await _take(bot, ana, offer, right=2)
        assert "Test done: 2 of 4 right." in ended
        assert "/quiz class-quiz" in ended
        # A test is not a quiz: /quiz refuses the form, to its owner as a form, to a
        # learner as any quiz not open to them.
        tess.send_text("/quiz placeholder-form-a")
        assert "is a test form" in (await tess.wait_for_message()).content
        ana.send_text("/quiz placeholder-form-a")
        assert "There is no quiz" in (await ana.wait_for_message()).content

        # Training: the cohort's quiz, then the post-test on form B.
        ana.send_text("/quiz class-quiz")
        item = await next_item(ana)
        await ana.wait_for_answer(await answer(bot, ana, item, right=True))
        item = await next_item(ana)
        await ana.wait_for_answer(await answer(bot, ana, item, right=True))
        await ana.wait_for_message("Finished")
        post_offer = await ana.wait_for_message("Training done: one more short test")
        ended = await _take(bot, ana, post_offer, right=4)
        assert "Test done: 4 of 4 right." in ended
        assert "one last short test in 14 days" in ended

        # 14 days (scaled: 121 s of the bot's clock) later the dispatcher invites her.
        ana.mark()
        clock.advance(seconds=14 * 86_400 * 0.0001 + 1)
        invitation = await ana.wait_for_message("One last short test")
        ended = await _take(bot, ana, invitation, right=3)
        assert "Test done: 3 of 4 right." in ended
        assert "That was the last test" in ended
        assert "Your answers" in ended
        assert "The answer:" in ended

        # The instructor's view, and the report.
        tess.send_text(f"/assess {code}")
        state = (await tess.wait_for_message("Tests for Class 9B are on")).content
        assert "Learners taking the tests: 2" in state
        assert "Tests finished: before 1, after 1, later 1" in state
        tess.send_text(f"/stats cohort={code}")
        stats = (await tess.wait_for_message("Stats")).content
        assert "Tests before and after training" in stats
        assert "before: 1 taken, 1 skipped, 0 open · 50% right" in stats
        assert "after: 1 taken, 0 skipped, 0 open · 100% right" in stats
        assert "later: 1 taken, 0 skipped, 0 open · 75% right" in stats
        assert "before → after: 1 of 1 took both (lost 0%): 50% → 100%, +50 points" in stats
        assert "effect size needs 10 learners with both tests (has 1)" in stats
        photo = await tess.wait_for_message(lambda m: m.photo is not None)
        assert photo.caption

        async with bot.runtime.sessions() as session:
            ana_id = (await session.scalars(select(User.id).where(User.telegram_id == 701))).one()
            answers = await session.scalar(
                select(func.count()).select_from(Answer).where(Answer.user_id == ana_id)
            )
            statuses = dict(
                (
                    await session.execute(
                        select(AssessmentStage.stage, AssessmentStage.status).where(
                            AssessmentStage.user_id == ana_id
                        )
                    )
                ).all()
            )
        assert answers == 4 + 2 + 4 + 4
        assert statuses == {"pre": "done", "post": "done", "delayed": "done"}
    assert fake_telegram.rejected == []
