"""The tests' pure rules: which form each stage takes, /assess's words, and d_z with its
interval computed by hand."""

from __future__ import annotations

import math

import pytest

from bot.domain.assessment import (
    AssessAction,
    AssessCommand,
    Stage,
    first_form,
    form_for,
    parse_assess_args,
)
from bot.domain.errors import AssessArgProblem, BadAssessArgsError
from bot.domain.quizfile.model import FormName
from bot.domain.statistics import paired_change


def test_forms_alternate_in_join_order_and_the_delayed_test_repeats_the_first() -> None:
    firsts = [first_form(position) for position in range(1, 7)]
    assert firsts == [FormName.A, FormName.B] * 3
    assert [form_for(stage, FormName.A) for stage in Stage] == [
        FormName.A,
        FormName.B,
        FormName.A,
    ]
    assert [form_for(stage, FormName.B) for stage in Stage] == [
        FormName.B,
        FormName.A,
        FormName.B,
    ]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["Ab_1"], AssessCommand("Ab_1", AssessAction.SHOW)),
        (["C", "ON"], AssessCommand("C", AssessAction.ON)),
        (["C", "on", "7"], AssessCommand("C", AssessAction.ON, delay_days=7)),
        (["C", "on", "Spring-set", "30"], AssessCommand("C", AssessAction.ON, 30, "spring-set")),
        (["C", "off"], AssessCommand("C", AssessAction.OFF)),
    ],
)
def test_assess_words(words: list[str], expected: AssessCommand) -> None:
    assert parse_assess_args(words) == expected


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        ([], AssessArgProblem.NO_CODE),
        (["no/such"], AssessArgProblem.NOT_A_CODE),
        (["C", "maybe"], AssessArgProblem.UNKNOWN_ACTION),
        (["C", "on", "0"], AssessArgProblem.BAD_DAYS),
        (["C", "on", "366"], AssessArgProblem.BAD_DAYS),
        (["C", "on", "7", "8"], AssessArgProblem.TOO_MANY),
        (["C", "on", "a", "b"], AssessArgProblem.TOO_MANY),
        (["C", "on", "-x"], AssessArgProblem.TOO_MANY),
        (["C", "off", "7"], AssessArgProblem.TOO_MANY),
    ],
)
def test_bad_assess_words(words: list[str], problem: AssessArgProblem) -> None:
    with pytest.raises(BadAssessArgsError) as raised:
        parse_assess_args(words)
    assert raised.value.problem is problem


def _sums(changes: list[float]) -> tuple[int, float, float]:
    return len(changes), sum(changes), sum(c * c for c in changes)


def test_d_z_and_its_interval_by_hand() -> None:
    """Changes 0.1, 0.2, 0.3, 0.0: mean 0.15, deviations ±0.05 and ±0.15, so the sum of
    squares is 0.05, the variance 0.05 / 3 and d_z² = 0.0225 / (0.05 / 3) = 1.35. Bonett's
    standard error is sqrt(1.35 / 6 + 1 / 3) = sqrt(0.558333…) = 0.747217."""
    change = paired_change(*_sums([0.1, 0.2, 0.3, 0.0]))
    assert change is not None
    assert change.n == 4
    assert change.mean_change == pytest.approx(0.15)
    assert change.sd_change == pytest.approx(math.sqrt(0.05 / 3))
    assert change.d_z == pytest.approx(math.sqrt(1.35))
    se = math.sqrt(0.558333333333)
    assert change.ci_low == pytest.approx(math.sqrt(1.35) - 1.959964 * se, abs=1e-5)
    assert change.ci_high == pytest.approx(math.sqrt(1.35) + 1.959964 * se, abs=1e-5)
    assert change.ci_low == pytest.approx(-0.30263, abs=1e-5)
    assert change.ci_high == pytest.approx(2.62642, abs=1e-5)


def test_d_z_matches_a_published_example() -> None:
    """statpsych's ci.stdmean (Bonett's method) on a mean of 4.5 above the reference, sd 3.65,
    n 40 gives 1.232877 [0.8165146, 1.649239]."""
    n, mean, sd = 40, 4.5, 3.65
    change = paired_change(n, mean * n, sd * sd * (n - 1) + mean * mean * n)
    assert change is not None
    assert change.d_z == pytest.approx(1.232877, abs=1e-6)
    assert change.ci_low == pytest.approx(0.8165146, abs=1e-6)
    assert change.ci_high == pytest.approx(1.649239, abs=1e-6)


def test_no_effect_size_without_spread_or_pairs() -> None:
    assert paired_change(1, 0.2, 0.04) is None
    flat = paired_change(*_sums([0.2, 0.2, 0.2]))
    assert flat is not None
    assert flat.mean_change == pytest.approx(0.2)
    assert flat.d_z is None
    assert flat.ci_low is None
    assert flat.ci_high is None
    falls = paired_change(*_sums([-0.1, -0.3]))
    assert falls is not None
    assert falls.d_z is not None
    assert falls.d_z < 0
