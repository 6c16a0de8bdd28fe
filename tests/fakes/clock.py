"""A clock that only moves when a test moves it."""

from __future__ import annotations

import datetime as dt


class FakeClock:
    """Callable like `bot.domain.clock.utc_now`; `advance` moves it."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now
