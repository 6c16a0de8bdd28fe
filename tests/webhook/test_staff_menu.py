"""Staff command menus in webhook mode: set once per user per process, not on every update."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes import FakeTelegramServer
from tests.webhook.harness import running_webhook

TEACHER, LEARNER = 931, 932


def _menu_calls(server: FakeTelegramServer, chat_id: int) -> list[dict[str, Any]]:
    found = []
    for call in server.calls_of("setMyCommands"):
        scope = call.params.get("scope")
        if isinstance(scope, str):
            scope = json.loads(scope)
        if isinstance(scope, dict) and scope.get("chat_id") == chat_id:
            found.append(call.params)
    return found


async def test_the_staff_menu_is_set_once_per_user(
    fake_telegram: FakeTelegramServer, database_url: str
) -> None:
    async with running_webhook(fake_telegram, database_url, QUIZBOT_INSTRUCTOR_IDS=str(TEACHER)):
        tess = fake_telegram.user(TEACHER, "Tess")
        lea = fake_telegram.user(LEARNER, "Lea")
        for _ in range(4):
            tess.send_text("/help")
            await tess.wait_for_message("Instructors")
            lea.send_text("/help")
            await lea.wait_for_message("Commands")
    assert len(_menu_calls(fake_telegram, TEACHER)) == 1
    assert _menu_calls(fake_telegram, LEARNER) == []
    assert not fake_telegram.rejected
