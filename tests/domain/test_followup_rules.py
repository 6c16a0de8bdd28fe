"""Planning rules of follow-up lessons, on plain values with a fake clock."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain import followups as rules
from bot.domain import mastery
from bot.domain.errors import UnknownTimezoneError
from tests.fakes.clock import FakeClock

UTC = dt.UTC
ANY = rules.Window("UTC", 0, 24)


def _plan(clock: FakeClock, card: dict | None, correct: bool, scale: float = 1.0):
    outcome = mastery.review(card, correct, clock())
    due = rules.plan_next(now=clock(), model_due=outcome.due_at, scale=scale, window=ANY)
    return outcome.card, due


def test_a_miss_plans_soon_and_a_success_further_out(clock: FakeClock) -> None:
    card, after_miss = _plan(clock, None, correct=False)
    assert after_miss is not None
    assert after_miss - clock() == dt.timedelta(hours=4)
    clock.now = after_miss
    card, after_success = _plan(clock, card, correct=True)
    assert after_success is not None
    assert after_success - clock() > dt.timedelta(hours=4)
    clock.now = after_success
    _, later = _plan(clock, card, correct=True)
    assert later is not None
    assert later - clock() > after_success - after_miss


def test_successes_stop_once_the_skill_is_retained(clock: FakeClock) -> None:
    card = None
    gaps = []
    for _ in range(8):
        card, due = _plan(clock, card, correct=True)
        if due is None:
            break
        gaps.append(due - clock())
        clock.now = due
    else:
        pytest.fail("follow-ups never stopped for a learner who always answers right")
    assert gaps == sorted(gaps)
    assert all(g <= rules.RETAINED_INTERVAL for g in gaps)
    assert len(gaps) == 3  # 1, 7 and 32 days with the mastery steps


def test_a_miss_after_retention_starts_again(clock: FakeClock) -> None:
    card = None
    for _ in range(4):
        outcome = mastery.review(card, True, clock())
        card = outcome.card
        clock.now = outcome.due_at
    _, due = _plan(clock, card, correct=False)
    assert due is not None
    assert due - clock() <= dt.timedelta(hours=4)


def test_delays_are_scaled(clock: FakeClock) -> None:
    _, due = _plan(clock, None, correct=False, scale=0.0001)
    assert due is not None
    assert abs((due - clock()) - dt.timedelta(hours=4) * 0.0001) < dt.timedelta(milliseconds=1)
    _, zero = _plan(clock, None, correct=False, scale=0.0)
    assert zero == clock()


@pytest.mark.parametrize(
    ("due", "window", "expected"),
    [
        # Inside the window: unchanged.
        (dt.datetime(2026, 3, 2, 10, 30, tzinfo=UTC), rules.Window("UTC", 9, 21), None),
        # Before it: today's start; after it: tomorrow's.
        (
            dt.datetime(2026, 3, 2, 5, 0, tzinfo=UTC),
            rules.Window("UTC", 9, 21),
            dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        ),
        (
            dt.datetime(2026, 3, 2, 22, 15, tzinfo=UTC),
            rules.Window("UTC", 9, 21),
            dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        ),
        # The learner's zone: 09:00 in Berlin is 08:00 UTC in winter.
        (
            dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC),
            rules.Window("Europe/Berlin", 9, 21),
            dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        ),
        # ...and 07:00 UTC in summer (after the change on 29 March 2026).
        (
            dt.datetime(2026, 3, 28, 21, 0, tzinfo=UTC),
            rules.Window("Europe/Berlin", 9, 21),
            dt.datetime(2026, 3, 29, 7, 0, tzinfo=UTC),
        ),
        # A window across midnight (22-6): 23:00 is inside, 12:00 waits for 22:00.
        (dt.datetime(2026, 3, 2, 23, 0, tzinfo=UTC), rules.Window("UTC", 22, 6), None),
        (
            dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
            rules.Window("UTC", 22, 6),
            dt.datetime(2026, 3, 2, 22, 0, tzinfo=UTC),
        ),
        # New York is behind UTC: 02:00 UTC is 21:00 the day before there, past the window.
        (
            dt.datetime(2026, 3, 3, 2, 0, tzinfo=UTC),
            rules.Window("America/New_York", 8, 12),
            dt.datetime(2026, 3, 3, 13, 0, tzinfo=UTC),
        ),
        # Any time.
        (dt.datetime(2026, 3, 2, 3, 0, tzinfo=UTC), ANY, None),
    ],
)
def test_due_times_move_into_the_daily_window(
    due: dt.datetime, window: rules.Window, expected: dt.datetime | None
) -> None:
    moved = rules.into_window(due, window)
    assert moved == (expected or due)
    local = moved.astimezone(rules.zone(window.timezone))
    assert window.contains(local.hour)


def test_unknown_time_zones_are_refused() -> None:
    assert rules.zone("Europe/Berlin").key == "Europe/Berlin"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "x" * 100):
        with pytest.raises(UnknownTimezoneError):
            rules.zone(bad)


def test_window_labels() -> None:
    assert rules.window_label(rules.Window("UTC", 8, 12)) == "Mornings (8–12)"
    assert rules.window_label(ANY) == "Any time"
    assert rules.window_label(rules.Window("UTC", 7, 10)) == "07:00–10:00"


def test_a_sitting_defers_until_idle(clock: FakeClock) -> None:
    now = clock()
    assert rules.sitting_until(None, now) is None
    assert rules.sitting_until(now - dt.timedelta(minutes=5), now) == now + dt.timedelta(
        minutes=25
    )
    assert rules.sitting_until(now - dt.timedelta(minutes=31), now) is None


def test_every_wait_of_the_policy_scales(clock: FakeClock) -> None:
    """QUIZBOT_FOLLOWUP_DELAY_SCALE shortens the end of a sitting as it does memory delays:
    at 0.0001 the half hour is 0.18 s, so a learner who left mid-quiz is not held back."""
    now = clock()
    shown = now - dt.timedelta(seconds=1)
    assert rules.sitting_until(shown, now, scale=0.0001) is None
    assert rules.sitting_until(now, now, scale=0.0001) == now + dt.timedelta(seconds=0.18)
    assert rules.scaled(rules.NEXT_MESSAGE_GAP, 0.0001) == dt.timedelta(seconds=0.36)
    assert rules.scaled(rules.NEXT_PASS, 0.5) == dt.timedelta(seconds=30)
    due = now + dt.timedelta(hours=4)
    assert rules.scaled_due(now=now, model_due=due, scale=0.0001) == now + dt.timedelta(
        seconds=1.44
    )


def test_retries_back_off_then_give_up() -> None:
    delays = [rules.retry_delay(n) for n in range(1, 10)]
    assert delays[0] == rules.FIRST_RETRY
    assert delays == sorted(delays)
    assert max(delays) == rules.MAX_RETRY
    assert not rules.gives_up(rules.MAX_TRIES - 1)
    assert rules.gives_up(rules.MAX_TRIES)


def test_resume_scales_from_the_last_answer(clock: FakeClock) -> None:
    last = clock() - dt.timedelta(hours=10)
    due = rules.resume_due(
        now=clock(),
        model_due=last + dt.timedelta(days=1),
        last_answer_at=last,
        scale=0.5,
        window=ANY,
    )
    assert due == clock() + dt.timedelta(hours=2)
    overdue = rules.resume_due(
        now=clock(), model_due=last, last_answer_at=last, scale=1.0, window=ANY
    )
    assert overdue == clock()


def test_practice_item_is_not_the_one_just_seen() -> None:
    t = dt.datetime(2026, 3, 1, tzinfo=UTC)
    fresh = [rules.Candidate(1), rules.Candidate(2, t), rules.Candidate(3)]
    assert rules.choose_item(fresh, seed=7) in {1, 3}
    # Same seed, same pick: a redelivered claim shows the same item.
    assert rules.choose_item(fresh, seed=7) == rules.choose_item(fresh, seed=7)
    seen = [
        rules.Candidate(1, t),
        rules.Candidate(2, t + dt.timedelta(hours=1)),
        rules.Candidate(3, t + dt.timedelta(hours=2)),
    ]
    assert rules.choose_item(seen) == 1  # the longest ago
    assert rules.choose_item(seen[2:]) == 3  # the only one, even if just seen
    assert rules.choose_item(seen, taken=frozenset({1})) == 2
    assert rules.choose_item([], seed=1) is None
    assert rules.choose_item([rules.Candidate(4)], taken=frozenset({4})) is None
