"""Days in made-up reports: the dateline, the day a sentence names, and events dated twice."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.draft.article import Article, Sentence, locate_sentences
from bot.domain.draft.days import dateline_of, day_of, parse_date
from bot.domain.draft.pairs import date_conflicts
from bot.domain.draft.skeletons import build_skeletons

STOP = frozenset(
    {"the", "a", "an", "of", "and", "to", "in", "on", "at", "is", "was", "were", "be", "it"}
    | {"their", "its", "that", "work", "with"}
)
FRIDAY = date(2019, 1, 4)


def _sentences(*texts: str) -> list[Sentence]:
    return [Sentence.make(i, 0, text) for i, text in enumerate(texts)]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Friday, January 4, 2019", FRIDAY),
        ("January 4, 2019", FRIDAY),
        ("4 January 2019", FRIDAY),
        ("Jan. 4 2019", FRIDAY),
        ("2019-01-04T08:00:00", FRIDAY),
        # The weekday and the date disagree: one of them is wrong.
        ("Monday, January 4, 2019", None),
        ("February 30, 2019", None),
        ("The flood came on January 4, 2019", None),
    ],
)
def test_a_dateline_is_a_whole_date(text: str, day: date | None) -> None:
    assert parse_date(text) == day


def test_the_dateline_comes_from_the_metadata_or_a_line_near_the_top() -> None:
    text = "Dam bursts\n\nFriday, January 4, 2019\n\nThe dam burst on Monday."
    pieces = ["Dam bursts", "Friday, January 4, 2019", "The dam burst on Monday."]
    sentences = locate_sentences(text, pieces, headline="Dam bursts")
    assert dateline_of(Article(text, "Dam bursts", sentences)) == FRIDAY
    assert dateline_of(Article(text, "t", sentences, date="2020-05-06")) == date(2020, 5, 6)
    assert dateline_of(Article(text, "t", sentences[2:])) is None


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("The dam burst yesterday.", date(2019, 1, 3)),
        ("Today the river is calm.", FRIDAY),
        # A weekday is the last one on or before the dateline; its own weekday is that day.
        ("The dam burst on Wednesday.", date(2019, 1, 2)),
        ("The dam burst on Friday.", FRIDAY),
        ("The dam burst on Saturday.", date(2018, 12, 29)),
        ("Monday, December 31, the dam burst.", date(2018, 12, 31)),
        # A date without a year is the last one on or before the dateline.
        ("The dam burst on December 30.", date(2018, 12, 30)),
        ("The dam burst on 2 January.", date(2019, 1, 2)),
        ("The dam burst on March 3, 2017.", date(2017, 3, 3)),
        # Two different days, a weekday that points elsewhere, the future, a span: no day.
        ("The dam burst on Monday and was mended on Tuesday.", None),
        ("Wednesday, January 3, the dam burst.", None),
        ("The dam burst last Monday.", None),
        ("The dam will be mended on Monday.", None),
        ("The dam burst a week ago.", None),
        ("The dam may burst.", None),
    ],
)
def test_the_one_day_a_sentence_names(text: str, day: date | None) -> None:
    found = day_of(Sentence.make(0, 0, text), FRIDAY)
    assert (found[0] if found else None) == day


def test_relative_days_need_a_dateline() -> None:
    assert day_of(Sentence.make(0, 0, "The dam burst yesterday."), None) is None
    assert day_of(Sentence.make(0, 0, "The dam burst on Wednesday."), None) is None
    found = day_of(Sentence.make(0, 0, "The dam burst on January 2, 2019."), None)
    assert found is not None
    assert found[0] == date(2019, 1, 2)


def test_the_same_event_dated_differently_may_conflict() -> None:
    sentences = _sentences(
        "Police said divers ended their search yesterday.",
        "The valley is quiet.",
        '"The search is over," the chief told reporters on Wednesday.',
    )
    pairs = date_conflicts(sentences, FRIDAY, STOP)
    assert [(p.first, p.second) for p in pairs] == [(0, 2)]
    assert pairs[0].focus == (
        '"ended" yesterday (Thursday, January 3) against "is over" on Wednesday (January 2)'
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Different things ended.
        ("The strike ended yesterday.", "The concert was over on Wednesday."),
        # An end and a start are not the same event.
        ("The search ended yesterday.", "The search began on Wednesday."),
        # The same day.
        ("The search ended yesterday.", "The search was complete on Thursday."),
        # "over" that is not an end.
        ("The search ended yesterday.", "The search covered over 40 miles on Wednesday."),
    ],
)
def test_different_events_or_the_same_day_do_not_conflict(first: str, second: str) -> None:
    assert date_conflicts(_sentences(first, second), FRIDAY, STOP) == []


def test_relative_days_conflict_only_with_a_dateline() -> None:
    sentences = _sentences("The search ended yesterday.", "The search ended on Wednesday.")
    assert date_conflicts(sentences, None, STOP) == []
    assert len(date_conflicts(sentences, FRIDAY, STOP)) == 1
    dated = _sentences(
        "The search ended on January 3, 2019.", "The search ended on 2 January 2019."
    )
    assert len(date_conflicts(dated, None, STOP)) == 1


def _article(text: str) -> Article:
    pieces = [p.strip() for paragraph in text.split("\n\n") for p in paragraph.split(". ")]
    pieces = [p if not p or p.endswith(".") or p[-1].isdigit() else p + "." for p in pieces]
    return Article(text=text, title="t", sentences=locate_sentences(text, pieces))


def test_a_date_conflict_becomes_a_contradiction_item() -> None:
    text = (
        "Friday, January 4, 2019\n\nThe search for the lost divers ended yesterday. "
        + "The valley is quiet. " * 30
        + "The search for the lost divers was over on Wednesday."
    )
    pair = [s for s in build_skeletons(_article(text), {}, STOP) if s.partner is not None]
    assert len(pair) == 1
    assert pair[0].skill == "internal-consistency"
    assert "yesterday" in pair[0].pair_focus


def test_a_sentence_may_conflict_with_two_others() -> None:
    # Sentence 1 conflicts with 2 (a figure) and with 3 (a day). Each pair is an item: the
    # second is asked from its other sentence, with sentence 1 as its right option.
    text = (
        "Friday, January 4, 2019\n\nPolice said 12 people died, and divers ended their "
        "search yesterday. By then the death toll had risen to 15. "
        "The search for the divers was over on Wednesday, the chief said. "
        + "The valley is quiet. "
        * 40
    )
    skeletons = build_skeletons(_article(text), {}, STOP)
    pairs = sorted((s.sentence.index, s.partner.index) for s in skeletons if s.partner)
    assert pairs in ([(1, 2), (3, 1)], [(1, 3), (2, 1)])
