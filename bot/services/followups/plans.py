"""Writing the follow-up schedule: plan after an answer, cancel, resume, re-window.

These helpers join the caller's transaction and never commit: they run inside the use case
that changed the memory model or the learner's settings (answering an item, /lessons off, a
block), so the schedule changes atomically with it.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy import ColumnElement, Insert, Integer, String, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import Base, UTCDateTime
from bot.db.dialect import dialect_name, insert_for
from bot.db.models import FollowUp, SkillState, User
from bot.db.writes import Write
from bot.domain import followups as rules
from bot.domain import languages

OPEN = ("pending", "claimed")
# The predicate of the partial unique index uq_followups_open_user_skill, spelled the same way
# so that both backends accept it as the ON CONFLICT target.
OPEN_PREDICATE = "status IN ('pending', 'claimed')"

# Core, not the ORM: a plain statement with no ORM bookkeeping on the answer path.
FOLLOWUPS = Base.metadata.tables[FollowUp.__tablename__]
_upsert_statements: dict[str, Insert] = {}


def locked_in_id_order(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """The follow-up rows matching `conditions`, for an UPDATE that locks them in id order.

    An UPDATE takes its rows in its plan's order (an index's, or the table's physical one);
    two that update several rows of one learner (/lessons off and the dispatcher marking a
    message sent) could then take them in opposite orders and deadlock on PostgreSQL.
    Selected FOR UPDATE in id order first, every such statement takes them in one order.
    SQLite has no row locks and drops the FOR UPDATE.
    """
    return FOLLOWUPS.c.id.in_(
        select(FOLLOWUPS.c.id).where(*conditions).order_by(FOLLOWUPS.c.id).with_for_update()
    )


class LearnerPrefs(Protocol):
    """What planning reads of a learner: a User row, or the same columns read with others."""

    @property
    def telegram_id(self) -> int | None: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def lessons_enabled(self) -> bool: ...
    @property
    def timezone(self) -> str: ...
    @property
    def timezone_set(self) -> bool: ...
    @property
    def language(self) -> str | None: ...
    @property
    def window_start_hour(self) -> int: ...
    @property
    def window_end_hour(self) -> int: ...


def window_of(user: LearnerPrefs) -> rules.Window:
    """The learner's daily window for follow-ups."""
    zone = languages.zone_for(user.timezone, user.language, chosen=user.timezone_set)
    return rules.Window(zone, user.window_start_hour, user.window_end_hour)


def wants_followups(user: LearnerPrefs) -> bool:
    """True if follow-ups may be planned for a learner (reachable, active, lessons on)."""
    return user.telegram_id is not None and user.is_active and user.lessons_enabled


async def upsert_followup(
    session: AsyncSession, *, user_id: int, skill_id: str, due_at: dt.datetime, now: dt.datetime
) -> None:
    """Schedule a skill's follow-up, moving the learner's open one if there is one.

    A follow-up that is being sent right now (claimed) is left alone: the answer to it plans
    the next one.
    """
    await session.execute(
        *upsert_followup_write(session, user_id=user_id, skill_id=skill_id, due_at=due_at, now=now)
    )


def upsert_followup_write(
    session: AsyncSession, *, user_id: int, skill_id: str, due_at: dt.datetime, now: dt.datetime
) -> Write:
    """The statement of `upsert_followup`."""
    dialect = dialect_name(session)
    stmt = _upsert_statements.get(dialect)
    if stmt is None:
        stmt = insert_for(session)(FOLLOWUPS).values(
            user_id=bindparam("user_id", type_=Integer),
            skill_id=bindparam("skill_id", type_=String),
            status="pending",
            due_at=bindparam("due_at", type_=UTCDateTime()),
            created_at=bindparam("created_at", type_=UTCDateTime()),
            tries=0,
        )
        stmt = _upsert_statements[dialect] = stmt.on_conflict_do_update(
            index_elements=["user_id", "skill_id"],
            index_where=text(OPEN_PREDICATE),
            set_={"due_at": stmt.excluded.due_at, "tries": 0, "error": None, "item_id": None},
            where=FOLLOWUPS.c.status == "pending",
        )
    # One statement object per dialect, reused with new parameters: it is on every answer's
    # path, and building it again each time cost more than running it.
    return stmt, {"user_id": user_id, "skill_id": skill_id, "due_at": due_at, "created_at": now}


async def cancel_open(
    session: AsyncSession, *, user_id: int, skill_id: str | None = None, reason: str
) -> int:
    """Cancel a learner's open follow-ups (of one skill, or all); return how many."""
    stmt, parameters = cancel_open_write(user_id=user_id, skill_id=skill_id, reason=reason)
    result = await session.execute(stmt, parameters)
    return int(getattr(result, "rowcount", 0) or 0)


def cancel_open_write(*, user_id: int, skill_id: str | None = None, reason: str) -> Write:
    """The statement of `cancel_open`."""
    conditions = [FOLLOWUPS.c.user_id == user_id, FOLLOWUPS.c.status.in_(OPEN)]
    if skill_id is not None:
        conditions.append(FOLLOWUPS.c.skill_id == skill_id)
    stmt = update(FollowUp).where(locked_in_id_order(*conditions))
    return (
        stmt.values(status="cancelled", error=reason, lease_until=None).execution_options(
            synchronize_session=False
        ),
        {},
    )


async def writes_after_review(
    session: AsyncSession,
    *,
    user_id: int,
    skill_id: str,
    model_due: dt.datetime,
    now: dt.datetime,
    scale: float,
    learner: LearnerPrefs | None = None,
) -> tuple[list[Write], dt.datetime | None]:
    """Plan the skill's next follow-up after a graded answer: the statements that do it
    (it may read the learner), and its due time, if any.

    `learner` spares a read when the caller has the learner's settings at hand.
    """
    user = learner if learner is not None else await session.get(User, user_id)
    if user is None or not wants_followups(user):
        return [], None
    due = rules.plan_next(now=now, model_due=model_due, scale=scale, window=window_of(user))
    if due is None:
        return [cancel_open_write(user_id=user_id, skill_id=skill_id, reason="retained")], None
    write = upsert_followup_write(session, user_id=user_id, skill_id=skill_id, due_at=due, now=now)
    return [write], due


async def cancel_for_user(session: AsyncSession, *, user_id: int, reason: str) -> int:
    """Cancel every open follow-up of a learner at once (/lessons off, /stop, a block)."""
    return await cancel_open(session, user_id=user_id, reason=reason)


async def resume_for_user(
    session: AsyncSession, *, user_id: int, now: dt.datetime, scale: float
) -> int:
    """Plan follow-ups again from the learner's memory model (after /lessons on)."""
    user = await session.get(User, user_id)
    if user is None or not wants_followups(user):
        return 0
    window = window_of(user)
    states = (
        await session.scalars(
            select(SkillState).where(SkillState.user_id == user_id, SkillState.due_at.is_not(None))
        )
    ).all()
    planned = 0
    for state in states:
        assert state.due_at is not None
        due = rules.resume_due(
            now=now,
            model_due=state.due_at,
            last_answer_at=state.last_answer_at,
            scale=scale,
            window=window,
        )
        if due is not None:
            await upsert_followup(
                session, user_id=user_id, skill_id=state.skill_id, due_at=due, now=now
            )
            planned += 1
    return planned


async def rewindow_for_user(session: AsyncSession, *, user: User, now: dt.datetime) -> None:
    """Move the learner's pending follow-ups into their (changed) daily window."""
    window = window_of(user)
    rows = (
        await session.scalars(
            select(FollowUp).where(FollowUp.user_id == user.id, FollowUp.status == "pending")
        )
    ).all()
    for row in rows:
        # A due time that was pushed into the old window may now be later than needed; the
        # earliest it could be is now, if it was already due.
        row.due_at = rules.into_window(max(row.due_at, now), window)
    await session.flush()
