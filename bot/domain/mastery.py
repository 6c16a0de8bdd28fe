"""Per-skill memory model: an FSRS card per (learner, skill), updated by every graded answer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from fsrs import Card, Rating, Scheduler

# py-fsrs defaults (1 and 10 minutes) suit flashcards drilled in one sitting. A chat lesson
# that interrupts someone's day ten minutes after a miss is noise, and a miss an hour later is
# still fresh; a few hours, then a day, spaces practice across the learner's day instead.
LEARNING_STEPS = (dt.timedelta(hours=4), dt.timedelta(days=1))
RELEARNING_STEPS = (dt.timedelta(hours=4),)
# Fuzz spreads thousands of flashcards over days; with a dozen skills it only makes the
# schedule harder to predict and test.
SCHEDULER = Scheduler(
    learning_steps=LEARNING_STEPS,
    relearning_steps=RELEARNING_STEPS,
    enable_fuzzing=False,
    maximum_interval=365,
)


@dataclass(frozen=True)
class Review:
    """The outcome of one graded answer for the memory model."""

    card: dict[str, Any]
    due_at: dt.datetime


def new_card(now: dt.datetime) -> dict[str, Any]:
    """A fresh card for a skill the learner has not practised yet."""
    return dict(Card(card_id=0, due=now).to_dict())


def review(card: dict[str, Any] | None, correct: bool, now: dt.datetime) -> Review:
    """Update a card with one answer: a miss brings the skill back soon, a success later."""
    current = Card.from_dict(cast(Any, card)) if card else Card(card_id=0, due=now)
    rating = Rating.Good if correct else Rating.Again
    updated, _log = SCHEDULER.review_card(current, rating, review_datetime=now)
    due: dt.datetime = updated.due
    return Review(card=dict(updated.to_dict()), due_at=due)
