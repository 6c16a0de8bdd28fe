"""The catalogs both adapters speak through: gettext for words, Babel for numbers and dates.

The sentences are the adapters' (bot/telegram, bot/console); their translations are the
catalogs in bot/locale (`messages.pot`, one `.po` and its compiled `.mo` per language). This
module has no words of its own and no Telegram in it, so the terminal and the chat share it.

The language of what is being rendered is a context variable, set around one update's
handler (`use`) or one learner's follow-up: the render functions keep their signatures, and
two chats handled side by side each keep their own language.

    with use("km"):
        text = _("Send /quiz to begin.")
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gettext
from collections.abc import Iterator
from contextvars import ContextVar

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent

from bot.domain.languages import ENGLISH, LANGUAGES
from bot.domain.text import Text
from bot.paths import package_folder

DOMAIN = "messages"
_language: ContextVar[str] = ContextVar("language", default=ENGLISH)


@functools.cache
def _catalog(language: str) -> gettext.NullTranslations:
    # English is written in the code: without its catalog the message ids are the text.
    return gettext.translation(
        DOMAIN, package_folder("locale"), languages=[language], fallback=language == ENGLISH
    )


def language() -> str:
    """The language being rendered."""
    return _language.get()


@contextlib.contextmanager
def use(code: str | None) -> Iterator[str]:
    """Render in `code` (English for an unknown or missing one) until the block ends."""
    chosen = code if code in LANGUAGES else ENGLISH
    token = _language.set(chosen)
    try:
        yield chosen
    finally:
        _language.reset(token)


def _(message: str) -> str:
    """`message` in the current language."""
    return _catalog(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the current language ("1 question", "5 questions")."""
    return _catalog(language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in the current language, told apart by `context` ("button": a short label)."""
    return _catalog(language()).pgettext(context, message)


def render(text: Text) -> str:
    """A text of the domain (a quiz file's problem) in the current language."""
    return text.render(_catalog(language()))


def N_(message: str) -> str:
    """Mark `message` for the catalog where it is defined; `_` translates it where it is used."""
    return message


def NP_(context: str, message: str) -> str:
    """Mark `message` with its `context` for the catalog; `pgettext` translates it later."""
    del context
    return message


def language_name(code: str) -> str:
    """A language (a quiz's, "en-GB") named in the current language, or its code if unknown."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(language())
    except (ValueError, UnknownLocaleError):
        return code
    return name or code


def number(value: float, digits: int = 0) -> str:
    """A number as the current language writes it."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=language())


def percent(share: float) -> str:
    """A share (0.25) as a whole percentage in the current language ("25%")."""
    return format_percent(share, format="#,##0%", locale=language())


def moment(when: dt.datetime, zone: dt.tzinfo) -> str:
    """A moment as the learner reads it in their zone, e.g. "Mon 2 Mar, 13:00"."""
    return format_datetime(when.astimezone(zone), "EEE d MMM, HH:mm", locale=language())
