"""The report formulas on small data sets worked out by hand."""

from __future__ import annotations

import pytest

from bot.domain import statistics as st
from bot.domain.errors import BadReportQueryError
from bot.domain.report_query import ReportQuery, parse_report_args


def test_median_from_counts() -> None:
    assert st.median_from_counts([]) is None
    assert st.median_from_counts([(5.0, 1)]) == 5.0
    # 1, 2, 2, 9 -> (2 + 2) / 2; 1, 2, 9, 9 -> (2 + 9) / 2.
    assert st.median_from_counts([(9.0, 1), (2.0, 2), (1.0, 1)]) == 2.0
    assert st.median_from_counts([(1.0, 1), (2.0, 1), (9.0, 2)]) == 5.5
    assert st.median_from_counts([(3.0, 0), (4.0, 3)]) == 4.0


def _sums(x: list[int], t: list[int]) -> st.ItemTotalSums:
    return st.ItemTotalSums(
        n=len(x),
        sum_x=sum(x),
        sum_t=sum(t),
        sum_tt=sum(v * v for v in t),
        sum_xt=sum(a * b for a, b in zip(x, t, strict=True)),
    )


def test_item_rest_correlation_by_hand() -> None:
    # Four attempts, item x = 1, 1, 0, 0 with totals 3, 2, 2, 0: rest = 2, 1, 2, 0.
    # mean x 0.5, mean rest 1.25; cov = (0.5*0.75 + 0.5*-0.25 - 0.5*0.75 - 0.5*-1.25)/4
    # = 0.125; var x 0.25; var rest = (4+1+4+0)/4 - 1.5625 = 0.6875.
    r = st.item_rest_correlation(_sums([1, 1, 0, 0], [3, 2, 2, 0]))
    assert r == pytest.approx(0.125 / (0.25 * 0.6875) ** 0.5)
    assert round(r or 0, 4) == 0.3015


def test_item_rest_correlation_undefined() -> None:
    assert st.item_rest_correlation(_sums([1, 1, 1], [3, 2, 1])) is None  # everyone right
    assert st.item_rest_correlation(_sums([1, 0], [1, 0])) is None  # rest is constant
    assert st.item_rest_correlation(_sums([1], [1])) is None


def test_cronbach_alpha_by_hand() -> None:
    # Three items, four attempts: rows 111, 110, 100, 000 -> totals 3, 2, 1, 0.
    # Facilities 0.75, 0.5, 0.25: variances 0.1875 + 0.25 + 0.1875 = 0.625.
    # Totals: mean 1.5, variance (9+4+1+0)/4 - 2.25 = 1.25. alpha = 1.5 * (1 - 0.5) = 0.75.
    alpha = st.cronbach_alpha([0.75, 0.5, 0.25], n=4, sum_t=6, sum_tt=14)
    assert alpha == pytest.approx(0.75)
    assert st.cronbach_alpha([0.5], n=4, sum_t=2, sum_tt=2) is None
    assert st.cronbach_alpha([1.0, 1.0], n=3, sum_t=6, sum_tt=12) is None  # no variance


def test_detection_log_linear_by_hand() -> None:
    # 3 hits of 4 flawed, 1 false alarm of 4 sound: H = 3.5/5 = 0.7, FA = 1.5/5 = 0.3.
    # z(0.7) = 0.5244, z(0.3) = -0.5244: d' = 1.0488, c = 0.
    m = st.detection(st.DetectionCounts(hits=3, flawed=4, false_alarms=1, sound=4))
    assert m is not None
    assert (m.hit_rate, m.false_alarm_rate) == (pytest.approx(0.7), pytest.approx(0.3))
    assert m.d_prime == pytest.approx(1.0488, abs=1e-4)
    assert m.criterion == pytest.approx(0.0, abs=1e-12)
    # Perfect scores stay finite thanks to the correction: H = 4.5/5, FA = 0.5/5.
    perfect = st.detection(st.DetectionCounts(4, 4, 0, 4))
    assert perfect is not None
    assert perfect.d_prime == pytest.approx(2 * 1.28155, abs=1e-4)
    # Saying "flawed" to everything: H = 0.9, FA = 0.9 -> d' 0, c = -1.2816 (doubt all).
    doubter = st.detection(st.DetectionCounts(4, 4, 4, 4))
    assert doubter is not None
    assert doubter.d_prime == pytest.approx(0.0, abs=1e-12)
    assert doubter.criterion == pytest.approx(-1.28155, abs=1e-4)
    assert st.detection(st.DetectionCounts(1, 1, 0, 0)) is None


def test_summarise_detection_weights_learners() -> None:
    a = st.DetectionCounts(3, 4, 1, 4)
    b = st.DetectionCounts(4, 4, 4, 4)
    incomplete = st.DetectionCounts(1, 2, 0, 0)
    summary = st.summarise_detection([(a, 2), (b, 1), (incomplete, 5)])
    assert summary.learners == 3
    assert summary.mean_d_prime == pytest.approx(2 * 1.0488 / 3, abs=1e-4)
    # Pooled raw rates count every learner: hits 6+4+5 of 8+4+10, false alarms 2+4 of 8+4.
    assert summary.hit_rate == pytest.approx(15 / 22)
    assert summary.false_alarm_rate == pytest.approx(6 / 12)
    # Over-belief is the flawed claims trusted (misses), over-doubt the false alarms.
    assert summary.over_belief_rate == pytest.approx(7 / 22)
    assert summary.over_doubt_rate == pytest.approx(6 / 12)
    assert (summary.misreadings, summary.misreading_rate) == (0, 0.0)
    empty = st.summarise_detection([])
    assert empty.learners == 0
    assert empty.mean_d_prime is None
    assert empty.hit_rate is None
    assert empty.over_belief_rate is None
    assert empty.misreading_rate is None


def test_misreadings_are_pooled_apart_from_the_rates() -> None:
    misread = st.DetectionCounts(3, 4, 1, 4, misreadings=2)
    plain = st.DetectionCounts(3, 4, 1, 4)
    assert st.detection(misread) == st.detection(plain)
    summary = st.summarise_detection([(misread, 3)])
    assert (summary.hit_rate, summary.false_alarm_rate) == (0.75, 0.25)
    assert summary.misreadings == 6
    assert summary.misreading_rate == pytest.approx(6 / (12 + 12 + 6))
    assert misread.misses == 1


def test_needs_checking() -> None:
    assert st.needs_checking(0.5, 0.45) == ()
    assert st.needs_checking(0.95, 0.45) == ("very easy",)
    assert st.needs_checking(0.1, 0.1) == ("very hard", "low discrimination")
    assert st.needs_checking(None, None) == ()


def test_parse_report_args() -> None:
    assert parse_report_args([]) == ReportQuery()
    assert parse_report_args(["Tiny", "cohort=ab-1", "days=30", "version=2"]) == ReportQuery(
        quiz="tiny", version=2, cohort="ab-1", days=30
    )
    for bad in (
        ["a", "b"],
        ["days=0"],
        ["days=x"],
        ["days=1", "days=2"],
        ["colour=red"],
        ["version=1"],
        ["cohort=a b"],
        ["bad/quiz"],
    ):
        with pytest.raises(BadReportQueryError):
            parse_report_args(bad)


def test_wilson_lower_bound_by_hand() -> None:
    # (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z = 1.96, z² = 3.8416.
    assert st.wilson_lower_bound(0, 0) is None
    assert st.wilson_lower_bound(0, 7) == 0.0
    # 1 of 1: (1 + 1.9208 − 1.96·0.98) / 4.8416 = 1 / 4.8416.
    assert st.wilson_lower_bound(1, 1) == pytest.approx(0.206543, abs=1e-6)
    # 3 of 5: (0.6 + 0.38416 − 1.96·√(0.048 + 0.038416)) / 1.76832
    #       = (0.98416 − 1.96·0.293966) / 1.76832 = 0.407987 / 1.76832.
    assert st.wilson_lower_bound(3, 5) == pytest.approx(0.230720, abs=1e-6)
    # 5 of 10: (0.5 + 0.19208 − 1.96·√(0.025 + 0.009604)) / 1.38416 = 0.327478 / 1.38416.
    assert st.wilson_lower_bound(5, 10) == pytest.approx(0.236590, abs=1e-6)
    # 10 of 10: 1 / (1 + 0.38416).
    assert st.wilson_lower_bound(10, 10) == pytest.approx(0.722460, abs=1e-6)


def test_most_missed_ranks_by_the_lower_bound_of_the_miss_rate() -> None:
    # (key, answers, right). Share missed alone would put "one" (1 of 1 missed) first.
    items = [
        ("one", 1, 0),  # bound 0.2065
        ("five", 5, 2),  # 3 of 5 missed: bound 0.2307
        ("ten", 10, 5),  # 5 of 10 missed: bound 0.2366
        ("clean", 4, 4),  # never missed: not listed
        ("unseen", 0, 0),  # no answers: not listed
        ("ten-again", 10, 5),  # the same bound as "ten": file order decides
    ]
    assert st.most_missed(items, limit=5) == ["ten", "ten-again", "five", "one"]
    assert st.most_missed(items, limit=2) == ["ten", "ten-again"]
