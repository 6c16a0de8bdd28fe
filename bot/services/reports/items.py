"""Item analysis: facility, discrimination, option counts and median time of each item, and
each version's reliability (Cronbach's alpha).

A whole quiz is read from the counters answer_item keeps (counters.py); a cohort, a period or
an instructor's learners from the answers in scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    String,
    case,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Answer,
    Attempt,
    Item,
    ItemAnswerCount,
    ItemTotalSums,
    Quiz,
    QuizVersion,
)
from bot.domain import statistics as st
from bot.domain.grading import LETTERS
from bot.services.reports.counters import whole_second_sql
from bot.services.reports.reading import core_rows
from bot.services.reports.scope import Scope


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
    flags: tuple[st.ItemFlag, ...]  # why it needs checking; empty when it looks fine

    @property
    def wrong(self) -> int:
        """Answers in scope that were not right."""
        return self.answers - self.correct


@dataclass(frozen=True)
class VersionStats:
    """Reliability of one quiz version."""

    quiz: str
    version: int
    title: str
    items: int
    complete_attempts: int
    alpha: float | None  # None below MIN_COMPLETE_ATTEMPTS or when undefined


async def versions_by_id(
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


async def item_stats(
    session: AsyncSession,
    scope: Scope,
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
    """Item sums of whole versions from the counters answer_item keeps (counters.py):
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
    for item_id, chosen, correct, sec, n in await core_rows(
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
    second = whole_second_sql(session, Answer.seconds)
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


def version_stats(
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
