"""An instructor in Telegram sees nothing of another instructor's cohorts or private quizzes."""

from __future__ import annotations

import csv
import io

from tests.e2e.harness import running_bot
from tests.fakes import ChatMessage, FakeTelegramServer, FakeUser
from tests.quiz_samples import quiz_yaml
from tests.scope_data import AMY, BOB, build_classes

ROLES = {"QUIZBOT_INSTRUCTOR_IDS": f"{AMY},{BOB}", "QUIZBOT_ADMIN_IDS": "900"}


async def _document(user: FakeUser) -> ChatMessage:
    return await user.wait_for_message(lambda m: m.document is not None)


async def _reply(user: FakeUser, command: str) -> str:
    user.send_text(command)
    return (await user.wait_for_message()).content


async def test_amy_learns_nothing_of_bobs_class(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_bot(fake_telegram, database_url, **ROLES) as bot:
        c = await build_classes(bot.runtime)
        amy = bot.user(AMY, "Amy")
        secrets = (c.bob_code, "Bob class", "bob-secret")

        # Her export names her own cohort, by name, and holds none of Bob's quiz.
        amy.send_text("/export")
        document = await _document(amy)
        content = fake_telegram.file_content(document).decode("utf-8")
        rows = list(csv.DictReader(io.StringIO(content)))
        assert {r["cohort"] for r in rows} == {"Amy class"}
        for secret in (*secrets, c.amy_code):
            assert secret not in content
        # A cohort filter does not put the invite code into the file's name either.
        amy.send_text(f"/export amy-quiz cohort={c.amy_code}")
        document = await _document(amy)
        assert document.document is not None
        assert c.amy_code not in document.document["file_name"]

        # Bob's private quiz and his cohort get the replies of ones that do not exist.
        unknown = await _reply(amy, "/stats no-such-quiz")
        assert unknown == "There is no quiz 'no-such-quiz'."
        for command in ("/stats bob-secret", "/export bob-secret"):
            assert await _reply(amy, command) == "There is no quiz 'bob-secret'."
        unknown = await _reply(amy, "/stats amy-quiz cohort=Nope123")
        assert unknown == "There is no cohort with the code 'Nope123'."
        hidden = await _reply(amy, f"/stats amy-quiz cohort={c.bob_code}")
        assert hidden == unknown.replace("Nope123", c.bob_code)

        # Her own report names her cohort only.
        amy.send_text("/stats")
        summary = (await amy.wait_for_message("Stats")).content
        assert "Amy class" in summary
        for secret in secrets:
            assert secret not in summary

        # An upload with Bob's quiz id is refused without saying whose it is.
        amy.send_document("mine.yaml", quiz_yaml("bob-secret").encode(), "application/x-yaml")
        refusal = (await amy.wait_for_message("Nothing was imported")).content
        assert "this quiz id is not available; choose another id" in refusal
        assert "instructor" not in refusal

        # Replies may repeat what she typed; none names Bob's cohort.
        for message in amy.messages():
            assert "Bob class" not in message.content
    assert fake_telegram.rejected == []
