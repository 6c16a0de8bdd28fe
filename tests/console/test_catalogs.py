"""The catalogs are complete, compiled and within Telegram's limits in every language."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest
from babel.messages.catalog import Message

from bot.console import i18n
from bot.domain.languages import LANGUAGES
from bot.domain.limits import CALLBACK_ANSWER_MAX, MESSAGE_TEXT_MAX, telegram_length
from scripts import catalogs

# Telegram shows about 20 characters of a button on a phone before it cuts the label.
BUTTON_WIDTH = 20
COMMAND_DESCRIPTION_MAX = 256
_PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def width(label: str) -> int:
    """Characters as a phone draws them: a Khmer consonant with its vowel signs and its
    subscript (coeng + consonant) is one, as is a letter with its accents."""
    count = 0
    after_coeng = False
    for char in label:
        joins = unicodedata.category(char) in {"Mn", "Mc", "Me"} or after_coeng
        count += not joins
        after_coeng = char == "\u17d2"
    return count


def test_width_counts_what_a_phone_draws() -> None:
    assert width("Continue ▶") == 10
    assert width("ខ្មែរ") == 2  # ខ្ម + ែរ: two clusters, five code points
    assert width("ពេលព្រឹក") == 4


def test_the_catalogs_match_the_code_and_are_compiled() -> None:
    """Every message id of the code is translated in every catalog with the same
    placeholders and tags, and every .mo is compiled from its .po (`make locale`)."""
    assert catalogs.check() == []


def test_every_language_has_a_catalog() -> None:
    assert catalogs.languages() == list(LANGUAGES)


def _too_long(message: Message, text: str) -> str | None:
    filled = _PLACEHOLDER.sub("9999", text)
    size = telegram_length(filled)
    if size > MESSAGE_TEXT_MAX:
        return f"{size} UTF-16 units"
    if message.context == "button" and width(filled) > BUTTON_WIDTH:
        return f"a button {width(filled)} characters wide"
    if message.context == "popup" and size > CALLBACK_ANSWER_MAX:
        return f"a popup of {size} UTF-16 units"
    if message.context == "command" and not 1 <= size <= COMMAND_DESCRIPTION_MAX:
        return f"a command description of {size} UTF-16 units"
    return None


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_translation_fits_where_it_is_shown(language: str) -> None:
    """Buttons, popups (callback answers), menu descriptions and messages, with every
    placeholder four characters long."""
    found = []
    for message in catalogs.read(language):
        if not message.id:
            continue
        forms = [message.string] if isinstance(message.string, str) else message.string
        found += [f"{form!r}: {why}" for form in forms if (why := _too_long(message, form))]
    assert found == []


def test_khmer_is_not_english() -> None:
    """A catalog that copied the English would pass the checks above; Khmer must differ."""
    same = [
        m.id
        for m in catalogs.read("km")
        # Words have lower-case letters: "95% CI" or "d_z" stay as they are.
        if m.id and m.string == m.id and re.search("[a-z]{2}", _PLACEHOLDER.sub("", str(m.id)))
    ]
    assert same == []


def test_numbers_percentages_and_dates_follow_the_language() -> None:
    when = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
    zone = dt.timezone(dt.timedelta(hours=7))
    with i18n.use("en"):
        assert (i18n.moment(when, zone), i18n.percent(0.456)) == ("Mon 2 Mar, 13:00", "46%")
        assert i18n.number(12345) == "12,345"
    with i18n.use("km"):
        assert i18n.moment(when, zone) == "ចន្ទ 2 មីនា, 13:00"
        assert i18n.percent(0.456) == "46%"
    with i18n.use("fr"):  # a language the bot does not speak is English
        assert i18n.language() == "en"


def test_plurals_follow_the_language() -> None:
    with i18n.use("en"):
        assert i18n.ngettext("{n} question", "{n} questions", 1).format(n=1) == "1 question"
        assert i18n.ngettext("{n} question", "{n} questions", 5).format(n=5) == "5 questions"
    with i18n.use("km"):
        # Khmer has one form: the count says it.
        assert i18n.ngettext("{n} question", "{n} questions", 1).format(n=1) == "1 សំណួរ"
        assert i18n.ngettext("{n} question", "{n} questions", 5).format(n=5) == "5 សំណួរ"
