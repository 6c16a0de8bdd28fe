"""Answers per second through the Bot API: quizbot against a minimal echo bot (issue 3).

N simulated learners answer items through the fake Bot API server, first as fast as they
can (closed loop: press, wait for the next item, press again), then at fixed rates spread
over the learners (open loops, 100 and 50 answers a second by default: each learner has at
most one press outstanding). The same
learners and phases run against `bench/echo_bot.py`, a PTB bot that makes the same three
calls per press without a database: the framework's floor.

Who runs where (2 cores): the fake server and the simulated learners share this process
(one core); each bot runs alone in a subprocess (the other core). The learners read the
server's call log in memory, which is cheaper than driving a server in a third process over
its control API, and it leaves the bot a core of its own. The CPU columns say which side
was busy: a bot column near 1000 ms per second of run is that bot's core saturated.

Latencies are measured on the server's clock: from the moment a press is queued for
getUpdates to the moment the server answered the bot's editMessageText (feedback) and its
sendMessage of the next item (next). Both bots run with the rate limiter raised far above
Telegram's 30 messages a second, so the bots' own capacity is measured, not the limit.

    .venv/bin/python bench/bench_answers.py [--learners 100 1000] [--open-rate 100 50]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import math
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.models import Call, WaitTimeout  # noqa: E402
from tests.fakes.telegram_server import FakeTelegramServer, FakeUser  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"
FIRST_USER_ID = 700_000_001
ROUND_SIZE = 50  # quizbot's largest round: no "Continue" press inside the measured answers
QUIZ_ITEMS = 55  # items of the bundled quiz; a learner answers at most QUIZ_ITEMS - 1
RAISED_RATE = 100_000.0  # messages/s for both bots' rate limiters: far above any run here
TELEGRAM_QUERY_TIMEOUT = 15.0  # seconds Telegram keeps a callback query answerable
START_TIMEOUT = 60.0
WARMUP_TIMEOUT = 120.0
DRAIN_TIMEOUT = 30.0
ITEM_PREFIXES = ("ans:", "tog:", "sub:")


# ------------------------------------------------------------------ learners and samples


@dataclass
class Sample:
    """One answer: when it was pressed and when each of its three calls was answered."""

    pressed: float
    phase: str = ""
    ack: float | None = None
    feedback: float | None = None
    next: float | None = None


@dataclass
class Learner:
    """A simulated learner, the item on their screen and their press in flight."""

    user: FakeUser
    item: tuple[int, str] | None = None  # message id and the callback data to press
    pending: Sample | None = None
    pending_message: int | None = None
    query_id: str | None = None
    budget: int = 0


class Crowd:
    """The learners, and one monitor that reads new server calls and moves them along.

    One scan of the call log per server change, whatever the number of learners: a
    learner's next item resolves that learner only, instead of N waiters each re-checking
    the whole chat on every change.
    """

    def __init__(self, server: FakeTelegramServer, count: int) -> None:
        self.server = server
        self.learners = {
            FIRST_USER_ID + i: Learner(server.user(FIRST_USER_ID + i, f"L{i}"))
            for i in range(count)
        }
        self.by_query: dict[str, Learner] = {}
        self.samples: list[Sample] = []
        self.on_ready: Callable[[Learner], None] = lambda _learner: None
        self.phase = "warm-up"
        self.failed_calls: collections.Counter[str] = collections.Counter()
        self._seen = 0
        self._stopped = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the monitor task."""
        self._task = asyncio.create_task(self._monitor())

    async def stop(self) -> None:
        """Stop the monitor task."""
        self._stopped = True
        if self._task is not None:
            # The flag ends the loop even when a cancel lands as the wait completes (3.11's
            # wait_for can swallow it then).
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _monitor(self) -> None:
        while not self._stopped:
            with contextlib.suppress(WaitTimeout):
                await self.server.wait_until(self._scan, 3600.0, lambda: "")

    def _scan(self) -> bool:
        calls = self.server.calls
        while self._seen < len(calls):
            call = calls[self._seen]
            self._seen += 1
            self._observe(call)
        return self._stopped

    def _observe(self, call: Call) -> None:
        if not call.ok:
            if call.method != "getUpdates" or call.status != 499:
                self.failed_calls[f"{call.method} {call.status} {call.description[:60]}"] += 1
            return
        if call.method == "answerCallbackQuery":
            learner = self.by_query.pop(str(call.params.get("callback_query_id")), None)
            if learner is not None and learner.pending is not None:
                learner.pending.ack = call.at
            return
        chat = call.params.get("chat_id")
        learner = self.learners.get(int(chat)) if chat is not None else None
        if learner is None:
            return
        if call.method == "editMessageText":
            pending, message_id = learner.pending, call.params.get("message_id")
            if pending is not None and _as_int(message_id) == learner.pending_message:
                pending.feedback = call.at
            return
        if call.method != "sendMessage":
            return
        data = _first_button(call.result)
        if data is None:
            return
        if data.startswith("cont:"):
            # A round summary: press Continue at once; the next item ends the answer.
            learner.user.press_data(int(call.result["message_id"]), data)
            return
        if data.startswith("tog:"):
            # "Choose all that apply": submit the first option alone, one press per answer.
            data = "sub:" + data[len("tog:") :]
        learner.item = (int(call.result["message_id"]), data)
        if learner.pending is not None:
            learner.pending.next = call.at
            self.samples.append(learner.pending)
            learner.pending = None
        self.on_ready(learner)

    def press(self, learner: Learner) -> None:
        """Press the answer on the learner's current item."""
        assert learner.item is not None
        assert learner.pending is None
        message_id, data = learner.item
        learner.item = None
        learner.pending = Sample(time.monotonic(), self.phase)
        learner.pending_message = message_id
        press = learner.user.press_data(message_id, data)
        self.by_query[press.id] = learner

    def outstanding(self) -> int:
        """Presses of the current phase not yet followed by the next item."""
        return sum(
            1
            for learner in self.learners.values()
            if learner.pending is not None and learner.pending.phase == self.phase
        )

    async def until(self, check: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
        """Wait for a condition on the learners, re-checked on every server change."""

        def scanned() -> bool:
            # Catch up with the log first: the monitor may not have seen the last change.
            self._scan()
            return check()

        await self.server.wait_until(scanned, timeout, lambda: what)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _first_button(message: Any) -> str | None:
    if not isinstance(message, dict):
        return None
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    for row in rows:
        for button in row:
            data = button.get("callback_data")
            if isinstance(data, str) and (data.startswith(ITEM_PREFIXES) or data[:5] == "cont:"):
                return data
    return None


# ------------------------------------------------------------------------ measurement


@dataclass
class PhaseResult:
    """Figures of one phase of one bot."""

    bot: str
    learners: int
    phase: str
    answers: int
    seconds: float
    feedback: list[float]
    next: list[float]
    ack: list[float]
    calls: collections.Counter[str]
    bot_cpu: float
    bench_cpu: float
    late_presses: int = 0
    failed: int = 0
    stuck: int = 0

    @property
    def rate(self) -> float:
        """Answers per second."""
        return self.answers / self.seconds if self.seconds > 0 else 0.0

    @property
    def calls_per_answer(self) -> float:
        """Bot API calls per answer, getUpdates not counted."""
        sent = sum(n for m, n in self.calls.items() if m != "getUpdates")
        return sent / self.answers if self.answers else math.nan


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile, in milliseconds."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1] * 1000


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


@dataclass
class Meter:
    """Call counts and CPU times between two points of a run."""

    server: FakeTelegramServer
    pid: int
    first_call: int = 0
    bot_cpu: float = 0.0
    bench_cpu: float = 0.0
    calls: collections.Counter[str] = field(default_factory=collections.Counter)

    def start(self) -> None:
        """Remember where the phase starts."""
        self.first_call = len(self.server.calls)
        self.bot_cpu = _process_cpu(self.pid)
        self.bench_cpu = _own_cpu()

    def stop(self) -> tuple[collections.Counter[str], float, float]:
        """Calls by method and CPU seconds of the bot and of this process since start."""
        calls = collections.Counter(c.method for c in self.server.calls[self.first_call :])
        return calls, _process_cpu(self.pid) - self.bot_cpu, _own_cpu() - self.bench_cpu


def _result(
    crowd: Crowd,
    meter: Meter,
    *,
    bot: str,
    phase: str,
    started: float,
    late: int = 0,
) -> PhaseResult:
    # Stragglers of an earlier phase that finish now are not counted here.
    samples = [s for s in crowd.samples if s.phase == crowd.phase]
    calls, bot_cpu, bench_cpu = meter.stop()
    ended = max((s.next for s in samples if s.next is not None), default=started)
    return PhaseResult(
        bot=bot,
        learners=len(crowd.learners),
        phase=phase,
        answers=len(samples),
        seconds=ended - started,
        feedback=[s.feedback - s.pressed for s in samples if s.feedback is not None],
        next=[s.next - s.pressed for s in samples if s.next is not None],
        ack=[s.ack - s.pressed for s in samples if s.ack is not None],
        calls=calls,
        bot_cpu=bot_cpu,
        bench_cpu=bench_cpu,
        late_presses=late,
        failed=sum(crowd.failed_calls.values()),
        stuck=crowd.outstanding(),
    )


# ---------------------------------------------------------------------------- phases


async def warm_up(crowd: Crowd) -> None:
    """Every learner sends /quiz and gets the first item."""
    for learner in crowd.learners.values():
        learner.user.send_text("/quiz")
    await crowd.until(
        lambda: all(lr.item is not None for lr in crowd.learners.values()),
        WARMUP_TIMEOUT,
        "every learner has a first item",
    )


async def closed_loop(
    crowd: Crowd, meter: Meter, bot: str, *, per_learner: int, max_seconds: float
) -> PhaseResult:
    """All learners answer as fast as the bot lets them, `per_learner` answers each."""
    deadline = time.monotonic() + max_seconds

    def again(learner: Learner) -> None:
        if learner.budget > 0 and time.monotonic() < deadline:
            learner.budget -= 1
            crowd.press(learner)

    crowd.phase = "closed"
    meter.start()
    started = time.monotonic()
    crowd.on_ready = again
    for learner in crowd.learners.values():
        learner.budget = per_learner
        again(learner)
    with contextlib.suppress(WaitTimeout):
        await crowd.until(
            lambda: (
                crowd.outstanding() == 0
                and (
                    time.monotonic() >= deadline
                    or all(lr.budget == 0 for lr in crowd.learners.values())
                )
            ),
            max_seconds + DRAIN_TIMEOUT,
            "closed loop done",
        )
    crowd.on_ready = lambda _learner: None
    return _result(crowd, meter, bot=bot, phase="closed", started=started)


async def open_loop(
    crowd: Crowd, meter: Meter, bot: str, *, rate: float, seconds: float
) -> PhaseResult:
    """Presses at a fixed rate, each to a learner who has an item and no press in flight."""
    idle: collections.deque[Learner] = collections.deque(
        lr for lr in crowd.learners.values() if lr.item is not None and lr.pending is None
    )
    crowd.on_ready = idle.append
    total = int(rate * seconds)
    late = 0
    crowd.phase = f"open {rate:g}/s"
    meter.start()
    started = time.monotonic()
    for n in range(total):
        due = started + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if not idle:
            # Every learner is waiting for the bot: the press goes out late, and its
            # latency counts from the moment it was due (no coordinated omission).
            late += 1
            with contextlib.suppress(WaitTimeout):
                await crowd.until(lambda: bool(idle), DRAIN_TIMEOUT, "an idle learner")
            if not idle:
                break
        learner = idle.popleft()
        crowd.press(learner)
        assert learner.pending is not None
        learner.pending.pressed = min(learner.pending.pressed, due)
    with contextlib.suppress(WaitTimeout):
        await crowd.until(lambda: crowd.outstanding() == 0, DRAIN_TIMEOUT, "open loop drained")
    crowd.on_ready = lambda _learner: None
    return _result(
        crowd,
        meter,
        bot=bot,
        phase=crowd.phase,
        started=started,
        late=late,
    )


# ------------------------------------------------------------------------------ bots


def _clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QUIZBOT_", "TELEGRAM_", "DATABASE_", "ECHO_"))
    }


def quizbot_command(
    folder: Path, server: FakeTelegramServer, profile: Path | None
) -> tuple[list[str], dict[str, str]]:
    """`python -m bot run` on a fresh SQLite file, the limiter raised, rounds of 50."""
    env = _clean_env() | {
        "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "TELEGRAM_API_URL": server.url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "QUIZBOT_MAX_SEND_RATE": str(RAISED_RATE),
        "QUIZBOT_SEND_RATE": "0",
        "QUIZBOT_ROUND_SIZE": str(ROUND_SIZE),
        "QUIZBOT_LOG_LEVEL": "WARNING",
    }
    prefix = [sys.executable]
    if profile is not None:
        prefix += ["-m", "cProfile", "-o", str(profile)]
    return [*prefix, "-m", "bot", "run"], env


def echo_command(
    folder: Path, server: FakeTelegramServer, profile: Path | None
) -> tuple[list[str], dict[str, str]]:
    """The echo bot with the same raised limiter."""
    env = _clean_env() | {
        "TELEGRAM_API_URL": server.url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "ECHO_MAX_SEND_RATE": str(RAISED_RATE),
        "ECHO_CONCURRENCY": "32",
    }
    prefix = [sys.executable]
    if profile is not None:
        prefix += ["-m", "cProfile", "-o", str(profile)]
    return [*prefix, str(ROOT / "bench" / "echo_bot.py")], env


BOTS = {"quizbot": quizbot_command, "echo": echo_command}


@contextlib.asynccontextmanager
async def bot_process(
    name: str, server: FakeTelegramServer, folder: Path, profile: Path | None
) -> Any:
    """Start a bot subprocess against the server; stop it with SIGTERM afterwards."""
    argv, env = BOTS[name](folder, server, profile)
    log = (folder / f"{name}.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, cwd=folder, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log
    )
    try:
        try:
            await server.wait_until(
                lambda: server.is_polling or proc.returncode is not None,
                START_TIMEOUT,
                lambda: f"{name} did not start polling",
            )
        except WaitTimeout:
            proc.kill()
            raise
        if proc.returncode is not None:
            raise RuntimeError(
                f"{name} exited with {proc.returncode}: {_tail(folder / f'{name}.log')}"
            )
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


def _tail(path: Path, lines: int = 15) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


async def run_bot(
    name: str, learners: int, args: argparse.Namespace, folder: Path
) -> list[PhaseResult]:
    """One bot, one crowd: warm-up, closed loop, open loop; a fresh server and database."""
    work = folder / f"{name}-{learners}"
    work.mkdir()
    profile = args.profile / f"{name}-{learners}.prof" if args.profile else None
    server = FakeTelegramServer(TOKEN, "bench_bot", callback_query_timeout=args.query_timeout)
    async with server, bot_process(name, server, work, profile) as proc:
        crowd = Crowd(server, learners)
        crowd.start()
        phases = asyncio.create_task(_phases(crowd, name, proc.pid, args))
        exited = asyncio.create_task(proc.wait())
        try:
            await asyncio.wait({phases, exited}, return_when=asyncio.FIRST_COMPLETED)
            if not phases.done():
                phases.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await phases
                log = _tail(work / f"{name}.log")
                raise RuntimeError(f"{name} exited with {proc.returncode} mid-run:\n{log}")
            results = phases.result()
        finally:
            exited.cancel()
            await crowd.stop()
        if crowd.failed_calls:
            print(f"  {name}: failed calls: {dict(crowd.failed_calls)}", flush=True)
        if server.rejected:
            print(f"  {name}: {len(server.rejected)} calls Telegram would refuse", flush=True)
    return results


async def _phases(
    crowd: Crowd, name: str, pid: int, args: argparse.Namespace
) -> list[PhaseResult]:
    learners = len(crowd.learners)
    begun = time.monotonic()
    await warm_up(crowd)
    print(
        f"  {name:8} {learners:5} learners: warm-up {time.monotonic() - begun:.1f} s", flush=True
    )
    meter = Meter(crowd.server, pid)
    closed = await closed_loop(
        crowd, meter, name, per_learner=args.answers_per_learner, max_seconds=args.closed_seconds
    )
    print(f"  {name:8} {learners:5} learners: closed loop {closed.answers} answers", flush=True)
    results = [closed]
    for rate in args.open_rate:
        opened = await open_loop(crowd, meter, name, rate=rate, seconds=args.open_seconds)
        print(
            f"  {name:8} {learners:5} learners: open loop {rate:g}/s {opened.answers} answers",
            flush=True,
        )
        results.append(opened)
    return results


# ---------------------------------------------------------------------------- report


def _row(cells: Iterator[str] | list[str], widths: list[int]) -> str:
    return "  ".join(
        c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def report(results: list[PhaseResult]) -> str:
    """The table, the ratios and the targets, as printed and as pasted into the docs."""
    head = [
        "bot",
        "learners",
        "phase",
        "answers",
        "ans/s",
        "fb p50",
        "fb p99",
        "next p50",
        "next p99",
        "calls/ans",
        "bot cpu",
        "bot ms/ans",
        "bench cpu",
    ]
    rows = []
    for r in results:
        rows.append(
            [
                r.bot,
                str(r.learners),
                r.phase,
                str(r.answers),
                f"{r.rate:.0f}",
                f"{percentile(r.feedback, 50):.1f}",
                f"{percentile(r.feedback, 99):.1f}",
                f"{percentile(r.next, 50):.1f}",
                f"{percentile(r.next, 99):.1f}",
                f"{r.calls_per_answer:.2f}",
                f"{r.bot_cpu / r.seconds * 100:.0f}%" if r.seconds else "-",
                f"{r.bot_cpu / r.answers * 1000:.2f}" if r.answers else "-",
                f"{r.bench_cpu / r.seconds * 100:.0f}%" if r.seconds else "-",
            ]
        )
    widths = [max(len(x[i]) for x in [head, *rows]) for i in range(len(head))]
    lines = [_row(head, widths), _row(["-" * w for w in widths], widths)]
    lines += [_row(row, widths) for row in rows]
    lines.append("")
    lines.append(
        "latencies in ms from press to the server's answer: fb = editMessageText with the"
    )
    lines.append("verdict, next = sendMessage of the next item; calls/ans excludes getUpdates;")
    lines.append(
        "cpu = share of one core used by the bot process / by this process (server + learners);"
    )
    lines.append(
        "bot ms/ans = CPU milliseconds the bot process spent per answer (the least noisy figure)."
    )
    lines.append("")
    by_key = {(r.bot, r.learners, r.phase): r for r in results}
    for r in results:
        if r.bot != "quizbot":
            continue
        echo = by_key.get(("echo", r.learners, r.phase))
        detail = (
            ", ".join(f"{m} {n / r.answers:.2f}" for m, n in sorted(r.calls.items()))
            if r.answers
            else ""
        )
        lines.append(f"quizbot {r.learners} learners, {r.phase}: calls per answer: {detail}")
        extra = []
        if r.late_presses:
            extra.append(f"{r.late_presses} presses late (no idle learner)")
        if r.stuck:
            extra.append(f"{r.stuck} learners never got their next item")
        over = sum(1 for a in r.ack if a > TELEGRAM_QUERY_TIMEOUT)
        if over:
            extra.append(
                f"{over} callback answers after {TELEGRAM_QUERY_TIMEOUT:g} s "
                "(Telegram would refuse them)"
            )
        if extra:
            lines.append("  " + "; ".join(extra))
        if echo is None or not echo.rate:
            continue
        ratio = r.rate / echo.rate
        if r.phase == "closed":
            verdict = "meets" if ratio >= 0.5 else "MISSES"
            lines.append(
                f"  throughput quizbot/echo = {r.rate:.0f}/{echo.rate:.0f} = {ratio:.2f} "
                f"({verdict} the target of at least 0.5)"
            )
        else:
            p99 = percentile(r.feedback, 99)
            echo_p99 = percentile(echo.feedback, 99)
            if r.phase == "open 100/s":
                verdict = "meets" if p99 < 100 else "MISSES"
                target = f" ({verdict} the target of under 100 ms at 100 answers/s)"
            else:
                target = ""
            lines.append(
                f"  feedback p99 {p99:.1f} ms at {r.rate:.0f} answers/s{target}; "
                f"echo p99 {echo_p99:.1f} ms"
            )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[100, 1000], metavar="N")
    parser.add_argument(
        "--answers-per-learner",
        type=int,
        default=5,
        metavar="K",
        help="answers per learner in the closed loop (default 5)",
    )
    parser.add_argument("--closed-seconds", type=float, default=30.0, help="closed-loop cap (30)")
    parser.add_argument(
        "--open-rate",
        type=float,
        nargs="+",
        default=[100.0, 50.0],
        help="open-loop answers/s, one phase per rate (100 50): the target's rate and one "
        "a bot at about half the echo floor sustains",
    )
    parser.add_argument("--open-seconds", type=float, default=10.0, help="open-loop length (10)")
    parser.add_argument("--bots", nargs="+", choices=sorted(BOTS), default=["echo", "quizbot"])
    parser.add_argument(
        "--query-timeout",
        type=float,
        default=600.0,
        help="seconds the fake server keeps a callback query answerable (Telegram: 15); "
        "raised so a saturated bot still completes its answers, which are then reported",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run each bot under cProfile and write DIR/<bot>-<learners>.prof",
    )
    args = parser.parse_args(argv)
    for n in args.learners:
        presses = sum(args.open_rate) * args.open_seconds
        per_learner = args.answers_per_learner + math.ceil(presses / n)
        if per_learner > QUIZ_ITEMS - 1:
            parser.error(
                f"{n} learners would answer {per_learner} items each; the quiz has {QUIZ_ITEMS}: "
                "use fewer answers per learner, a lower open rate or more learners"
            )
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    return args


async def main_async(args: argparse.Namespace) -> list[PhaseResult]:
    """Run every bot against every crowd size."""
    results: list[PhaseResult] = []
    with tempfile.TemporaryDirectory(prefix="bench-answers-") as tmp:
        for learners in args.learners:
            for bot in args.bots:
                results += await run_bot(bot, learners, args, Path(tmp))
    return results


def main() -> None:
    """Run the benchmark and print the table."""
    args = parse_args()
    print(
        f"{os.cpu_count()} cores; rate limiters raised to {RAISED_RATE:g} messages/s; "
        f"quizbot on SQLite, rounds of {ROUND_SIZE}; closed loop {args.answers_per_learner} "
        f"answers per learner; open loop {', '.join(f'{r:g}' for r in args.open_rate)}/s "
        f"for {args.open_seconds:g} s each",
        flush=True,
    )
    load = os.getloadavg()[0]
    results = asyncio.run(main_async(args))
    print()
    print(report(results))
    # Other work on the machine slows both bots; the load says how quiet the run was.
    print(f"load average (1 min) at start {load:.1f}, at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
