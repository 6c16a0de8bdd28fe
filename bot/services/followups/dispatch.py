"""Dispatcher passes: claim due follow-ups, build one message per learner, send, mark.

The schedule is the `followups` table (see docs/followups.md). A dispatcher pass claims due
rows under a lease (claims.py), builds one message per learner with its lessons and a
practice item (practice.py), hands it to a sender (the Telegram adapter, or a test's
recording sender), and marks the rows sent, failed or cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Integer, and_, bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import Base
from bot.db.dialect import is_sqlite
from bot.db.models import (
    Answer,
    Attempt,
    CohortMember,
    Item,
    Quiz,
    QuizCohort,
    QuizVersion,
    User,
)
from bot.domain import followups as rules
from bot.domain.clock import Clock
from bot.services import content, learners
from bot.services.attempts.answer import LEARNER_COLUMNS, LearnerSettings
from bot.services.followups import plans
from bot.services.followups.claims import (
    BATCH,
    FOLLOWUPS,
    LEASE,
    Claimed,
    cancel,
    claim_due,
    mark_failed,
    mark_sent,
    release,
)
from bot.services.followups.practice import practice_view
from bot.services.views import FollowUpDelivery, ItemView, SkillLesson

log = logging.getLogger(__name__)

SEND_CONCURRENCY = 32  # messages in flight; the rate limiter paces them to Telegram's cap


class RecipientBlockedError(Exception):
    """The learner blocked the bot (Telegram answered 403): stop sending to them."""


class DeliveryError(Exception):
    """Sending failed for a reason that may pass; the follow-up is retried later."""


Send = Callable[[FollowUpDelivery], Awaitable[None]]


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


# ------------------------------------------------------------------ building deliveries


# The reads and the write of a batch, built once: a pass runs every half minute, and building
# them each time cost more than running them. They are written on the tables' columns, not
# the ORM classes': Session.execute then skips the ORM's compile and result set-up.
_USERS = Base.metadata.tables[User.__tablename__]
_ATTEMPTS = Base.metadata.tables[Attempt.__tablename__]
_ANSWERS = Base.metadata.tables[Answer.__tablename__]
_ITEMS = Base.metadata.tables[Item.__tablename__]
_QUIZZES = Base.metadata.tables[Quiz.__tablename__]
_VERSIONS = Base.metadata.tables[QuizVersion.__tablename__]
_MEMBERS = Base.metadata.tables[CohortMember.__tablename__]
_COHORT_QUIZ = Base.metadata.tables[QuizCohort.__tablename__]
_LEARNERS = select(_USERS.c.id, *LEARNER_COLUMNS).where(
    _USERS.c.id.in_(bindparam("batch_users", expanding=True))
)
_SITTINGS = (
    select(_ATTEMPTS.c.user_id, func.max(_ATTEMPTS.c.presented_at))
    .where(
        _ATTEMPTS.c.user_id.in_(bindparam("batch_users", expanding=True)),
        _ATTEMPTS.c.finished_at.is_(None),
        _ATTEMPTS.c.current_item_id.is_not(None),
    )
    .group_by(_ATTEMPTS.c.user_id)
)
_NEWEST = (
    select(_VERSIONS.c.quiz_id, func.max(_VERSIONS.c.number).label("number"))
    .group_by(_VERSIONS.c.quiz_id)
    .subquery()
)
_PRACTICE_ITEMS = (
    select(
        _ITEMS.c.id,
        _ITEMS.c.skill_id,
        _ITEMS.c.key,
        _QUIZZES.c.id,
        _QUIZZES.c.is_public,
        _QUIZZES.c.owner_id,
    )
    .join(_VERSIONS, _VERSIONS.c.id == _ITEMS.c.quiz_version_id)
    .join(
        _NEWEST,
        and_(_NEWEST.c.quiz_id == _VERSIONS.c.quiz_id, _NEWEST.c.number == _VERSIONS.c.number),
    )
    .join(_QUIZZES, _QUIZZES.c.id == _VERSIONS.c.quiz_id)
    # A test form's items would be seen before the test: never practice items.
    .where(
        _ITEMS.c.skill_id.in_(bindparam("batch_skills", expanding=True)),
        _QUIZZES.c.assessment_set.is_(None),
    )
    .order_by(_ITEMS.c.id)
)
_COHORT_QUIZZES = (
    select(_MEMBERS.c.user_id, _COHORT_QUIZ.c.quiz_id)
    .join(_COHORT_QUIZ, _COHORT_QUIZ.c.cohort_id == _MEMBERS.c.cohort_id)
    .where(_MEMBERS.c.user_id.in_(bindparam("batch_users", expanding=True)))
)
# An item keeps its key across versions of a quiz: answers to an older version count. Only
# each learner's own skills in the message: every row read costs a row and a timestamp to
# convert, and the batch's skills crossed with its learners were a fifth of a pass's time.
_HISTORY = (
    select(_ANSWERS.c.user_id, _VERSIONS.c.quiz_id, _ITEMS.c.key, func.max(_ANSWERS.c.answered_at))
    .join(_ITEMS, _ITEMS.c.id == _ANSWERS.c.item_id)
    .join(_VERSIONS, _VERSIONS.c.id == _ITEMS.c.quiz_version_id)
    .where(
        # The learners alone too: it is what the index on answers.user_id can use.
        _ANSWERS.c.user_id.in_(bindparam("batch_users", expanding=True)),
        tuple_(_ANSWERS.c.user_id, _ANSWERS.c.skill_id).in_(
            bindparam("batch_needs", expanding=True)
        ),
    )
    .group_by(_ANSWERS.c.user_id, _VERSIONS.c.quiz_id, _ITEMS.c.key)
)
_LOCK_BATCH = (
    select(FOLLOWUPS.c.id)
    .where(FOLLOWUPS.c.id.in_(bindparam("batch_ids", expanding=True)))
    .order_by(FOLLOWUPS.c.id)
    .with_for_update()
)
_SET_ITEM = (
    update(FOLLOWUPS)
    .where(FOLLOWUPS.c.id == bindparam("followup", type_=Integer))
    .values(item_id=bindparam("item", type_=Integer))
)


async def _learners(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, LearnerSettings]:
    """The follow-up settings of each learner (id -> settings): one read for a batch."""
    rows = await session.execute(_LEARNERS, {"batch_users": list(user_ids)})
    return {row.id: LearnerSettings.of(row) for row in rows}


async def _sittings(
    session: AsyncSession, user_ids: Sequence[int]
) -> dict[int, dt.datetime | None]:
    """When each learner was last shown an item that is still open."""
    rows = await session.execute(_SITTINGS, {"batch_users": list(user_ids)})
    return {user_id: presented for user_id, presented in rows.all()}


async def _candidates(
    session: AsyncSession, needs: Mapping[int, Collection[str]]
) -> dict[tuple[int, str], list[rules.Candidate]]:
    """Practice items per (learner, skill) in `needs` (learner -> skills): newest versions
    of the quizzes each may take, with when the learner last answered each item. A few
    queries for a whole batch.
    """
    pairs = sorted((user_id, skill) for user_id, skills in needs.items() for skill in skills)
    if not pairs:
        return {}
    user_ids = sorted(needs)
    skills = sorted({skill for _, skill in pairs})
    items = (await session.execute(_PRACTICE_ITEMS, {"batch_skills": skills})).all()
    # Quizzes that are not public are open to the cohorts they are given to.
    cohort_quizzes: dict[int, set[int]] = defaultdict(set)
    if any(not public for *_, public, _owner in items):
        for user_id, quiz_id in (
            await session.execute(_COHORT_QUIZZES, {"batch_users": user_ids})
        ).all():
            cohort_quizzes[user_id].add(quiz_id)
    history = await session.execute(_HISTORY, {"batch_users": user_ids, "batch_needs": pairs})
    answered = {(u, q, key): last for u, q, key, last in history.all()}
    found: dict[tuple[int, str], list[rules.Candidate]] = defaultdict(list)
    for user_id in user_ids:
        for item_id, skill_id, key, quiz_id, public, owner_id in items:
            if skill_id not in needs[user_id]:
                continue
            if public or owner_id == user_id or quiz_id in cohort_quizzes[user_id]:
                last = answered.get((user_id, quiz_id, key))
                found[user_id, skill_id].append(rules.Candidate(item_id, last))
    return found


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
    # The batch's rows locked in id order before any is written below (by learner, then by
    # due time): as plans.locked_in_id_order takes them, so no cycle with /lessons off.
    # SQLite has no row locks (a writer holds the whole database): nothing to order there.
    if not is_sqlite(session):
        await session.execute(_LOCK_BATCH, {"batch_ids": [row.id for row in claimed]})
    users = await _learners(session, list(by_user))
    sittings = await _sittings(session, list(by_user))
    ready: list[tuple[int, LearnerSettings, list[Claimed]]] = []
    for user_id, rows in sorted(by_user.items()):
        rows.sort(key=lambda r: (r.due_at, r.id))
        ids = [r.id for r in rows]
        user = users.get(user_id)
        if user is None or not plans.wants_followups(user):
            await cancel(session, ids, reason="lessons off or learner inactive")
            report.cancelled += len(ids)
            continue
        until = rules.sitting_until(sittings.get(user_id), now, scale=scale)
        if until is not None:
            window = plans.window_of(user)
            await release(session, ids, worker=worker, due_at=rules.into_window(until, window))
            report.deferred += len(ids)
            continue
        ready.append((user_id, user, rows[: rules.MAX_SKILLS_PER_MESSAGE]))
        later = [r.id for r in rows[rules.MAX_SKILLS_PER_MESSAGE :]]
        if later:
            # Not a burst: the rest come in a later message, an hour (scaled) from now.
            gap = now + rules.scaled(rules.NEXT_MESSAGE_GAP, scale)
            await release(
                session,
                later,
                worker=worker,
                due_at=rules.into_window(gap, plans.window_of(user)),
            )
            report.deferred += len(later)
    candidates = await _candidates(
        session, {user_id: {r.skill_id for r in rows} for user_id, _, rows in ready}
    )
    chosen: dict[int, int] = {}  # follow-up id -> practice item id
    for user_id, _, rows in ready:
        taken: set[int] = set()
        for row in rows:
            item_id = rules.choose_item(
                candidates.get((user_id, row.skill_id), []), taken=frozenset(taken), seed=row.id
            )
            if item_id is not None:
                taken.add(item_id)
                chosen[row.id] = item_id
    if chosen:
        await session.execute(
            _SET_ITEM, [{"followup": fid, "item": iid} for fid, iid in chosen.items()]
        )
    deliveries: list[FollowUpDelivery] = []
    for user_id, user, rows in ready:
        assert user.telegram_id is not None
        first = next((r.id for r in rows if r.id in chosen), None)
        practice: ItemView | None = None
        if first is not None:
            practice = await practice_view(session, first, chosen[first], user.language)
        # Lessons are per language: each learner's in their own, from the cached catalogue.
        lessons = await content.skill_lessons(session, user.language)
        deliveries.append(
            FollowUpDelivery(
                user_id=user_id,
                chat_id=user.telegram_id,
                language=user.language,
                followup_ids=tuple(r.id for r in rows),
                lessons=tuple(
                    SkillLesson(r.skill_id, *lessons[r.skill_id])
                    for r in rows
                    if r.skill_id in lessons
                ),
                practice=practice,
            )
        )
    await session.commit()
    return deliveries


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
    marks = _SentMarks(writes, worker, clock)
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
            next_pass = now + rules.scaled(rules.NEXT_PASS, scale)
            async with sessions() as session:
                await release(session, again, worker=worker, due_at=next_pass)
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
                await _deliver(writes, marks, delivery, worker, clock, send, report, lease_end)

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
        if bind is not None and is_sqlite(bind):
            self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        async with contextlib.AsyncExitStack() as stack:
            if self._lock is not None:
                await stack.enter_async_context(self._lock)
            yield await stack.enter_async_context(self._sessions())


class _SentMarks:
    """Marks sent messages' rows in as few transactions as the sends allow.

    A message's rows are marked as soon as a transaction can take them: after one turn of
    the loop if no mark is being written, else in the next one, with every other message
    sent meanwhile (a group commit). No mark waits longer than it would for a transaction
    of its own, so a crash can send no more messages twice than before; a pass whose sends
    finish together (the usual case: they are paced, not slow) writes a few transactions,
    not one per message.
    """

    def __init__(self, writes: _WriteTurns, worker: str, clock: Clock) -> None:
        self._writes = writes
        self._worker = worker
        self._clock = clock
        self._turn = asyncio.Lock()
        self._waiting: list[tuple[list[int], asyncio.Future[set[int]]]] = []

    async def mark(self, ids: list[int]) -> set[int]:
        """Mark one message's rows sent; return those this worker still held."""
        mine: asyncio.Future[set[int]] = asyncio.get_running_loop().create_future()
        self._waiting.append((ids, mine))
        async with self._turn:
            if not mine.done():  # no earlier transaction took these rows with its own
                # One turn of the loop for the sends finishing in this one to join: a
                # transaction on SQLite never gives the loop a turn of its own.
                await asyncio.sleep(0)
                group, self._waiting = self._waiting, []
                try:
                    async with self._writes() as session:
                        held = await mark_sent(
                            session,
                            ids=[i for rows, _ in group for i in rows],
                            worker=self._worker,
                            now=self._clock(),
                        )
                except asyncio.CancelledError:
                    # Only this task is cancelled: the next in turn marks the others' rows.
                    self._waiting[:0] = [(rows, f) for rows, f in group if f is not mine]
                    raise
                except Exception as exc:
                    for _, theirs in group:
                        if theirs is not mine:
                            theirs.set_exception(exc)
                    raise
                for rows, theirs in group:
                    theirs.set_result(held.intersection(rows))
        return await mine


async def _deliver(
    sessions: _WriteTurns,
    marks: _SentMarks,
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
    marked = len(await marks.mark(ids))
    if marked != len(ids):
        log.info("follow-ups %s: %d of %d still held when marked sent", ids, marked, len(ids))
    report.messages += 1
    report.sent += marked
    report.sent_ids.extend(ids)
