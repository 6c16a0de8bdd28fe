"""The memory model: a miss brings a skill back soon, successes push it further out."""

from __future__ import annotations

import datetime as dt

from bot.domain.mastery import review

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_a_miss_is_due_again_within_hours() -> None:
    after_miss = review(None, False, NOW)
    assert dt.timedelta(hours=1) <= after_miss.due_at - NOW <= dt.timedelta(hours=8)


def test_successes_space_reviews_further_and_further() -> None:
    first = review(None, True, NOW)
    second = review(first.card, True, first.due_at)
    third = review(second.card, True, second.due_at)
    gaps = [
        first.due_at - NOW,
        second.due_at - first.due_at,
        third.due_at - second.due_at,
    ]
    assert gaps[0] >= dt.timedelta(hours=4)
    assert gaps[0] < gaps[1] < gaps[2]


def test_a_lapse_after_successes_comes_back_sooner_than_a_success_would() -> None:
    learned = review(review(None, True, NOW).card, True, NOW + dt.timedelta(days=1))
    later = learned.due_at
    missed = review(learned.card, False, later)
    kept = review(learned.card, True, later)
    assert missed.due_at < kept.due_at


def test_cards_round_trip_through_json_values() -> None:
    import json

    card = review(None, False, NOW).card
    again = json.loads(json.dumps(card))
    assert review(again, True, NOW + dt.timedelta(hours=5)).due_at > NOW
