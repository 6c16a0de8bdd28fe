"""Webhook throughput with 1, 2 and 4 `quizbot webhook` processes on one PostgreSQL (issue 7).

Simulated learners answer items as fast as they can (closed loop: press, wait for the next
item, press again). Each press is POSTed straight to one of the workers, round robin, as
Telegram does through a proxy with up to `max_connections` requests in flight (one per
learner here). Latency is taken from the POST to the moment the fake Bot API answered the
bot's sendMessage of the next item: what the learner waits for.

Who runs where (2 cores): the fake Bot API server and the learners share this process; each
worker is a subprocess; PostgreSQL runs as usual on 127.0.0.1:5432. The CPU columns say who
was busy: CPU-seconds per second of run, summed over that side's processes.

Capacity runs raise the shared send budget far above Telegram's limit
(QUIZBOT_MAX_SEND_RATE=100000: the bucket in PostgreSQL is still consulted for every message,
so its cost is counted, but nobody waits), so the bots' own capacity is measured; a last run
keeps Telegram's 30 messages a second, and its share column says how much of it was used.

    .venv/bin/python bench/bench_webhook.py [--workers 1 2 4] [--learners 40] [--answers 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import asyncpg  # type: ignore[import-untyped]  # noqa: E402

from bot.db.engine import make_engine  # noqa: E402
from bot.db.migrate import upgrade_database  # noqa: E402
from tests.fakes.models import ChatMessage  # noqa: E402
from tests.fakes.telegram_server import FakeTelegramServer, FakeUser  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"
SECRET = "bench-secret-0123456789-abcdefghijklmnop"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_USER_ID = 800_000_001
ROUND_SIZE = 50  # no "Continue" press among the measured answers
TELEGRAM_RATE = 30.0
RAISED_RATE = 100_000  # messages a second: the capacity runs never wait for the budget
SENDING = {"sendmessage", "editmessagetext", "editmessagereplymarkup", "sendphoto", "senddocument"}
ITEM = re.compile(r"^Question \d+ of \d+")


# --------------------------------------------------------------- database and processes


def _admin_url(url: str) -> dict[str, Any]:
    match = re.match(
        r"postgres(?:ql)?://(?P<user>[^@/:]+)@(?P<host>[^:/]+):(?P<port>\d+)/(?P<db>\w+)", url
    )
    if match is None:
        raise SystemExit(f"--pg must look like postgresql://user@host:port/db, not {url}")
    return {
        "user": match["user"],
        "host": match["host"],
        "port": int(match["port"]),
        "database": match["db"],
    }


class Databases:
    """A migrated template database and a fresh copy of it per run."""

    def __init__(self, admin: dict[str, Any]) -> None:
        self.admin = admin
        self.template = f"quizbot_bench_tmpl_{uuid.uuid4().hex[:8]}"
        self.made: list[str] = []

    def url(self, name: str) -> str:
        return (
            f"postgresql://{self.admin['user']}@{self.admin['host']}:{self.admin['port']}/{name}"
        )

    async def _execute(self, sql: str) -> None:
        conn = await asyncpg.connect(**self.admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def prepare(self) -> None:
        await self._execute(f'CREATE DATABASE "{self.template}"')
        self.made.append(self.template)
        engine = make_engine(self.url(self.template))
        try:
            await upgrade_database(engine)
        finally:
            await engine.dispose()

    async def fresh(self) -> str:
        name = f"quizbot_bench_{uuid.uuid4().hex[:8]}"
        await self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.made.append(name)
        return self.url(name)

    async def drop_all(self) -> None:
        for name in reversed(self.made):
            with contextlib.suppress(Exception):
                await self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Worker:
    """One `quizbot webhook` process."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"


def _start_worker(server_url: str, database_url: str, env: dict[str, str], log: Path) -> Worker:
    port = _free_port()
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("QUIZBOT_", "TELEGRAM_"))
    }
    environment.update(
        {
            "DATABASE_URL": database_url,
            "TELEGRAM_API_URL": server_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "QUIZBOT_ROUND_SIZE": str(ROUND_SIZE),
            "QUIZBOT_WEBHOOK_SECRET": SECRET,
            "QUIZBOT_LOG_LEVEL": "WARNING",
            **env,
        }
    )
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "webhook",
                "--url",
                f"http://127.0.0.1:{port}/telegram",
                "--listen",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=tempfile.gettempdir(),
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Worker(port, process)


async def _wait_ready(workers: list[Worker], log: Path, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        for worker in workers:
            while True:
                if worker.process.poll() is not None:
                    raise SystemExit(f"a worker exited at start; see {log}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{worker.port}/readyz") as r:
                        if r.status == 200:
                            break
                if time.monotonic() > deadline:
                    raise SystemExit(f"workers not ready after {timeout} s; see {log}")
                await asyncio.sleep(0.05)


def _stop(workers: list[Worker]) -> None:
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def _backend_pids(admin: dict[str, Any], database: str) -> list[int]:
    """PostgreSQL server processes serving one database (others' work is not counted)."""
    conn = await asyncpg.connect(**admin)
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)
    finally:
        await conn.close()
    return [int(r["pid"]) for r in rows]


class CpuMeter:
    """CPU-seconds used by this process, the workers and the database's server processes."""

    def __init__(self, admin: dict[str, Any], database: str, workers: list[Worker]) -> None:
        self._admin = admin
        self._database = database
        self._workers = [w.process.pid for w in workers]
        self._start: dict[str, float] = {}
        self._pg_start: dict[int, float] = {}

    async def start(self) -> None:
        self._pg_start = {
            pid: _cpu_seconds([pid]) for pid in await _backend_pids(self._admin, self._database)
        }
        self._start = {
            "bench": _cpu_seconds([os.getpid()]),
            "workers": _cpu_seconds(self._workers),
        }

    async def stop(self) -> dict[str, float]:
        used = {
            "bench": _cpu_seconds([os.getpid()]) - self._start["bench"],
            "workers": _cpu_seconds(self._workers) - self._start["workers"],
        }
        pids = await _backend_pids(self._admin, self._database)
        used["pg"] = sum(_cpu_seconds([pid]) - self._pg_start.get(pid, 0.0) for pid in pids)
        return used


# -------------------------------------------------------------------------- learners


def _is_new_item(old: int | None) -> Any:
    def check(message: ChatMessage) -> bool:
        return (
            message.message_id != old
            and bool(ITEM.match(message.content))
            and any(
                str(b.get("callback_data", "")).startswith(("ans:", "tog:"))
                for row in message.buttons
                for b in row
            )
        )

    return check


def _a_press(message: ChatMessage) -> str:
    data = next(
        str(b["callback_data"])
        for row in message.buttons
        for b in row
        if str(b.get("callback_data", "")).startswith(("ans:", "tog:"))
    )
    _, attempt, item, _ = data.split(":")
    return f"ans:{attempt}:{item}:0" if data.startswith("ans:") else f"sub:{attempt}:{item}:1"


@dataclass
class Run:
    """What one configuration measured."""

    workers: int
    updates: int
    seconds: float
    latencies: list[float]
    sends: int
    cpu: dict[str, float]
    load: float  # the machine's 1-minute load average at the end: other work competing

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _learner(
    server: FakeTelegramServer,
    user: FakeUser,
    post: Any,
    answers: int,
    latencies: list[float],
    start: asyncio.Event,
) -> int:
    user.send_text("/quiz")
    await post(server.pending_updates[-1])
    item = await user.wait_for_message(_is_new_item(None), timeout=60)
    await start.wait()
    for _ in range(answers):
        press = user.press_data(item, _a_press(item))
        began = time.monotonic()
        await post(server.update_history[press.update_id])
        item = await user.wait_for_message(_is_new_item(item.message_id), timeout=60)
        latencies.append(time.monotonic() - began)
    return answers


async def measure(
    databases: Databases, *, workers: int, learners: int, answers: int, env: dict[str, str]
) -> Run:
    """Start the workers on a fresh database, let the learners answer, and stop everything."""
    database_url = await databases.fresh()
    log = Path(tempfile.gettempdir()) / f"bench-webhook-{os.getpid()}.log"
    async with FakeTelegramServer(TOKEN, webhook_auto_delivery=False) as server:
        procs = [_start_worker(server.url, database_url, env, log) for _ in range(workers)]
        try:
            await _wait_ready(procs, log)
            urls = [w.url for w in procs]
            turn = iter(range(10**9))
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as http:

                async def post(update: dict[str, Any]) -> None:
                    for attempt in range(3):
                        url = urls[next(turn) % len(urls)]
                        try:
                            async with http.post(url, json=update, headers={HEADER: SECRET}) as r:
                                await r.read()
                                if r.status == 200:
                                    return
                        except aiohttp.ClientConnectionError:
                            # As Telegram does: deliver again (the inbox ignores a copy).
                            if attempt == 2:
                                raise
                    raise RuntimeError("the workers refused an update three times")

                users = [server.user(FIRST_USER_ID + n, f"B{n}") for n in range(learners)]
                latencies: list[float] = []
                start = asyncio.Event()
                tasks = [
                    asyncio.create_task(_learner(server, u, post, answers, latencies, start))
                    for u in users
                ]
                # Everyone has an item on screen before the clock starts.
                while sum(1 for u in users if u.messages()) < learners:
                    await asyncio.sleep(0.05)
                    for task in tasks:
                        if task.done():
                            task.result()
                sends_before = sum(1 for c in server.calls if c.method.lower() in SENDING)
                meter = CpuMeter(databases.admin, database_url.rsplit("/", 1)[1], procs)
                await meter.start()
                began = time.monotonic()
                start.set()
                done = sum(await asyncio.gather(*tasks))
                seconds = time.monotonic() - began
                cpu = await meter.stop()
                sends = sum(1 for c in server.calls if c.method.lower() in SENDING) - sends_before
                if server.rejected:
                    raise RuntimeError(f"Telegram would refuse: {server.rejected[:3]}")
        finally:
            _stop(procs)
    log.unlink(missing_ok=True)  # kept only when the run failed, to read why
    return Run(workers, done, seconds, latencies, sends, cpu, os.getloadavg()[0])


async def reservations(databases: Databases, *, clients: int, each: int) -> tuple[float, float]:
    """Reserve tokens from the shared bucket as fast as `clients` processes can: per second,
    and the mean milliseconds one reservation takes."""
    from bot.db.engine import make_sessionmaker
    from bot.services.send_budget import reserve_send

    url = await databases.fresh()
    engines = [make_engine(url) for _ in range(clients)]
    took: list[float] = []

    async def client(engine: Any) -> None:
        sessions = make_sessionmaker(engine)
        async with sessions() as session:  # warm the pool and the statement cache
            await reserve_send(session, rate=RAISED_RATE, burst=RAISED_RATE, name="bench")
        for _ in range(each):
            began = time.perf_counter()
            async with sessions() as session:
                await reserve_send(session, rate=RAISED_RATE, burst=RAISED_RATE, name="bench")
            took.append(time.perf_counter() - began)

    try:
        began = time.perf_counter()
        await asyncio.gather(*(client(e) for e in engines))
        seconds = time.perf_counter() - began
    finally:
        for engine in engines:
            await engine.dispose()
    return clients * each / seconds, sum(took) / len(took) * 1000


def _row(run: Run, label: str) -> str:
    rate = run.updates / run.seconds
    sends = run.sends / run.seconds
    cpu = {k: v / run.seconds for k, v in run.cpu.items()}
    per_update = {k: v / max(run.updates, 1) * 1000 for k, v in run.cpu.items()}
    return (
        f"| {label} | {run.workers} | {run.updates} | {rate:6.1f} | {run.p(0.5):6.0f} | "
        f"{run.p(0.99):6.0f} | {run.sends / max(run.updates, 1):4.2f} | {sends:5.1f} | "
        f"{sends / TELEGRAM_RATE:5.0%} | {cpu['workers']:4.2f} | {per_update['workers']:4.0f} | "
        f"{per_update['pg']:4.1f} | {cpu['bench']:4.2f} | {run.load:4.1f} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--answers", type=int, default=8, help="answers per learner")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if not 1 <= args.answers < 55:
        raise SystemExit("--answers must be 1-54 (the bundled quiz has 55 items)")
    databases = Databases(_admin_url(args.pg))
    await databases.prepare()
    print(
        f"{args.learners} learners x {args.answers} answers; PostgreSQL {args.pg}; "
        f"{os.cpu_count()} cores\n"
    )
    try:
        for clients in (1, 4):
            per_second, mean_ms = await reservations(databases, clients=clients, each=500)
            print(
                f"send budget: {clients} client(s) reserve {per_second:,.0f} tokens/s, "
                f"{mean_ms:.2f} ms each (session and pool checkout included)"
            )
        print()
        print(
            "| send budget | workers | updates | updates/s | p50 ms | p99 ms | msgs/answer "
            "| msgs/s | share of 30/s | workers' cores | worker CPU ms/update "
            "| PostgreSQL CPU ms/update | bench's cores | load avg |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for n in args.workers:
            run = await measure(
                databases,
                workers=n,
                learners=args.learners,
                answers=args.answers,
                env={"QUIZBOT_MAX_SEND_RATE": str(RAISED_RATE)},
            )
            print(_row(run, "raised"), flush=True)
        shared = await measure(
            databases,
            workers=2,
            learners=args.learners,
            answers=max(3, args.answers // 3),
            env={"QUIZBOT_MAX_SEND_RATE": "30", "QUIZBOT_SEND_BURST": "5"},
        )
        print(_row(shared, "30/s shared"), flush=True)
    finally:
        await databases.drop_all()


if __name__ == "__main__":
    asyncio.run(main())
