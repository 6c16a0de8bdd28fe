"""Days in an article: its dateline, and the one day a sentence's "yesterday", "on Monday" or
"January 2" points to.

A news report dates events by the day it was written: "yesterday" is the day before its
dateline, "on Wednesday" the last Wednesday on or before it. Without a dateline such words
point to no day. Anything less plain is left unresolved rather than guessed: a weekday after
"last", "next" or "this", a sentence about the future ("will"), spans ("a week ago", "two
days later"), and a sentence that names two different days.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Final

from bot.domain.draft.article import Article, Sentence

WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS: Final = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_RELATIVE: Final = {"yesterday": -1, "today": 0, "tomorrow": 1}
# Words that name a day: never what an event is about.
DAY_WORDS: Final = frozenset(WEEKDAYS) | frozenset(_MONTHS) | frozenset(_RELATIVE)
_WEEKDAY = "|".join(WEEKDAYS)
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# "Friday, January 4, 2019", "4 January 2019", "Jan. 4 2019", "2019-01-04" (the form HTML
# metadata gives): the whole of a dateline.
_DATELINE: Final = re.compile(
    rf"^(?:(?P<weekday>{_WEEKDAY}),?\s+)?"
    rf"(?:(?P<month>{_MONTH})\.?\s+(?P<day>{_DAY}),?|(?P<day2>{_DAY})\s+(?P<month2>{_MONTH})\.?,?)"
    r"\s+(?P<year>\d{4})$",
    re.IGNORECASE,
)
_ISO: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?!\d)")
# Sentences of a text file that may hold its dateline: the headline, the dateline, the lead.
_DATELINE_WITHIN: Final = 3


def _capitalised(alternatives: str) -> str:
    return "|".join(word.capitalize() for word in alternatives.split("|"))


# In running text a weekday or a month starts with a capital ("may" is a verb); relative
# days are any case ("Yesterday, ...").
_MENTION: Final = re.compile(
    rf"\b(?:(?P<month>{_capitalised(_MONTH)})\.?\s+(?P<day>{_DAY})\b(?:,?\s+(?P<year>\d{{4}}))?"
    rf"|(?P<day2>{_DAY})\s+(?P<month2>{_capitalised(_MONTH)})\b\.?(?:,?\s+(?P<year2>\d{{4}}))?"
    rf"|(?P<weekday>{_capitalised(_WEEKDAY)})\b"
    r"|(?P<relative>(?i:yesterday|today|tomorrow))\b)"
)
# Words that make a sentence's days uncertain: the future (a weekday then points forward),
# and spans counted from some other day.
_UNCERTAIN: Final = re.compile(
    r"\b(?:will|shall|ago|later|earlier|week|weeks|weekend|tonight|overnight|previous)\b",
    re.IGNORECASE,
)
_WEEKDAY_QUALIFIERS: Final = frozenset({"last", "next", "this", "coming", "past", "every"})


def parse_date(text: str) -> date | None:
    """The day a dateline names ("Friday, January 4, 2019", "2019-01-04"), or None.

    A weekday that does not fit the date makes it no date at all: one of the two is wrong.
    """
    text = text.strip()
    if iso := _ISO.match(text):
        return _date(int(iso[1]), int(iso[2]), int(iso[3]))
    found = _DATELINE.match(text)
    if found is None:
        return None
    month = _MONTHS[(found["month"] or found["month2"]).lower()]
    day = int(re.sub(r"\D", "", found["day"] or found["day2"]))
    day_named = _date(int(found["year"]), month, day)
    weekday = found["weekday"]
    if day_named is None or (weekday and WEEKDAYS[day_named.weekday()] != weekday.lower()):
        return None
    return day_named


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def dateline_of(article: Article) -> date | None:
    """The article's date: from its metadata, or a line of its own near the top of the text."""
    if article.date and (found := parse_date(article.date)):
        return found
    for sentence in article.sentences[:_DATELINE_WITHIN]:
        if found := parse_date(sentence.text):
            return found
    return None


def day_of(sentence: Sentence, dateline: date | None) -> tuple[date, str] | None:
    """The one day the sentence names, with the words that name it; None when it names none,
    several, or one that cannot be resolved."""
    text = sentence.text
    mentions = list(_MENTION.finditer(text))
    if not mentions or _UNCERTAIN.search(text):
        return None
    days: set[date] = set()
    for mention in mentions:
        day = _resolve(mention, text, dateline)
        if day is None:
            return None
        days.add(day)
    if len(days) != 1:
        return None
    words = " ".join(_with_preposition(m, text) for m in mentions)
    return days.pop(), words


def _resolve(mention: re.Match[str], text: str, dateline: date | None) -> date | None:
    if relative := mention["relative"]:
        return None if dateline is None else dateline + timedelta(_RELATIVE[relative.lower()])
    if weekday := mention["weekday"]:
        before = text[: mention.start()].split()
        if dateline is None or (before and before[-1].lower() in _WEEKDAY_QUALIFIERS):
            return None
        back = (dateline.weekday() - WEEKDAYS.index(weekday.lower())) % 7
        return dateline - timedelta(back)
    month = _MONTHS[(mention["month"] or mention["month2"]).lower()]
    day = int(re.sub(r"\D", "", mention["day"] or mention["day2"]))
    year = mention["year"] or mention["year2"]
    if year:
        return _date(int(year), month, day)
    if dateline is None:
        return None
    # A report tells of days gone by: "December 30" in a January report is last year's.
    this_year = _date(dateline.year, month, day)
    if this_year is not None and this_year > dateline:
        return _date(dateline.year - 1, month, day)
    return this_year


def _with_preposition(mention: re.Match[str], text: str) -> str:
    before = text[: mention.start()].split()
    if before and before[-1].lower() in {"on", "since", "until", "by"}:
        return f"{before[-1]} {mention.group()}"
    return mention.group()


def describe(day: date, words: str) -> str:
    """A day as a report names it ("Thursday, January 3"), its weekday left out when the
    words that name it say it already."""
    weekday = WEEKDAYS[day.weekday()]
    plain = f"{day:%B} {day.day}"
    return plain if weekday in words.lower() else f"{weekday.capitalize()}, {plain}"


def dated(sentences: Sequence[Sentence], dateline: date | None) -> dict[int, tuple[date, str]]:
    """The sentences that name one day, by index, with the day and the words that name it."""
    found: dict[int, tuple[date, str]] = {}
    for sentence in sentences:
        if (day := day_of(sentence, dateline)) is not None:
            found[sentence.index] = day
    return found
