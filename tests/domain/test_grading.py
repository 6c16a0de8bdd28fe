"""Grading, option order and rounds on plain values."""

from __future__ import annotations

import pytest

from bot.domain.errors import InvalidChoiceError
from bot.domain.grading import (
    check_choice,
    grade,
    is_round_end,
    keeps_file_order,
    option_order,
)


def test_option_order_is_a_stable_permutation() -> None:
    order = option_order(42, "c01-headline", 5)
    assert sorted(order) == [0, 1, 2, 3, 4]
    assert option_order(42, "c01-headline", 5) == order


def test_option_order_differs_between_attempts_and_items() -> None:
    orders = {tuple(option_order(seed, "item", 6)) for seed in range(30)}
    assert len(orders) > 10
    assert len({tuple(option_order(1, f"item-{n}", 6)) for n in range(30)}) > 10


def test_true_false_and_contradiction_keep_the_authors_order() -> None:
    assert keeps_file_order("true_false")
    assert keeps_file_order("contradiction")
    assert not keeps_file_order("single")
    assert not keeps_file_order("multiple")


@pytest.mark.parametrize(
    ("correct", "chosen", "expected"),
    [
        ({1}, {1}, True),
        ({1}, {0}, False),
        ({0, 2}, {0, 2}, True),
        ({0, 2}, {0}, False),  # choose all that apply: a partial answer is not right
        ({0, 2}, {0, 1, 2}, False),
    ],
)
def test_grade_needs_exactly_the_correct_options(
    correct: set[int], chosen: set[int], expected: bool
) -> None:
    assert grade(correct, chosen) is expected


@pytest.mark.parametrize(
    ("kind", "chosen"),
    [("single", []), ("single", [0, 1]), ("single", [7]), ("multiple", [-1]), ("true_false", [2])],
)
def test_impossible_choices_are_refused(kind: str, chosen: list[int]) -> None:
    with pytest.raises(InvalidChoiceError):
        check_choice(kind, 2 if kind == "true_false" else 4, chosen)


def test_multiple_accepts_several() -> None:
    check_choice("multiple", 4, [0, 3])


@pytest.mark.parametrize(
    ("answered", "total", "size", "end"),
    [(5, 55, 5, True), (4, 55, 5, False), (55, 55, 5, True), (53, 53, 5, True), (1, 55, 1, True)],
)
def test_rounds_end_every_round_size_and_at_the_end(
    answered: int, total: int, size: int, end: bool
) -> None:
    assert is_round_end(answered, total, size) is end
