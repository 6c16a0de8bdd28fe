"""The report /stats and `quizbot stats` show: its parts read side by side and put together,
with the score summary and each skill's mastery.

Every figure is an SQL aggregation (GROUP BY over indexed columns, sums of products for the
correlations); Python only combines the aggregated rows, whose number is bounded by items,
options, seconds and score values, never by the number of answers. docs/reports.md explains
the figures; bot/domain/statistics.py holds the formulas.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.models import Attempt, SkillState
from bot.domain import statistics as st
from bot.domain.report_query import ReportQuery, Viewer
from bot.services.assessment.report import AssessmentReport, cohort_assessment
from bot.services.followups.stats import followup_stats
from bot.services.reports.discernment import (
    DiscernmentGroup,
    LearnerDiscernment,
    discernment_groups,
    first_attempt_counts,
    latest_followup_counts,
    learner_discernment,
)
from bot.services.reports.items import (
    ItemStats,
    VersionStats,
    item_stats,
    version_stats,
    versions_by_id,
)
from bot.services.reports.reading import Readers
from bot.services.reports.scope import Scope, ScopeLabel, resolve_scope
from bot.services.views import FollowUpStats

# Per-learner discernment rows are listed for a class, not for a whole population.
LEARNER_ROWS_MAX = 30
# A skill counts as mastered by a learner whose last answers on it were right this many times
# in a row.
MASTERY_STREAK = 3
MOST_MISSED = 5


@dataclass(frozen=True)
class SkillMastery:
    """One skill across the learners in scope (from their memory model rows)."""

    skill_id: str
    name: str
    learners: int
    mean_share_right: float | None  # mean over learners of their share right on the skill
    mastered: int  # learners whose last MASTERY_STREAK answers on it were right


@dataclass(frozen=True)
class QuizReport:
    """Everything /stats and `quizbot stats` show."""

    query: ReportQuery
    scope: ScopeLabel  # whose answers it counts: everyone's, an instructor's, a cohort's
    learners: int
    attempts_started: int
    attempts_finished: int
    completion_rate: float | None
    mean_score: float | None  # share right in complete attempts
    median_score: float | None
    score_deciles: tuple[int, ...]  # complete attempts per 10% band of score (10 bands)
    skills: tuple[SkillMastery, ...]
    items: tuple[ItemStats, ...]  # quiz, version, position order
    most_missed: tuple[ItemStats, ...]
    versions: tuple[VersionStats, ...]
    discernment: DiscernmentGroup
    cohorts: tuple[DiscernmentGroup, ...]
    learner_rows: tuple[LearnerDiscernment, ...]  # empty past LEARNER_ROWS_MAX learners
    followups: FollowUpStats
    # The cohort's pre-, post- and delayed tests, when a cohort with tests is named (whatever
    # quiz or period is named: the tests are the cohort's).
    assessment: AssessmentReport | None = None

    @property
    def needs_checking(self) -> tuple[ItemStats, ...]:
        """Items with a flag."""
        return tuple(i for i in self.items if i.flags)


async def quiz_report(
    session: AsyncSession,
    *,
    viewer: Viewer,
    query: ReportQuery,
    now: dt.datetime,
    language: str | None = None,
) -> QuizReport:
    """The score summary, item analysis, reliability, discernment and follow-up figures,
    the skills named in `language` where the catalogue translates them.

    On PostgreSQL the parts are read on connections of their own (see reading.py): they see
    committed data only, so call it on a session without uncommitted writes of its own.
    """
    scope = await resolve_scope(session, viewer=viewer, query=query, now=now)
    attempt_conds = scope.attempts()
    in_scope_users = select(Attempt.user_id).where(*attempt_conds) if attempt_conds else None
    first = first_attempt_counts(session, scope, attempt_conds)
    latest = latest_followup_counts(scope, in_scope_users)
    readers = Readers(session)
    # Independent parts, the slowest first.
    (overall, cohorts), skills, figures, followups, assessment = await asyncio.gather(
        readers.run(lambda s: discernment_groups(s, scope, first, latest)),
        readers.run(lambda s: _skill_mastery(s, scope, in_scope_users, language)),
        readers.run(lambda s: _attempt_figures(s, scope, attempt_conds)),
        readers.run(lambda s: followup_stats(s, now=now, users=in_scope_users, since=scope.since)),
        readers.run(lambda s: _assessment(s, scope)),
    )
    learner_rows: tuple[LearnerDiscernment, ...] = ()
    if figures.learners <= LEARNER_ROWS_MAX:
        # Few learners in scope, so reading their counts again is cheap.
        learner_rows = await learner_discernment(session, first, latest)
    items = figures.items
    most_missed = tuple(
        st.most_missed(((i, i.answers, i.correct) for i in items), limit=MOST_MISSED)
    )
    return QuizReport(
        query=query,
        scope=scope.label,
        learners=figures.learners,
        attempts_started=figures.started,
        attempts_finished=figures.finished,
        completion_rate=st.share(figures.finished, figures.started),
        mean_score=figures.mean_score,
        median_score=figures.median_score,
        score_deciles=figures.deciles,
        skills=skills,
        items=items,
        most_missed=most_missed,
        versions=version_stats(figures.versions, figures.totals, items),
        discernment=overall,
        cohorts=cohorts,
        learner_rows=learner_rows,
        followups=followups,
        assessment=assessment,
    )


async def _assessment(session: AsyncSession, scope: Scope) -> AssessmentReport | None:
    if scope.cohort_id is None:
        return None
    return await cohort_assessment(session, cohort_id=scope.cohort_id)


@dataclass(frozen=True)
class _AttemptFigures:
    """The summary's figures from the attempts, and the item analysis of their versions."""

    learners: int
    started: int
    finished: int
    mean_score: float | None
    median_score: float | None
    deciles: tuple[int, ...]
    versions: dict[int, tuple[str, int, str, int]]
    totals: dict[int, list[float]]  # version id -> finished attempts n, sum t, sum t²
    items: tuple[ItemStats, ...]


async def _attempt_figures(
    session: AsyncSession, scope: Scope, attempt_conds: list[ColumnElement[bool]]
) -> _AttemptFigures:
    """Learners, attempts, scores and the item analysis of the versions attempted."""
    # One row per (version, finished?, score): bounded by versions x item counts.
    rows = (
        await session.execute(
            select(
                Attempt.quiz_version_id,
                Attempt.finished_at.is_not(None),
                Attempt.correct_count,
                func.count(),
            )
            .where(*attempt_conds)
            .group_by(
                Attempt.quiz_version_id, Attempt.finished_at.is_not(None), Attempt.correct_count
            )
        )
    ).all()
    learners = (
        await session.scalar(
            select(func.count(func.distinct(Attempt.user_id))).where(*attempt_conds)
        )
        or 0
    )
    versions = await versions_by_id(session, sorted({r[0] for r in rows}))
    started = finished = 0
    scores: dict[float, int] = defaultdict(int)
    totals: dict[int, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])  # n, sum t, sum t²
    deciles = [0] * 10
    for version_id, done, correct, count in rows:
        started += count
        if not done:
            continue
        finished += count
        item_count = versions[version_id][3]
        score = correct / item_count if item_count else 0.0
        scores[score] += count
        deciles[min(int(score * 10 + 1e-9), 9)] += count
        sums = totals[version_id]
        sums[0] += count
        sums[1] += correct * count
        sums[2] += correct * correct * count
    return _AttemptFigures(
        learners=learners,
        started=started,
        finished=finished,
        mean_score=(
            sum(score * n for score, n in scores.items()) / finished if finished else None
        ),
        median_score=st.median_from_counts(scores.items()),
        deciles=tuple(deciles),
        versions=versions,
        totals=totals,
        items=await item_stats(session, scope, attempt_conds, versions),
    )


async def _skill_mastery(
    session: AsyncSession,
    scope: Scope,
    in_scope_users: Select[Any] | None,
    language: str | None,
) -> tuple[SkillMastery, ...]:
    """Per skill: learners, their mean share right, and how many have it mastered."""
    conds: list[ColumnElement[bool]] = [SkillState.answered > 0]
    if in_scope_users is not None:
        conds.append(SkillState.user_id.in_(in_scope_users))
    if scope.since is not None:
        conds.append(SkillState.last_answer_at >= scope.since)
    stmt = (
        select(
            SkillState.skill_id,
            func.count(),
            # A plain float division: SQLAlchemy's "/" divides by a NUMERIC cast on
            # PostgreSQL, which is several times slower over every learner's rows. Summed
            # and divided here, and counted with FILTER: lighter per row than avg() and
            # sum(CASE ...) over hundreds of thousands of rows.
            func.sum(cast(SkillState.correct, Float).op("/")(cast(SkillState.answered, Float))),
            func.count().filter(SkillState.streak >= MASTERY_STREAK),
        )
        .where(*conds)
        .group_by(SkillState.skill_id)
        .order_by(SkillState.skill_id)
    )
    names = await queries.skill_names(session, language)
    return tuple(
        SkillMastery(
            skill_id=skill_id,
            name=names.get(skill_id, skill_id),
            learners=count,
            mean_share_right=float(shares) / count,
            mastered=int(mastered),
        )
        for skill_id, count, shares, mastered in await session.execute(stmt)
    )
