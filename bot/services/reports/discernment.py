"""Discernment: hits and false alarms on sound and flawed items at each learner's first attempt
and in their latest follow-ups, for everyone in scope, each cohort and, in a class, each
learner. docs/reports.md explains the measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dialect import distinct_on, is_postgresql
from bot.db.models import (
    Answer,
    Attempt,
    Cohort,
    CohortMember,
    FollowUp,
    Item,
    QuizVersion,
    User,
)
from bot.domain import statistics as st
from bot.services.reports.counters import detection_sums
from bot.services.reports.reading import core_rows
from bot.services.reports.scope import Scope

# Discernment after training: each learner's most recent follow-up answers on sound/flawed
# items (docs/reports.md says why a fixed number and not a period).
LATEST_FOLLOWUPS = 10


@dataclass(frozen=True)
class DiscernmentGroup:
    """Discernment of a group at the first attempt and in the latest follow-ups."""

    cohort: str | None  # the cohort's name; None for all the learners in scope
    first: st.DetectionSummary
    latest: st.DetectionSummary


@dataclass(frozen=True)
class LearnerDiscernment:
    """One learner's hits and false alarms, first attempt and latest follow-ups."""

    learner: str  # pseudonym
    first: st.DetectionCounts | None
    first_measures: st.Detection | None
    latest: st.DetectionCounts | None
    latest_measures: st.Detection | None


def _detection_sums(verdict: Any, judgement: Any) -> list[Any]:
    """hits, flawed, false alarms, sound, misreadings: the per-learner sums of discernment."""
    sums = detection_sums(verdict, judgement)
    return [
        sums["flawed_hits"].label("hits"),
        sums["flawed_seen"].label("flawed"),
        sums["sound_false_alarms"].label("fas"),
        sums["sound_seen"].label("sound"),
        sums["misreadings"].label("mis"),
    ]


def first_attempt_counts(
    session: AsyncSession, scope: Scope, attempt_conds: list[ColumnElement[bool]]
) -> Select[Any]:
    """Per learner (user_id, hits, flawed, fas, sound, mis): their first attempt at each quiz
    in scope, from the counters answer_item keeps on each attempt, not from its answers.
    A learner counts once they answered a sound or flawed item there (a misreading too), as
    when counting answers."""
    counters = (
        Attempt.flawed_hits.label("hits"),
        Attempt.flawed_seen.label("flawed"),
        Attempt.sound_false_alarms.label("fas"),
        Attempt.sound_seen.label("sound"),
        Attempt.misreadings.label("mis"),
    )
    if scope.one_quiz:
        # One quiz: a learner's first attempt is their lowest id in scope, and their counts
        # are that attempt's, with no join to the versions and no sums per learner.
        if is_postgresql(session):
            # DISTINCT ON keeps the first row per learner in one sorted pass: less than
            # half the work of numbering the rows.
            firsts = (
                select(Attempt.user_id, *counters)
                .where(*attempt_conds)
                .ext(distinct_on(Attempt.user_id))
                .order_by(Attempt.user_id, Attempt.id)
                .subquery()
            )
        else:
            rank = func.row_number().over(partition_by=Attempt.user_id, order_by=Attempt.id)
            numbered = (
                select(Attempt.user_id, *counters, rank.label("rn"))
                .where(*attempt_conds)
                .subquery()
            )
            firsts = select(numbered).where(numbered.c.rn == 1).subquery()
        return select(
            firsts.c.user_id,
            firsts.c.hits,
            firsts.c.flawed,
            firsts.c.fas,
            firsts.c.sound,
            firsts.c.mis,
        ).where(firsts.c.flawed + firsts.c.sound + firsts.c.mis > 0)
    # Numbered per (learner, quiz) in one sorted pass (PostgreSQL's fastest; a min(id)
    # subquery joined back reads the attempts twice), then summed per learner.
    rank = func.row_number().over(
        partition_by=(Attempt.user_id, QuizVersion.quiz_id), order_by=Attempt.id
    )
    numbered = (
        select(Attempt.user_id, *counters, rank.label("rn"))
        .join(QuizVersion, QuizVersion.id == Attempt.quiz_version_id)
        .where(*attempt_conds)
        .subquery()
    )
    seen = func.sum(numbered.c.flawed + numbered.c.sound + numbered.c.mis)
    return (
        select(
            numbered.c.user_id,
            func.sum(numbered.c.hits).label("hits"),
            func.sum(numbered.c.flawed).label("flawed"),
            func.sum(numbered.c.fas).label("fas"),
            func.sum(numbered.c.sound).label("sound"),
            func.sum(numbered.c.mis).label("mis"),
        )
        .where(numbered.c.rn == 1)
        .group_by(numbered.c.user_id)
        .having(seen > 0)
    )


def latest_followup_counts(scope: Scope, in_scope_users: Select[Any] | None) -> Select[Any]:
    """Per learner (user_id, hits, flawed, fas, sound, mis): their LATEST_FOLLOWUPS most
    recent follow-up answers on sound/flawed items, counted by their judgements."""
    # Reached from the follow-ups (by their learner), so SQLite does not walk every answer by
    # learner. (followup_id IS NOT NULL, implied by the join, keeps PostgreSQL's row estimate
    # low.)
    conds: list[ColumnElement[bool]] = [
        Answer.followup_id.is_not(None),
        Item.verdict.is_not(None),
    ]
    if in_scope_users is not None:
        conds.append(FollowUp.user_id.in_(in_scope_users))
    if scope.since is not None:
        conds.append(Answer.answered_at >= scope.since)
    ranked = (
        select(
            Answer.user_id,
            Answer.judgement,
            Item.verdict,
            func.row_number()
            .over(
                partition_by=Answer.user_id,
                order_by=(Answer.answered_at.desc(), Answer.id.desc()),
            )
            .label("rn"),
        )
        .select_from(FollowUp)
        .join(Answer, Answer.followup_id == FollowUp.id)
        .join(Item, Item.id == Answer.item_id)
        .where(*conds)
        .subquery()
    )
    return (
        select(
            ranked.c.user_id.label("user_id"),
            *_detection_sums(ranked.c.verdict, ranked.c.judgement),
        )
        .where(ranked.c.rn <= LATEST_FOLLOWUPS)
        .group_by(ranked.c.user_id)
    )


async def discernment_groups(
    session: AsyncSession, scope: Scope, first: Select[Any], latest: Select[Any]
) -> tuple[DiscernmentGroup, tuple[DiscernmentGroup, ...]]:
    """Everyone's and each cohort's discernment at the first attempt and in the latest
    follow-ups, from learners' counts (first: first_attempt_counts, latest:
    latest_followup_counts) grouped in one statement."""
    first_q, latest_q = first.subquery(), latest.subquery()
    # Computed once (MATERIALIZED, on SQLite and PostgreSQL alike) and read by both
    # groupings. One statement for both moments: apart, PostgreSQL misjudges how many
    # learners the first attempts give and joins them to the cohorts row by row.
    per_user = (
        union_all(
            select(first_q, literal(0, Integer).label("phase")),
            select(latest_q, literal(1, Integer).label("phase")),
        )
        .cte("per_user")
        .prefix_with("MATERIALIZED")
    )
    counts = (
        per_user.c.hits,
        per_user.c.flawed,
        per_user.c.fas,
        per_user.c.sound,
        per_user.c.mis,
    )
    member_conds: list[ColumnElement[bool]] = []
    cohort_conds: list[ColumnElement[bool]] = []
    if scope.cohort_id is not None:
        member_conds.append(CohortMember.cohort_id == scope.cohort_id)
        cohort_conds.append(Cohort.id == scope.cohort_id)
    if scope.owner_id is not None:
        owned = select(Cohort.id).where(Cohort.owner_id == scope.owner_id)
        member_conds.append(CohortMember.cohort_id.in_(owned))
        cohort_conds.append(Cohort.owner_id == scope.owner_id)
    # Learners with the same counts have the same d' and c: grouping by the counts keeps
    # the rows few however many learners there are. Cohort NULL is everyone in scope.
    overall = select(
        literal(None, Integer).label("cohort_id"), per_user.c.phase, *counts, func.count()
    ).group_by(per_user.c.phase, *counts)
    per_cohort = (
        select(CohortMember.cohort_id, per_user.c.phase, *counts, func.count())
        .select_from(per_user)
        .join(CohortMember, CohortMember.user_id == per_user.c.user_id)
        .where(*member_conds)
        .group_by(CohortMember.cohort_id, per_user.c.phase, *counts)
    )
    # phase -> cohort id -> [(counts, learners with exactly these counts)]
    groups: dict[int, dict[int | None, list[tuple[st.DetectionCounts, int]]]] = {
        0: {None: []},
        1: {None: []},
    }
    # One object per distinct counts (a few hundred for thousands of rows).
    interned: dict[tuple[int, int, int, int, int], st.DetectionCounts] = {}
    for cohort_id, phase, hits, flawed, fas, sound, mis, number in await core_rows(
        session, union_all(overall, per_cohort)
    ):
        key = (hits, flawed, fas, sound, mis)
        found = interned.get(key)
        if found is None:
            found = interned[key] = st.DetectionCounts(hits, flawed, fas, sound, mis)
        groups[phase].setdefault(cohort_id, []).append((found, number))
    first_groups, latest_groups = groups[0], groups[1]
    overall_group = DiscernmentGroup(
        cohort=None,
        first=st.summarise_detection(first_groups.pop(None)),
        latest=st.summarise_detection(latest_groups.pop(None)),
    )
    if not first_groups and not latest_groups:
        return overall_group, ()
    # The cohorts in scope by their own conditions, not by an IN list of hundreds of ids.
    cohort_ids = sorted(c for c in {*first_groups, *latest_groups} if c is not None)
    named = await session.execute(select(Cohort.id, Cohort.name).where(*cohort_conds))
    names: dict[int, str] = {cohort_id: name for cohort_id, name in named}
    cohorts = tuple(
        sorted(
            (
                DiscernmentGroup(
                    cohort=names.get(cohort_id, "?"),
                    first=st.summarise_detection(first_groups.get(cohort_id, [])),
                    latest=st.summarise_detection(latest_groups.get(cohort_id, [])),
                )
                for cohort_id in cohort_ids
            ),
            key=lambda g: g.cohort or "",
        )
    )
    return overall_group, cohorts


async def learner_discernment(
    session: AsyncSession, first: Select[Any], latest: Select[Any]
) -> tuple[LearnerDiscernment, ...]:
    """Each learner's counts and measures at both moments, by pseudonym."""
    first_q, latest_q = first.subquery(), latest.subquery()
    per_user = union_all(
        select(first_q, literal(0, Integer).label("phase")),
        select(latest_q, literal(1, Integer).label("phase")),
    ).subquery()
    rows = await session.execute(
        select(
            User.pseudonym,
            per_user.c.phase,
            per_user.c.hits,
            per_user.c.flawed,
            per_user.c.fas,
            per_user.c.sound,
            per_user.c.mis,
        )
        .select_from(per_user)
        .join(User, User.id == per_user.c.user_id)
        .order_by(User.pseudonym, per_user.c.phase)
    )
    found: dict[str, dict[int, st.DetectionCounts]] = {}
    for pseudonym, phase, hits, flawed, fas, sound, mis in rows:
        found.setdefault(pseudonym or "?", {})[phase] = st.DetectionCounts(
            hits, flawed, fas, sound, mis
        )
    return tuple(
        LearnerDiscernment(
            learner=name,
            first=phases.get(0),
            first_measures=st.detection(phases[0]) if 0 in phases else None,
            latest=phases.get(1),
            latest_measures=st.detection(phases[1]) if 1 in phases else None,
        )
        for name, phases in found.items()
    )
