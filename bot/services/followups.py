"""Follow-up lessons: claim due rows, build and send them, record the practice answers.

The schedule is the `followups` table (see docs/followups.md). A dispatcher pass claims due
rows under a lease, builds one message per learner, hands it to a sender (the Telegram
adapter, or a test's recording sender), and marks the rows sent, failed or cancelled. Several
processes can run passes on one PostgreSQL database: a claim takes rows with
`FOR UPDATE SKIP LOCKED`, so each row goes to exactly one of them; on SQLite the claim is one
atomic UPDATE. A process that dies after claiming leaves rows whose lease expires, and the
next pass anywhere takes them over.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, Interval, Select, and_, case, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from bot.clock import Clock
from bot.db.models import (
    Answer,
    Attempt,
    CohortMember,
    FollowUp,
    Item,
    Quiz,
    QuizCohort,
    QuizVersion,
    Skill,
    User,
)
from bot.domain import followups as rules
from bot.domain import grading
from bot.domain.errors import (
    AlreadyAnsweredError,
    ButtonsOf,
    ItemClosedError,
    LessonGoneError,
    NotYourButtonsError,
    UnknownWindowError,
)
from bot.services import attempts, content, followup_plans, item_views, learners
from bot.services.views import (
    FollowUpDelivery,
    FollowUpStats,
    ItemView,
    LessonsStatus,
    PracticeResult,
    SkillLesson,
)

log = logging.getLogger(__name__)

BATCH = 100  # rows claimed at a time
LEASE = dt.timedelta(minutes=5)  # far longer than sending one batch takes, even with 429s
SEND_CONCURRENCY = 32  # messages in flight; the rate limiter paces them to Telegram's cap
NEXT_PASS = dt.timedelta(minutes=1)  # a learner already messaged in a pass waits this long
DAY = dt.timedelta(days=1)


class RecipientBlockedError(Exception):
    """The learner blocked the bot (Telegram answered 403): stop sending to them."""


class DeliveryError(Exception):
    """Sending failed for a reason that may pass; the follow-up is retried later."""


Send = Callable[[FollowUpDelivery], Awaitable[None]]


@dataclass(frozen=True)
class Claimed:
    """A follow-up row this worker has claimed."""

    id: int
    user_id: int
    skill_id: str
    due_at: dt.datetime
    tries: int


@dataclass
class DispatchReport:
    """What one dispatcher pass did."""

    claimed: int = 0
    sent: int = 0
    messages: int = 0
    failed: int = 0
    blocked: int = 0
    deferred: int = 0
    cancelled: int = 0
    sent_ids: list[int] = field(default_factory=list)


# ----------------------------------------------------------------------------- claiming


def _is_pg(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def _claim_where(
    session: AsyncSession,
    conditions: Sequence[ColumnElement[bool]],
    *,
    worker: str,
    lease_until: dt.datetime,
    limit: int | None,
) -> list[Claimed]:
    """Claim rows matching `conditions`, oldest due first, skipping rows others hold."""
    pick = select(FollowUp.id).where(*conditions).order_by(FollowUp.due_at, FollowUp.id)
    if limit is not None:
        pick = pick.limit(limit)
    stmt = update(FollowUp).values(
        status="claimed",
        claimed_by=worker,
        lease_until=lease_until,
        tries=FollowUp.tries + 1,
    )
    if _is_pg(session):
        # Lock the picked rows, skipping those another worker has locked: two workers never
        # pick the same row, and neither waits for the other.
        ids = list((await session.scalars(pick.with_for_update(skip_locked=True))).all())
        if not ids:
            return []
        stmt = stmt.where(FollowUp.id.in_(ids))
    else:
        # SQLite: one statement under the write lock (BEGIN IMMEDIATE) is atomic.
        stmt = stmt.where(FollowUp.id.in_(pick.scalar_subquery()))
    stmt = stmt.returning(
        FollowUp.id, FollowUp.user_id, FollowUp.skill_id, FollowUp.due_at, FollowUp.tries
    ).execution_options(synchronize_session=False)
    rows = (await session.execute(stmt)).all()
    return [Claimed(*row) for row in rows]


async def claim_due(
    session: AsyncSession,
    *,
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta = LEASE,
    limit: int = BATCH,
) -> list[Claimed]:
    """Claim up to `limit` due follow-ups (and the same learners' other due ones); commit.

    Rows whose claim expired (their worker died) come first. A row claimed too often is
    given up as failed instead of being returned.
    """
    lease_until = now + lease
    expired = await _claim_where(
        session,
        [FollowUp.status == "claimed", FollowUp.lease_until < now],
        worker=worker,
        lease_until=lease_until,
        limit=limit,
    )
    claimed = list(expired)
    if len(claimed) < limit:
        claimed += await _claim_where(
            session,
            [FollowUp.status == "pending", FollowUp.due_at <= now],
            worker=worker,
            lease_until=lease_until,
            limit=limit - len(claimed),
        )
    users = sorted({c.user_id for c in claimed})
    if users:
        # One message per learner: their other due skills go in the same message.
        claimed += await _claim_where(
            session,
            [
                FollowUp.status == "pending",
                FollowUp.due_at <= now,
                FollowUp.user_id.in_(users),
            ],
            worker=worker,
            lease_until=lease_until,
            limit=None,
        )
    worn = [c.id for c in claimed if c.tries > rules.MAX_TRIES]
    if worn:
        await session.execute(
            update(FollowUp)
            .where(FollowUp.id.in_(worn))
            .values(
                status="failed", lease_until=None, error=f"gave up after {rules.MAX_TRIES} tries"
            )
            .execution_options(synchronize_session=False)
        )
    await session.commit()
    return [c for c in claimed if c.tries <= rules.MAX_TRIES]


# ------------------------------------------------------------------ building deliveries


async def _release(
    session: AsyncSession, ids: Sequence[int], *, worker: str, due_at: dt.datetime
) -> None:
    """Give claimed rows back as pending, due at `due_at`; the claim did not count as a try."""
    await session.execute(
        update(FollowUp)
        .where(FollowUp.id.in_(ids), FollowUp.claimed_by == worker, FollowUp.status == "claimed")
        .values(
            status="pending",
            due_at=due_at,
            claimed_by=None,
            lease_until=None,
            tries=FollowUp.tries - 1,
        )
        .execution_options(synchronize_session=False)
    )


async def _cancel(session: AsyncSession, ids: Sequence[int], *, reason: str) -> None:
    await session.execute(
        update(FollowUp)
        .where(FollowUp.id.in_(ids), FollowUp.status == "claimed")
        .values(status="cancelled", lease_until=None, error=reason)
        .execution_options(synchronize_session=False)
    )


async def _sittings(
    session: AsyncSession, user_ids: Sequence[int]
) -> dict[int, dt.datetime | None]:
    """When each learner was last shown an item that is still open."""
    rows = await session.execute(
        select(Attempt.user_id, func.max(Attempt.presented_at))
        .where(
            Attempt.user_id.in_(user_ids),
            Attempt.finished_at.is_(None),
            Attempt.current_item_id.is_not(None),
        )
        .group_by(Attempt.user_id)
    )
    return {user_id: presented for user_id, presented in rows.all()}


async def _candidates(
    session: AsyncSession, user_ids: Sequence[int], skills: Sequence[str]
) -> dict[tuple[int, str], list[rules.Candidate]]:
    """Practice items per (learner, skill): newest versions of the quizzes each may take,
    with when the learner last answered each item. A few queries for a whole batch.
    """
    newest = (
        select(QuizVersion.quiz_id, func.max(QuizVersion.number).label("number"))
        .group_by(QuizVersion.quiz_id)
        .subquery()
    )
    items = (
        await session.execute(
            select(Item.id, Item.skill_id, Item.key, Quiz.id, Quiz.is_public, Quiz.owner_id)
            .join(QuizVersion, QuizVersion.id == Item.quiz_version_id)
            .join(
                newest,
                and_(
                    newest.c.quiz_id == QuizVersion.quiz_id,
                    newest.c.number == QuizVersion.number,
                ),
            )
            .join(Quiz, Quiz.id == QuizVersion.quiz_id)
            .where(Item.skill_id.in_(skills))
            .order_by(Item.id)
        )
    ).all()
    # Quizzes that are not public are open to the cohorts they are given to.
    cohort_quizzes: dict[int, set[int]] = defaultdict(set)
    if any(not public for *_, public, _owner in items):
        for user_id, quiz_id in (
            await session.execute(
                select(CohortMember.user_id, QuizCohort.quiz_id)
                .join(QuizCohort, QuizCohort.cohort_id == CohortMember.cohort_id)
                .where(CohortMember.user_id.in_(user_ids))
            )
        ).all():
            cohort_quizzes[user_id].add(quiz_id)
    # An item keeps its key across versions of a quiz: answers to an older version count.
    history = await session.execute(
        select(Answer.user_id, QuizVersion.quiz_id, Item.key, func.max(Answer.answered_at))
        .join(Item, Item.id == Answer.item_id)
        .join(QuizVersion, QuizVersion.id == Item.quiz_version_id)
        .where(Answer.user_id.in_(user_ids), Answer.skill_id.in_(skills))
        .group_by(Answer.user_id, QuizVersion.quiz_id, Item.key)
    )
    answered = {(u, q, key): last for u, q, key, last in history.all()}
    found: dict[tuple[int, str], list[rules.Candidate]] = defaultdict(list)
    for user_id in user_ids:
        for item_id, skill_id, key, quiz_id, public, owner_id in items:
            if public or owner_id == user_id or quiz_id in cohort_quizzes[user_id]:
                last = answered.get((user_id, quiz_id, key))
                found[user_id, skill_id].append(rules.Candidate(item_id, last))
    return found


async def _practice_view(session: AsyncSession, followup_id: int, item_id: int) -> ItemView:
    """A follow-up's practice item as shown; the follow-up's id orders its options."""
    item = await content.item(session, item_id)
    version = await content.version(session, item.quiz_version_id)
    return await item_views.item_view(
        session, item, version, seed=followup_id, followup_id=followup_id
    )


async def prepare_deliveries(
    session: AsyncSession,
    *,
    claimed: Sequence[Claimed],
    worker: str,
    now: dt.datetime,
    scale: float,
    report: DispatchReport | None = None,
) -> list[FollowUpDelivery]:
    """Turn claimed rows into one message per learner; defer or cancel the rest; commit.

    A learner mid-sitting gets theirs after the sitting; one who turned lessons off or is
    inactive has theirs cancelled. Each skill in the message gets a practice item (stored on
    its row): the first is in the message, the others follow as each is answered.
    """
    report = report or DispatchReport()
    by_user: dict[int, list[Claimed]] = defaultdict(list)
    for row in claimed:
        by_user[row.user_id].append(row)
    if not by_user:
        return []
    users = {
        u.id: u for u in (await session.scalars(select(User).where(User.id.in_(by_user)))).all()
    }
    sittings = await _sittings(session, list(by_user))
    skills = {s.id: s for s in (await session.scalars(select(Skill))).all()}
    ready: list[tuple[User, list[Claimed]]] = []
    for user_id, rows in sorted(by_user.items()):
        rows.sort(key=lambda r: (r.due_at, r.id))
        ids = [r.id for r in rows]
        user = users.get(user_id)
        if user is None or not followup_plans.wants_followups(user):
            await _cancel(session, ids, reason="lessons off or learner inactive")
            report.cancelled += len(ids)
            continue
        until = rules.sitting_until(sittings.get(user_id), now)
        if until is not None:
            window = followup_plans.window_of(user)
            await _release(session, ids, worker=worker, due_at=rules.into_window(until, window))
            report.deferred += len(ids)
            continue
        ready.append((user, rows[: rules.MAX_SKILLS_PER_MESSAGE]))
        later = [r.id for r in rows[rules.MAX_SKILLS_PER_MESSAGE :]]
        if later:
            # Not a burst: the rest come in a later message, an hour (scaled) from now.
            gap = rules.scaled_due(now=now, model_due=now + rules.NEXT_MESSAGE_GAP, scale=scale)
            await _release(
                session,
                later,
                worker=worker,
                due_at=rules.into_window(gap, followup_plans.window_of(user)),
            )
            report.deferred += len(later)
    candidates = await _candidates(
        session, [u.id for u, _ in ready], sorted({r.skill_id for _, rows in ready for r in rows})
    )
    chosen: dict[int, int] = {}  # follow-up id -> practice item id
    for user, rows in ready:
        taken: set[int] = set()
        for row in rows:
            item_id = rules.choose_item(
                candidates.get((user.id, row.skill_id), []), taken=frozenset(taken), seed=row.id
            )
            if item_id is not None:
                taken.add(item_id)
                chosen[row.id] = item_id
    if chosen:
        await session.execute(
            update(FollowUp), [{"id": fid, "item_id": iid} for fid, iid in chosen.items()]
        )
    deliveries: list[FollowUpDelivery] = []
    for user, rows in ready:
        assert user.telegram_id is not None
        first = next((r.id for r in rows if r.id in chosen), None)
        practice: ItemView | None = None
        if first is not None:
            practice = await _practice_view(session, first, chosen[first])
        deliveries.append(
            FollowUpDelivery(
                user_id=user.id,
                chat_id=user.telegram_id,
                followup_ids=tuple(r.id for r in rows),
                lessons=tuple(
                    SkillLesson(skill.id, skill.name, skill.lesson)
                    for r in rows
                    if (skill := skills.get(r.skill_id)) is not None
                ),
                practice=practice,
            )
        )
    await session.commit()
    return deliveries


# ------------------------------------------------------------------------ outcomes


async def mark_sent(
    session: AsyncSession, *, ids: Sequence[int], worker: str, now: dt.datetime
) -> int:
    """Record that this worker sent its claimed rows; return how many it still held."""
    result = await session.execute(
        update(FollowUp)
        .where(FollowUp.id.in_(ids), FollowUp.status == "claimed", FollowUp.claimed_by == worker)
        .values(status="sent", sent_at=now, lease_until=None, error=None)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def mark_failed(
    session: AsyncSession, *, ids: Sequence[int], worker: str, now: dt.datetime, error: str
) -> int:
    """Put rows whose sending failed back with a backoff, or give them up; return failed."""
    rows = (
        await session.scalars(
            select(FollowUp).where(
                FollowUp.id.in_(ids),
                FollowUp.status == "claimed",
                FollowUp.claimed_by == worker,
            )
        )
    ).all()
    given_up = 0
    for row in rows:
        row.error = error[:500]
        row.claimed_by = None
        row.lease_until = None
        if rules.gives_up(row.tries):
            row.status = "failed"
            given_up += 1
        else:
            row.status = "pending"
            row.due_at = now + rules.retry_delay(row.tries)
    await session.commit()
    return given_up


# ------------------------------------------------------------------------ dispatching


async def dispatch_due_followups(
    sessions: async_sessionmaker[AsyncSession],
    *,
    worker: str,
    clock: Clock,
    send: Send,
    scale: float,
    limit: int = BATCH,
    lease: dt.timedelta = LEASE,
    max_batches: int | None = None,
) -> DispatchReport:
    """One dispatcher pass: claim due follow-ups batch by batch, send them, mark them.

    Stops when a batch comes back short (nothing more is due) or after `max_batches`.
    `send` raises RecipientBlockedError for a learner who blocked the bot, and any other
    exception for a failure worth retrying.
    """
    report = DispatchReport()
    gate = asyncio.Semaphore(SEND_CONCURRENCY)
    # SQLite has one writer at a time, and a waiting writer sleeps in steps: taking turns
    # here is much faster than letting 32 marks wait on the file lock.
    writes = _WriteTurns(sessions)
    batches = 0
    messaged: set[int] = set()  # learners sent (or being sent) a message in this pass
    in_flight: set[asyncio.Task[None]] = set()
    while max_batches is None or batches < max_batches:
        batches += 1
        now = clock()
        async with sessions() as session:
            claimed = await claim_due(session, worker=worker, now=now, lease=lease, limit=limit)
        if not claimed:
            break
        report.claimed += len(claimed)
        again = [c.id for c in claimed if c.user_id in messaged]
        if again:
            # Planned after this pass began (a quick answer): one message per pass per learner.
            async with sessions() as session:
                await _release(session, again, worker=worker, due_at=now + NEXT_PASS)
                await session.commit()
            report.deferred += len(again)
        async with sessions() as session:
            deliveries = await prepare_deliveries(
                session,
                claimed=[c for c in claimed if c.user_id not in messaged],
                worker=worker,
                now=now,
                scale=scale,
                report=report,
            )
        lease_end = now + lease

        async def deliver(delivery: FollowUpDelivery, lease_end: dt.datetime = lease_end) -> None:
            async with gate:
                await _deliver(writes, delivery, worker, clock, send, report, lease_end)

        for delivery in deliveries:
            messaged.add(delivery.user_id)
            in_flight.add(asyncio.create_task(deliver(delivery)))
        if len(claimed) < limit:
            break
        # Claim the next batch while the last messages of this one are still going out, so
        # the sending never pauses for a claim.
        while len(in_flight) > SEND_CONCURRENCY:
            _done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            for task in _done:
                task.result()
    await asyncio.gather(*in_flight)
    return report


class _WriteTurns:
    """Sessions for the marks after sending; on SQLite one at a time in this process."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._lock: asyncio.Lock | None = None
        bind = sessions.kw.get("bind")
        if bind is not None and bind.dialect.name == "sqlite":
            self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        async with contextlib.AsyncExitStack() as stack:
            if self._lock is not None:
                await stack.enter_async_context(self._lock)
            yield await stack.enter_async_context(self._sessions())


async def _deliver(
    sessions: _WriteTurns,
    delivery: FollowUpDelivery,
    worker: str,
    clock: Clock,
    send: Send,
    report: DispatchReport,
    lease_end: dt.datetime,
) -> None:
    ids = list(delivery.followup_ids)
    if clock() >= lease_end:
        # Another worker may have taken these over by now; sending could duplicate them.
        log.warning("lease of follow-ups %s ran out before sending; leaving them", ids)
        return
    try:
        await send(delivery)
    except RecipientBlockedError:
        async with sessions() as session:
            await learners.mark_blocked(session, telegram_id=delivery.chat_id, now=clock())
        report.blocked += 1
        return
    except Exception as exc:  # any failure of one send must not stop the others
        log.warning("follow-up %s to user %s failed: %s", ids, delivery.user_id, exc)
        async with sessions() as session:
            report.failed += await mark_failed(
                session, ids=ids, worker=worker, now=clock(), error=str(exc) or type(exc).__name__
            )
        return
    async with sessions() as session:
        marked = await mark_sent(session, ids=ids, worker=worker, now=clock())
    if marked != len(ids):
        log.info("follow-ups %s: %d of %d still held when marked sent", ids, marked, len(ids))
    report.messages += 1
    report.sent += marked
    report.sent_ids.extend(ids)


# ---------------------------------------------------------------------- practice answers


async def _own_followup(session: AsyncSession, user_id: int, followup_id: int) -> FollowUp:
    row = (
        await session.scalars(select(FollowUp).where(FollowUp.id == followup_id).with_for_update())
    ).one_or_none()
    if row is None:
        raise LessonGoneError
    if row.user_id != user_id:
        raise NotYourButtonsError(ButtonsOf.LESSON)
    if row.status == "answered":
        raise AlreadyAnsweredError
    if row.item_id is None or row.status not in ("sent", "claimed"):
        raise ItemClosedError(ButtonsOf.LESSON)
    return row


async def open_practice(session: AsyncSession, *, user_id: int, followup_id: int) -> ItemView:
    """The practice item of a follow-up, checked to be this learner's and still open."""
    row = await _own_followup(session, user_id, followup_id)
    assert row.item_id is not None
    view = await _practice_view(session, row.id, row.item_id)
    await session.rollback()  # read only; releases the row lock on PostgreSQL
    return view


async def answer_practice(
    session: AsyncSession,
    *,
    user_id: int,
    followup_id: int,
    chosen: list[int],
    now: dt.datetime,
    delay_scale: float = 1.0,
) -> PracticeResult:
    """Grade a follow-up's practice item once, feed the memory model, plan the next one.

    The answer's next_item is the practice item of the next skill of the same message.
    """
    row = await _own_followup(session, user_id, followup_id)
    assert row.item_id is not None
    item = await content.item(session, row.item_id)
    grading.check_choice(item.kind, len(item.options), chosen)
    correct = grading.grade(item.correct_indices, chosen)
    sent_at = row.sent_at or now
    await attempts.record_answer(
        session,
        user_id=user_id,
        item=item,
        chosen=chosen,
        correct=correct,
        shown_at=sent_at,
        now=now,
        followup_id=row.id,
    )
    row.status = "answered"
    row.answered_at = now
    row.sent_at = sent_at
    row.lease_until = None
    await attempts.record_skill_review(
        session,
        user_id=user_id,
        skill_id=item.skill_id,
        correct=correct,
        now=now,
        delay_scale=delay_scale,
    )
    view = await _practice_view(session, row.id, item.id)
    siblings = await _message_rows(session, row)
    next_view = await _next_practice(session, row, siblings)
    lessons = await _lessons_of(session, row, siblings)
    await session.commit()
    result = item_views.answer_result(view, item, chosen, correct, next_view)
    return PracticeResult(answer=result, lessons=lessons)


async def _message_rows(session: AsyncSession, row: FollowUp) -> list[FollowUp]:
    """The rows sent in the same message as `row` (marked sent together), in message order."""
    found = (
        await session.scalars(
            select(FollowUp)
            .where(FollowUp.user_id == row.user_id, FollowUp.sent_at == row.sent_at)
            .order_by(FollowUp.due_at, FollowUp.id)
        )
    ).all()
    return list(found)


async def _next_practice(
    session: AsyncSession, row: FollowUp, siblings: Sequence[FollowUp]
) -> ItemView | None:
    """The next unanswered practice item of the message `row` came in."""
    following = next(
        (s for s in siblings if s.id != row.id and s.status == "sent" and s.item_id is not None),
        None,
    )
    if following is None or following.item_id is None:
        return None
    return await _practice_view(session, following.id, following.item_id)


async def _lessons_of(
    session: AsyncSession, row: FollowUp, siblings: Sequence[FollowUp]
) -> tuple[SkillLesson, ...]:
    """The message's lessons if `row`'s item is the one shown in the message itself."""
    first = next((s for s in siblings if s.item_id is not None), None)
    if first is None or first.id != row.id:
        return ()
    skills = {
        s.id: s
        for s in (
            await session.scalars(
                select(Skill).where(Skill.id.in_([r.skill_id for r in siblings]))
            )
        ).all()
    }
    return tuple(
        SkillLesson(s.id, s.name, s.lesson)
        for r in siblings
        if (s := skills.get(r.skill_id)) is not None
    )


# ----------------------------------------------------------------------- /lessons


async def _status(session: AsyncSession, user: User) -> LessonsStatus:
    nxt = (
        await session.execute(
            select(FollowUp.due_at, Skill.name)
            .join(Skill, Skill.id == FollowUp.skill_id)
            .where(FollowUp.user_id == user.id, FollowUp.status.in_(followup_plans.OPEN))
            .order_by(FollowUp.due_at)
            .limit(1)
        )
    ).first()
    pending = await session.scalar(
        select(func.count())
        .select_from(FollowUp)
        .where(FollowUp.user_id == user.id, FollowUp.status.in_(followup_plans.OPEN))
    )
    window = followup_plans.window_of(user)
    return LessonsStatus(
        enabled=user.lessons_enabled,
        timezone=user.timezone,
        window_start_hour=user.window_start_hour,
        window_end_hour=user.window_end_hour,
        window_label=rules.window_label(window),
        next_due_at=nxt[0] if nxt else None,
        next_skill=nxt[1] if nxt else None,
        pending=int(pending or 0),
    )


async def next_due(session: AsyncSession, *, user_id: int) -> LessonsStatus:
    """What /lessons shows: on or off, the next follow-up due, the daily window."""
    user = await session.get_one(User, user_id)
    status = await _status(session, user)
    await session.rollback()
    return status


async def set_window(
    session: AsyncSession, *, user_id: int, preset: str, now: dt.datetime
) -> LessonsStatus:
    """Set the learner's daily window to one of the presets; pending follow-ups move into it."""
    if preset not in rules.WINDOW_PRESETS:
        raise UnknownWindowError(preset)
    _, start, end = rules.WINDOW_PRESETS[preset]
    user = await session.get_one(User, user_id)
    user.window_start_hour, user.window_end_hour = start, end
    await followup_plans.rewindow_for_user(session, user=user, now=now)
    status = await _status(session, user)
    await session.commit()
    return status


async def set_timezone(
    session: AsyncSession, *, user_id: int, name: str, now: dt.datetime
) -> LessonsStatus:
    """Set the learner's time zone (an IANA name such as Europe/Berlin)."""
    tz = rules.zone(name)  # or UnknownTimezoneError
    user = await session.get_one(User, user_id)
    user.timezone = tz.key
    await followup_plans.rewindow_for_user(session, user=user, now=now)
    status = await _status(session, user)
    await session.commit()
    return status


# ------------------------------------------------------------------------ statistics


def _within_day(session: AsyncSession) -> ColumnElement[bool]:
    if _is_pg(session):
        return FollowUp.answered_at <= FollowUp.sent_at + literal(DAY, type_=Interval())
    # SQLite keeps datetimes as text; julianday() turns them into days.
    return func.julianday(FollowUp.answered_at) - func.julianday(FollowUp.sent_at) <= 1.0


async def followup_stats(
    session: AsyncSession,
    *,
    now: dt.datetime,
    users: Select[Any] | None = None,
    since: dt.datetime | None = None,
) -> FollowUpStats:
    """Follow-ups by state, and the share of learners who answered one within a day.

    `users` (a select of user ids) and `since` (planned since) narrow it to a report's scope.
    """
    conds: list[ColumnElement[bool]] = []
    if users is not None:
        conds.append(FollowUp.user_id.in_(users))
    if since is not None:
        conds.append(FollowUp.created_at >= since)
    rows = await session.execute(
        select(FollowUp.status, func.count()).where(*conds).group_by(FollowUp.status)
    )
    counts: dict[str, int] = {status: int(n) for status, n in rows.all()}
    quick = func.max(
        case((and_(FollowUp.answered_at.is_not(None), _within_day(session)), 1), else_=0)
    )
    per_user = (
        select(FollowUp.user_id, quick.label("quick"))
        .where(
            *conds,
            FollowUp.sent_at.is_not(None),
            or_(FollowUp.sent_at <= now - DAY, FollowUp.answered_at.is_not(None)),
        )
        .group_by(FollowUp.user_id)
        .subquery()
    )
    learners_sent, learners_quick = (
        await session.execute(
            select(
                func.count(), func.coalesce(func.sum(func.cast(per_user.c.quick, Integer)), 0)
            ).select_from(per_user)
        )
    ).one()
    answered = int(counts.get("answered", 0))
    return FollowUpStats(
        pending=int(counts.get("pending", 0)) + int(counts.get("claimed", 0)),
        sent=int(counts.get("sent", 0)) + answered,
        failed=int(counts.get("failed", 0)),
        cancelled=int(counts.get("cancelled", 0)),
        answered=answered,
        answered_within_day_share=(
            int(learners_quick) / int(learners_sent) if learners_sent else None
        ),
    )
