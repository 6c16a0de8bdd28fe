"""The languages the bot speaks, which one a learner gets, and the time zone that goes with it.

The words themselves live in the adapters' catalogs (bot/locale); this is only the choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ENGLISH = "en"
KHMER = "km"
# Offered by /language and `quizbot demo --lang`, in this order; the first is the fallback.
LANGUAGES: tuple[str, ...] = (ENGLISH, KHMER)

# Until a learner sets a zone with /lessons tz, follow-ups keep to the daily window in the
# zone of their language: UTC would put 9:00-21:00 at 16:00-04:00 in Phnom Penh.
_ZONES = {KHMER: "Asia/Phnom_Penh"}
DEFAULT_ZONE = "UTC"


def supported(code: str | None) -> str | None:
    """`code` if the bot speaks that language, else None."""
    return code if code in LANGUAGES else None


def from_telegram(language_code: str | None) -> str:
    """The language for a Telegram user's `language_code` ("km", "km-KH" → Khmer, else English)."""
    base = (language_code or "").split("-")[0].split("_")[0].lower()
    return supported(base) or ENGLISH


def from_environment(environ: Mapping[str, str]) -> str:
    """The terminal's language, as gettext reads it (LANGUAGE, LC_ALL, LC_MESSAGES, LANG):
    "km_KH.UTF-8" gives Khmer; unset, "C" or a language the bot does not speak, English."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable)
        if value:
            # LANGUAGE may list several ("km:en"); the first one the bot speaks wins.
            for code in value.split(":"):
                found = supported(code.split(".")[0].split("_")[0].split("-")[0].lower())
                if found:
                    return found
            return ENGLISH
    return ENGLISH


def zone_for(timezone: str, language: str | None, *, chosen: bool) -> str:
    """The learner's time zone: the one they set (`chosen`), else their language's."""
    return timezone if chosen else _ZONES.get(language or ENGLISH, DEFAULT_ZONE)


def preferring(language: str, languages: list[str]) -> list[int]:
    """Positions of `languages` (quizzes' languages), those in `language` first, order kept."""
    order = range(len(languages))
    return sorted(order, key=lambda i: (languages[i].split("-")[0].lower() != language, i))


def translated(
    own: str, translations: Mapping[str, Any] | None, language: str | None, field: str
) -> str:
    """A catalogue entry's `field` in `language` from its translations ({"km": {"name": …}}),
    else `own`, as written."""
    words = (translations or {}).get(language) if language else None
    value = words.get(field) if isinstance(words, Mapping) else None
    return value if isinstance(value, str) and value else own
