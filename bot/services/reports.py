"""Admins' and instructors' reports: score summary, item analysis, discernment, CSV export.

Every figure is an SQL aggregation (GROUP BY over indexed columns, sums of products for the
correlations); Python only combines the aggregated rows, whose number is bounded by items,
options, seconds and score values, never by the number of answers. docs/reports.md explains
the figures; bot/domain/statistics.py holds the formulas.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.db import queries
from bot.db.models import (
    Answer,
    Attempt,
    Cohort,
    CohortMember,
    FollowUp,
    Item,
    ItemAnswerCount,
    ItemTotalSums,
    Quiz,
    QuizVersion,
    SkillState,
    User,
)
from bot.domain import statistics as st
from bot.domain.errors import (
    OutsideOwnReportError,
    QuizEmptyError,
    UnknownCohortError,
    UnknownQuizError,
    UnknownVersionError,
)
from bot.domain.grading import LETTERS
from bot.domain.report_query import ReportQuery, Viewer, check_may_report
from bot.domain.roles import Role
from bot.services import report_counters
from bot.services.followups import followup_stats
from bot.services.views import FollowUpStats

# Discernment after training: each learner's most recent follow-up answers on sound/flawed
# items (docs/reports.md says why a fixed number and not a period).
LATEST_FOLLOWUPS = 10
# Per-learner discernment rows are listed for a class, not for a whole population.
LEARNER_ROWS_MAX = 30
# A skill counts as mastered by a learner whose last answers on it were right this many times
# in a row.
MASTERY_STREAK = 3
MOST_MISSED = 5
EXPORT_CHUNK = 2000
DAY = dt.timedelta(days=1)
# Report parts read at once on PostgreSQL, each on a pooled connection (see _Readers).
READERS = 4

T = TypeVar("T")

EXPORT_COLUMNS = (
    "learner",
    "cohort",
    "quiz",
    "version",
    "item",
    "skill",
    "chosen",
    "correct",
    "judgement",
    "seconds",
    "answered_at",
    "attempt",
    "followup",
)


@dataclass(frozen=True)
class OptionCount:
    """How often one option of an item was chosen (letters in the file's order)."""

    letter: str
    text: str
    correct: bool
    chosen: int
    share: float | None  # of the item's answers; "choose all" shares can add up past 1


@dataclass(frozen=True)
class ItemStats:
    """Item analysis of one item of one quiz version."""

    item_id: int
    quiz: str
    version: int
    key: str
    position: int
    skill_id: str
    verdict: str | None
    passage: str
    answers: int  # all answers in attempts in scope
    correct: int
    facility: float | None  # share correct
    complete_answers: int  # answers in complete attempts (discrimination and alpha)
    complete_correct: int
    discrimination: float | None  # corrected item-rest correlation
    median_seconds: float | None  # to the nearest second
    options: tuple[OptionCount, ...]
    flags: tuple[str, ...]  # why it needs checking; empty when it looks fine


@dataclass(frozen=True)
class VersionStats:
    """Reliability of one quiz version."""

    quiz: str
    version: int
    title: str
    items: int
    complete_attempts: int
    alpha: float | None  # None below MIN_COMPLETE_ATTEMPTS or when undefined


@dataclass(frozen=True)
class SkillMastery:
    """One skill across the learners in scope (from their memory model rows)."""

    skill_id: str
    name: str
    learners: int
    mean_share_right: float | None  # mean over learners of their share right on the skill
    mastered: int  # learners whose last MASTERY_STREAK answers on it were right


@dataclass(frozen=True)
class DiscernmentGroup:
    """Discernment of a group at the first attempt and in the latest follow-ups."""

    label: str
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


@dataclass(frozen=True)
class QuizReport:
    """Everything /stats and `quizbot stats` show."""

    query: ReportQuery
    scope: str  # "everything", or what an instructor's report is limited to
    generated_at: dt.datetime
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

    @property
    def needs_checking(self) -> tuple[ItemStats, ...]:
        """Items with a flag."""
        return tuple(i for i in self.items if i.flags)


@dataclass(frozen=True)
class _Scope:
    """Resolved filters: which versions, learners and period a report covers."""

    version_ids: list[int] | None  # None: every quiz
    cohort_id: int | None
    since: dt.datetime | None
    owner_id: int | None  # an instructor: only their quizzes and their cohorts' learners
    label: str
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


async def _resolve_scope(
    session: AsyncSession, *, viewer: Viewer, query: ReportQuery, now: dt.datetime
) -> _Scope:
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
    label = "all learners"
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
        label = "your quizzes and your cohorts' learners"
    if cohort is not None:
        label = f"cohort {cohort.name}"
    return _Scope(
        version_ids=version_ids,
        cohort_id=cohort.id if cohort else None,
        since=now - dt.timedelta(days=query.days) if query.days else None,
        owner_id=owner_id,
        label=label,
        owner_has_quiz=owns_quiz,
        one_quiz=quiz is not None,
    )


async def quiz_report(
    session: AsyncSession, *, viewer: Viewer, query: ReportQuery, now: dt.datetime
) -> QuizReport:
    """The score summary, item analysis, reliability, discernment and follow-up figures.

    On PostgreSQL the parts are read on connections of their own (see _Readers): they see
    committed data only, so call it on a session without uncommitted writes of its own.
    """
    scope = await _resolve_scope(session, viewer=viewer, query=query, now=now)
    attempt_conds = scope.attempts()
    in_scope_users = select(Attempt.user_id).where(*attempt_conds) if attempt_conds else None
    first = _first_attempt_counts(session, scope, attempt_conds)
    latest = _latest_followup_counts(scope, in_scope_users)
    readers = _Readers(session)
    # Independent parts, the slowest first.
    (overall, cohorts), skills, figures, followups = await asyncio.gather(
        readers.run(lambda s: _discernment(s, scope, first, latest)),
        readers.run(lambda s: _skill_mastery(s, scope, in_scope_users)),
        readers.run(lambda s: _attempt_figures(s, scope, attempt_conds)),
        readers.run(lambda s: followup_stats(s, now=now, users=in_scope_users, since=scope.since)),
    )
    learner_rows: tuple[LearnerDiscernment, ...] = ()
    if figures.learners <= LEARNER_ROWS_MAX:
        # Few learners in scope, so reading their counts again is cheap.
        learner_rows = await _learner_rows(session, first, latest)
    items = figures.items
    most_missed = tuple(
        sorted(
            (i for i in items if i.answers and i.facility is not None),
            key=lambda i: (i.facility, -i.answers, i.item_id),
        )[:MOST_MISSED]
    )
    return QuizReport(
        query=query,
        scope=scope.label,
        generated_at=now,
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
        versions=_version_stats(figures.versions, figures.totals, items),
        discernment=overall,
        cohorts=cohorts,
        learner_rows=learner_rows,
        followups=followups,
    )


class _Readers:
    """Runs a report's independent parts.

    On PostgreSQL each part gets a session of its own (a pooled connection of the report's
    engine) and up to READERS run at once, so a whole quiz's report takes about as long as
    its slowest part instead of the sum of all (docs/benchmarks.md, issue 6). In READ
    COMMITTED every statement reads its own snapshot anyway, so the parts are as consistent
    with each other as when they ran one after another. SQLite, and a session bound to one
    connection, run the parts one at a time on the report's own session.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        bind = session.bind
        self._engine = (
            bind if isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql" else None
        )
        self._slots = asyncio.Semaphore(READERS if self._engine is not None else 1)

    async def run(self, part: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._slots:
            if self._engine is None:
                return await part(self._session)
            async with AsyncSession(self._engine) as reader:
                # The parts already run side by side: parallel workers within a part (the
                # skills' scan would take two) only add their setup and merging, about a
                # tenth more CPU, and crowd out the other parts (on 2 cores the report took
                # 15 % longer with them). Discernment, as slow as the skills on one
                # process, is one process either way. For this transaction only.
                await reader.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
                return await part(reader)


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
    session: AsyncSession, scope: _Scope, attempt_conds: list[ColumnElement[bool]]
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
    versions = await _versions(session, sorted({r[0] for r in rows}))
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
        items=await _item_stats(session, scope, attempt_conds, versions),
    )


async def _versions(
    session: AsyncSession, version_ids: Sequence[int]
) -> dict[int, tuple[str, int, str, int]]:
    """version id -> (quiz slug, version number, title, item count)."""
    if not version_ids:
        return {}
    rows = await session.execute(
        select(QuizVersion.id, Quiz.slug, QuizVersion.number, QuizVersion.title)
        .add_columns(QuizVersion.item_count)
        .join(Quiz, Quiz.id == QuizVersion.quiz_id)
        .where(QuizVersion.id.in_(version_ids))
    )
    return {vid: (slug, number, title, count) for vid, slug, number, title, count in rows}


async def _item_stats(
    session: AsyncSession,
    scope: _Scope,
    attempt_conds: list[ColumnElement[bool]],
    versions: dict[int, tuple[str, int, str, int]],
) -> tuple[ItemStats, ...]:
    """Facility, discrimination, option counts and median time of every answered item."""
    if not versions:
        return ()
    if scope.whole_quizzes:
        per_item = await _item_sums_from_counters(session, list(versions))
    else:
        per_item = await _item_sums_from_answers(session, attempt_conds)
    if not per_item:
        return ()
    meta = (
        await session.execute(
            select(Item).where(Item.id.in_(per_item)).order_by(Item.quiz_version_id, Item.position)
        )
    ).scalars()
    result: list[ItemStats] = []
    for item in meta:
        acc = per_item[item.id]
        facility = st.share(acc["x"], acc["n"])
        discrimination = None
        if acc["nf"] >= st.MIN_COMPLETE_ATTEMPTS:
            discrimination = st.item_rest_correlation(
                st.ItemTotalSums(
                    n=acc["nf"],
                    sum_x=acc["xf"],
                    sum_t=acc["t"],
                    sum_tt=acc["tt"],
                    sum_xt=acc["xt"],
                )
            )
        slug, number, _title, _count = versions[item.quiz_version_id]
        options = tuple(
            OptionCount(
                letter=LETTERS[i] if i < len(LETTERS) else str(i + 1),
                text=str(option["text"]),
                correct=bool(option["correct"]),
                chosen=acc["chosen"].get(i, 0),
                share=st.share(acc["chosen"].get(i, 0), acc["n"]),
            )
            for i, option in enumerate(item.options)
        )
        result.append(
            ItemStats(
                item_id=item.id,
                quiz=slug,
                version=number,
                key=item.key,
                position=item.position,
                skill_id=item.skill_id,
                verdict=item.verdict,
                passage=item.passage,
                answers=acc["n"],
                correct=acc["x"],
                facility=facility,
                complete_answers=acc["nf"],
                complete_correct=acc["xf"],
                discrimination=discrimination,
                median_seconds=st.median_from_counts(acc["seconds"].items()),
                options=options,
                flags=st.needs_checking(facility, discrimination),
            )
        )
    # Stable order for the reports: quiz, version, position.
    result.sort(key=lambda i: (i.quiz, i.version, i.position))
    return tuple(result)


async def _core_rows(session: AsyncSession, stmt: Any) -> Sequence[Any]:
    """All rows of a statement with many plain rows, as Core rows on the session's
    connection: about 40 % less CPU than the ORM's row processing over thousands of rows,
    and one fetch, not one driver call per row."""
    return (await (await session.connection()).execute(stmt)).all()


def _item_acc() -> dict[str, Any]:
    """One item's sums: n, x (right), and the same over finished attempts (nf, xf) with the
    totals' sums t, tt, xt; option and whole-second counts."""
    return {
        "n": 0,
        "x": 0,
        "nf": 0,
        "xf": 0,
        "t": 0.0,
        "tt": 0.0,
        "xt": 0.0,
        "chosen": defaultdict(int),
        "seconds": defaultdict(int),
    }


async def _item_sums_from_counters(
    session: AsyncSession, version_ids: list[int]
) -> dict[int, dict[str, Any]]:
    """Item sums of whole versions from the counters answer_item keeps (report_counters):
    rows bounded by items x (option sets + seconds), however many answers there are."""
    items_in = select(Item.id).where(Item.quiz_version_id.in_(version_ids))
    per_item: dict[int, dict[str, Any]] = {}
    counts = ItemAnswerCount
    # Summed per option set and, apart, per second (NULL in the other's column): the counters
    # hold every (option set, second) pair, many times more rows for Python to walk.
    by_choice = (
        select(
            counts.item_id,
            counts.chosen,
            counts.correct,
            literal(None, Integer).label("second"),
            func.sum(counts.answers),
        )
        .where(counts.item_id.in_(items_in))
        .group_by(counts.item_id, counts.chosen, counts.correct)
    )
    by_second = (
        select(
            counts.item_id,
            literal(None, String).label("chosen"),
            literal(None, Boolean).label("correct"),
            counts.second,
            func.sum(counts.answers),
        )
        .where(counts.item_id.in_(items_in))
        .group_by(counts.item_id, counts.second)
    )
    for item_id, chosen, correct, sec, n in await _core_rows(
        session, union_all(by_choice, by_second)
    ):
        acc = per_item.get(item_id) or per_item.setdefault(item_id, _item_acc())
        if chosen is None:
            acc["seconds"][float(sec)] += n
            continue
        acc["n"] += n
        if correct:
            acc["x"] += n
        for index in (int(i) for i in chosen.split(",") if i):
            acc["chosen"][index] += n
    sums = select(
        ItemTotalSums.item_id,
        ItemTotalSums.answers,
        ItemTotalSums.correct,
        ItemTotalSums.sum_t,
        ItemTotalSums.sum_tt,
        ItemTotalSums.sum_xt,
    ).where(ItemTotalSums.item_id.in_(items_in))
    for item_id, n, x, sum_t, sum_tt, sum_xt in (await session.execute(sums)).all():
        acc = per_item.get(item_id) or per_item.setdefault(item_id, _item_acc())
        acc["nf"] += n
        acc["xf"] += x
        acc["t"] += float(sum_t)
        acc["tt"] += float(sum_tt)
        acc["xt"] += float(sum_xt)
    return per_item


async def _item_sums_from_answers(
    session: AsyncSession, attempt_conds: list[ColumnElement[bool]]
) -> dict[int, dict[str, Any]]:
    """Item sums of the answers in attempts in scope (a cohort, a period, an instructor's
    learners): one pass over those answers."""
    # Grouped by item, chosen options and whole seconds. The totals of complete attempts
    # ride along for the item-rest correlation.
    # Grouped by the JSON value itself (jsonb on PostgreSQL, text on SQLite): no cast per row.
    chosen = Answer.chosen
    second = report_counters.whole_second_sql(session.get_bind().dialect.name, Answer.seconds)
    done = Attempt.finished_at.is_not(None)
    total = case((done, Attempt.correct_count))
    stmt = (
        select(
            Answer.item_id,
            chosen,
            Answer.correct,
            second,
            func.count(),
            func.count(total),
            func.sum(total),
            func.sum(total * total),
        )
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(*attempt_conds)
        .group_by(Answer.item_id, chosen, Answer.correct, second)
    )
    per_item: dict[int, dict[str, Any]] = {}
    rows = (await session.execute(stmt)).all()
    for item_id, chosen_list, correct, sec, n, n_done, sum_t, sum_tt in rows:
        acc = per_item.get(item_id) or per_item.setdefault(item_id, _item_acc())
        acc["n"] += n
        acc["nf"] += n_done
        acc["t"] += float(sum_t or 0)
        acc["tt"] += float(sum_tt or 0)
        if correct:
            acc["x"] += n
            acc["xf"] += n_done
            acc["xt"] += float(sum_t or 0)
        for index in chosen_list:
            acc["chosen"][int(index)] += n
        acc["seconds"][float(sec)] += n
    return per_item


def _version_stats(
    versions: dict[int, tuple[str, int, str, int]],
    totals: dict[int, list[float]],
    items: Sequence[ItemStats],
) -> tuple[VersionStats, ...]:
    """Cronbach's alpha per version over its complete attempts."""
    facilities: dict[tuple[str, int], list[float]] = defaultdict(list)
    for item in items:
        if item.complete_answers:
            # Facility within complete attempts, where every item of the version is answered.
            facilities[(item.quiz, item.version)].append(
                item.complete_correct / item.complete_answers
            )
    out: list[VersionStats] = []
    for version_id, (slug, number, title, item_count) in versions.items():
        n, sum_t, sum_tt = totals.get(version_id, [0, 0.0, 0.0])
        alpha = None
        if n >= st.MIN_COMPLETE_ATTEMPTS:
            item_facilities = facilities.get((slug, number), [])
            if len(item_facilities) == item_count:
                alpha = st.cronbach_alpha(item_facilities, n=int(n), sum_t=sum_t, sum_tt=sum_tt)
        out.append(
            VersionStats(
                quiz=slug,
                version=number,
                title=title,
                items=item_count,
                complete_attempts=int(n),
                alpha=alpha,
            )
        )
    out.sort(key=lambda v: (v.quiz, v.version))
    return tuple(out)


async def _skill_mastery(
    session: AsyncSession, scope: _Scope, in_scope_users: Select[Any] | None
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
    names = await queries.skill_names(session)
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


def _detection_sums(verdict: Any, judgement: Any) -> list[Any]:
    """hits, flawed, false alarms, sound, misreadings: the per-learner sums of discernment."""
    sums = report_counters.detection_sums(verdict, judgement)
    return [
        sums["flawed_hits"].label("hits"),
        sums["flawed_seen"].label("flawed"),
        sums["sound_false_alarms"].label("fas"),
        sums["sound_seen"].label("sound"),
        sums["misreadings"].label("mis"),
    ]


def _first_attempt_counts(
    session: AsyncSession, scope: _Scope, attempt_conds: list[ColumnElement[bool]]
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
        if session.get_bind().dialect.name == "postgresql":
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


def _latest_followup_counts(scope: _Scope, in_scope_users: Select[Any] | None) -> Select[Any]:
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


async def _discernment(
    session: AsyncSession, scope: _Scope, first: Select[Any], latest: Select[Any]
) -> tuple[DiscernmentGroup, tuple[DiscernmentGroup, ...]]:
    """Everyone's and each cohort's discernment at the first attempt and in the latest
    follow-ups, from learners' counts (first: _first_attempt_counts, latest:
    _latest_followup_counts) grouped in one statement."""
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
    for cohort_id, phase, hits, flawed, fas, sound, mis, number in await _core_rows(
        session, union_all(overall, per_cohort)
    ):
        key = (hits, flawed, fas, sound, mis)
        found = interned.get(key)
        if found is None:
            found = interned[key] = st.DetectionCounts(hits, flawed, fas, sound, mis)
        groups[phase].setdefault(cohort_id, []).append((found, number))
    first_groups, latest_groups = groups[0], groups[1]
    overall_group = DiscernmentGroup(
        label="all learners in scope",
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
                    label=names.get(cohort_id, "?"),
                    first=st.summarise_detection(first_groups.get(cohort_id, [])),
                    latest=st.summarise_detection(latest_groups.get(cohort_id, [])),
                )
                for cohort_id in cohort_ids
            ),
            key=lambda g: g.label,
        )
    )
    return overall_group, cohorts


async def _learner_rows(
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


async def export_answers(
    session: AsyncSession, *, viewer: Viewer, query: ReportQuery, now: dt.datetime, out: TextIO
) -> int:
    """Write one CSV row per recorded answer in scope to `out`; return the number of rows.

    Rows are streamed from the database in chunks, so memory does not grow with the number
    of answers. Learners appear by pseudonym only. The period is on the answer's time.
    """
    scope = await _resolve_scope(session, viewer=viewer, query=query, now=now)
    # The learner's cohorts by name (never by invite code: a code lets anyone join), and
    # only those in the viewer's scope: an instructor's own, every one for an admin.
    memberships = (
        select(CohortMember.user_id, Cohort.name)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .order_by(CohortMember.user_id, Cohort.name, Cohort.id)
    )
    if scope.owner_id is not None:
        memberships = memberships.where(Cohort.owner_id == scope.owner_id)
    in_order = memberships.subquery()
    # Aggregated from the sorted rows, so the names come in name order (both databases
    # keep the input order of a sorted subquery).
    named = (
        select(
            in_order.c.user_id.label("user_id"),
            func.aggregate_strings(in_order.c.name, ";").label("names"),
        )
        .group_by(in_order.c.user_id)
        .subquery()
    )
    stmt = (
        select(
            User.pseudonym,
            named.c.names,
            Quiz.slug,
            QuizVersion.number,
            Item.key,
            Answer.skill_id,
            # As text: few distinct values, each turned into letters once (see _letters).
            cast(Answer.chosen, String),
            Answer.correct,
            Answer.judgement,
            Answer.seconds,
            Answer.answered_at,
            Answer.attempt_id,
            Answer.followup_id,
        )
        .join(User, User.id == Answer.user_id)
        .join(Item, Item.id == Answer.item_id)
        .join(QuizVersion, QuizVersion.id == Item.quiz_version_id)
        .join(Quiz, Quiz.id == QuizVersion.quiz_id)
        .outerjoin(named, named.c.user_id == Answer.user_id)
        .where(
            *scope.conditions(
                version=Item.quiz_version_id, user=Answer.user_id, time=Answer.answered_at
            )
        )
        .order_by(Answer.id)
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    written = 0
    letters: dict[str, str] = {}
    # Core rows (no ORM loading) from a server-side cursor, a chunk at a time.
    connection = await session.connection()
    result = await connection.stream(stmt)
    async for chunk in result.partitions(EXPORT_CHUNK):
        rows = [_csv_row(tuple(row), letters) for row in chunk]
        # Writing a chunk may block on the disk; keep the event loop free meanwhile.
        await asyncio.to_thread(writer.writerows, rows)
        written += len(rows)
    await session.rollback()  # read only; ends the transaction holding the cursor
    return written


def _csv_row(row: tuple[Any, ...], letters: dict[str, str]) -> list[str]:
    (
        pseudonym,
        names,
        slug,
        number,
        key,
        skill,
        chosen,
        correct,
        judged,
        seconds,
        at,
        attempt,
        fup,
    ) = row
    chosen_letters = letters.get(chosen)
    if chosen_letters is None:
        chosen_letters = letters[chosen] = ";".join(
            LETTERS[i] if i < len(LETTERS) else str(i + 1) for i in json.loads(chosen or "[]")
        )
    answered_at: dt.datetime = at
    return [
        pseudonym or "",
        names or "",
        slug,
        str(number),
        key,
        skill,
        chosen_letters,
        "1" if correct else "0",
        judged or "",
        f"{seconds:.3f}",
        answered_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "" if attempt is None else str(attempt),
        "" if fup is None else str(fup),
    ]
