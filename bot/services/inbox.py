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

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import InboxUpdate


def _chat_id(payload: dict[str, Any]) -> int | None:
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
) -> int:
    """Store updates durably, ignoring update ids already stored; return how many were new."""
    if not payloads:
        return 0
    rows = [
        {
            "update_id": int(p["update_id"]),
            "payload": p,
            "chat_id": _chat_id(p),
            "received_at": now,
            "tries": 0,
        }
        for p in payloads
    ]
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(InboxUpdate).values(rows).on_conflict_do_nothing(index_elements=["update_id"])
    result = await session.execute(stmt)
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class StoredUpdate:
    """An update waiting in the inbox."""

    update_id: int
    payload: dict[str, Any]
    chat_id: int | None
    tries: int


async def pending_updates(session: AsyncSession, *, limit: int = 100) -> list[StoredUpdate]:
    """Unprocessed updates in the order Telegram sent them."""
    stmt = (
        select(InboxUpdate)
        .where(InboxUpdate.processed_at.is_(None))
        .order_by(InboxUpdate.update_id)
        .limit(limit)
    )
    return [
        StoredUpdate(r.update_id, r.payload, r.chat_id, r.tries)
        for r in (await session.scalars(stmt)).all()
    ]


async def claim_update(session: AsyncSession, update_id: int) -> None:
    """Count a processing try (a row tried too often is poison and is given up)."""
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id)
        .values(tries=InboxUpdate.tries + 1)
    )
    await session.commit()


async def mark_processed(
    session: AsyncSession, update_id: int, *, now: dt.datetime, error: str | None = None
) -> None:
    """Record that an update was handled (or given up, with the error)."""
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
