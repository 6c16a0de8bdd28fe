"""What a report covers: the viewer's rights checked, the quiz, cohort and period named turned
into ids, and the SQL conditions that keep rows to them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.models import Attempt, Cohort, CohortMember, Quiz, QuizVersion
from bot.domain.errors import (
    OutsideOwnReportError,
    QuizEmptyError,
    UnknownCohortError,
    UnknownQuizError,
    UnknownVersionError,
)
from bot.domain.report_query import ReportQuery, Viewer, check_may_report
from bot.domain.roles import Role


class Covers(StrEnum):
    """Whose answers a report counts, before any quiz, version or period is named."""

    EVERYONE = "everyone"  # an admin's report: every learner
    OWN = "own"  # an instructor's: their quizzes, and their cohorts' learners on public ones
    COHORT = "cohort"  # one cohort's learners


@dataclass(frozen=True)
class ScopeLabel:
    """What a report covers, as plain values: the adapters word it for the reader."""

    covers: Covers
    cohort: str | None = None  # the cohort's name, with Covers.COHORT


@dataclass(frozen=True)
class Scope:
    """Resolved filters: which versions, learners and period a report covers."""

    version_ids: list[int] | None  # None: every quiz
    cohort_id: int | None
    since: dt.datetime | None
    owner_id: int | None  # an instructor: only their quizzes and their cohorts' learners
    label: ScopeLabel
    # The instructor named a quiz of their own: every row of it passes the owner condition.
    owner_has_quiz: bool = False
    # A quiz was named: a learner's attempts in scope are all at that one quiz.
    one_quiz: bool = False

    @property
    def whole_quizzes(self) -> bool:
        """True when every answer to the versions in scope counts: no cohort, period or
        owner restriction. Such reports read the maintained counters, not the answers."""
        return (
            self.cohort_id is None
            and self.since is None
            and (self.owner_id is None or self.owner_has_quiz)
        )

    def conditions(
        self,
        *,
        version: Any,
        user: Any,
        time: Any | None,
    ) -> list[ColumnElement[bool]]:
        """SQL conditions restricting rows (with these columns) to the scope."""
        conds: list[ColumnElement[bool]] = []
        if self.version_ids is not None:
            conds.append(version.in_(self.version_ids))
        if self.since is not None and time is not None:
            conds.append(time >= self.since)
        if self.cohort_id is not None:
            members = select(CohortMember.user_id).where(CohortMember.cohort_id == self.cohort_id)
            conds.append(user.in_(members))
        if self.owner_id is not None and not self.owner_has_quiz:
            owned_versions = (
                select(QuizVersion.id)
                .join(Quiz, Quiz.id == QuizVersion.quiz_id)
                .where(Quiz.owner_id == self.owner_id)
            )
            # Their cohorts' learners on public quizzes only: another instructor's private
            # quiz (open to a cohort the learner is also in) is that instructor's business.
            public_versions = (
                select(QuizVersion.id)
                .join(Quiz, Quiz.id == QuizVersion.quiz_id)
                .where(Quiz.is_public.is_(True))
            )
            taught = (
                select(CohortMember.user_id)
                .join(Cohort, Cohort.id == CohortMember.cohort_id)
                .where(Cohort.owner_id == self.owner_id)
            )
            conds.append(
                or_(
                    version.in_(owned_versions),
                    and_(user.in_(taught), version.in_(public_versions)),
                )
            )
        return conds

    def attempts(self) -> list[ColumnElement[bool]]:
        """Conditions on attempts: in scope and started within the period."""
        return self.conditions(
            version=Attempt.quiz_version_id, user=Attempt.user_id, time=Attempt.started_at
        )


async def resolve_scope(
    session: AsyncSession, *, viewer: Viewer, query: ReportQuery, now: dt.datetime
) -> Scope:
    """Check the viewer's rights and turn names (quiz id, cohort code) into ids.

    An instructor may name public quizzes and their own, and their own cohorts; anything
    else gets the reply of a name that does not exist, so other instructors' private quiz
    ids and invite codes do not leak.
    """
    check_may_report(viewer)
    limited = viewer.role < Role.ADMIN  # an instructor: their own quizzes and cohorts
    quiz: Quiz | None = None
    version_ids: list[int] | None = None
    if query.quiz is not None:
        quiz = await queries.quiz_by_slug(session, query.quiz)
        if quiz is None or (limited and not quiz.is_public and quiz.owner_id != viewer.user_id):
            raise UnknownQuizError(query.quiz)
        stmt = select(QuizVersion.id).where(QuizVersion.quiz_id == quiz.id)
        if query.version is not None:
            stmt = stmt.where(QuizVersion.number == query.version)
        version_ids = list((await session.scalars(stmt)).all())
        if not version_ids:
            if query.version is None:
                raise QuizEmptyError(query.quiz)
            raise UnknownVersionError(query.quiz, query.version)
    cohort: Cohort | None = None
    if query.cohort is not None:
        cohort = (
            await session.scalars(select(Cohort).where(Cohort.code == query.cohort))
        ).one_or_none()
        if cohort is None or (limited and cohort.owner_id != viewer.user_id):
            raise UnknownCohortError(query.cohort)
    owner_id: int | None = None
    owns_quiz = False
    label = ScopeLabel(Covers.EVERYONE)
    if limited:
        owner_id = viewer.user_id
        if owner_id is None:
            raise OutsideOwnReportError
        owns_quiz = quiz is not None and quiz.owner_id == owner_id
        if quiz is not None and not owns_quiz and cohort is None:
            has_cohort = await session.scalar(
                select(func.count()).select_from(Cohort).where(Cohort.owner_id == owner_id)
            )
            if not has_cohort:
                raise OutsideOwnReportError
        label = ScopeLabel(Covers.OWN)
    if cohort is not None:
        label = ScopeLabel(Covers.COHORT, cohort.name)
    return Scope(
        version_ids=version_ids,
        cohort_id=cohort.id if cohort else None,
        since=now - dt.timedelta(days=query.days) if query.days else None,
        owner_id=owner_id,
        label=label,
        owner_has_quiz=owns_quiz,
        one_quiz=quiz is not None,
    )
