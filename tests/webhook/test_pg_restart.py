"""Two `quizbot webhook` workers while PostgreSQL restarts under them: nothing lost or doubled.

The restart is `pg_ctl restart -m fast` on a private PostgreSQL server started for this
test (tests/pg_private.py): restarting the shared one would break other test runs.
bench/bench_soak.py is the long version, with kill -9s and Telegram's 429s and 5xx too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.db_support import IN_CI, migrate
from tests.e2e.harness import TOKEN
from tests.fakes import FakeTelegramServer
from tests.pg_private import PrivatePostgres, unavailable_reason
from tests.webhook.harness import eventually, free_port
from tests.webhook.soak import Courier, Learner, Press, WorkerSet, check, drained

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

LEARNERS = 5
ANSWERS = 12  # each: past two round summaries, so Continue presses are in the run too
LEASE = "5"  # seconds: a claim left by a failed mark is taken over soon (60 by default)


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of this test's own, stopped and removed afterwards."""
    reason = unavailable_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"{reason} (CI must run the PostgreSQL tests)")
        pytest.skip(f"{reason}; install the PostgreSQL server to run this test")
    with PrivatePostgres() as server:
        yield server


async def test_two_workers_lose_nothing_when_postgresql_restarts(
    private_pg: PrivatePostgres, tmp_path: Path
) -> None:
    url = await private_pg.create_database("quizbot")
    await migrate(url)
    presses: list[Press] = []
    async with FakeTelegramServer(TOKEN, webhook_auto_delivery=False) as server:
        workers = WorkerSet(
            server.url,
            url,
            count=2,
            log_dir=tmp_path,
            ports=[free_port(), free_port()],
            env={
                "QUIZBOT_INBOX_LEASE_SECONDS": LEASE,
                "QUIZBOT_MAX_SEND_RATE": "1000",
                "QUIZBOT_SEND_BURST": "100",
            },
        )
        try:
            await workers.start_all()
            async with Courier(workers.urls) as courier:
                learners = [
                    Learner(
                        server,
                        server.user(5100 + n, f"R{n}"),
                        courier,
                        seed=n,
                        patience=30,
                        presses=presses,
                    )
                    for n in range(LEARNERS)
                ]
                stop = asyncio.Event()
                plays = [
                    asyncio.create_task(learner.play(stop, max_presses=ANSWERS))
                    for learner in learners
                ]
                # While every learner is mid-quiz, a third of the way through.
                await eventually(
                    lambda: (
                        len(presses) >= LEARNERS * ANSWERS // 3 or any(p.done() for p in plays)
                    ),
                    60,
                    "the learners to get going",
                )
                began = time.monotonic()
                await asyncio.to_thread(private_pg.restart)
                restart_seconds = time.monotonic() - began
                await asyncio.gather(*plays)
            assert await drained(url, 30), "updates left unprocessed\n" + workers.logs()
            assert workers.exited() == [], workers.logs()
            codes = await workers.terminate_all()
            outcome = await check(url, server, presses)
        finally:
            workers.close()
    logs = workers.logs()
    assert codes == [0, 0], logs
    assert outcome.ok, f"{outcome.summary()}\n{outcome}\n{logs}"
    assert outcome.expected == LEARNERS * ANSWERS
    stats = [learner.stats for learner in learners]
    assert all(s.apologies == s.refusals == s.stalls == s.ignored == 0 for s in stats), (
        f"{stats}\n{logs}"
    )
    # 503 is what a worker answers while the database is away (Telegram sends again).
    assert set(courier.outcomes) <= {"200", "503"}, f"{courier.outcomes}\n{logs}"
    assert private_pg.restarts == 1
    assert restart_seconds < 30
