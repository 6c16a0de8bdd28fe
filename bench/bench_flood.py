"""Normal learners' reply time while other accounts flood the bot with commands.

A few learners (`--learners`, 4) answer quiz items at a person's pace (a press every
`--interval` seconds, 1.5, staggered) while N other accounts each send `--commands`
commands (`/score`, 40) as fast as a client can, all at once, once the learners are under
way.
The figure is what the learners wait for: from a press to the moment the fake Bot API
answered the bot's editMessageText with the verdict (feedback), and to its sendMessage of
the next item (next). The same run with N = 0 is the reference.

Who runs where (2 cores): the fake Bot API server, the learners and the flooders share this
process; quizbot runs alone as `python -m bot run` on a fresh SQLite file (the other core).
Each run gets a fresh server, database and bot. The fake server does not enforce Telegram's
limits (its strict mode would answer the flooders' replies with 429s); the bot's own
limiter keeps the overall rate given by `--send-rate`: 30 messages a second is Telegram's
budget, the one a flood competes for; a raised rate measures the bot's own capacity.

    .venv/bin/python bench/bench_flood.py [--flooders 0 2 8] [--send-rate 30 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.models import Call  # noqa: E402
from tests.fakes.telegram_server import FakeTelegramServer, FakeUser  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"
FIRST_LEARNER_ID = 710_000_001
FIRST_FLOODER_ID = 720_000_001
ROUND_SIZE = 50  # no "Continue" press among the measured answers
START_TIMEOUT = 60.0
STEP_TIMEOUT = 120.0  # seconds a press may wait for its feedback before the run gives up
FLOOD_COMMAND = "/score"
ITEM_PREFIXES = ("ans:", "tog:", "sub:")


@dataclass
class Sample:
    """One answer of the learner."""

    pressed: float
    feedback: float | None = None
    next: float | None = None


@dataclass
class RunResult:
    """Figures of one run (one N)."""

    flooders: int
    send_rate: float
    samples: list[Sample]
    flood_sent: int
    flood_replies: int
    flood_drained: float | None
    flood_window: tuple[float, float] | None
    bot_cpu: float
    seconds: float


# --------------------------------------------------------------------------- helpers


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


def _chat(call: Call) -> int | None:
    try:
        return int(call.params.get("chat_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class CallLog:
    """Reads the server's call log from where it last stopped."""

    def __init__(self, server: FakeTelegramServer) -> None:
        self.server = server
        self.seen = len(server.calls)

    async def wait_for(self, match: Callable[[Call], bool], within: float, what: str) -> Call:
        """The first call from here on that matches (calls before it are skipped)."""
        found: list[Call] = []

        def check() -> bool:
            calls = self.server.calls
            while self.seen < len(calls):
                call = calls[self.seen]
                self.seen += 1
                if call.ok and match(call):
                    found.append(call)
                    return True
            return False

        await self.server.wait_until(check, within, lambda: what)
        return found[0]


def _is_item_for(chat_id: int) -> Callable[[Call], bool]:
    def match(call: Call) -> bool:
        return (
            call.method == "sendMessage"
            and _chat(call) == chat_id
            and _first_button(call.result) is not None
        )

    return match


# ----------------------------------------------------------------------------- the run


async def learner_answers(
    server: FakeTelegramServer,
    learner: FakeUser,
    *,
    started: float,
    seconds: float,
    interval: float,
) -> list[Sample]:
    """Answer items at a steady pace from `started` on; return each answer's timings."""
    log = CallLog(server)
    learner.send_text("/quiz")
    item = await log.wait_for(_is_item_for(learner.chat_id), STEP_TIMEOUT, "the first item")
    samples: list[Sample] = []
    n = 0
    while True:
        due = started + n * interval
        if due > started + seconds:
            break
        n += 1
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        data = _first_button(item.result)
        assert data is not None
        message_id = int(item.result["message_id"])
        if data.startswith("cont:"):
            learner.press_data(message_id, data)
            item = await log.wait_for(_is_item_for(learner.chat_id), STEP_TIMEOUT, "an item")
            continue
        if data.startswith("tog:"):
            data = "sub:" + data[len("tog:") :]
        sample = Sample(time.monotonic())
        learner.press_data(message_id, data)
        # Telegram shows the verdict by editing the item; then the next item comes.
        feedback = await log.wait_for(
            lambda c, m=message_id: (
                c.method == "editMessageText"
                and _chat(c) == learner.chat_id
                and int(c.params.get("message_id", 0)) == m
            ),
            STEP_TIMEOUT,
            "feedback",
        )
        sample.feedback = feedback.at
        item = await log.wait_for(_is_item_for(learner.chat_id), STEP_TIMEOUT, "the next item")
        sample.next = item.at
        samples.append(sample)
    return samples


def flood(flooders: list[FakeUser], commands: int) -> int:
    """Every flooder sends its commands at once; return how many were sent."""
    for _ in range(commands):
        for user in flooders:
            user.send_text(FLOOD_COMMAND)
    return commands * len(flooders)


def replies_to(server: FakeTelegramServer, chats: set[int], since: int) -> list[Call]:
    """Messages the bot sent to these chats since a point of the call log."""
    return [
        c for c in server.calls[since:] if c.ok and c.method == "sendMessage" and _chat(c) in chats
    ]


@contextlib.asynccontextmanager
async def quizbot(server: FakeTelegramServer, folder: Path, send_rate: float) -> Any:
    """`python -m bot run` on a fresh SQLite file; stopped with SIGTERM afterwards."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QUIZBOT_", "TELEGRAM_", "DATABASE_"))
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "TELEGRAM_API_URL": server.url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "QUIZBOT_MAX_SEND_RATE": str(send_rate),
        "QUIZBOT_ROUND_SIZE": str(ROUND_SIZE),
        "QUIZBOT_LOG_LEVEL": "WARNING",
    }
    log = (folder / "quizbot.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=folder,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    try:
        await server.wait_until(
            lambda: server.is_polling or proc.returncode is not None,
            START_TIMEOUT,
            lambda: "quizbot did not start polling",
        )
        if proc.returncode is not None:
            raise RuntimeError(f"quizbot exited with {proc.returncode}")
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


async def run_once(
    flooders: int, send_rate: float, args: argparse.Namespace, folder: Path
) -> RunResult:
    """One N: a fresh server, database and bot; the learner answers while N accounts flood."""
    work = Path(tempfile.mkdtemp(prefix=f"n{flooders}-", dir=folder))
    server = FakeTelegramServer(TOKEN, "bench_bot", callback_query_timeout=600.0)
    async with server, quizbot(server, work, send_rate) as proc:
        learners = [server.user(FIRST_LEARNER_ID + i, f"L{i}") for i in range(args.learners)]
        floods = [server.user(FIRST_FLOODER_ID + i, f"F{i}") for i in range(flooders)]
        # Everyone is known to the bot before the run: the flood is of commands only.
        chats = {u.chat_id for u in floods}
        mark = len(server.calls)
        for user in floods:
            user.send_text("/start")
        await server.wait_until(
            lambda: {_chat(c) for c in replies_to(server, chats, mark)} == chats,
            STEP_TIMEOUT,
            lambda: "every flooder greeted",
        )
        mark = len(server.calls)
        cpu = _process_cpu(proc.pid)
        started = time.monotonic()
        step = args.interval / len(learners)
        answering = asyncio.gather(
            *(
                learner_answers(
                    server,
                    learner,
                    started=started + 1.0 + i * step,
                    seconds=args.seconds,
                    interval=args.interval,
                )
                for i, learner in enumerate(learners)
            )
        )
        # Everyone has an item on screen and is answering when the flood begins.
        await asyncio.sleep(1.5)
        flood_started = time.monotonic()
        sent = flood(floods, args.commands)
        samples = [sample for answers in await answering for sample in answers]
        seconds = time.monotonic() - started
        bot_cpu = _process_cpu(proc.pid) - cpu
        # Whatever the bot still sends the flooders (it may still be working through them).
        drained: float | None = None
        quiet_since = time.monotonic()
        count = len(replies_to(server, chats, mark))
        while time.monotonic() - quiet_since < 2.0 and time.monotonic() - started < 120:
            await asyncio.sleep(0.1)
            now = len(replies_to(server, chats, mark))
            if now != count:
                count, quiet_since = now, time.monotonic()
        replies = replies_to(server, chats, mark)
        if replies:
            drained = max(c.at for c in replies) - flood_started
        window = (flood_started, flood_started + drained) if drained is not None else None
        return RunResult(
            flooders=flooders,
            send_rate=send_rate,
            samples=samples,
            flood_sent=sent,
            flood_replies=len(replies),
            flood_drained=drained,
            flood_window=window,
            bot_cpu=bot_cpu,
            seconds=seconds,
        )


# ---------------------------------------------------------------------------- report


def _feedback_in_flood(r: RunResult) -> list[float]:
    if r.flood_window is None:
        return []
    begin, end = r.flood_window
    return [
        s.feedback - s.pressed
        for s in r.samples
        if s.feedback is not None and begin <= s.pressed <= end
    ]


def report(results: list[RunResult]) -> str:
    """The table, runs of the same rate and N pooled, as printed and as pasted into the docs."""
    head = [
        "send rate",
        "flooders",
        "runs",
        "answers",
        "fb p50 ms",
        "fb p99 ms",
        "next p50 ms",
        "next p99 ms",
        "flood sent",
        "flood replies",
        "flood done s",
        "in flood",
        "in-flood fb p99",
        "bot cpu",
    ]
    groups: dict[tuple[float, int], list[RunResult]] = {}
    for r in results:
        groups.setdefault((r.send_rate, r.flooders), []).append(r)
    rows = []
    for (rate, flooders), runs in groups.items():
        samples = [s for r in runs for s in r.samples]
        fb = [s.feedback - s.pressed for s in samples if s.feedback is not None]
        nxt = [s.next - s.pressed for s in samples if s.next is not None]
        during = [t for r in runs for t in _feedback_in_flood(r)]
        drained = [r.flood_drained for r in runs if r.flood_drained is not None]
        rows.append(
            [
                f"{rate:g}/s",
                str(flooders),
                str(len(runs)),
                str(len(samples)),
                f"{percentile(fb, 50):.0f}",
                f"{percentile(fb, 99):.0f}",
                f"{percentile(nxt, 50):.0f}",
                f"{percentile(nxt, 99):.0f}",
                str(runs[0].flood_sent),
                str(round(statistics.median(r.flood_replies for r in runs))),
                f"{statistics.median(drained):.1f}" if drained else "-",
                str(len(during)),
                f"{percentile(during, 99):.0f}" if during else "-",
                f"{statistics.mean(r.bot_cpu / r.seconds for r in runs) * 100:.0f}%",
            ]
        )
    widths = [max(len(x[i]) for x in [head, *rows]) for i in range(len(head))]
    lines = [
        " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True))
        for row in [head, ["-" * w for w in widths], *rows]
    ]
    lines.append("")
    lines.append("fb = press to the verdict (editMessageText), next = press to the next item,")
    lines.append("percentiles over the answers of all runs; flood replies = messages the bot")
    lines.append("sent the flooders and flood done = seconds from the flood's start to the last")
    lines.append("of them (medians of the runs); in flood = answers pressed meanwhile, with")
    lines.append("their feedback p99; bot cpu = share of one core.")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flooders", type=int, nargs="+", default=[0, 2, 8], metavar="N")
    parser.add_argument("--commands", type=int, default=40, help="commands per flooder (40)")
    parser.add_argument(
        "--send-rate",
        type=float,
        nargs="+",
        default=[30.0, 100_000.0],
        help="the bot's overall messages a second, one run per rate (30: Telegram's budget, "
        "which a flood competes for; 100000: the bot's own capacity)",
    )
    parser.add_argument("--learners", type=int, default=4, help="normal learners (4)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each rate and N, pooled (3)")
    parser.add_argument("--seconds", type=float, default=15.0, help="the learners' run (15)")
    parser.add_argument(
        "--interval",
        type=float,
        default=1.5,
        help="seconds between a learner's presses (1.5: quick for a person, within the limit)",
    )
    return parser.parse_args(argv)


async def main_async(args: argparse.Namespace) -> list[RunResult]:
    """Run every rate and N in turn, `--runs` times each."""
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-flood-") as tmp:
        for rate in args.send_rate:
            for n in args.flooders:
                for run in range(1, args.runs + 1):
                    result = await run_once(n, rate, args, Path(tmp))
                    print(
                        f"  {rate:g}/s, {n} flooders, run {run}: {len(result.samples)} answers",
                        flush=True,
                    )
                    results.append(result)
    return results


def main() -> None:
    """Run the benchmark and print the table."""
    args = parse_args()
    print(
        f"{os.cpu_count()} cores; quizbot polling on SQLite, send rates "
        f"{', '.join(f'{r:g}' for r in args.send_rate)}/s; "
        f"each flooder sends {args.commands} x {FLOOD_COMMAND} at once; {args.learners} "
        f"learners press every {args.interval:g} s for {args.seconds:g} s",
        flush=True,
    )
    load = os.getloadavg()[0]
    results = asyncio.run(main_async(args))
    print()
    print(report(results))
    print(f"load average (1 min) at start {load:.1f}, at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
