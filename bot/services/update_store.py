"""Stored updates (the inbox): each update is stored before it is confirmed, then processed.

PTB's own polling confirms an update (by asking for the next offset) before its handler has
run, and its webhook answers 200 first; a crash in between would lose the update. Here an
update is committed to this table first, and only then confirmed; processing reads from the
table and marks each row, so a restart finishes what was left and skips what was done.

Over 400 lines: one table's whole life (store, claim under a lease, mark, prune behind a
watermark), where each step's SQL must agree with the others on what a row's columns mean.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dialect import insert_for, is_postgresql
from bot.db.errors import is_data_error
from bot.db.models import InboxUpdate, InboxWatermark
from bot.domain.updates import clean_payload, clean_text, valid_update_id

log = logging.getLogger(__name__)


def chat_of(payload: dict[str, Any]) -> int | None:
    """The chat an update belongs to (its order is kept per chat), or None."""
    for key in ("message", "edited_message", "callback_query", "my_chat_member"):
        part = payload.get(key)
        if isinstance(part, dict):
            if key == "callback_query":
                part = part.get("message") or {}
            chat = part.get("chat") if isinstance(part, dict) else None
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
    return None


async def store_updates(
    session: AsyncSession, payloads: Sequence[dict[str, Any]], *, now: dt.datetime
) -> dict[int, dict[str, Any]]:
    """Store updates durably; return the new ones to process, by id, as stored.

    An update Telegram delivers again (its confirmation was lost) is not new: it was, or
    will be, processed from the first copy. Text a database cannot hold (NUL, lone
    surrogates) is cleaned first; the copy returned is then the cleaned one, and an update
    that was clean is returned as the very object given. An update the database still
    refuses for its data is kept as failed, with the reason and without the user's data,
    and one that cannot be stored at all (an update_id beyond int64) is only logged: both
    are left out of the result, and the rest of the batch is stored. An outage (the
    database unreachable, restarting, locked) is raised, and nothing is stored.
    """
    rows = []
    for payload in payloads:
        update_id = payload.get("update_id")
        if not valid_update_id(update_id):
            log.error("update %r not stored: its update_id is out of range", update_id)
            continue
        assert isinstance(update_id, int)
        stored = clean_payload(payload)
        if stored is not payload:
            log.warning("update %s: stored with NUL or lone surrogates replaced", update_id)
        rows.append(_row(update_id, stored, now=now))
    if not rows:
        return {}
    try:
        new = await _insert(session, rows)
        new -= await _seen_before(session, new, now=now)
        await session.commit()
    except Exception as exc:
        await session.rollback()
        if not is_data_error(exc):
            raise
        new = await _store_one_by_one(session, rows, now=now)
    by_id = {row["update_id"]: row["payload"] for row in rows}
    return {update_id: by_id[update_id] for update_id in sorted(new)}


def _row(update_id: int, payload: dict[str, Any], *, now: dt.datetime) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "payload": payload,
        "chat_id": chat_of(payload),
        "received_at": now,
        "tries": 0,
    }


async def _insert(session: AsyncSession, rows: list[dict[str, Any]]) -> set[int]:
    insert = insert_for(session)
    stmt = (
        insert(InboxUpdate)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(InboxUpdate.update_id)
    )
    return set((await session.scalars(stmt)).all())


async def _store_one_by_one(
    session: AsyncSession, rows: list[dict[str, Any]], *, now: dt.datetime
) -> set[int]:
    """Store a batch the database refused row by row; keep the refused rows as failed.

    Each row gets a savepoint, and the batch is still one transaction: an outage halfway
    stores none of it, so a retry of the whole batch finds every update new again.
    """
    new: set[int] = set()
    for row in rows:
        update_id = row["update_id"]
        try:
            async with session.begin_nested():
                new |= await _insert(session, [row])
            continue
        except Exception as exc:
            if not is_data_error(exc):
                raise
            reason = _reason(exc)
        log.error("update %s not stored (%s); kept as failed", update_id, reason)
        failed = _row(update_id, {"update_id": update_id}, now=now)
        failed.update(chat_id=None, processed_at=now, error=f"not stored: {reason}")
        try:
            async with session.begin_nested():
                await _insert(session, [failed])
        except Exception as exc:
            if not is_data_error(exc):
                raise
            log.error("update %s could not be kept as failed either: %s", update_id, exc)
    new -= await _seen_before(session, new, now=now)
    await session.commit()
    return new


def _reason(exc: BaseException) -> str:
    """The first line of what the database said, short and storable."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    text = lines[0] if lines else type(cause).__name__
    return clean_text(text)[:200]


async def _seen_before(
    session: AsyncSession, update_ids: set[int], *, now: dt.datetime
) -> set[int]:
    """Of updates just inserted, those at or below the watermark: pruned copies; undone.

    Read after the insert, in its transaction: a prune that deleted the first copy has
    either committed its watermark by now, or had not deleted that copy yet (and the insert
    found the conflict).
    """
    if not update_ids:
        return set()
    mark = await _watermark(session, now=now)
    if mark is None:
        return set()
    late = {update_id for update_id in update_ids if update_id <= mark}
    if late:
        await session.execute(delete(InboxUpdate).where(InboxUpdate.update_id.in_(late)))
    return late


async def _watermark(session: AsyncSession, *, now: dt.datetime) -> int | None:
    return await session.scalar(
        select(InboxWatermark.update_id).where(
            InboxWatermark.name == WATERMARK, InboxWatermark.expires_at > now
        )
    )


@dataclass(frozen=True)
class Waiting:
    """Work left in the inbox: a chat (or a chatless update) whose head can be claimed."""

    chat_id: int | None
    update_id: int


async def receive_update(
    session: AsyncSession, payload: dict[str, Any], *, now: dt.datetime
) -> Waiting | None:
    """Store one update and say which chat's queue it joined; None if it is not to be processed.

    A redelivered update joins its chat's queue again (its first copy may be waiting there);
    one refused for its data does not (see `store_updates`).
    """
    new = await store_updates(session, [payload], now=now)
    update_id = int(payload["update_id"])
    if update_id in new:
        return Waiting(chat_of(new[update_id]), update_id)
    # Delivered before: the first copy may still be waiting, unless it was refused.
    kept = await session.scalar(
        select(InboxUpdate.update_id).where(
            InboxUpdate.update_id == update_id, InboxUpdate.error.is_(None)
        )
    )
    await session.commit()
    return None if kept is None else Waiting(chat_of(payload), update_id)


@dataclass(frozen=True)
class StoredUpdate:
    """An update waiting in the inbox."""

    update_id: int
    payload: dict[str, Any]
    chat_id: int | None
    tries: int


async def unprocessed_updates(session: AsyncSession) -> list[StoredUpdate]:
    """Every update not processed yet, in the order Telegram sent them (start-up leftovers).

    They are few: a poller stops fetching while too many wait, so a crash leaves at most
    that many and a batch.
    """
    stmt = (
        select(InboxUpdate.update_id, InboxUpdate.payload, InboxUpdate.chat_id, InboxUpdate.tries)
        .where(InboxUpdate.processed_at.is_(None))
        .order_by(InboxUpdate.update_id)
    )
    rows = (await session.execute(stmt)).all()
    await session.commit()
    return [StoredUpdate(*row) for row in rows]


async def record_progress(
    session: AsyncSession,
    *,
    started: Collection[int] = (),
    outcomes: dict[int, str | None] | None = None,
    now: dt.datetime,
) -> None:
    """Count a try for updates about to be processed, and mark handled ones, in one commit.

    A try is counted when processing starts, and committed before it does: an update that
    kills the process is found with its tries counted after the restart, and given up after
    a few, while updates still waiting their turn when the process stopped keep theirs.
    `outcomes` maps handled updates to their error (None: handled fine).
    """
    outcomes = outcomes or {}
    if is_postgresql(session) and len(set(started) | set(outcomes)) > 1:
        # Its rows locked in update order first, as /forgetme deletes a learner's: taken
        # statement by statement instead, the two could deadlock.
        await session.execute(
            select(InboxUpdate.update_id)
            .where(InboxUpdate.update_id.in_(sorted(set(started) | set(outcomes))))
            .order_by(InboxUpdate.update_id)
            .with_for_update()
        )
    if started:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id.in_(list(started)), InboxUpdate.processed_at.is_(None))
            .values(tries=InboxUpdate.tries + 1)
        )
    fine = [update_id for update_id, error in outcomes.items() if error is None]
    if fine:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id.in_(fine))
            .values(processed_at=now, error=None)
        )
    for update_id, error in outcomes.items():
        if error is not None:
            await session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.update_id == update_id)
                .values(processed_at=now, error=clean_text(error))
            )
    await session.commit()


async def next_offset(session: AsyncSession, *, now: dt.datetime) -> int | None:
    """The getUpdates offset that confirms everything already stored (or pruned)."""
    highest = await session.scalar(select(func.max(InboxUpdate.update_id)))
    mark = await _watermark(session, now=now)
    await session.commit()
    known = [value for value in (highest, mark) if value is not None]
    return max(known) + 1 if known else None


# --------------------------------------------------------------- retention
#
# Processed rows hold users' names and messages. They are kept for a while (a late duplicate
# is recognised by its row; a failure can be looked into), then deleted. The highest id
# deleted is kept as a watermark, so that a copy Telegram sends after its row is gone is
# still known, for as long as Telegram could still send one.

WATERMARK = "pruned"
# Telegram keeps an update for 24 hours at most; a day more is the margin.
DUPLICATE_WINDOW = dt.timedelta(days=2)
PRUNE_BATCH = 2_000  # rows per transaction: short locks, and short holds of SQLite's loop


async def prune_processed(session: AsyncSession, *, now: dt.datetime, keep: dt.timedelta) -> int:
    """Delete updates processed more than `keep` ago; return how many were deleted."""
    cutoff = now - keep
    deleted = 0
    while True:
        ids = (
            await session.scalars(
                select(InboxUpdate.update_id)
                .where(InboxUpdate.processed_at < cutoff)
                .order_by(InboxUpdate.update_id)
                .limit(PRUNE_BATCH)
            )
        ).all()
        if not ids:
            await session.commit()
            return deleted
        await _raise_watermark(session, max(ids), now=now)
        await session.execute(delete(InboxUpdate).where(InboxUpdate.update_id.in_(ids)))
        await session.commit()
        deleted += len(ids)


async def _raise_watermark(session: AsyncSession, update_id: int, *, now: dt.datetime) -> None:
    """Raise the watermark to `update_id` (never lower it, unless it had lapsed)."""
    insert = insert_for(session)
    stmt = insert(InboxWatermark).values(
        name=WATERMARK, update_id=update_id, expires_at=now + DUPLICATE_WINDOW
    )
    current = InboxWatermark.__table__.c
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={
            # In the statement, so that two workers pruning at once keep the higher one. A
            # lapsed watermark is replaced outright: Telegram's ids may have started again.
            "update_id": case(
                (
                    or_(current.expires_at <= now, current.update_id < stmt.excluded.update_id),
                    stmt.excluded.update_id,
                ),
                else_=current.update_id,
            ),
            "expires_at": stmt.excluded.expires_at,
        },
    )
    await session.execute(stmt)


# --------------------------------------------------------------- several workers
#
# Webhook workers share the inbox. A worker processes a chat by claiming the oldest
# unprocessed update of that chat, and only when nobody else holds a live claim on it: the
# head of a chat's queue is claimed by one worker at a time, so one learner's updates are
# applied one after another in update_id order, whichever worker received them. A claim is
# a lease: a worker that dies mid-update leaves it to be claimed again once the lease ends.


async def claim_next(
    session: AsyncSession,
    *,
    chat_id: int | None,
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta,
    update_id: int | None = None,
) -> StoredUpdate | None:
    """Claim the oldest unprocessed update of a chat, or None when it is empty or held.

    Updates without a chat have no order to keep; they are claimed by `update_id`.
    """
    claimable = and_(
        InboxUpdate.processed_at.is_(None),
        or_(InboxUpdate.claimed_by.is_(None), InboxUpdate.lease_until < now),
    )
    if chat_id is None:
        if update_id is None:
            raise ValueError("an update without a chat is claimed by its update_id")
        target: Any = update_id
    else:
        target = (
            select(func.min(InboxUpdate.update_id))
            .where(InboxUpdate.chat_id == chat_id, InboxUpdate.processed_at.is_(None))
            .scalar_subquery()
        )
    stmt = (
        update(InboxUpdate)
        .where(InboxUpdate.update_id == target, claimable)
        .values(claimed_by=worker, lease_until=now + lease, tries=InboxUpdate.tries + 1)
        .returning(
            InboxUpdate.update_id, InboxUpdate.payload, InboxUpdate.chat_id, InboxUpdate.tries
        )
    )
    row = (await session.execute(stmt)).one_or_none()
    await session.commit()
    if row is None:
        return None
    # `tries` now counts this try; StoredUpdate.tries counts the earlier ones.
    return StoredUpdate(int(row[0]), row[1], row[2], int(row[3]) - 1)


async def extend_claim(
    session: AsyncSession,
    update_id: int,
    *,
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta,
) -> bool:
    """Renew the lease of an update still being processed; False when the claim was lost."""
    result = await session.execute(
        update(InboxUpdate)
        .where(
            InboxUpdate.update_id == update_id,
            InboxUpdate.claimed_by == worker,
            InboxUpdate.processed_at.is_(None),
        )
        .values(lease_until=now + lease)
    )
    await session.commit()
    return bool(getattr(result, "rowcount", 0))


async def finish_claimed(
    session: AsyncSession,
    update_id: int,
    *,
    worker: str,
    now: dt.datetime,
    error: str | None = None,
) -> bool:
    """Mark a claimed update processed; False when the claim had been lost to another worker."""
    result = await session.execute(
        update(InboxUpdate)
        .where(
            InboxUpdate.update_id == update_id,
            InboxUpdate.claimed_by == worker,
            InboxUpdate.processed_at.is_(None),
        )
        .values(processed_at=now, error=error and clean_text(error), lease_until=None)
    )
    await session.commit()
    return bool(getattr(result, "rowcount", 0))


async def waiting_work(
    session: AsyncSession, *, now: dt.datetime, received_before: dt.datetime, limit: int = 100
) -> list[Waiting]:
    """Chats with claimable updates received before a time, oldest first (for the sweeper).

    A chat whose head is held under a live lease is left alone: its worker is on it.
    """
    head = (
        select(InboxUpdate.chat_id, func.min(InboxUpdate.update_id).label("update_id"))
        .where(InboxUpdate.processed_at.is_(None), InboxUpdate.chat_id.is_not(None))
        .group_by(InboxUpdate.chat_id)
        .subquery()
    )
    chats = (
        select(head.c.chat_id, head.c.update_id)
        .join(InboxUpdate, InboxUpdate.update_id == head.c.update_id)
        .where(
            InboxUpdate.received_at < received_before,
            or_(InboxUpdate.claimed_by.is_(None), InboxUpdate.lease_until < now),
        )
        .order_by(head.c.update_id)
        .limit(limit)
    )
    chatless = (
        select(InboxUpdate.update_id)
        .where(
            InboxUpdate.chat_id.is_(None),
            InboxUpdate.processed_at.is_(None),
            InboxUpdate.received_at < received_before,
            or_(InboxUpdate.claimed_by.is_(None), InboxUpdate.lease_until < now),
        )
        .order_by(InboxUpdate.update_id)
        .limit(limit)
    )
    found = [Waiting(int(c), int(u)) for c, u in (await session.execute(chats)).all()]
    found += [Waiting(None, int(u)) for u in (await session.scalars(chatless)).all()]
    return sorted(found, key=lambda w: w.update_id)[:limit]


@dataclass(frozen=True)
class InboxCounts:
    """How much of the inbox is waiting, for monitoring."""

    unprocessed: int
    failed: int


async def inbox_counts(session: AsyncSession) -> InboxCounts:
    """Count unprocessed updates and those given up with an error."""
    unprocessed = await session.scalar(
        select(func.count()).where(InboxUpdate.processed_at.is_(None))
    )
    failed = await session.scalar(select(func.count()).where(InboxUpdate.error.is_not(None)))
    return InboxCounts(unprocessed=int(unprocessed or 0), failed=int(failed or 0))
