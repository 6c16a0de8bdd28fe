"""`quizbot webhook` processes: killed workers lose nothing, two workers keep every guarantee."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import select

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import Answer, FollowUp, InboxUpdate, Item, User
from bot.domain.clock import utc_now
from bot.runtime import Runtime
from tests.db_support import PG_HOST, PG_PORT, PG_USER
from tests.e2e.harness import TOKEN, answer_buttons
from tests.e2e.test_learner_flow import next_item
from tests.fakes import ChatMessage, FakeTelegramServer, FakeUser
from tests.webhook.harness import WorkerProcess, eventually, free_port, start_worker
from tests.webhook.proxy import RoundRobinProxy

pytestmark = pytest.mark.slow

ONLY_POSTGRESQL = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def workers() -> Iterator[list[WorkerProcess]]:
    """Worker processes started by a test; every one is killed at teardown."""
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.close()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Runtime]:
    """Sessions on the test database, for checking what the workers stored."""
    from tests.e2e.harness import make_settings

    engine = make_engine(database_url)
    try:
        yield Runtime(
            settings=make_settings(database_url, "http://127.0.0.1:9"),
            engine=engine,
            sessions=make_sessionmaker(engine),
            clock=utc_now,
        )
    finally:
        await engine.dispose()


async def _inbox(db: Runtime) -> list[InboxUpdate]:
    async with db.sessions() as session:
        return list((await session.scalars(select(InboxUpdate))).all())


def _launch(
    workers: list[WorkerProcess],
    server: FakeTelegramServer,
    database_url: str,
    tmp_path: Path,
    *,
    public_url: str | None = None,
    port: int | None = None,
    **env: str,
) -> WorkerProcess:
    port = port or free_port()
    worker = start_worker(
        server.url,
        database_url,
        public_url=public_url or f"http://127.0.0.1:{port}/telegram",
        port=port,
        log_dir=tmp_path,
        env=env,
    )
    workers.append(worker)
    return worker


async def test_a_worker_killed_while_processing_loses_nothing(
    fake_telegram: FakeTelegramServer,
    database_url: str,
    db: Runtime,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    """Killed after answering 200: another worker takes the update over when the lease ends."""
    lease = {"QUIZBOT_INBOX_LEASE_SECONDS": "2"}
    first = _launch(workers, fake_telegram, database_url, tmp_path, **lease)
    await first.wait_ready()
    ana = fake_telegram.user(811, "Ana")
    ana.send_text("/start")
    await ana.wait_for_message("Hi Ana", timeout=15)

    # The item message hangs in Telegram, so /quiz is mid-processing when the worker dies.
    fake_telegram.faults.add("sendMessage", "delay", seconds=30, chat_id=811)
    ana.send_text("/quiz")

    async def claimed() -> bool:
        rows = [r for r in await _inbox(db) if r.processed_at is None]
        return bool(rows) and rows[0].claimed_by is not None

    await eventually(claimed, 15, "the worker to claim /quiz")
    await eventually(lambda: not fake_telegram.faults, 15, "the item message to hang")
    first.kill()

    second = _launch(workers, fake_telegram, database_url, tmp_path, **lease)
    await second.wait_ready()
    item = await ana.wait_for_message("Question 1 of", timeout=15)
    assert item.buttons

    async def all_done() -> list[InboxUpdate] | None:
        rows = await _inbox(db)
        return rows if all(r.processed_at is not None for r in rows) else None

    rows = await eventually(all_done, 15, "every update processed")
    quiz = max(rows, key=lambda r: r.update_id)
    assert quiz.tries == 2, "tried by the dead worker, then done by the second"
    assert quiz.error is None
    items = [m for m in ana.messages() if m.content.startswith("Question")]
    assert len(items) == 1, "the item was sent once"
    assert not fake_telegram.rejected
    assert await second.terminate() == 0, second.log()[-3000:]


@ONLY_POSTGRESQL
async def test_a_worker_killed_mid_request_loses_nothing(
    fake_telegram: FakeTelegramServer,
    database_url: str,
    db: Runtime,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    """Killed before answering: Telegram delivers again, the other worker processes it once."""
    ports = [free_port(), free_port()]
    async with RoundRobinProxy([f"http://127.0.0.1:{p}" for p in ports]) as proxy:
        url = f"{proxy.url}/telegram"
        pair = [
            _launch(workers, fake_telegram, database_url, tmp_path, public_url=url, port=p)
            for p in ports
        ]
        await asyncio.gather(*(w.wait_ready() for w in pair))
        ana = fake_telegram.user(812, "Ana")
        ana.send_text("/start")
        await ana.wait_for_message("Hi Ana", timeout=15)

        # Hold the inbox so the next POST hangs inside the worker, before its 200.
        name = db.engine.url.database
        lock = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database=name)
        try:
            transaction = lock.transaction()
            await transaction.start()
            await lock.execute("LOCK TABLE inbox_updates IN SHARE ROW EXCLUSIVE MODE")
            ana.send_text("/quiz")

            async def blocked_worker() -> WorkerProcess | None:
                waiting = await lock.fetchval(
                    "SELECT count(*) FROM pg_locks"
                    " WHERE NOT granted AND relation = 'inbox_updates'::regclass"
                )
                busy = [w for w in pair if proxy.in_flight[w.base_url] > 0]
                return busy[0] if waiting and len(busy) == 1 else None

            victim = await eventually(blocked_worker, 15, "a worker stuck storing /quiz")
            victim.kill()
            await eventually(
                lambda: any(d.status == 502 for d in fake_telegram.webhook_deliveries),
                15,
                "Telegram to see the failed delivery",
            )
        finally:
            await transaction.rollback()
            await lock.close()

        item = await ana.wait_for_message("Question 1 of", timeout=15)
        assert item.buttons
        survivor = next(w for w in pair if w is not victim)

        async def all_done() -> list[InboxUpdate] | None:
            rows = await _inbox(db)
            return rows if len(rows) == 2 and all(r.processed_at for r in rows) else None

        rows = await eventually(all_done, 15, "both updates processed")
        assert [r.tries for r in rows] == [1, 1]
        assert all(r.error is None for r in rows)
        assert len([m for m in ana.messages() if m.content.startswith("Question")]) == 1
        assert not fake_telegram.rejected
        assert await survivor.terminate() == 0, survivor.log()[-3000:]


# ------------------------------------------------------- two workers, many learners


TAPS = 3  # presses per item: the answer, then two more taps on other options


def _taps(message: ChatMessage, rng: random.Random) -> tuple[list[str], list[int]]:
    """Different final answers for one item (a learner tapping on), and what the first chose."""
    buttons = answer_buttons(message)
    data = str(buttons[0]["callback_data"])
    _, attempt, item_id, _ = data.split(":")
    if data.startswith("ans:"):
        options = rng.sample(range(len(buttons)), min(TAPS, len(buttons)))
        options += options[1:] * TAPS  # two-option items repeat the second tap
        return [f"ans:{attempt}:{item_id}:{o}" for o in options[:TAPS]], [options[0]]
    masks = rng.sample(range(1, 1 << len(buttons)), TAPS)
    chosen = [i for i in range(len(buttons)) if masks[0] >> i & 1]
    return [f"sub:{attempt}:{item_id}:{m:x}" for m in masks], chosen


async def _play(user: FakeUser, items: int, seed: int) -> list[tuple[int, list[int]]]:
    """Answer `items` items, tapping each TAPS times at once; return (item, first choice)."""
    rng = random.Random(seed)
    expected: list[tuple[int, list[int]]] = []
    user.send_text("/quiz")
    item = await next_item(user)
    for number in range(1, items + 1):
        taps, chosen = _taps(item, rng)
        presses = [user.press_data(item, data) for data in taps]
        expected.append((int(taps[0].split(":")[2]), chosen))
        for press in presses:
            await user.wait_for_answer(press, timeout=60)
        if number == items:
            break
        if number % 5 == 0:
            summary = await user.wait_for_message("Round done", timeout=60)
            user.press(summary, "Continue ▶")
        item = await user.wait_for_message(
            lambda m, old=item.message_id: (
                m.message_id != old and m.content.startswith("Question") and bool(m.buttons)
            ),
            timeout=60,
        )
    return expected


@ONLY_POSTGRESQL
async def test_two_workers_keep_every_guarantee_over_a_thousand_updates(
    fake_telegram: FakeTelegramServer,
    database_url: str,
    db: Runtime,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    learners, items = 20, 16  # 20 x (/quiz + 3 taps x 16 items + 3 Continue) = 1,040 updates
    ports = [free_port(), free_port()]
    async with RoundRobinProxy([f"http://127.0.0.1:{p}" for p in ports]) as proxy:
        pair = [
            _launch(
                workers,
                fake_telegram,
                database_url,
                tmp_path,
                public_url=f"{proxy.url}/telegram",
                port=p,
                QUIZBOT_MAX_SEND_RATE="1000",
                QUIZBOT_SEND_BURST="100",
                # These learners tap as fast as a machine can: no person's limit applies.
                QUIZBOT_USER_BURST="1000",
            )
            for p in ports
        ]
        await asyncio.gather(*(w.wait_ready() for w in pair))
        users = [fake_telegram.user(9000 + n, f"L{n}") for n in range(learners)]
        plays = await asyncio.gather(*(_play(u, items, n) for n, u in enumerate(users)))

        async def all_done() -> list[InboxUpdate] | None:
            rows = await _inbox(db)
            return rows if all(r.processed_at for r in rows) else None

        rows = await eventually(all_done, 30, "every update processed")
        assert sum(proxy.forwarded.values()) >= 1000
        assert all(proxy.forwarded[w.base_url] > 400 for w in pair), proxy.forwarded
        terminated = await asyncio.gather(*(w.terminate() for w in pair))
    assert terminated == [0, 0], "\n".join(w.log()[-3000:] for w in pair)

    assert len(rows) == learners * (1 + TAPS * items + 3) >= 1000
    assert all(r.tries == 1 and r.error is None for r in rows), "each update processed once"
    assert len({r.claimed_by for r in rows}) == 2, "both workers processed updates"
    async with db.sessions() as session:
        answers = (
            await session.execute(
                select(User.telegram_id, Answer.item_id, Answer.chosen)
                .join(User, User.id == Answer.user_id)
                .order_by(Answer.id)
            )
        ).all()
        kinds = dict((await session.execute(select(Item.id, Item.kind))).all())
    assert len(answers) == learners * items, "every answer recorded once"
    for user, expected in zip(users, plays, strict=True):
        recorded = [(i, list(c)) for t, i, c in answers if t == user.user_id]
        # In order, and the first of each burst of taps is the one that counts.
        assert recorded == expected, f"learner {user.user_id}"
    assert {kinds[i] for _, i, _ in answers} >= {"single", "multiple"}
    assert not fake_telegram.rejected


@ONLY_POSTGRESQL
async def test_workers_share_one_send_budget_and_log_json_without_the_token(
    fake_telegram: FakeTelegramServer,
    database_url: str,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    rate, burst, learners = 10, 2, 30
    ports = [free_port(), free_port()]
    async with RoundRobinProxy([f"http://127.0.0.1:{p}" for p in ports]) as proxy:
        pair = [
            _launch(
                workers,
                fake_telegram,
                database_url,
                tmp_path,
                public_url=f"{proxy.url}/telegram",
                port=p,
                QUIZBOT_MAX_SEND_RATE=str(rate),
                QUIZBOT_SEND_BURST=str(burst),
                QUIZBOT_LOG_FORMAT="json",
            )
            for p in ports
        ]
        await asyncio.gather(*(w.wait_ready() for w in pair))
        # One 502 from Telegram: the retry is logged inside the update's processing.
        fake_telegram.faults.add("sendMessage", "server_error", status=502, chat_id=7000)
        users = [fake_telegram.user(7000 + n, f"S{n}") for n in range(learners)]
        for user in users:
            user.send_text("/start")
        await asyncio.gather(*(u.wait_for_message("Hi", timeout=30) for u in users))
        assert all(proxy.forwarded[w.base_url] >= 10 for w in pair), proxy.forwarded
        terminated = await asyncio.gather(*(w.terminate() for w in pair))
    assert terminated == [0, 0], "\n".join(w.log()[-3000:] for w in pair)

    sends = sorted(
        c.at for c in fake_telegram.calls_of("sendMessage") if c.status == 200 and not c.injected
    )
    assert len(sends) == learners
    # Apart, two workers at 10/s each would take 1.4 s; sharing 10/s it takes 2.8 s or more.
    assert sends[-1] - sends[0] >= (learners - burst) / rate - 0.3
    for i, t in enumerate(sends):
        assert sum(1 for u in sends[i:] if u - t < 1.0) <= rate + burst

    lines = [line for w in pair for line in w.log().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert not [line for line in lines if TOKEN in line or "TEST-TOKEN" in line]
    retried = [r for r in records if "retry" in r["message"] and "sendMessage" in r["message"]]
    assert retried, "the 502 was retried and logged"
    assert all(isinstance(r.get("update_id"), int) for r in retried)
    assert any("serving @" in r["message"] for r in records)


@ONLY_POSTGRESQL
async def test_two_workers_send_each_follow_up_once(
    fake_telegram: FakeTelegramServer,
    database_url: str,
    db: Runtime,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    """Both workers run the follow-up dispatcher on the same rows: one message per learner."""
    learners = 40
    users = [fake_telegram.user(6000 + n, f"F{n}") for n in range(learners)]
    pair = [
        _launch(
            workers,
            fake_telegram,
            database_url,
            tmp_path,
            QUIZBOT_DISPATCH_INTERVAL="0.2",
            QUIZBOT_MAX_SEND_RATE="1000",
        )
        for _ in range(2)
    ]
    await asyncio.gather(*(w.wait_ready() for w in pair))
    # Learners who answered before (their follow-ups are due now); any time of day suits them.
    now = utc_now()
    async with db.sessions() as session:
        session.add_all(
            User(
                telegram_id=u.user_id,
                first_name=u.first_name,
                is_active=True,
                lessons_enabled=True,
                created_at=now,
                last_seen_at=now,
                window_start_hour=0,
                window_end_hour=24,
            )
            for u in users
        )
        await session.flush()
        ids = (await session.scalars(select(User.id))).all()
        session.add_all(
            FollowUp(
                user_id=uid, skill_id="sourcing", status="pending", due_at=now, created_at=now
            )
            for uid in ids
        )
        await session.commit()

    async def all_sent() -> bool:
        async with db.sessions() as session:
            statuses = (await session.scalars(select(FollowUp.status))).all()
        return set(statuses) == {"sent"}

    await eventually(all_sent, 30, "every follow-up sent")
    terminated = await asyncio.gather(*(w.terminate() for w in pair))
    assert terminated == [0, 0], "\n".join(w.log()[-3000:] for w in pair)
    # Whichever worker's pass came first sent them; none was sent twice.
    assert [len(u.messages()) for u in users] == [1] * learners, "one message each"
    assert not fake_telegram.rejected
