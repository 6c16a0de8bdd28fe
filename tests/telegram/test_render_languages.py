"""Every message the chat renders fits Telegram's limits in every language (UTF-16)."""

from __future__ import annotations

import datetime as dt

import pytest
from telegram import InlineKeyboardMarkup

from bot.console import i18n
from bot.domain.discernment import Lean
from bot.domain.languages import LANGUAGES
from bot.domain.limits import (
    CALLBACK_ANSWER_MAX,
    LESSON_MAX,
    MESSAGE_TEXT_MAX,
    OPTION_TEXT_MAX,
    QUESTION_MAX,
    item_message_length,
)
from bot.domain.roles import Role
from bot.domain.statistics import DetectionCounts
from bot.services.views import (
    AnswerResult,
    FollowUpDelivery,
    ItemView,
    LessonsStatus,
    OptionView,
    Owned,
    QuizProgress,
    RoundSummary,
    ScoreReport,
    SkillLesson,
    SkillScore,
)
from bot.telegram import followup_render, menus, render
from bot.telegram.text import visible_length
from tests.console.test_catalogs import BUTTON_WIDTH, width

SKILL = "Headline versus body: does it fit?"  # a long skill name, as the catalogue has
LETTERS = "ABCD"


def _options() -> tuple[OptionView, ...]:
    return tuple(
        OptionView(LETTERS[i], i, f"{i} " + "o" * (OPTION_TEXT_MAX - 2)) for i in range(4)
    )


def _edge_item(kind: str, spare: int = 0) -> ItemView:
    """An item as long as the quiz validator lets through (its estimate is exactly the limit),
    less `spare` characters of passage."""
    options = _options()
    question = "q" * (QUESTION_MAX - 1) + "?"
    texts = [o.text for o in options]
    estimate = item_message_length("", question, texts, multiple=kind == "multiple")
    passage_size = MESSAGE_TEXT_MAX - estimate - spare
    return ItemView(
        attempt_id=1, item_id=2, item_key="k", kind=kind, skill_id="s", skill_name=SKILL,
        quiz_title="T" * 200, passage="p" * passage_size, question=question, options=options,
        number=999, total=999,
    )  # fmt: skip


def _skills(n: int) -> tuple[SkillScore, ...]:
    return tuple(SkillScore(f"s{i}", SKILL, 999, 999) for i in range(n))


def _buttons(keyboard: InlineKeyboardMarkup | None) -> list[str]:
    return [b.text for row in (keyboard.inline_keyboard if keyboard else ()) for b in row]


def _messages() -> dict[str, str]:
    """The chat's messages with their longest values, rendered in the current language."""
    multiple = _edge_item("multiple")
    summary = RoundSummary(1, "T" * 200, 5, 3, 999, 998, 999, True, _skills(12))
    # An answered item at the limit goes out in two messages (the verdict folded in when it
    # fits); this one leaves room for the verdict line in every language.
    answered = _edge_item("multiple", spare=1500)
    result = AnswerResult(
        answered, False, answered.options[:2], answered.options[2:], ("f" * 300,), "e" * 1000,
        None, summary,
    )  # fmt: skip
    score = ScoreReport(
        quizzes=tuple(QuizProgress(f"q{i}", "T" * 200, 999, 998, 999, False, 9) for i in range(5)),
        skills=_skills(12),
        discernment=DetectionCounts(hits=5, flawed=999, false_alarms=5, sound=999),
        lean=Lean.TRUSTS,
    )
    status = LessonsStatus(
        enabled=True, timezone="America/Argentina/ComodRivadavia", zone_from_language=True,
        window_start_hour=9, window_end_hour=21, window_label="", pending=12,
        next_due_at=dt.datetime(2026, 12, 6, tzinfo=dt.UTC), next_skill=SKILL,
    )  # fmt: skip
    delivery = FollowUpDelivery(
        user_id=1, chat_id=1, language=i18n.language(), followup_ids=(1,),
        lessons=(SkillLesson("s", SKILL, "l" * LESSON_MAX),), practice=None,
    )  # fmt: skip
    return {
        "greeting": render.greeting_text("N" * 64),
        "help": menus.help_text(Role.ADMIN),
        "item": render.item_text(_edge_item("single")),
        "multiple item": render.item_text(multiple),
        "verdict": render.answered_text(result)[0],
        "summary": render.summary_text(summary),
        "score": render.score_text(score),
        "lessons": followup_render.lessons_status_text(status),
        "follow-up": followup_render.delivery_text(delivery),
        "forgetme": render.forget_confirmation_text(Owned(999, 999), instructor=True),
        "language": render.language_text(),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_fits_one_telegram_message(language: str) -> None:
    with i18n.use(language):
        sizes = {name: visible_length(text) for name, text in _messages().items()}
    assert {name: size for name, size in sizes.items() if size > MESSAGE_TEXT_MAX} == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_item_at_the_validators_limit_fits_in_every_language(language: str) -> None:
    """The validator budgets the item's frame (ITEM_FOOTER_MAX) by the English; no language's
    frame may be longer, or an item it accepts would be cut from its buttons."""
    for kind in ("single", "multiple"):
        english = visible_length(render.item_text(_edge_item(kind)))
        with i18n.use(language):
            assert visible_length(render.item_text(_edge_item(kind))) <= english
    with i18n.use(language):
        for kind in ("single", "multiple"):
            assert visible_length(render.item_text(_edge_item(kind))) <= MESSAGE_TEXT_MAX


@pytest.mark.parametrize("language", LANGUAGES)
def test_buttons_and_popups_are_short_in_every_language(language: str) -> None:
    summary = RoundSummary(1, "T", 5, 3, 5, 3, 10, False, ())
    status = LessonsStatus(True, "UTC", False, 18, 22, "", None, None, 0)
    with i18n.use(language):
        labels = [
            *_buttons(render.continue_keyboard(summary)),
            *_buttons(render.forget_keyboard()),
            *_buttons(render.language_keyboard(language)),
            *_buttons(followup_render.window_keyboard(status)),
            *[b for b in _buttons(render.item_keyboard(_edge_item("multiple"))) if "✔" in b],
        ]
        popups = [followup_render.window_set_popup(status), render.language_set_text()]
    assert [label for label in labels if width(label) > BUTTON_WIDTH] == []
    assert [p for p in popups if len(p.encode("utf-16-le")) // 2 > CALLBACK_ANSWER_MAX] == []


def test_the_frame_is_in_the_learners_language() -> None:
    item = _edge_item("multiple")
    with i18n.use("km"):
        khmer = render.item_text(item)
    english = render.item_text(item)
    assert khmer.startswith("<b>សំណួរទី 999 នៃ 999</b>")
    assert english.startswith("<b>Question 999 of 999</b>")
