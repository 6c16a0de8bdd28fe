"""Report counters: the item analysis and discernment of a whole quiz without its answers.

`answer_item` keeps them as answers come in (`attempt_answer_write`;
`count_finished_attempt` once the attempt's total is known; the attempt's discernment
counters from `attempt_counter_adds`); `/forgetme` takes a learner's share out again
(`uncount_user`); `rebuild` recomputes everything from the answers (bulk loads and tests).
Like the follow-up plans (followups/plans.py), these join the caller's transaction and never
commit. Only quiz-attempt answers count here: follow-up practice answers belong to no attempt.
docs/reports.md says which reports read these and which read the answers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Insert,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import Base
from bot.db.dialect import Bind, dialect_name, insert_for, is_sqlite
from bot.db.models import Answer, Attempt, Item, ItemAnswerCount, ItemTotalSums
from bot.db.writes import Write
from bot.domain.discernment import count_answer, judge_answer
from bot.domain.quizfile.model import Judgement
from bot.services import content

# Core tables, not ORM entities: plain statements, no ORM objects loaded or compiled in.
COUNTS = Base.metadata.tables[ItemAnswerCount.__tablename__]
SUMS = Base.metadata.tables[ItemTotalSums.__tablename__]
ANSWERS = Base.metadata.tables[Answer.__tablename__]
ATTEMPTS = Base.metadata.tables[Attempt.__tablename__]
ITEMS = Base.metadata.tables[Item.__tablename__]

# The attempts' discernment counters, each with the DetectionCounts field it holds.
ATTEMPT_COUNTERS = {
    "flawed_seen": "flawed",
    "flawed_hits": "hits",
    "sound_seen": "sound",
    "sound_false_alarms": "false_alarms",
    "misreadings": "misreadings",
}
# Item ids per statement when judgements are filled in (see fill_judgements).
FILL_ITEMS_CHUNK = 500

# The statements of the answer path, built once per dialect: every call then reuses one
# statement object (and SQLAlchemy's compiled form of it) with new parameters.
_count_answer: dict[str, Insert] = {}
_count_finished: dict[str, Insert] = {}


def chosen_key(chosen: Sequence[int]) -> str:
    """The options chosen as item_answer_counts keeps them: sorted file indices, "0,2"."""
    return ",".join(str(i) for i in sorted(set(chosen)))


def whole_second(seconds: float) -> int:
    """Seconds rounded half up, as the reports round them (floor(seconds + 0.5) in SQL)."""
    return math.floor(seconds + 0.5)


def attempt_answer_write(
    session: AsyncSession, *, item_id: int, chosen: Sequence[int], correct: bool, seconds: float
) -> Write:
    """The upsert that adds one quiz-attempt answer to item_answer_counts (the caller runs
    it with the answer's other writes)."""
    dialect = dialect_name(session)
    stmt = _count_answer.get(dialect)
    if stmt is None:
        stmt = _count_answer[dialect] = (
            insert_for(session)(COUNTS)
            .values(
                item_id=bindparam("item_id", type_=Integer),
                chosen=bindparam("chosen", type_=String),
                second=bindparam("second", type_=Integer),
                correct=bindparam("correct", type_=COUNTS.c.correct.type),
                answers=literal_column("1"),
            )
            .on_conflict_do_update(
                index_elements=[COUNTS.c.item_id, COUNTS.c.chosen, COUNTS.c.second],
                set_={"answers": COUNTS.c.answers + literal_column("1")},
            )
        )
    return stmt, {
        "item_id": item_id,
        "chosen": chosen_key(chosen),
        "second": whole_second(seconds),
        "correct": correct,
    }


async def count_finished_attempt(session: AsyncSession, *, attempt_id: int, total: int) -> None:
    """Add a finished attempt's answers to item_total_sums (one INSERT ... SELECT upsert).

    `total` is the attempt's final number right (t); each of its answers adds
    n = 1, x, t, t², x·t to its item's row, taken in item order (docs/architecture.md, lock
    order). Call it once the last answer row is flushed.
    """
    dialect = dialect_name(session)
    stmt = _count_finished.get(dialect)
    if stmt is None:
        t = bindparam("t", type_=BigInteger)
        x = case((ANSWERS.c.correct, 1), else_=0)
        rows = (
            select(
                ANSWERS.c.item_id,
                literal_column("1"),
                x,
                t,
                bindparam("tt", type_=BigInteger),
                x * t,
            )
            .where(ANSWERS.c.attempt_id == bindparam("attempt_id", type_=Integer))
            # Item order, not the answers' physical order (the learner's shuffled one): two
            # attempts finishing together then lock their shared item rows in one order, and
            # the second waits for the first instead of deadlocking with it.
            .order_by(ANSWERS.c.item_id)
        )
        # The WHERE matters on SQLite: without one, "ON CONFLICT" after a FROM would parse as
        # a join constraint.
        upsert = insert_for(session)(SUMS).from_select(
            ["item_id", "answers", "correct", "sum_t", "sum_tt", "sum_xt"], rows
        )
        stmt = _count_finished[dialect] = upsert.on_conflict_do_update(
            index_elements=[SUMS.c.item_id],
            set_={
                name: SUMS.c[name] + upsert.excluded[name]
                for name in ("answers", "correct", "sum_t", "sum_tt", "sum_xt")
            },
        )
    await session.execute(stmt, {"attempt_id": attempt_id, "t": total, "tt": total * total})


def _chosen_sql(chosen: Any) -> ColumnElement[str]:
    """answers.chosen (JSON text on SQLite, jsonb on PostgreSQL) as chosen_key spells it.

    Both print a sorted list of ints as "[0, 2]"; dropping brackets and spaces leaves "0,2".
    Literal SQL constants, so the SELECT and its GROUP BY are the same expression to PostgreSQL.
    """
    text: ColumnElement[str] = cast(chosen, String)
    for mark in ("'['", "']'", "' '"):
        text = func.replace(text, literal_column(mark), literal_column("''"))
    return text


def whole_second_sql(bind: Bind, seconds: Any) -> ColumnElement[int]:
    """whole_second in SQL, the same on both backends."""
    half = seconds + literal_column("0.5")
    if is_sqlite(bind):
        # CAST truncates towards zero in SQLite; times are never negative.
        return cast(half, Integer)
    return cast(func.floor(half), Integer)


def _x() -> ColumnElement[int]:
    return case((ANSWERS.c.correct, 1), else_=0)


def _count_rows(bind: Bind, *conds: ColumnElement[bool]) -> Any:
    """Quiz answers grouped as item_answer_counts keeps them: item, chosen, second."""
    chosen = _chosen_sql(ANSWERS.c.chosen)
    second = whole_second_sql(bind, ANSWERS.c.seconds)
    return (
        select(
            ANSWERS.c.item_id,
            chosen.label("chosen"),
            second.label("second"),
            ANSWERS.c.correct,
            func.count().label("answers"),
        )
        .where(ANSWERS.c.attempt_id.is_not(None), *conds)
        .group_by(ANSWERS.c.item_id, chosen, second, ANSWERS.c.correct)
    )


def _sum_rows(*conds: ColumnElement[bool]) -> Any:
    """Answers of finished attempts grouped by item, with item_total_sums' sums."""
    x = _x()
    t = ATTEMPTS.c.correct_count
    return (
        select(
            ANSWERS.c.item_id,
            func.count().label("answers"),
            func.sum(x).label("correct"),
            func.sum(t).label("sum_t"),
            func.sum(t * t).label("sum_tt"),
            func.sum(x * t).label("sum_xt"),
        )
        .select_from(ANSWERS.join(ATTEMPTS, ATTEMPTS.c.id == ANSWERS.c.attempt_id))
        .where(ATTEMPTS.c.finished_at.is_not(None), *conds)
        .group_by(ANSWERS.c.item_id)
    )


async def uncount_user(session: AsyncSession, user_id: int) -> None:
    """Take a learner's answers out of the counters, before their rows are deleted.

    Grouped in SQL, subtracted in one UPDATE per table; rows left with no answers go.
    The learner's attempts are locked first (as answer_item locks one), so an answer being
    recorded for them now either is counted here or waits and finds its attempt gone.
    """
    await session.execute(
        select(ATTEMPTS.c.id).where(ATTEMPTS.c.user_id == user_id).with_for_update()
    )
    mine = _count_rows(session, ANSWERS.c.user_id == user_id).subquery()
    mine_counted = and_(
        COUNTS.c.item_id == mine.c.item_id,
        COUNTS.c.chosen == mine.c.chosen,
        COUNTS.c.second == mine.c.second,
    )
    sums = _sum_rows(ATTEMPTS.c.user_id == user_id).subquery()
    # An UPDATE ... FROM takes its rows in whatever order its plan joins them (on a big table,
    # a hash's). Locked first in key order, they are taken as answer_item takes them
    # (count_finished_attempt goes by item), and neither waits for the other in a cycle.
    await session.execute(
        select(COUNTS.c.item_id)
        .where(mine_counted)
        .order_by(COUNTS.c.item_id, COUNTS.c.chosen, COUNTS.c.second)
        .with_for_update(of=COUNTS)
    )
    await session.execute(
        select(SUMS.c.item_id)
        .where(SUMS.c.item_id == sums.c.item_id)
        .order_by(SUMS.c.item_id)
        .with_for_update(of=SUMS)
    )
    await session.execute(
        update(COUNTS).values(answers=COUNTS.c.answers - mine.c.answers).where(mine_counted)
    )
    await session.execute(
        update(SUMS)
        .values(
            {
                SUMS.c[name]: SUMS.c[name] - sums.c[name]
                for name in ("answers", "correct", "sum_t", "sum_tt", "sum_xt")
            }
        )
        .where(SUMS.c.item_id == sums.c.item_id)
    )
    touched = select(ANSWERS.c.item_id).where(ANSWERS.c.user_id == user_id)
    for table in (COUNTS, SUMS):
        await session.execute(
            delete(table).where(table.c.answers <= 0, table.c.item_id.in_(touched))
        )


def attempt_counter_adds(verdict: str | None, judgement: Judgement | None) -> dict[str, int]:
    """What one answer adds to each discernment counter of its attempt (0 or 1)."""
    counts = count_answer(verdict, judgement)
    return {column: getattr(counts, name) for column, name in ATTEMPT_COUNTERS.items()}


def detection_sums(verdict: Any, judgement: Any) -> dict[str, ColumnElement[Any]]:
    """The discernment sums over answers (by their judgement), named as the attempt counters
    that hold them: count_answer in SQL."""
    flawed = verdict == "flawed"
    sound = verdict == "sound"
    judged = judgement.in_((Judgement.SOUND.value, Judgement.FLAWED.value))
    said_flawed = judgement == Judgement.FLAWED.value
    return {
        "flawed_seen": func.sum(case((and_(flawed, judged), 1), else_=0)),
        "flawed_hits": func.sum(case((and_(flawed, said_flawed), 1), else_=0)),
        "sound_seen": func.sum(case((and_(sound, judged), 1), else_=0)),
        "sound_false_alarms": func.sum(case((and_(sound, said_flawed), 1), else_=0)),
        "misreadings": func.sum(
            case((and_(or_(flawed, sound), judgement == Judgement.NEITHER.value), 1), else_=0)
        ),
    }


def _judge_stored(
    kind: str, verdict: str | None, options: Sequence[dict[str, Any]], chosen: Sequence[int]
) -> Judgement | None:
    """judge_answer on an item's stored options; None for a choice no answer_item records
    (out of range, or several on a one-answer item), which then counts in no rate."""
    correct = [i for i, o in enumerate(options) if o["correct"]]
    try:
        return judge_answer(
            kind, verdict, content.judgements_of(verdict, options), correct, chosen
        )
    except (ValueError, IndexError):
        return None


async def fill_judgements(session: AsyncSession) -> None:
    """Set the judgement of answers stored without one (loaded straight into the table)
    from their item's options and verdict, as record_answer sets it.

    The distinct (item, options chosen) pairs are judged here, then one UPDATE per item
    sets its answers by a CASE on the options chosen: statements bounded by items, not by
    answers.
    """
    key = _chosen_sql(ANSWERS.c.chosen)
    pairs = await session.execute(
        select(ANSWERS.c.item_id, key)
        .select_from(ANSWERS.join(ITEMS, ITEMS.c.id == ANSWERS.c.item_id))
        .where(ANSWERS.c.judgement.is_(None), ITEMS.c.verdict.is_not(None))
        .group_by(ANSWERS.c.item_id, key)
    )
    keys: dict[int, list[str]] = {}
    for item_id, chosen in pairs:
        keys.setdefault(item_id, []).append(chosen)
    item_ids = sorted(keys)
    for start in range(0, len(item_ids), FILL_ITEMS_CHUNK):
        chunk = item_ids[start : start + FILL_ITEMS_CHUNK]
        items = await session.execute(
            select(ITEMS.c.id, ITEMS.c.kind, ITEMS.c.verdict, ITEMS.c.options).where(
                ITEMS.c.id.in_(chunk)
            )
        )
        for item_id, kind, verdict, options in items.all():
            judged: dict[str, str] = {}
            for chosen in keys[item_id]:
                indices = [int(i) for i in chosen.split(",") if i]
                judgement = _judge_stored(kind, verdict, options, indices)
                if judgement is not None:
                    judged[chosen] = judgement.value
            if not judged:
                continue
            await session.execute(
                update(ANSWERS)
                .values(judgement=case(judged, value=key))
                .where(
                    ANSWERS.c.item_id == item_id,
                    ANSWERS.c.judgement.is_(None),
                    key.in_(list(judged)),
                )
            )


async def rebuild(session: AsyncSession) -> None:
    """Recompute every counter from the answers: both tables and the attempts' discernment
    columns, after filling in the judgements of answers stored without one.

    Set-based (a few INSERT ... SELECT and UPDATE ... FROM statements). For bulk loads and
    as the tests' oracle; ORM objects already loaded in the session are not refreshed.
    """
    await fill_judgements(session)
    await session.execute(delete(COUNTS))
    await session.execute(
        insert(COUNTS).from_select(
            ["item_id", "chosen", "second", "correct", "answers"], _count_rows(session)
        )
    )
    await session.execute(delete(SUMS))
    await session.execute(
        insert(SUMS).from_select(
            ["item_id", "answers", "correct", "sum_t", "sum_tt", "sum_xt"], _sum_rows()
        )
    )
    names = tuple(ATTEMPT_COUNTERS)
    await session.execute(
        update(ATTEMPTS)
        .values(dict.fromkeys(names, 0))
        .where(or_(*(ATTEMPTS.c[name] != 0 for name in names)))
    )
    sums = detection_sums(ITEMS.c.verdict, ANSWERS.c.judgement)
    per_attempt = (
        select(ANSWERS.c.attempt_id, *(sums[name].label(name) for name in names))
        .select_from(ANSWERS.join(ITEMS, ITEMS.c.id == ANSWERS.c.item_id))
        .where(
            ANSWERS.c.attempt_id.is_not(None),
            ITEMS.c.verdict.is_not(None),
            ANSWERS.c.judgement.is_not(None),
        )
        .group_by(ANSWERS.c.attempt_id)
        .subquery()
    )
    await session.execute(
        update(ATTEMPTS)
        .values({ATTEMPTS.c[name]: per_attempt.c[name] for name in names})
        .where(ATTEMPTS.c.id == per_attempt.c.attempt_id)
    )
