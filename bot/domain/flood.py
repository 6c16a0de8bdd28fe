"""How many updates one user may send: a token bucket per user, on plain numbers.

The default limit (QUIZBOT_USER_BURST 20, QUIZBOT_USER_RATE 1 a second) and why:

- A learner's quickest honest run is a "choose all that apply" item answered at once: up to
  eight toggles and a submit within a few seconds, then Continue, plus a double tap here and
  there. A burst of 20 holds that twice over, so no learner who reads what they answer ever
  meets the limit.
- One a second after that is the pace Telegram lets a bot write to one chat (about one
  message a second): a user who sends faster could not be answered faster anyway, and
  every update admitted costs a database write and a share of the bot's 30 messages a
  second that other learners wait for.
- So one account can put at most 20 updates before everyone else at once and then one a
  second; eight flooding accounts at most 160 and then eight a second, each of which waits
  its turn behind the other chats (the inbox serves chats in turn).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

SWEEP_EVERY = 60.0  # seconds between two sweeps of idle users out of memory


class Verdict(enum.Enum):
    """What to do with one update of a user."""

    ADMIT = "admit"
    DROP_AND_TELL = "drop and tell"  # over the limit, and not told so lately
    DROP = "drop"


@dataclass
class _Bucket:
    tokens: float
    at: float
    told_at: float | None = None


class FloodGate:
    """Admit `burst` updates of a user at once, then `rate` a second; count in seconds."""

    def __init__(self, *, burst: float, rate: float) -> None:
        if burst < 1 or rate <= 0:
            raise ValueError("a burst of at least 1 and a positive rate are needed")
        self.burst = burst
        self.rate = rate
        # A user is told once per burst: not again until the bucket could have filled up.
        self.tell_every = burst / rate
        self._buckets: dict[int, _Bucket] = {}
        self._next_sweep: float | None = None

    def check(self, user_id: int, now: float) -> Verdict:
        """Take a token for one update of the user, if there is one."""
        self._sweep(now)
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = _Bucket(tokens=self.burst, at=now)
        else:
            elapsed = max(0.0, now - bucket.at)
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
            bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Verdict.ADMIT
        if bucket.told_at is None or now - bucket.told_at >= self.tell_every:
            bucket.told_at = now
            return Verdict.DROP_AND_TELL
        return Verdict.DROP

    def __len__(self) -> int:
        """Users remembered now."""
        return len(self._buckets)

    def _sweep(self, now: float) -> None:
        # A user whose bucket has filled up again is as good as new: forget them, so that
        # memory holds only the users active in the last `tell_every` seconds.
        if self._next_sweep is None:
            self._next_sweep = now + SWEEP_EVERY
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY
        idle = [
            user_id
            for user_id, bucket in self._buckets.items()
            if now - bucket.at >= self.tell_every
            and (bucket.told_at is None or now - bucket.told_at >= self.tell_every)
        ]
        for user_id in idle:
            del self._buckets[user_id]


class RecentUse:
    """A count per key that halves every `half_life` seconds: how much of something a key
    had lately (the send order uses it for messages to a chat)."""

    def __init__(self, *, half_life: float) -> None:
        if half_life <= 0:
            raise ValueError("a positive half-life is needed")
        self.half_life = half_life
        self._levels: dict[int, tuple[float, float]] = {}
        self._next_sweep: float | None = None

    def level(self, key: int, now: float) -> float:
        """The decayed count of a key now."""
        level, at = self._levels.get(key, (0.0, now))
        return float(level * 0.5 ** (max(0.0, now - at) / self.half_life))

    def add(self, key: int, now: float, amount: float = 1.0) -> None:
        """Count `amount` more for a key."""
        self._sweep(now)
        self._levels[key] = (self.level(key, now) + amount, now)

    def __len__(self) -> int:
        """Keys remembered now."""
        return len(self._levels)

    def _sweep(self, now: float) -> None:
        if self._next_sweep is None:
            self._next_sweep = now + SWEEP_EVERY
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY
        for key in [k for k in self._levels if self.level(k, now) < 0.01]:
            del self._levels[key]
