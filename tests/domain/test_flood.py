"""The per-user token bucket, on plain numbers."""

from __future__ import annotations

import pytest

from bot.domain.flood import SWEEP_EVERY, FloodGate, RecentUse, Verdict

A, D, T = Verdict.ADMIT, Verdict.DROP, Verdict.DROP_AND_TELL


def test_a_burst_then_one_a_second_and_one_notice_per_burst() -> None:
    gate = FloodGate(burst=3, rate=1)
    assert [gate.check(7, 0.0) for _ in range(6)] == [A, A, A, T, D, D]
    assert gate.check(7, 0.5) is D
    assert gate.check(7, 1.0) is A, "a token a second"
    assert gate.check(7, 1.1) is D, "told already: not again within the burst"
    assert [gate.check(7, 3.0) for _ in range(3)] == [A, A, T], "2 tokens, then told again"


def test_users_have_buckets_of_their_own() -> None:
    gate = FloodGate(burst=2, rate=1)
    assert [gate.check(1, 0.0) for _ in range(3)] == [A, A, T]
    assert [gate.check(2, 0.0) for _ in range(2)] == [A, A]


def test_a_quiet_user_is_full_again_and_forgotten() -> None:
    gate = FloodGate(burst=20, rate=1)
    for _ in range(25):
        gate.check(1, 0.0)
    gate.check(2, 0.0)
    assert len(gate) == 2
    later = SWEEP_EVERY + 30.0
    assert gate.check(3, later) is A
    assert len(gate) == 1, "the two quiet ones are swept out"
    assert [gate.check(1, later) for _ in range(20)] == [A] * 20


def test_a_learner_answering_a_long_multiple_choice_item_is_never_limited() -> None:
    gate = FloodGate(burst=20, rate=1)
    now = 0.0
    for _item in range(50):
        for _tap in range(10):  # eight toggles, submit, continue
            now += 0.3
            assert gate.check(1, now) is A
        now += 10.0  # reading the next item: its passage, question and options


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="burst"):
        FloodGate(burst=0, rate=1)
    with pytest.raises(ValueError, match="rate"):
        FloodGate(burst=5, rate=0)


def test_recent_use_halves_every_half_life_and_forgets() -> None:
    use = RecentUse(half_life=2.0)
    assert use.level(1, 0.0) == 0.0
    use.add(1, 0.0)
    use.add(1, 0.0)
    assert use.level(1, 0.0) == 2.0
    assert use.level(1, 2.0) == pytest.approx(1.0)
    use.add(1, 4.0)
    assert use.level(1, 4.0) == pytest.approx(1.5)
    use.add(2, SWEEP_EVERY + 100.0)
    assert len(use) == 1, "a key whose count decayed to nothing is forgotten"
