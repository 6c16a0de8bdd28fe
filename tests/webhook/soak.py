"""Learners pressing through quizzes against webhook workers while things break, and the check.

Shared by the PostgreSQL-restart test (tests/webhook/test_pg_restart.py) and the soak
benchmark (bench/bench_soak.py):

- `Courier` is Telegram's side of a webhook: it POSTs each update to the workers round
  robin, as Telegram does through a proxy, and sends it again (to the next worker, after a
  pause) until one answers 200.
- `WorkerSet` runs `quizbot webhook` processes on fixed ports, kills them with SIGKILL and
  starts them again on the same port.
- `Learner` plays quizzes in a closed loop: press an answer, wait for the next item, press
  again; Continue after a round, /quiz after the end. Every press is recorded.
- `check` compares the presses with the database and with what the fake Telegram server
  shows in the chats: each answered item recorded exactly once, with the learner's choice,
  and its verdict shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import Answer, Attempt, InboxUpdate
from tests.fakes import ChatMessage, FakeTelegramServer, FakeUser, WaitTimeout
from tests.webhook.harness import HEADER, SECRET, WorkerProcess, start_worker

APOLOGY = "Sorry, something went wrong"  # the start of the error handler's popup
VERDICT = re.compile(r"(Right!|Not quite\.) You chose")
ITEM = re.compile(r"^Question \d+ of \d+")
ANSWER_PREFIXES = ("ans:", "tog:")


# ------------------------------------------------------------------ delivery


@dataclass
class Courier:
    """POST updates to the workers round robin, again and again until one answers 200."""

    urls: list[str]
    secret: str = SECRET
    timeout: float = 30.0
    first_pause: float = 0.1  # seconds before sending a refused update again, doubling
    max_pause: float = 2.0
    outcomes: Counter[str] = field(default_factory=Counter)  # per POST: "200", "503", "refused"
    updates: int = 0
    _turn: int = 0
    _http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Courier:
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        self._http = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout)
        )
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._http is not None:
            await self._http.close()

    @property
    def posts(self) -> int:
        """POSTs made, first deliveries and resends together."""
        return sum(self.outcomes.values())

    async def deliver(self, update: dict[str, Any]) -> None:
        """Deliver one update; return once a worker answered 200 (it is stored then)."""
        assert self._http is not None, "use `async with Courier(...)`"
        self.updates += 1
        pause = self.first_pause
        while True:
            url = self.urls[self._turn % len(self.urls)]
            self._turn += 1
            try:
                async with self._http.post(
                    url, json=update, headers={HEADER: self.secret}
                ) as response:
                    await response.read()
                    outcome = str(response.status)
            except aiohttp.ClientConnectorError:
                outcome = "refused"  # a worker being restarted
            except (aiohttp.ClientError, TimeoutError):
                outcome = "dropped"  # the worker died with the request open
            self.outcomes[outcome] += 1
            if outcome == "200":
                return
            await asyncio.sleep(pause)
            pause = min(pause * 2, self.max_pause)


# ------------------------------------------------------------------- workers


class WorkerSet:
    """`quizbot webhook` processes on fixed ports, killed and restarted on demand."""

    def __init__(
        self,
        server_url: str,
        database_url: str,
        *,
        count: int,
        log_dir: Path,
        env: dict[str, str],
        ports: list[int],
    ) -> None:
        self._server_url = server_url
        self._database_url = database_url
        self._log_dir = log_dir
        self._env = env
        self.ports = ports[:count]
        self.processes: dict[int, WorkerProcess] = {}
        self.starts: Counter[int] = Counter()
        self.kills = 0
        self.exits: list[tuple[int, int]] = []  # (port, exit code) of exits nobody caused
        self._killed: set[int] = set()  # pids of workers killed (or reported exited)

    @property
    def urls(self) -> list[str]:
        """The webhook URL of every worker, in port order."""
        return [f"http://127.0.0.1:{p}/telegram" for p in self.ports]

    def start(self, port: int) -> WorkerProcess:
        """Start (or start again) the worker on `port`; each start logs to a file of its own."""
        self.starts[port] += 1
        worker = start_worker(
            self._server_url,
            self._database_url,
            public_url=f"http://127.0.0.1:{port}/telegram",
            log_dir=self._log_dir,
            log_name=f"worker-{port}-{self.starts[port]}.log",
            port=port,
            env=self._env,
        )
        self.processes[port] = worker
        return worker

    async def start_all(self) -> None:
        """Start every worker and wait until each is ready."""
        started = [self.start(port) for port in self.ports]
        await asyncio.gather(*(w.wait_ready(timeout=90) for w in started))

    def kill(self, port: int) -> None:
        """SIGKILL one worker."""
        worker = self.processes[port]
        worker.kill()
        self._killed.add(worker.process.pid)
        self.kills += 1

    def exited(self) -> list[int]:
        """Ports whose worker exited without being killed (each is recorded in `exits`)."""
        dead = []
        for port, worker in self.processes.items():
            code = worker.process.poll()
            if code is not None and worker.process.pid not in self._killed:
                self._killed.add(worker.process.pid)  # reported once
                self.exits.append((port, code))
                dead.append(port)
        return dead

    async def terminate_all(self) -> list[int]:
        """SIGTERM every live worker and wait for each; return their exit codes."""
        live = [w for w in self.processes.values() if w.process.poll() is None]
        return list(await asyncio.gather(*(w.terminate(timeout=60) for w in live)))

    def logs(self) -> str:
        """Every worker log of this run, one after another."""
        parts = []
        for path in sorted(self._log_dir.glob("worker-*.log")):
            parts.append(f"==== {path.name}\n{path.read_text(errors='replace')}")
        return "\n".join(parts)

    def close(self) -> None:
        """Kill whatever still runs and close the log files."""
        for worker in self.processes.values():
            worker.close()


# ------------------------------------------------------------------ learners


@dataclass
class Press:
    """One press of an answer button, as the learner made it."""

    user_id: int
    update_id: int
    query_id: str
    message_id: int
    attempt_id: int
    item_id: int
    chosen: tuple[int, ...]


def _answer_buttons(message: ChatMessage) -> list[str]:
    return [
        str(b["callback_data"])
        for row in message.buttons
        for b in row
        if str(b.get("callback_data", "")).startswith(ANSWER_PREFIXES)
    ]


def _ids(message: ChatMessage) -> tuple[int, int] | None:
    """(attempt, item) of an item message with answer buttons, else None."""
    buttons = _answer_buttons(message)
    if not buttons or not ITEM.match(message.content):
        return None
    _, attempt, item, _ = buttons[0].split(":")
    return int(attempt), int(item)


@dataclass
class LearnerStats:
    """What went wrong from a learner's point of view (all zero in a good run)."""

    apologies: int = 0  # presses answered with the error handler's apology (pressed again)
    refusals: int = 0  # presses answered with another popup ("already answered", …)
    stalls: int = 0  # waits that ran out: the learner sent /quiz to carry on
    ignored: int = 0  # presses that changed nothing and got no answer (pressed again)


class Learner:
    """A simulated learner pressing through quizzes, one action at a time."""

    def __init__(
        self,
        server: FakeTelegramServer,
        user: FakeUser,
        courier: Courier,
        *,
        seed: int,
        patience: float,
        presses: list[Press],
    ) -> None:
        self.server = server
        self.user = user
        self.courier = courier
        self.patience = patience
        self.presses = presses
        self.stats = LearnerStats()
        self.answered: dict[tuple[int, int], tuple[int, ...]] = {}
        self._seed = seed
        self._continued: set[str] = set()
        self._floor = 0  # the newest message id when the learner last acted

    async def play(self, stop: asyncio.Event, *, max_presses: int | None = None) -> None:
        """Answer items until `stop` is set (or `max_presses` answers are made)."""
        item = await self._resume()
        while not stop.is_set() and (max_presses is None or len(self.answered) < max_presses):
            item = await self._answer(item)

    async def _send(self, text: str) -> None:
        self.user.send_text(text)
        self._acted()
        await self.courier.deliver(self.server.pending_updates[-1])

    async def _resume(self) -> ChatMessage:
        """Send /quiz until the item on screen is shown (a new attempt after the last one)."""
        while True:
            await self._send("/quiz")
            found = await self._wait(self._quiz_reply)
            if found is None:
                self.stats.stalls += 1
            elif found == "apology":
                self.stats.apologies += 1
                await asyncio.sleep(0.5)
            else:
                return found

    def _quiz_reply(self) -> ChatMessage | str | None:
        """The item /quiz showed (after its greeting), "apology", or None while waiting."""
        greeting: ChatMessage | None = None
        for message in self._new():
            if greeting is None:
                if message.content.startswith(APOLOGY):
                    return "apology"
                if message.content.startswith("Welcome back") or "questions, in rounds" in (
                    message.content
                ):
                    greeting = message
            elif message.message_id > greeting.message_id and _ids(message) is not None:
                return message
        return None

    def _fresh_item(self) -> ChatMessage | None:
        """The first item shown since the last action that the learner has not answered."""
        for message in self._new():
            ids = _ids(message)
            if ids is not None and ids not in self.answered:
                return message
        return None

    def _new(self) -> list[ChatMessage]:
        """The bot's messages sent since the learner's last action, oldest first.

        Only messages newer than the last action are looked at (not every message of the
        chat on every change of the server's state): a soak's chats grow long.
        """
        found = []
        for message in reversed(self.user.chat.messages.values()):
            if message.message_id <= self._floor:
                break
            if message.from_bot and not message.deleted:
                found.append(message)
        found.reverse()
        return found

    def _acted(self) -> None:
        self._floor = self.user.chat.next_message_id - 1

    async def _wait(self, check: Callable[[], Any]) -> Any:
        try:
            return await self.server.wait_until(check, self.patience, lambda: "")
        except WaitTimeout:
            return None

    def _choose(self, item: ChatMessage) -> tuple[str, tuple[int, ...]]:
        ids = _ids(item)
        assert ids is not None
        attempt, item_id = ids
        # The same choice whenever this item is pressed again (after an apology).
        rng = random.Random(f"{self._seed}:{attempt}:{item_id}")
        buttons = _answer_buttons(item)
        if buttons[0].startswith("ans:"):
            option = int(rng.choice(buttons).rsplit(":", 1)[1])
            return f"ans:{attempt}:{item_id}:{option}", (option,)
        # "Choose all" items: submit a non-empty set of the options at once.
        options = [int(b.rsplit(":", 1)[1], 16).bit_length() - 1 for b in buttons]
        chosen = sorted(rng.sample(options, rng.randint(1, len(options))))
        mask = sum(1 << i for i in chosen)
        return f"sub:{attempt}:{item_id}:{mask:x}", tuple(chosen)

    async def _answer(self, item: ChatMessage) -> ChatMessage:
        """Press an answer of `item`; return the next item to answer."""
        ids = _ids(item)
        assert ids is not None
        if ids in self.answered:
            # Shown again by /quiz after a wait that ran out: the press changed nothing.
            self.stats.ignored += 1
        data, chosen = self._choose(item)
        while True:
            press = self.user.press_data(item, data)
            self._acted()
            self.presses.append(
                Press(
                    self.user.user_id,
                    press.update_id,
                    press.id,
                    item.message_id,
                    ids[0],
                    ids[1],
                    chosen,
                )
            )
            self.answered[ids] = chosen
            await self.courier.deliver(self.server.update_history[press.update_id])

            def outcome(query: str = press.id) -> tuple[str, ChatMessage | None] | None:
                for message in self._new():
                    if _ids(message) is not None and _ids(message) not in self.answered:
                        return "item", message
                    if "Round done" in message.content and self._continue_data(message):
                        return "round", message
                    if message.content.startswith("🏁 Finished"):
                        return "finished", message
                popup = self.server.callback_answer(query)
                text = str((popup or {}).get("text") or "")
                if popup is not None and text.startswith(APOLOGY):
                    return "apology", None
                if popup is not None and not text.startswith(("✅", "❌")):
                    return "refused", None
                return None

            found = await self._wait(outcome)
            if found is None:
                self.stats.stalls += 1
                return await self._resume()
            kind, message = found
            if kind == "apology":
                # "Please try again in a moment": the learner does.
                self.stats.apologies += 1
                await asyncio.sleep(0.5)
                continue
            if kind == "refused":
                self.stats.refusals += 1
                return await self._resume()
            assert message is not None
            if kind == "item":
                return message
            if kind == "finished":
                return await self._resume()
            return await self._continue(message)

    def _continue_data(self, summary: ChatMessage) -> str | None:
        for row in summary.buttons:
            for button in row:
                data = str(button.get("callback_data", ""))
                if data.startswith("cont:") and data not in self._continued:
                    return data
        return None

    async def _continue(self, summary: ChatMessage) -> ChatMessage:
        """Press Continue after a round; return the next item."""
        data = self._continue_data(summary)
        assert data is not None
        self._continued.add(data)
        while True:
            press = self.user.press_data(summary, data)
            self._acted()
            await self.courier.deliver(self.server.update_history[press.update_id])

            def outcome(query: str = press.id) -> ChatMessage | str | None:
                item = self._fresh_item()
                if item is not None:
                    return item
                popup = self.server.callback_answer(query)
                if popup is not None and str(popup.get("text") or "").startswith(APOLOGY):
                    return "apology"
                return None

            found = await self._wait(outcome)
            if found == "apology":
                self.stats.apologies += 1
                await asyncio.sleep(0.5)
                continue
            if isinstance(found, ChatMessage):
                return found
            self.stats.stalls += 1
            return await self._resume()


# --------------------------------------------------------------------- check


@dataclass
class Outcome:
    """What the database and the chats say about the presses."""

    presses: int  # answer presses made (a press again after an apology counts)
    expected: int  # items answered: one answer row each
    recorded: int  # of those, recorded once with the learner's choice
    lost: list[tuple[int, int]]  # (attempt, item) answered but not recorded
    doubled: list[str]  # rows beyond one per answered item, or counters counting too many
    wrong: list[tuple[int, int]]  # recorded with another choice than the learner's
    feedback_missing: list[tuple[int, int]]  # answered, but the verdict never shown
    unprocessed: int  # inbox rows never processed
    given_up: int  # inbox rows given up with an error

    @property
    def ok(self) -> bool:
        """Every press recorded exactly once, every feedback shown, the inbox drained."""
        return not (
            self.lost
            or self.doubled
            or self.wrong
            or self.feedback_missing
            or self.unprocessed
            or self.given_up
        )

    def summary(self) -> str:
        """The figures, one line."""
        return (
            f"answers expected {self.expected} (presses {self.presses}), "
            f"recorded {self.recorded}, lost {len(self.lost)}, doubled {len(self.doubled)}, "
            f"wrong choice {len(self.wrong)}, feedback missing {len(self.feedback_missing)}, "
            f"inbox unprocessed {self.unprocessed}, given up {self.given_up}"
        )


def _shows_verdict(server: FakeTelegramServer, press: Press) -> bool:
    """Whether the pressed item message now shows a verdict (the bot's feedback)."""
    pressed = server.chats[press.user_id].messages.get(press.message_id)
    return pressed is not None and bool(VERDICT.search(pressed.content))


async def check(database_url: str, server: FakeTelegramServer, presses: list[Press]) -> Outcome:
    """Compare the learners' presses with the answer rows and the chats."""
    answered: dict[tuple[int, int], tuple[int, ...]] = {}
    by_item: dict[tuple[int, int], list[Press]] = {}
    for press in presses:
        key = (press.attempt_id, press.item_id)
        answered.setdefault(key, press.chosen)
        by_item.setdefault(key, []).append(press)
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (
                await session.execute(
                    select(Answer.attempt_id, Answer.item_id, Answer.chosen).where(
                        Answer.attempt_id.is_not(None)
                    )
                )
            ).all()
            counted = dict(
                (await session.execute(select(Attempt.id, Attempt.answered_count))).all()
            )
            unprocessed = await session.scalar(
                select(func.count()).where(InboxUpdate.processed_at.is_(None))
            )
            given_up = await session.scalar(
                select(func.count()).where(InboxUpdate.error.is_not(None))
            )
    finally:
        await engine.dispose()
    found: Counter[tuple[int, int]] = Counter()
    chosen: dict[tuple[int, int], tuple[int, ...]] = {}
    for attempt_id, item_id, picked in rows:
        key = (int(attempt_id), int(item_id))
        found[key] += 1
        chosen[key] = tuple(picked)
    doubled = [f"{k}: {n} rows" for k, n in found.items() if n > 1]
    doubled += [f"{k}: recorded, never pressed" for k in found if k not in answered]
    per_attempt = Counter(a for a, _ in found)
    doubled += [
        f"attempt {a}: answered_count {counted.get(a)} for {n} rows"
        for a, n in per_attempt.items()
        if counted.get(a) != n
    ]
    lost = [k for k in answered if k not in found]
    wrong = [k for k in answered if k in chosen and chosen[k] != answered[k]]
    recorded = sum(1 for k in answered if found[k] == 1 and chosen[k] == answered[k])
    missing = [k for k, ps in by_item.items() if not any(_shows_verdict(server, p) for p in ps)]
    return Outcome(
        presses=len(presses),
        expected=len(answered),
        recorded=recorded,
        lost=lost,
        doubled=doubled,
        wrong=wrong,
        feedback_missing=missing,
        unprocessed=int(unprocessed or 0),
        given_up=int(given_up or 0),
    )


async def drained(database_url: str, timeout: float) -> bool:  # noqa: ASYNC109
    """Wait until every stored update is processed; False when `timeout` ran out first."""
    engine = make_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with contextlib.suppress(Exception):
                async with make_sessionmaker(engine)() as session:
                    left = await session.scalar(
                        select(func.count()).where(InboxUpdate.processed_at.is_(None))
                    )
                if left == 0:
                    return True
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()
