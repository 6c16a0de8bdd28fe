"""One send budget for every bot process: a token bucket in a PostgreSQL row.

Telegram allows about 30 messages a second per bot, whatever the number of processes
sending them. Each send reserves a token with one atomic statement; when the bucket is empty
the reservation still succeeds but pushes the balance below zero, and the caller waits until
its token has dripped in. Reservations are thus served in the order the row lock grants
them, and no process needs to know how many others there are.

The bucket is timed by the database's clock, so processes on different hosts agree on it.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dialect import is_postgresql

GLOBAL = "global"

# LEAST(burst, ...) refills at `rate` tokens a second up to `burst`; the `- 1` is this send.
# A token lost in a crash costs nothing, so the commit need not wait for the disk
# (set_config(..., true) lasts until the end of this transaction).
_RESERVE = text(
    """
    INSERT INTO send_budget (name, tokens, refreshed_at)
    SELECT :name, CAST(:burst AS double precision) - 1, clock_timestamp()
    FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_disk_wait
    ON CONFLICT (name) DO UPDATE SET
        tokens = LEAST(
            CAST(:burst AS double precision),
            send_budget.tokens
            + CAST(EXTRACT(EPOCH FROM clock_timestamp() - send_budget.refreshed_at)
                AS double precision) * CAST(:rate AS double precision)
        ) - 1,
        refreshed_at = clock_timestamp()
    RETURNING tokens
    """
)


class SharedBudgetUnsupported(Exception):
    """The database cannot hold a shared budget (SQLite serves a single process)."""


async def reserve_send(
    session: AsyncSession, *, rate: float, burst: float, name: str = GLOBAL
) -> float:
    """Reserve one send from the shared bucket; return the seconds to wait before sending."""
    if not is_postgresql(session):
        raise SharedBudgetUnsupported("a shared send budget needs PostgreSQL")
    if rate <= 0:
        raise ValueError("rate must be positive")
    tokens = await session.scalar(_RESERVE, {"name": name, "rate": rate, "burst": burst})
    await session.commit()
    balance = float(tokens if tokens is not None else 0.0)
    return 0.0 if balance >= 0 else -balance / rate
