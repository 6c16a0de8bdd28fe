"""Which language a learner gets, and the time zone that goes with it (plain values)."""

from __future__ import annotations

import pytest

from bot.domain import languages


@pytest.mark.parametrize(
    ("code", "language"),
    [("km", "km"), ("km-KH", "km"), ("KM", "km"), ("en", "en"), ("en-GB", "en"), ("fr", "en"),
     ("", "en"), (None, "en"), ("kmr", "en")],
)  # fmt: skip
def test_telegram_language_code_km_gives_khmer_anything_else_english(
    code: str | None, language: str
) -> None:
    assert languages.from_telegram(code) == language


def test_the_zone_follows_the_language_until_one_is_chosen() -> None:
    assert languages.zone_for("UTC", "km", chosen=False) == "Asia/Phnom_Penh"
    assert languages.zone_for("UTC", "en", chosen=False) == "UTC"
    assert languages.zone_for("UTC", None, chosen=False) == "UTC"
    assert languages.zone_for("UTC", "km", chosen=True) == "UTC"
    assert languages.zone_for("Europe/Berlin", "km", chosen=True) == "Europe/Berlin"


def test_quizzes_in_the_learners_language_come_first_in_their_order() -> None:
    assert languages.preferring("km", ["en", "km", "en-GB", "km-KH"]) == [1, 3, 0, 2]
    assert languages.preferring("en", ["km", "en"]) == [1, 0]
    assert languages.preferring("km", []) == []


def test_a_translation_is_used_where_there_is_one() -> None:
    words = {"km": {"name": "ការពិត ឬមតិ?", "lesson": ""}}
    assert languages.translated("Fact or opinion?", words, "km", "name") == "ការពិត ឬមតិ?"
    assert languages.translated("A lesson", words, "km", "lesson") == "A lesson"  # empty
    assert languages.translated("Fact or opinion?", words, "en", "name") == "Fact or opinion?"
    assert languages.translated("Fact or opinion?", None, "km", "name") == "Fact or opinion?"
    assert languages.translated("Fact or opinion?", words, None, "name") == "Fact or opinion?"


@pytest.mark.parametrize(
    ("environ", "language"),
    [({"LANG": "km_KH.UTF-8"}, "km"), ({"LANG": "en_US.UTF-8"}, "en"), ({"LANG": "C.UTF-8"}, "en"),
     ({}, "en"), ({"LANG": "fr_FR.UTF-8"}, "en"), ({"LC_ALL": "km_KH", "LANG": "en_US"}, "km"),
     ({"LC_MESSAGES": "en_GB", "LANG": "km_KH"}, "en"),
     ({"LANGUAGE": "fr:km", "LANG": "en_US"}, "km"),
     ({"LANGUAGE": "", "LANG": "km"}, "km")],
)  # fmt: skip
def test_the_terminal_language_is_read_as_gettext_reads_it(
    environ: dict[str, str], language: str
) -> None:
    assert languages.from_environment(environ) == language
