"""The shared send budget: one token bucket in PostgreSQL for every process."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.db.engine import make_engine, make_sessionmaker
from bot.runtime import Runtime
from bot.services import send_budget

# Several processes share only a PostgreSQL database.
ONLY_POSTGRESQL = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


async def _reserve(runtime: Runtime, *, rate: float, burst: float, name: str = "t") -> float:
    async with runtime.sessions() as session:
        return await send_budget.reserve_send(session, rate=rate, burst=burst, name=name)


async def test_the_bucket_gives_a_burst_then_paces_at_the_rate(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "postgresql":
        with pytest.raises(send_budget.SharedBudgetUnsupported):
            await _reserve(runtime, rate=10, burst=3)
        return
    waits = [await _reserve(runtime, rate=10, burst=3) for _ in range(6)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    # Each later reservation waits one more tenth of a second (less the time spent here).
    for n, wait in enumerate(waits[3:], start=1):
        assert 0.1 * n - 0.05 < wait <= 0.1 * n + 0.001


@ONLY_POSTGRESQL
async def test_processes_share_one_budget(runtime: Runtime) -> None:
    """Four engines (as four processes) sending 40 messages at 20/s take about 1.75 s."""
    rate, burst, per_worker = 20.0, 5.0, 10
    sent: list[float] = []

    async def worker() -> None:
        engine = make_engine(runtime.settings.database_url)
        sessions = make_sessionmaker(engine)
        try:
            for _ in range(per_worker):
                async with sessions() as session:
                    wait = await send_budget.reserve_send(
                        session, rate=rate, burst=burst, name="shared"
                    )
                await asyncio.sleep(wait)
                sent.append(time.monotonic())
        finally:
            await engine.dispose()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(4)))
    elapsed = time.monotonic() - started
    assert len(sent) == 40
    expected = (40 - burst) / rate  # the burst goes at once, the rest at the rate
    assert expected - 0.1 < elapsed < expected + 1.0
    # Never more than burst + rate messages in any one second.
    sent.sort()
    for i, t in enumerate(sent):
        in_window = sum(1 for u in sent[i:] if u - t < 1.0)
        assert in_window <= burst + rate
