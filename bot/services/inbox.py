"""The update inbox: every Telegram update is stored before it is confirmed, then processed.

PTB's own polling confirms an update (by asking for the next offset) before its handler has
run, and its webhook answers 200 first; a crash in between would lose the update. Here an
update is committed to this table first, and only then confirmed; processing reads from the
table and marks each row, so a restart finishes what was left and skips what was done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import InboxUpdate


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
) -> set[int]:
    """Store updates durably, ignoring update ids already stored; return the new ones' ids.

    An update Telegram delivers again (its confirmation was lost) is not new: it was, or
    will be, processed from the first copy.
    """
    if not payloads:
        return set()
    rows = [
        {
            "update_id": int(p["update_id"]),
            "payload": p,
            "chat_id": chat_of(p),
            "received_at": now,
            "tries": 0,
        }
        for p in payloads
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(InboxUpdate)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(InboxUpdate.update_id)
    )
    new = set((await session.scalars(stmt)).all())
    await session.commit()
    return new


@dataclass(frozen=True)
class Waiting:
    """Work left in the inbox: a chat (or a chatless update) whose head can be claimed."""

    chat_id: int | None
    update_id: int


async def receive_update(
    session: AsyncSession, payload: dict[str, Any], *, now: dt.datetime
) -> Waiting:
    """Store one update (a redelivered one is ignored) and say which chat's queue it joined."""
    await store_updates(session, [payload], now=now)
    return Waiting(chat_of(payload), int(payload["update_id"]))


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


async def count_restart(session: AsyncSession) -> int:
    """Count one more try for every update left unprocessed by an earlier run.

    A poller processes each update once within a run (handler errors are caught), so only a
    crash leaves an update behind: counting at start-up, rather than before every update,
    spares a commit per update and still gives up an update that kills the process again
    and again.
    """
    result = await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.processed_at.is_(None))
        .values(tries=InboxUpdate.tries + 1)
    )
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def mark_many_processed(
    session: AsyncSession, outcomes: dict[int, str | None], *, now: dt.datetime
) -> None:
    """Record several handled updates in one transaction (error None: handled fine)."""
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
                .values(processed_at=now, error=error)
            )
    await session.commit()


async def next_offset(session: AsyncSession) -> int | None:
    """The getUpdates offset that confirms everything already stored."""
    highest = await session.scalar(select(func.max(InboxUpdate.update_id)))
    return None if highest is None else int(highest) + 1


async def prune_processed(session: AsyncSession, *, older_than: dt.datetime) -> int:
    """Delete processed updates received before a time (they hold users' messages)."""
    result = await session.execute(
        delete(InboxUpdate).where(
            InboxUpdate.processed_at.is_not(None), InboxUpdate.received_at < older_than
        )
    )
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


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
        .values(processed_at=now, error=error, lease_until=None)
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
