"""Soak: webhook workers on PostgreSQL for minutes while workers die, the database restarts
and Telegram answers 429 and 5xx; then check that every press counted once, with feedback.

    .venv/bin/python bench/bench_soak.py [--minutes 5] [--learners 30] [--workers 2]

Simulated learners (tests/webhook/soak.py) press through whole quizzes in a closed loop:
press an answer, wait for the next item, press again; Continue after each round, /quiz
again after the last item. Each update is POSTed to the `quizbot webhook` processes round
robin, as Telegram does through a proxy, and sent again (to the next worker) until one
answers 200. Meanwhile:

- a random worker is killed with SIGKILL every 20-40 s (`--kill-every`) and started again
  on the same port 1-3 s later;
- PostgreSQL is restarted once, at a random moment in the middle third of the run
  (`pg_ctl restart -m fast`, what `pg_ctlcluster ... restart` does);
- the fake Bot API answers a random sendMessage, editMessageText or answerCallbackQuery
  with a 429 (retry_after 1 s) or a 500/502/503 about once a second (`--faults-per-second`),
  one fault at a time (the bot retries a call three times; a burst longer than that is a
  Telegram outage, not what this measures).

PostgreSQL is a private server started for the run in a temporary folder (tests/pg_private.py),
on a free port, and removed at the end (on Ctrl-C too): restarting the server other test runs
share would break them. Afterwards the presses are compared with the answers table and with
what the fake server shows in each chat. The exit status is 1 when anything was lost, doubled
or left without feedback. Worker logs are kept (their folder is printed) when the run fails.

The workers keep every production default (a 60 s inbox lease, Telegram's 30 messages a
second shared), so a learner whose update a killed worker held waits for the lease to run out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bot.db.engine import make_engine, make_sessionmaker  # noqa: E402
from bot.db.models import InboxUpdate  # noqa: E402
from tests.db_support import migrate  # noqa: E402
from tests.e2e.harness import TOKEN  # noqa: E402
from tests.fakes import FakeTelegramServer  # noqa: E402
from tests.pg_private import PrivatePostgres, free_port, unavailable_reason  # noqa: E402
from tests.webhook.soak import (  # noqa: E402
    Courier,
    Learner,
    Outcome,
    Press,
    WorkerSet,
    check,
    drained,
)

FIRST_USER_ID = 700_000_001
FAULT_METHODS = ("sendMessage", "editMessageText", "answerCallbackQuery")
LEASE = 60.0  # the default QUIZBOT_INBOX_LEASE_SECONDS


class Chaos:
    """Kill workers, restart PostgreSQL, inject Telegram's errors; count what was done."""

    def __init__(
        self,
        workers: WorkerSet,
        pg: PrivatePostgres,
        server: FakeTelegramServer,
        rng: random.Random,
        *,
        seconds: float,
        kill_every: tuple[float, float],
        faults_per_second: float,
    ) -> None:
        self.workers = workers
        self.pg = pg
        self.server = server
        self.rng = rng
        self.seconds = seconds
        self.kill_every = kill_every
        self.faults_per_second = faults_per_second
        self.restarted_pg_at: float | None = None
        self.pg_restart_seconds = 0.0
        self.crashes = 0
        self._restarting: set[asyncio.Task[None]] = set()

    async def run(self, began: float) -> None:
        """Until `seconds` after `began`: every kind of fault at once."""
        await asyncio.gather(
            self._kill(began), self._restart_pg(began), self._faults(began), self._watch(began)
        )
        if self._restarting:
            await asyncio.gather(*self._restarting)

    def _left(self, began: float) -> float:
        return began + self.seconds - time.monotonic()

    async def _kill(self, began: float) -> None:
        while True:
            pause = self.rng.uniform(*self.kill_every)
            if pause >= self._left(began):
                return
            await asyncio.sleep(pause)
            live = [p for p, w in self.workers.processes.items() if w.process.poll() is None]
            if not live:
                continue
            port = self.rng.choice(live)
            self.workers.kill(port)
            self._later(port, self.rng.uniform(1.0, 3.0))

    def _later(self, port: int, delay: float) -> None:
        async def restart() -> None:
            await asyncio.sleep(delay)
            worker = self.workers.start(port)
            with contextlib.suppress(Exception):
                await worker.wait_ready(timeout=90)

        task = asyncio.create_task(restart())
        self._restarting.add(task)
        task.add_done_callback(self._restarting.discard)

    async def _restart_pg(self, began: float) -> None:
        await asyncio.sleep(self.seconds * self.rng.uniform(1 / 3, 2 / 3))
        self.restarted_pg_at = time.monotonic() - began
        self.pg_restart_seconds = await asyncio.to_thread(self.pg.restart)

    async def _faults(self, began: float) -> None:
        while self._left(began) > 0:
            await asyncio.sleep(self.rng.expovariate(self.faults_per_second))
            if self.server.faults.active():
                # One at a time: faults queued while the workers are down would otherwise
                # hit one call in a row, past the retries the bot makes by design.
                continue
            method = self.rng.choice(FAULT_METHODS)
            if self.rng.random() < 0.5:
                self.server.faults.add(method, "retry_after", seconds=1)
            else:
                status = self.rng.choice((500, 502, 503))
                self.server.faults.add(method, "server_error", status=status)

    async def _watch(self, began: float) -> None:
        """A worker that exits by itself is a crash: count it and start it again."""
        while self._left(began) > 0:
            await asyncio.sleep(0.5)
            for port in self.workers.exited():
                self.crashes += 1
                self._later(port, 0.0)


LOG_EVENTS = {
    "handlers run again": re.compile(r"handler \w+: database connection lost"),
    "marks retried": re.compile(r"marking update \d+: database connection lost"),
    "updates refused (503)": re.compile(r"could not store update"),
    "chat drains stopped": re.compile(r"processing chat \S+ stopped"),
    "sends paced locally": re.compile(r"shared send budget unavailable"),
    "popups too late": re.compile(r"callback query not answered"),
    "handler errors": re.compile(r"ERROR bot.telegram.app: update \d+ failed"),
}


def _log_events(log_dir: Path) -> Counter[str]:
    """What the workers logged about the faults, by kind."""
    seen: Counter[str] = Counter()
    for path in log_dir.glob("worker-*.log"):
        for line in path.read_text(errors="replace").splitlines():
            for name, pattern in LOG_EVENTS.items():
                if pattern.search(line):
                    seen[name] += 1
    return seen


async def _tries(database_url: str) -> Counter[int]:
    """How many inbox rows were claimed how many times."""
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(InboxUpdate.tries, func.count()).group_by(InboxUpdate.tries)
            )
            return Counter({int(t): int(n) for t, n in rows.all()})
    finally:
        await engine.dispose()


def _report(
    args: argparse.Namespace,
    *,
    seconds: float,
    courier: Courier,
    chaos: Chaos,
    server: FakeTelegramServer,
    outcome: Outcome,
    learners: list[Learner],
    tries: Counter[int],
    codes: list[int],
    events: Counter[str],
) -> None:
    injected = [c for c in server.calls if c.injected]
    too_many = sum(1 for c in injected if c.status == 429)
    server_errors = Counter(c.status for c in injected if 500 <= c.status < 600)
    stalls = sum(learner.stats.stalls for learner in learners)
    apologies = sum(learner.stats.apologies for learner in learners)
    refusals = sum(learner.stats.refusals for learner in learners)
    ignored = sum(learner.stats.ignored for learner in learners)
    posts = ", ".join(f"{k} {v}" for k, v in sorted(courier.outcomes.items()))
    five = ", ".join(f"{k} {v}" for k, v in sorted(server_errors.items()))
    again = sum(n for t, n in tries.items() if t > 1)
    shown: Counter[str] = Counter()
    for call in server.calls:
        if call.method == "sendMessage" and call.ok:
            markup = call.params.get("reply_markup") or {}
            rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
            data = [str(b.get("callback_data", "")) for row in rows for b in row]
            item = next(
                (d.rsplit(":", 1)[0] for d in data if d.startswith(("ans:", "tog:"))), None
            )
            if item is not None:
                shown[f"{call.params.get('chat_id')}:{item.split(':', 1)[1]}"] += 1
    twice = sum(n - 1 for n in shown.values())
    print(
        f"ran {seconds / 60:.1f} min: {args.learners} learners, {args.workers} workers, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end\n"
        f"updates sent: {courier.updates} ({courier.posts} POSTs: {posts})\n"
        f"faults: kills {chaos.workers.kills}, PostgreSQL restarts {chaos.pg.restarts} "
        f"(at {chaos.restarted_pg_at or 0:.0f} s, {chaos.pg_restart_seconds:.1f} s), "
        f"429s {too_many}, 5xx {sum(server_errors.values())} ({five}), "
        f"worker crashes {chaos.crashes}\n"
        f"answers: expected {outcome.expected} ({outcome.presses} presses, "
        f"{outcome.expected / seconds:.1f}/s), recorded {outcome.recorded}, "
        f"lost {len(outcome.lost) + ignored} (no answer row {len(outcome.lost)}, "
        f"pressed again after no reply {ignored}), doubled {len(outcome.doubled)}, "
        f"wrong choice {len(outcome.wrong)}\n"
        f"feedback missing: {len(outcome.feedback_missing)}; apologies {apologies}, "
        f"other refusals {refusals}, learners who gave up waiting {stalls}\n"
        f"inbox: {sum(tries.values())} updates stored, {again} processed more than once, "
        f"unprocessed {outcome.unprocessed}, given up {outcome.given_up}; "
        f"items sent again after a takeover {twice} (of {sum(shown.values())}); "
        f"workers' exit codes at the end {codes}\n"
        f"worker logs: {', '.join(f'{k} {events[k]}' for k in LOG_EVENTS)}"
    )
    for name, items in (
        ("lost", outcome.lost),
        ("doubled", outcome.doubled),
        ("wrong", outcome.wrong),
        ("feedback missing", outcome.feedback_missing),
    ):
        if items:
            print(f"  {name}: {items[:20]}")


async def soak(args: argparse.Namespace, pg: PrivatePostgres, log_dir: Path) -> bool:
    """One run; True when nothing was lost, doubled or left without feedback."""
    rng = random.Random(args.seed)
    database_url = await pg.create_database("quizbot")
    await migrate(database_url)
    seconds = args.minutes * 60
    patience = LEASE + 30  # a killed worker's update waits for its lease to run out
    async with FakeTelegramServer(TOKEN, webhook_auto_delivery=False) as server:
        workers = WorkerSet(
            server.url,
            database_url,
            count=args.workers,
            log_dir=log_dir,
            ports=[free_port() for _ in range(args.workers)],
            env={"QUIZBOT_LOG_LEVEL": "INFO"},
        )
        try:
            await workers.start_all()
            presses: list[Press] = []
            async with Courier(workers.urls) as courier:
                learners = [
                    Learner(
                        server,
                        server.user(FIRST_USER_ID + n, f"S{n}"),
                        courier,
                        seed=args.seed * 1000 + n,
                        patience=patience,
                        presses=presses,
                    )
                    for n in range(args.learners)
                ]
                chaos = Chaos(
                    workers,
                    pg,
                    server,
                    rng,
                    seconds=seconds,
                    kill_every=(args.kill_every[0], args.kill_every[1]),
                    faults_per_second=args.faults_per_second,
                )
                stop = asyncio.Event()
                began = time.monotonic()
                plays = [asyncio.create_task(learner.play(stop)) for learner in learners]
                await chaos.run(began)
                stop.set()  # each learner finishes the press it is waiting on
                await asyncio.wait_for(asyncio.gather(*plays), patience * 3)
                ran = time.monotonic() - began
            if not await drained(database_url, LEASE + 60):
                print("the inbox did not drain", file=sys.stderr)
            codes = await workers.terminate_all()
            outcome = await check(database_url, server, presses)
            tries = await _tries(database_url)
        finally:
            workers.close()
    _report(
        args,
        seconds=ran,
        courier=courier,
        chaos=chaos,
        server=server,
        outcome=outcome,
        learners=learners,
        tries=tries,
        codes=codes,
        events=_log_events(log_dir),
    )
    clean = all(
        s.ignored == 0 and s.refusals == 0 for s in (learner.stats for learner in learners)
    )
    return outcome.ok and clean and all(code == 0 for code in codes)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--kill-every", type=float, nargs=2, default=[20.0, 40.0], metavar=("MIN", "MAX")
    )
    parser.add_argument("--faults-per-second", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-logs", action="store_true", help="keep the worker logs")
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason is not None:
        raise SystemExit(f"cannot start a private PostgreSQL: {reason}")
    # SIGTERM stops the run like Ctrl-C: the workers and the private server are removed.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    log_dir = Path(tempfile.mkdtemp(prefix="quizbot-soak-"))
    ok = False
    try:
        with PrivatePostgres() as pg:
            print(f"private PostgreSQL ({pg.bindir}) on 127.0.0.1:{pg.port}; logs in {log_dir}")
            ok = await soak(args, pg, log_dir)
    except asyncio.CancelledError:
        print("interrupted: workers and PostgreSQL stopped", file=sys.stderr)
        return 130
    finally:
        if ok and not args.keep_logs:
            shutil.rmtree(log_dir, ignore_errors=True)
        else:
            print(f"worker logs kept in {log_dir}")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:  # Ctrl-C: main() was cancelled and has cleaned up
        sys.exit(130)
