"""Button payloads match whole, never by prefix: a forged one reaches only the catch-all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes

from bot.telegram import callback_data as cd
from bot.telegram.app import QuizApplication, register_handlers
from bot.telegram.context import QuizContext

GOOD = [
    cd.answer(12, 34, 1),
    cd.mask(12, 34, frozenset({0, 2}), submit=False),
    cd.mask(12, 34, frozenset({1}), submit=True),
    cd.cont(12, 5),
    "fgt:yes",
    "fgt:no",
    cd.practice(56, 2),
    cd.practice_mask(56, frozenset({0, 1}), submit=True),
    cd.window("evening"),
    cd.language("km"),
    cd.stage_button(78, skip=False),
    cd.stage_button(78, skip=True),
    cd.quiz_button(91),
]
# Each good payload with something after it: a trailing newline (which `$` lets through),
# junk, or another field.
FORGED = [f"{data}{tail}" for data in GOOD for tail in ("\n", "#junk", ":1", " ")]

PARSERS: list[Callable[[str], Any]] = [
    cd.parse_answer,
    cd.parse_mask,
    cd.parse_continue,
    cd.parse_forget,
    cd.parse_practice,
    cd.parse_window,
    cd.parse_language,
    cd.parse_stage,
    cd.parse_quiz,
]


def _press(data: str) -> Update:
    user = {"id": 7, "is_bot": False, "first_name": "Ana"}
    return Update.de_json(
        {
            "update_id": 1,
            "callback_query": {
                "id": "1",
                "from": user,
                "chat_instance": "1",
                "data": data,
                "message": {
                    "message_id": 1,
                    "date": 1_700_000_000,
                    "chat": {"id": 7, "type": "private"},
                    "text": "Question 1 of 3",
                },
            },
        },
        None,
    )


@pytest.fixture(scope="module")
def handlers() -> list[CallbackQueryHandler[Any, Any]]:
    """The button handlers the bot registers, in order (the last one takes the rest)."""
    app: QuizApplication = (
        ApplicationBuilder()
        .token("123456:TEST-TOKEN")
        .updater(None)
        .context_types(ContextTypes(context=QuizContext))
        .build()
    )
    register_handlers(app)
    found = [h for group in app.handlers.values() for h in group]
    return [h for h in found if isinstance(h, CallbackQueryHandler)]


def _matching(handlers: list[CallbackQueryHandler[Any, Any]], data: str) -> list[str]:
    update = _press(data)
    return [h.callback.__name__ for h in handlers if h.check_update(update)]


@pytest.mark.parametrize("data", GOOD)
def test_each_payload_reaches_its_own_handler_first(
    handlers: list[CallbackQueryHandler[Any, Any]], data: str
) -> None:
    matching = _matching(handlers, data)
    assert matching[0] != "unknown_button", data
    assert matching[1:] == ["unknown_button"], data


@pytest.mark.parametrize("data", FORGED)
def test_forged_payloads_reach_only_the_catch_all(
    handlers: list[CallbackQueryHandler[Any, Any]], data: str
) -> None:
    assert _matching(handlers, data) == ["unknown_button"]
    for parse in PARSERS:
        with pytest.raises(cd.BadCallbackData):
            parse(data)


@pytest.mark.parametrize("data", ["lang:xx", "lang:fr", "lang:EN", "lang:", "lang:e"])
def test_a_language_the_bot_does_not_speak_is_forged(data: str) -> None:
    with pytest.raises(cd.BadCallbackData):
        cd.parse_language(data)
    assert cd.parse_language("lang:km") == "km"
