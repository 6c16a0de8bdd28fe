"""The tests' figures for /stats cohort=CODE and `quizbot stats --cohort CODE`.

Per stage (pre, post, delayed): learners who finished it, skipped it or have it open, their
mean accuracy and their mean d′ and c; per comparison (pre→post, pre→delayed): the
learners with both tests, the mean change of accuracy and Cohen's d_z with its 95%
interval. Every figure is an SQL aggregation grouped by values (scores, counts), so the
rows read are bounded by distinct scores, not by learners. docs/reports.md explains them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import (
    AssessmentEnrolment,
    AssessmentStage,
    Attempt,
    CohortAssessment,
    QuizVersion,
)
from bot.domain import statistics as st
from bot.domain.assessment import MIN_PAIRS, Stage, StageStatus

OPEN = (
    StageStatus.PENDING.value,
    StageStatus.CLAIMED.value,
    StageStatus.OFFERED.value,
    StageStatus.STARTED.value,
)


@dataclass(frozen=True)
class StageFigures:
    """One test across the cohort's learners."""

    stage: Stage
    taken: int  # finished
    skipped: int
    open: int  # offered, started, or (the delayed test) waiting to be due
    mean_accuracy: float | None  # mean over learners of their share right
    detection: st.DetectionSummary  # mean d′ and c of the learners who finished it


@dataclass(frozen=True)
class StageChange:
    """Accuracy of the learners who finished both tests: the first, the second, the change."""

    first: Stage
    second: Stage
    first_takers: int  # learners who finished the first test
    pairs: int  # of them, those who finished the second too
    mean_first: float | None
    mean_second: float | None
    change: st.PairedChange | None  # None below 2 pairs

    @property
    def enough(self) -> bool:
        """Enough pairs (MIN_PAIRS) for the effect size to mean something."""
        return self.pairs >= MIN_PAIRS

    @property
    def attrition(self) -> float | None:
        """Share of the first test's takers without the second (yet)."""
        return st.share(self.first_takers - self.pairs, self.first_takers)


@dataclass(frozen=True)
class AssessmentReport:
    """A cohort's tests: settings, enrolment, each stage, and the two comparisons."""

    enabled: bool
    set_id: str | None
    delay_days: int | None
    enrolled: int
    stages: tuple[StageFigures, ...]  # pre, post, delayed
    changes: tuple[StageChange, ...]  # pre→post, pre→delayed
    min_pairs: int = MIN_PAIRS


def _accuracy(attempt: Any, version: Any) -> Any:
    """An attempt's share right as a float on both backends (a plain float division:
    SQLAlchemy's "/" would divide NUMERIC casts on PostgreSQL)."""
    divide = cast(attempt.correct_count, Float).op("/", return_type=Float)
    return divide(cast(version.item_count, Float))


async def cohort_assessment(session: AsyncSession, *, cohort_id: int) -> AssessmentReport | None:
    """The cohort's test figures; None for a cohort whose tests were never turned on."""
    setup = await session.get(CohortAssessment, cohort_id)
    enrolled = int(
        await session.scalar(
            select(func.count())
            .select_from(AssessmentEnrolment)
            .where(AssessmentEnrolment.cohort_id == cohort_id)
        )
        or 0
    )
    if setup is None and not enrolled:
        return None
    statuses: dict[tuple[str, str], int] = {
        (stage, status): int(n)
        for stage, status, n in await session.execute(
            select(AssessmentStage.stage, AssessmentStage.status, func.count())
            .where(AssessmentStage.cohort_id == cohort_id)
            .group_by(AssessmentStage.stage, AssessmentStage.status)
        )
    }
    done = await _done_figures(session, cohort_id)
    stages = tuple(
        StageFigures(
            stage=stage,
            taken=statuses.get((stage.value, StageStatus.DONE.value), 0),
            skipped=statuses.get((stage.value, StageStatus.SKIPPED.value), 0),
            open=sum(statuses.get((stage.value, status), 0) for status in OPEN),
            mean_accuracy=done[stage][0],
            detection=done[stage][1],
        )
        for stage in Stage
    )
    changes = tuple(
        [
            await _change(session, cohort_id, Stage.PRE, second, stages[0].taken)
            for second in (Stage.POST, Stage.DELAYED)
        ]
    )
    return AssessmentReport(
        enabled=setup is not None and setup.enabled,
        set_id=setup.set_id if setup is not None else None,
        delay_days=setup.delay_days if setup is not None else None,
        enrolled=enrolled,
        stages=stages,
        changes=changes,
    )


async def _done_figures(
    session: AsyncSession, cohort_id: int
) -> dict[Stage, tuple[float | None, st.DetectionSummary]]:
    """Per stage: the mean accuracy and the discernment summary of the finished tests, from
    the attempts' counters grouped by their values."""
    rows = await session.execute(
        select(
            AssessmentStage.stage,
            Attempt.correct_count,
            QuizVersion.item_count,
            Attempt.flawed_hits,
            Attempt.flawed_seen,
            Attempt.sound_false_alarms,
            Attempt.sound_seen,
            Attempt.misreadings,
            func.count(),
        )
        .join(Attempt, Attempt.id == AssessmentStage.attempt_id)
        .join(QuizVersion, QuizVersion.id == Attempt.quiz_version_id)
        .where(
            AssessmentStage.cohort_id == cohort_id,
            AssessmentStage.status == StageStatus.DONE.value,
        )
        .group_by(
            AssessmentStage.stage,
            Attempt.correct_count,
            QuizVersion.item_count,
            Attempt.flawed_hits,
            Attempt.flawed_seen,
            Attempt.sound_false_alarms,
            Attempt.sound_seen,
            Attempt.misreadings,
        )
    )
    sums: dict[Stage, list[float]] = {stage: [0.0, 0.0] for stage in Stage}  # n, accuracy
    groups: dict[Stage, list[tuple[st.DetectionCounts, int]]] = {stage: [] for stage in Stage}
    for stage, correct, items, hits, flawed, fas, sound, mis, number in rows.all():
        kind = Stage(stage)
        sums[kind][0] += number
        sums[kind][1] += number * (correct / items if items else 0.0)
        groups[kind].append((st.DetectionCounts(hits, flawed, fas, sound, mis), number))
    return {
        stage: (
            sums[stage][1] / sums[stage][0] if sums[stage][0] else None,
            st.summarise_detection(groups[stage]),
        )
        for stage in Stage
    }


async def _change(
    session: AsyncSession, cohort_id: int, first: Stage, second: Stage, first_takers: int
) -> StageChange:
    """The learners who finished both tests, with sums of their accuracies and changes."""
    a, b = aliased(AssessmentStage), aliased(AssessmentStage)
    attempt_a, attempt_b = aliased(Attempt), aliased(Attempt)
    version_a, version_b = aliased(QuizVersion), aliased(QuizVersion)
    before, after = _accuracy(attempt_a, version_a), _accuracy(attempt_b, version_b)
    diff = after - before
    n, sum_before, sum_after, sum_diff, sum_squares = (
        await session.execute(
            select(
                func.count(),
                func.sum(before),
                func.sum(after),
                func.sum(diff),
                func.sum(diff * diff),
            )
            .select_from(a)
            .join(b, (b.user_id == a.user_id) & (b.stage == second.value))
            .join(attempt_a, attempt_a.id == a.attempt_id)
            .join(version_a, version_a.id == attempt_a.quiz_version_id)
            .join(attempt_b, attempt_b.id == b.attempt_id)
            .join(version_b, version_b.id == attempt_b.quiz_version_id)
            .where(
                a.cohort_id == cohort_id,
                a.stage == first.value,
                a.status == StageStatus.DONE.value,
                b.status == StageStatus.DONE.value,
            )
        )
    ).one()
    pairs = int(n or 0)
    return StageChange(
        first=first,
        second=second,
        first_takers=first_takers,
        pairs=pairs,
        mean_first=float(sum_before) / pairs if pairs else None,
        mean_second=float(sum_after) / pairs if pairs else None,
        change=st.paired_change(pairs, float(sum_diff or 0), float(sum_squares or 0)),
    )
