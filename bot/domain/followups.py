"""Planning rules for follow-up lessons: when the next one is due, and when to stop.

Pure functions on plain values (datetimes are timezone-aware UTC); the services apply them to
rows. See docs/followups.md for the whole flow.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.errors import UnknownTimezoneError

# A skill whose next review the memory model puts further out than this is retained well
# enough: no more follow-ups, so a learner is not pestered for ever. With the steps of
# bot/domain/mastery.py a learner who always answers right gets follow-ups after 1, 7 and 32
# days (the next would be 118); one who missed first gets 4 h, 1, 2, 6, 18 and 45 days.
RETAINED_INTERVAL = dt.timedelta(days=60)

# The waits of the follow-up policy below are in real-life time; `scaled` is the one place
# QUIZBOT_FOLLOWUP_DELAY_SCALE applies to them, and to the memory model's delays.

# A learner with an item on screen that was shown this recently is in a sitting: a follow-up
# then waits until this long (scaled) after the item was shown (re-checked when dispatched).
SITTING_IDLE = dt.timedelta(minutes=30)

# Sending retries: Telegram or the network failing is neither memory nor the learner's day,
# and an outage lasts as long at any scale (scaled retries would use up every try in a blink
# and give the follow-up up), so these delays alone stay in real time. After MAX_TRIES claims
# the follow-up is given up as failed.
MAX_TRIES = 5
FIRST_RETRY = dt.timedelta(minutes=1)
MAX_RETRY = dt.timedelta(hours=1)

# Skills due beyond MAX_SKILLS_PER_MESSAGE wait this long (scaled) for their own message.
NEXT_MESSAGE_GAP = dt.timedelta(hours=1)

# A learner already messaged in a dispatcher pass waits this long (scaled) for the next one.
NEXT_PASS = dt.timedelta(minutes=1)

# The most skills one follow-up message covers: a lesson each (up to about 1000 characters)
# plus the first practice item still fit one Telegram message.
MAX_SKILLS_PER_MESSAGE = 3


@dataclass(frozen=True)
class Window:
    """The hours of the day (in the learner's time zone) when follow-ups may arrive."""

    timezone: str = "UTC"
    start_hour: int = 9
    end_hour: int = 21

    @property
    def any_time(self) -> bool:
        """True when the window is the whole day."""
        return self.start_hour % 24 == self.end_hour % 24

    def contains(self, hour: int) -> bool:
        """True if a local hour (0-23) is inside the window; a window may cross midnight."""
        if self.any_time:
            return True
        if self.start_hour < self.end_hour:
            return self.start_hour <= hour < self.end_hour
        return hour >= self.start_hour or hour < self.end_hour


# The choices /lessons offers; the hours are [start, end) in the learner's time zone.
WINDOW_PRESETS: dict[str, tuple[str, int, int]] = {
    "morning": ("Mornings (8–12)", 8, 12),
    "afternoon": ("Afternoons (12–18)", 12, 18),
    "evening": ("Evenings (18–22)", 18, 22),
    "day": ("Daytime (9–21)", 9, 21),
    "any": ("Any time", 0, 24),
}


def zone(name: str) -> ZoneInfo:
    """The time zone with this IANA name, or raise UnknownTimezoneError."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise UnknownTimezoneError(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimezoneError(name) from None


def window_label(window: Window) -> str:
    """How a window is shown to the learner."""
    for label, start, end in WINDOW_PRESETS.values():
        if (start % 24, end % 24) == (window.start_hour % 24, window.end_hour % 24):
            return label
    return f"{window.start_hour:02d}:00–{window.end_hour % 24:02d}:00"


def into_window(due: dt.datetime, window: Window) -> dt.datetime:
    """The first moment at or after `due` that lies inside the learner's daily window."""
    if window.any_time:
        return due
    tz = zone(window.timezone)
    local = due.astimezone(tz)
    if window.contains(local.hour):
        return due
    # The next start of the window: today if it is still ahead, else tomorrow. Building it
    # from the wall-clock date keeps 09:00 at 09:00 across daylight-saving changes.
    for days in (0, 1):
        day = local.date() + dt.timedelta(days=days)
        start = dt.datetime(day.year, day.month, day.day, window.start_hour, tzinfo=tz)
        start_utc = start.astimezone(dt.UTC)
        if start_utc >= due:
            return start_utc
    raise AssertionError("a window start lies within a day")  # pragma: no cover


def scaled(wait: dt.timedelta, scale: float) -> dt.timedelta:
    """A wait of the follow-up policy under QUIZBOT_FOLLOWUP_DELAY_SCALE.

    The one place the scale is applied: memory delays, the end of a sitting, the gaps
    between messages and the delayed test's wait all pass through here, so a demo or a test
    at a small scale runs the whole policy faster, not only a part of it.
    """
    return wait * scale


def scaled_due(
    *, now: dt.datetime, model_due: dt.datetime, scale: float, since: dt.datetime | None = None
) -> dt.datetime:
    """The model's due time with its delay (counted from `since`, default now) scaled."""
    start = since or now
    due = start + scaled(model_due - start, scale)
    return max(due, now)


def plan_next(
    *, now: dt.datetime, model_due: dt.datetime, scale: float, window: Window
) -> dt.datetime | None:
    """When the next follow-up on a skill is due after an answer; None once it is retained.

    A miss gives a near due time (the model's relearning step), a success a later one; the
    delay is multiplied by `scale` and the result moved into the learner's daily window.
    """
    if model_due - now > RETAINED_INTERVAL:
        return None
    return into_window(scaled_due(now=now, model_due=model_due, scale=scale), window)


def resume_due(
    *,
    now: dt.datetime,
    model_due: dt.datetime,
    last_answer_at: dt.datetime | None,
    scale: float,
    window: Window,
) -> dt.datetime | None:
    """When a skill's follow-up is due after lessons are turned back on; None if retained."""
    since = last_answer_at or now
    if model_due - since > RETAINED_INTERVAL:
        return None
    due = scaled_due(now=now, model_due=model_due, scale=scale, since=since)
    return into_window(due, window)


def sitting_until(
    presented_at: dt.datetime | None, now: dt.datetime, *, scale: float = 1.0
) -> dt.datetime | None:
    """If an item shown at `presented_at` means the learner is mid-sitting, when it ends
    (SITTING_IDLE after it was shown, scaled)."""
    if presented_at is None:
        return None
    ends = presented_at + scaled(SITTING_IDLE, scale)
    return ends if ends > now else None


def retry_delay(tries: int) -> dt.timedelta:
    """How long to wait before sending again after the `tries`-th failed try (1-based)."""
    delay = FIRST_RETRY * (1 << max(tries - 1, 0))
    return min(delay, MAX_RETRY)


def gives_up(tries: int) -> bool:
    """True when a follow-up failed this many tries and is not retried any more."""
    return tries >= MAX_TRIES


@dataclass(frozen=True)
class Candidate:
    """An item that could be the practice item: when the learner last answered it, if ever."""

    item_id: int
    last_answered_at: dt.datetime | None = None


def choose_item(
    candidates: Sequence[Candidate], *, taken: frozenset[int] = frozenset(), seed: int = 0
) -> int | None:
    """A practice item on a skill the learner has not just seen.

    Never-answered items come first (one picked at random, reproducibly from `seed`); else
    the one answered longest ago. The most recently answered item is skipped while there is
    any other, and items already `taken` by the same message are skipped.
    """
    pool = [c for c in candidates if c.item_id not in taken]
    if not pool:
        return None
    answered = [c for c in pool if c.last_answered_at is not None]
    if answered and len(pool) > 1:
        newest = max(answered, key=lambda c: (c.last_answered_at, c.item_id))
        pool = [c for c in pool if c is not newest]
    fresh = sorted(c.item_id for c in pool if c.last_answered_at is None)
    if fresh:
        return random.Random(seed).choice(fresh)
    oldest = min(pool, key=lambda c: (c.last_answered_at, c.item_id))
    return oldest.item_id
