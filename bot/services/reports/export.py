"""The CSV export: one row per recorded answer in scope, streamed from the database in chunks."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
from typing import Any, TextIO

from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Answer, Cohort, CohortMember, Item, Quiz, QuizVersion, User
from bot.domain.grading import LETTERS
from bot.domain.report_query import ReportQuery, Viewer
from bot.services.reports.scope import resolve_scope

EXPORT_CHUNK = 2000

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
    # The id of the answer's sitting. It was "attempt", which read like a count ("third
    # attempt"); docs/reports.md keeps a note of the old name.
    "sitting_id",
    "followup",
)


async def export_answers(
    session: AsyncSession, *, viewer: Viewer, query: ReportQuery, now: dt.datetime, out: TextIO
) -> int:
    """Write one CSV row per recorded answer in scope to `out`; return the number of rows.

    Rows are streamed from the database in chunks, so memory does not grow with the number
    of answers. Learners appear by pseudonym only. The period is on the answer's time.
    """
    scope = await resolve_scope(session, viewer=viewer, query=query, now=now)
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
