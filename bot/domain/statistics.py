"""Statistics formulas for the admins' reports, computed from aggregates (sums and counts).

The database does the aggregation (GROUP BY, sums of products); these functions turn the
aggregates into figures. docs/reports.md explains every figure and how to read it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist
from typing import TypeVar

# Moodle flags items whose discrimination is below 0.3; below that an item separates strong
# from weak learners poorly.
LOW_DISCRIMINATION = 0.3
# Outside these bounds nearly everyone (or nearly no one) gets the item right: it tells the
# learners apart little, or its key may be wrong.
FACILITY_LOW = 0.2
FACILITY_HIGH = 0.9
# Below this many complete attempts alpha and discrimination swing too much to act on.
MIN_COMPLETE_ATTEMPTS = 10

_NORMAL = NormalDist()
K = TypeVar("K")


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when whole is 0."""
    return part / whole if whole else None


def median_from_counts(counts: Iterable[tuple[float, int]]) -> float | None:
    """The median of values given as (value, how many times) pairs; None when empty."""
    pairs = sorted((value, n) for value, n in counts if n > 0)
    total = sum(n for _, n in pairs)
    if total == 0:
        return None
    # The median is the mean of the values at 0-based ranks (total-1)//2 and total//2.
    low_rank, high_rank = (total - 1) // 2, total // 2
    low: float | None = None
    seen = 0
    for value, n in pairs:
        if low is None and seen + n > low_rank:
            low = value
        if seen + n > high_rank:
            assert low is not None
            return (low + value) / 2
        seen += n
    raise AssertionError("unreachable: ranks are below the total")


@dataclass(frozen=True)
class ItemTotalSums:
    """Sums over complete attempts for one item: x is the item score (0/1), t the total."""

    n: int
    sum_x: int
    sum_t: float
    sum_tt: float
    sum_xt: float


def item_rest_correlation(s: ItemTotalSums) -> float | None:
    """Corrected item-total (item-rest) point-biserial correlation; None when undefined.

    The rest score r = t - x leaves the item out of the total, so an item does not
    correlate with itself. With x in {0, 1}: sum r = sum t - sum x,
    sum r² = sum t² - 2 sum xt + sum x, sum xr = sum xt - sum x.
    """
    n = s.n
    if n < 2:
        return None
    sum_r = s.sum_t - s.sum_x
    sum_rr = s.sum_tt - 2 * s.sum_xt + s.sum_x
    sum_xr = s.sum_xt - s.sum_x
    var_x = n * s.sum_x - s.sum_x * s.sum_x  # n² times the variance, x² = x
    var_r = n * sum_rr - sum_r * sum_r
    if var_x <= 0 or var_r <= 1e-9:
        return None
    return (n * sum_xr - s.sum_x * sum_r) / math.sqrt(var_x * var_r)


def cronbach_alpha(
    item_facilities: Iterable[float], *, n: int, sum_t: float, sum_tt: float
) -> float | None:
    """Cronbach's alpha of 0/1 items from their facilities and the totals' sums.

    alpha = k/(k-1) * (1 - sum of item variances / variance of totals), with population
    variances throughout (p(1-p) for a 0/1 item), over the same complete attempts.
    """
    facilities = list(item_facilities)
    k = len(facilities)
    if k < 2 or n < 2:
        return None
    mean_t = sum_t / n
    var_t = sum_tt / n - mean_t * mean_t
    if var_t <= 1e-12:
        return None
    var_items = sum(p * (1 - p) for p in facilities)
    return k / (k - 1) * (1 - var_items / var_t)


class ItemFlag(StrEnum):
    """Why an item deserves a look; the adapters word it for the reader."""

    VERY_HARD = "very hard"
    VERY_EASY = "very easy"
    LOW_DISCRIMINATION = "low discrimination"


def needs_checking(facility: float | None, discrimination: float | None) -> tuple[ItemFlag, ...]:
    """Why an item deserves a look (empty when it looks fine)."""
    reasons: list[ItemFlag] = []
    if facility is not None and facility < FACILITY_LOW:
        reasons.append(ItemFlag.VERY_HARD)
    if facility is not None and facility > FACILITY_HIGH:
        reasons.append(ItemFlag.VERY_EASY)
    if discrimination is not None and discrimination < LOW_DISCRIMINATION:
        reasons.append(ItemFlag.LOW_DISCRIMINATION)
    return tuple(reasons)


# z of a two-sided 95 % interval, rounded as tables print it.
WILSON_Z = 1.96


def wilson_lower_bound(successes: int, n: int, z: float = WILSON_Z) -> float | None:
    """The lower end of the Wilson score interval of successes / n; None when n is 0.

    Ranking by it instead of by the share puts "3 of 5" above "1 of 1": a share from few
    answers is a weak estimate, and the bound is low until the answers make it certain.
    """
    if n <= 0:
        return None
    p = successes / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, (centre - margin) / (1 + z2 / n))


def most_missed(items: Iterable[tuple[K, int, int]], *, limit: int) -> list[K]:
    """The keys of (key, answers, right) with the highest lower bound of the share missed.

    Items never missed are left out; equal bounds keep the order given.
    """
    ranked = []
    for key, answers, right in items:
        missed = answers - right
        bound = wilson_lower_bound(missed, answers)
        if missed > 0 and bound is not None:
            ranked.append((bound, key))
    ranked.sort(key=lambda pair: pair[0], reverse=True)
    return [key for _, key in ranked[:limit]]


@dataclass(frozen=True)
class DetectionCounts:
    """One learner's (or a group's) judgements on flawed (signal) and sound (noise) items.

    An answer counts by the judgement of the option chosen (bot.domain.discernment), not by
    whether it was right: a misreading (an option that judges neither way) is in no rate.
    """

    hits: int  # flawed items judged flawed: the flaw was seen
    flawed: int  # flawed items judged either way
    false_alarms: int  # sound items judged flawed: a flaw was seen where there is none
    sound: int  # sound items judged either way
    misreadings: int = 0  # answers on sound or flawed items that judged neither

    @property
    def misses(self) -> int:
        """Flawed items judged sound: over-belief, a flawed claim trusted."""
        return self.flawed - self.hits

    @property
    def complete(self) -> bool:
        """True when both kinds of item were answered, so d' and c are defined."""
        return self.flawed > 0 and self.sound > 0


@dataclass(frozen=True)
class Detection:
    """Signal detection measures of discernment."""

    hit_rate: float  # log-linear corrected
    false_alarm_rate: float  # log-linear corrected
    d_prime: float  # z(H) - z(FA): telling flawed from sound; 0 = chance
    criterion: float  # -(z(H) + z(FA)) / 2: below 0 leans to "flawed", above to "sound"


# Pure, and a report asks for the same few hundred counts thousands of times (one per
# cohort and count tuple).
@functools.lru_cache(maxsize=4096)
def detection(counts: DetectionCounts) -> Detection | None:
    """d' and c with the log-linear correction (add 0.5 to counts, 1 to totals)."""
    if not counts.complete:
        return None
    hit_rate = (counts.hits + 0.5) / (counts.flawed + 1)
    fa_rate = (counts.false_alarms + 0.5) / (counts.sound + 1)
    z_hit, z_fa = _NORMAL.inv_cdf(hit_rate), _NORMAL.inv_cdf(fa_rate)
    return Detection(
        hit_rate=hit_rate,
        false_alarm_rate=fa_rate,
        d_prime=z_hit - z_fa,
        criterion=-(z_hit + z_fa) / 2,
    )


@dataclass(frozen=True)
class DetectionSummary:
    """Discernment of a group: means of the learners' own d' and c, and raw pooled rates."""

    learners: int  # learners with both kinds of item judged
    mean_d_prime: float | None
    mean_criterion: float | None
    hit_rate: float | None  # pooled, uncorrected: hits / flawed judged
    false_alarm_rate: float | None  # pooled, uncorrected: false alarms / sound judged
    misreadings: int = 0  # pooled: answers that judged neither way
    misreading_rate: float | None = None  # misreadings / all answers on sound and flawed items

    @property
    def over_belief_rate(self) -> float | None:
        """Flawed claims trusted: misses / flawed judged (1 - hit rate)."""
        return None if self.hit_rate is None else 1.0 - self.hit_rate

    @property
    def over_doubt_rate(self) -> float | None:
        """Sound claims doubted: false alarms / sound judged (the false-alarm rate)."""
        return self.false_alarm_rate


def summarise_detection(groups: Iterable[tuple[DetectionCounts, int]]) -> DetectionSummary:
    """Summarise learners given as (counts, how many learners have exactly these counts)."""
    learners = 0
    d_total = c_total = 0.0
    hits = flawed = false_alarms = sound = misreadings = 0
    for counts, number in groups:
        hits += counts.hits * number
        flawed += counts.flawed * number
        false_alarms += counts.false_alarms * number
        sound += counts.sound * number
        misreadings += counts.misreadings * number
        measures = detection(counts)
        if measures is None:
            continue
        learners += number
        d_total += measures.d_prime * number
        c_total += measures.criterion * number
    return DetectionSummary(
        learners=learners,
        mean_d_prime=d_total / learners if learners else None,
        mean_criterion=c_total / learners if learners else None,
        hit_rate=share(hits, flawed),
        false_alarm_rate=share(false_alarms, sound),
        misreadings=misreadings,
        misreading_rate=share(misreadings, flawed + sound + misreadings),
    )


@dataclass(frozen=True)
class PairedChange:
    """The change of a score between two tests taken by the same learners.

    d_z is the mean change over the standard deviation of the changes (Lakens 2013,
    "Calculating and reporting effect sizes", Frontiers in Psychology 4:863). Its 95%
    interval is the normal approximation of Bonett (2008, "Confidence intervals for
    standardized linear contrasts of means", Psychological Methods 13(2), 99-109):
    d_z ± 1.96 · sqrt(d_z² / (2(n-1)) + 1/(n-1)).
    """

    n: int  # learners with both tests
    mean_change: float  # mean of (second - first)
    sd_change: float  # sample standard deviation of the changes (n - 1)
    d_z: float | None  # None when every change is the same (sd 0)
    ci_low: float | None
    ci_high: float | None


def paired_change(n: int, sum_change: float, sum_squares: float) -> PairedChange | None:
    """d_z and its 95% interval from the count, sum and sum of squares of the changes;
    None for fewer than two pairs."""
    if n < 2:
        return None
    mean = sum_change / n
    # Sums of squares taken apart lose precision; a tiny negative is a zero variance.
    variance = max((sum_squares - sum_change * sum_change / n) / (n - 1), 0.0)
    sd = math.sqrt(variance)
    if sd <= 1e-12:
        return PairedChange(n, mean, 0.0, None, None, None)
    d_z = mean / sd
    se = math.sqrt(d_z * d_z / (2 * (n - 1)) + 1 / (n - 1))
    z = _NORMAL.inv_cdf(0.975)
    return PairedChange(n, mean, sd, d_z, d_z - z * se, d_z + z * se)
