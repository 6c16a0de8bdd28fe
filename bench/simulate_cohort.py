"""A simulated cohort: the real scheduler at scale for 30 days, with follow-ups on and off.

A TEST BED FOR THE SCHEDULER AT SCALE, NOT EVIDENCE ABOUT PEOPLE. The learners are a
stated model (bench/learner_model.py: per-skill ability, forgetting with FSRS's
retrievability, answer times) whose numbers are chosen, not fitted; what it shows is how
the bot's services, its database and its follow-up dispatcher behave with 1,000 learners
over a month, and that the figures move the way the model says they should. It says
nothing about how real learners learn.

What runs is the bot's own code on a real database (a SQLite file, and a PostgreSQL
database the run creates and drops), never Telegram: the bundled quiz imported by the
import service; each learner created as a Telegram user, joined to a cohort by its invite
code and, with follow-ups off, given `/lessons off`; the quiz taken through `start_quiz`,
`answer_item` and `continue_attempt`; the follow-up dispatcher (`dispatch_due_followups`)
run on a fake clock every 5 simulated minutes, its sender handing each message to the
learner it is for; practice items answered through `answer_practice`; the figures read by
the report service (`quiz_report`). Time is a fake clock: every service call gets the
simulated moment of its event, and the dispatcher reads the clock.

Learners' behaviour (besides the model's answers): each starts on day 0, 1 or 2 at a
random time between 09:00 and 21:00 UTC; takes the quiz in rounds of 5, going on after a
round with their persistence p (else a break of about 3 hours, logN, during waking hours
08:00-23:00, or with probability 0.08 giving up the quiz for good); leaves an item
unanswered with probability 0.01 (and comes back after a break); replies to a follow-up
message with probability q after about 45 minutes (logN, sigma 1, at most 2 days, waking
hours), answering its practice items one after the other. Learners and their behaviour come
from streams seeded by (seed, learner): the same seed gives the same cohort with follow-ups
on and off, and on SQLite the same figures.

    .venv/bin/python bench/simulate_cohort.py [--learners 1000] [--days 30] [--seed 1]
        [--backends sqlite postgresql] [--followups on off] [--profile FILE]

Each backend and setting runs in a child process of its own, so its memory is its own.
PostgreSQL is used when 127.0.0.1:5432 answers (as in the tests).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import cProfile
import datetime as dt
import heapq
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Integer, event, func, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from bench.learner_model import (  # noqa: E402
    DAY,
    LESSON_GAIN,
    ItemFacts,
    Learner,
    draw_learner,
    skill_difficulties,
)
from bot.config import DEFAULT_QUIZ_ID, Settings  # noqa: E402
from bot.db.models import Answer, FollowUp, Item, QuizVersion  # noqa: E402
from bot.domain import followups as rules  # noqa: E402
from bot.domain.report_query import ReportQuery, Viewer  # noqa: E402
from bot.domain.roles import Role  # noqa: E402
from bot.runtime import open_runtime  # noqa: E402
from bot.services import attempts, cohorts, content, learners  # noqa: E402
from bot.services.followups.dispatch import dispatch_due_followups  # noqa: E402
from bot.services.followups.practice import answer_practice  # noqa: E402
from bot.services.reports import quiz_report  # noqa: E402
from bot.services.views import FollowUpDelivery, ItemView, RoundSummary  # noqa: E402
from tests.db_support import pg_available, pg_create, pg_drop  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402

_KIND: contextvars.ContextVar[str] = contextvars.ContextVar("kind", default="setup")
NOTICE = (
    "A test bed for the scheduler at scale, not evidence about people: the learners are a "
    "stated model (bench/learner_model.py) whose numbers are chosen, not fitted."
)
START = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)  # a Monday, 00:00 UTC
ROUND_SIZE = 5
DISPATCH_EVERY = 300.0  # simulated seconds between two dispatcher passes
AWAKE = (8, 23)  # hours (UTC) in which learners act
ABANDON = 0.01  # an item left unanswered on screen
GIVE_UP = 0.08  # at a break: never come back to the quiz
BREAK_MEDIAN = 3 * 3600.0
REPLY_MEDIAN = 45 * 60.0
REPLY_MAX = 2 * DAY
LATER = 7 * DAY  # practice from day 7 on is "later practice"
FIRST_NAME = "Sim"


def at(t: float) -> dt.datetime:
    """The simulated moment `t` seconds after the start."""
    return START + dt.timedelta(seconds=t)


def awake(t: float, rng: random.Random) -> float:
    """`t`, or a moment early the next waking period when `t` falls in the night."""
    hour = (t % DAY) / 3600
    if AWAKE[0] <= hour < AWAKE[1]:
        return t
    day = math.floor(t / DAY) + (1 if hour >= AWAKE[1] else 0)
    return day * DAY + AWAKE[0] * 3600 + rng.uniform(0, 3 * 3600)


@dataclass(frozen=True)
class SimConfig:
    """One run: how many learners for how long, the seed, and whether follow-ups are on."""

    learners: int = 1000
    days: int = 30
    seed: int = 1
    followups: bool = True
    dispatch_every: float = DISPATCH_EVERY
    concurrency: int = 1  # learners acted for side by side (PostgreSQL overlaps its work)


@dataclass
class Seat:
    """A simulated learner in the bot: the model, and where they stand in the chat."""

    model: Learner
    telegram_id: int
    quiz_rng: random.Random
    reply_rng: random.Random
    user_id: int = 0
    events: list[tuple[float, int, str, Any]] = field(default_factory=list)
    screen: ItemView | None = None  # the quiz item on screen
    shown_at: float | None = None  # when it was shown
    state: str = "new"  # new, quiz, done, gone


@dataclass
class Tally:
    """What the simulation did, counted on its side (the database is counted apart)."""

    quiz_answers: int = 0
    practice_answers: int = 0
    messages: int = 0  # follow-up messages delivered
    message_followups: int = 0  # follow-up rows in them
    unanswered_messages: int = 0  # messages the learner chose not to reply to
    passes: int = 0
    sent_outside_window: int = 0
    sent_mid_sitting: int = 0
    sent_lessons_off: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)  # per kind of event, and passes
    cpu_s: Counter[str] = field(default_factory=Counter)  # CPU seconds per kind
    statements: Counter[str] = field(default_factory=Counter)  # SQL statements per kind


class Simulation:
    """A cohort of simulated learners driven through the real services on a fake clock."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: FakeClock,
        config: SimConfig,
        facts: dict[int, ItemFacts],
        cohort_code: str,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.config = config
        self.facts = facts
        self.cohort_code = cohort_code
        self.tally = Tally()
        self.rss: list[float] = []
        difficulty = skill_difficulties(sorted({f.skill_id for f in facts.values()}), config.seed)
        self.seats: list[Seat] = []
        self.by_chat: dict[int, Seat] = {}
        self._queue: list[tuple[float, int]] = []
        self._seq = 0
        for n in range(config.learners):
            seat = Seat(
                model=draw_learner(n, config.seed, difficulty),
                telegram_id=700_000_000 + n,
                quiz_rng=random.Random(f"quiz:{config.seed}:{n}"),
                reply_rng=random.Random(f"reply:{config.seed}:{n}"),
            )
            self.seats.append(seat)
            self.by_chat[seat.telegram_id] = seat
            start = seat.quiz_rng.randrange(3) * DAY + seat.quiz_rng.uniform(9, 21) * 3600
            self._plan(seat, start, "join")

    # ----------------------------------------------------------------------- the clock

    def _plan(self, seat: Seat, t: float, kind: str, payload: Any = None) -> None:
        self._seq += 1
        first = not seat.events or t < seat.events[0][0]
        heapq.heappush(seat.events, (t, self._seq, kind, payload))
        if first:
            heapq.heappush(self._queue, (t, seat.model.number))

    async def run(self) -> None:
        """Every learner's events in time order, a dispatcher pass every few minutes."""
        every = self.config.dispatch_every
        ticks = int(self.config.days * DAY / every)
        per_day = int(DAY / every)
        gate = asyncio.Semaphore(self.config.concurrency)
        self.rss.append(rss_now_mb())
        for tick in range(1, ticks + 1):
            end = tick * every
            due: set[int] = set()
            while self._queue and self._queue[0][0] < end:
                due.add(heapq.heappop(self._queue)[1])
            if due:
                if self.config.concurrency == 1:
                    for number in sorted(due):
                        await self._advance(self.seats[number], end)
                else:

                    async def advance(seat: Seat, end: float = end) -> None:
                        async with gate:
                            await self._advance(seat, end)

                    await asyncio.gather(*(advance(self.seats[n]) for n in sorted(due)))
            self.clock.now = at(end)
            cpu = time.process_time()
            _KIND.set("dispatch")
            await dispatch_due_followups(
                self.sessions, worker="sim", clock=self.clock, send=self._deliver, scale=1.0
            )
            self.tally.passes += 1
            self.tally.calls["dispatch"] += 1
            self.tally.cpu_s["dispatch"] += time.process_time() - cpu
            if tick % per_day == 0:
                self.rss.append(rss_now_mb())

    async def _advance(self, seat: Seat, end: float) -> None:
        while seat.events and seat.events[0][0] < end:
            t, _, kind, payload = heapq.heappop(seat.events)
            cpu = time.process_time()
            _KIND.set(kind)
            try:
                await getattr(self, f"_on_{kind}")(seat, t, payload)
            except Exception as exc:  # counted and shown: a run with errors is a failed run
                self.tally.errors[f"{kind}: {type(exc).__name__}"] += 1
            self.tally.calls[kind] += 1
            self.tally.cpu_s[kind] += time.process_time() - cpu
        if seat.events:
            heapq.heappush(self._queue, (seat.events[0][0], seat.model.number))

    # ------------------------------------------------------------------ learners' turns

    async def _on_join(self, seat: Seat, t: float, _: None) -> None:
        now = at(t)
        async with self.sessions() as session:
            user = await learners.touch_telegram_user(
                session,
                telegram_id=seat.telegram_id,
                first_name=FIRST_NAME,
                language_code="en",
                now=now,
            )
            seat.user_id = user.id
        async with self.sessions() as session:
            await cohorts.resolve_start_payload(
                session, user_id=seat.user_id, payload=self.cohort_code, now=now
            )
        if not self.config.followups:
            async with self.sessions() as session:
                await learners.set_lessons(session, user_id=seat.user_id, enabled=False, now=now)
        seat.state = "quiz"
        self._plan(seat, t + seat.quiz_rng.uniform(5, 30), "sit")

    async def _on_sit(self, seat: Seat, t: float, _: None) -> None:
        async with self.sessions() as session:
            start = await attempts.start_quiz(
                session,
                user_id=seat.user_id,
                slug=DEFAULT_QUIZ_ID,
                round_size=ROUND_SIZE,
                now=at(t),
            )
        self._show(seat, t, start.item)

    def _show(self, seat: Seat, t: float, item: ItemView) -> None:
        seat.screen, seat.shown_at = item, t
        facts = self.facts[item.item_id]
        self._plan(seat, t + seat.model.seconds(facts, seat.quiz_rng), "answer")

    def _take_break(self, seat: Seat, t: float) -> None:
        rng = seat.quiz_rng
        pause = rng.lognormvariate(math.log(BREAK_MEDIAN), 1.0)
        if rng.random() < GIVE_UP:
            seat.state = "gone"
            return
        self._plan(seat, awake(t + pause, rng), "sit")

    async def _on_answer(self, seat: Seat, t: float, _: None) -> None:
        rng = seat.quiz_rng
        item = seat.screen
        assert item is not None
        assert item.attempt_id is not None
        if rng.random() < ABANDON:
            self._take_break(seat, t)  # the item stays on screen, unanswered
            return
        chosen = seat.model.answer(self.facts[item.item_id], t, rng)
        async with self.sessions() as session:
            result = await attempts.answer_item(
                session,
                user_id=seat.user_id,
                attempt_id=item.attempt_id,
                item_id=item.item_id,
                chosen=chosen,
                now=at(t),
            )
        self.tally.quiz_answers += 1
        seat.screen = seat.shown_at = None
        if result.next_item is not None:
            self._show(seat, t, result.next_item)
            return
        summary = result.summary
        assert summary is not None
        if summary.finished:
            seat.state = "done"
        elif rng.random() < seat.model.persistence:
            self._plan(seat, t + rng.uniform(2, 10), "continue", summary)
        else:
            self._take_break(seat, t)

    async def _on_continue(self, seat: Seat, t: float, summary: RoundSummary) -> None:
        async with self.sessions() as session:
            item = await attempts.continue_attempt(
                session,
                user_id=seat.user_id,
                attempt_id=summary.attempt_id,
                answered=summary.answered,
                now=at(t),
            )
        self._show(seat, t, item)

    async def _on_practice(self, seat: Seat, t: float, item: ItemView) -> None:
        assert item.followup_id is not None
        chosen = seat.model.answer(self.facts[item.item_id], t, seat.reply_rng, gain=LESSON_GAIN)
        async with self.sessions() as session:
            result = await answer_practice(
                session,
                user_id=seat.user_id,
                followup_id=item.followup_id,
                chosen=chosen,
                now=at(t),
            )
        self.tally.practice_answers += 1
        following = result.answer.next_item
        if following is not None:
            facts = self.facts[following.item_id]
            self._plan(seat, t + seat.model.seconds(facts, seat.reply_rng), "practice", following)

    # -------------------------------------------------------------- the dispatcher's sends

    async def _deliver(self, delivery: FollowUpDelivery) -> None:
        """The sender the dispatcher hands each message to: the learner receives it."""
        seat = self.by_chat[delivery.chat_id]
        t = (self.clock.now - START).total_seconds()
        self.tally.messages += 1
        self.tally.message_followups += len(delivery.followup_ids)
        if not rules.Window().contains(self.clock.now.hour):
            self.tally.sent_outside_window += 1
        if seat.shown_at is not None and t - seat.shown_at < rules.SITTING_IDLE.total_seconds():
            self.tally.sent_mid_sitting += 1
        if not self.config.followups:
            self.tally.sent_lessons_off += 1
        rng = seat.reply_rng
        replies = rng.random() < seat.model.replies
        delay = min(rng.lognormvariate(math.log(REPLY_MEDIAN), 1.0), REPLY_MAX)
        if delivery.practice is None:
            return
        if not replies:
            self.tally.unanswered_messages += 1
            return
        facts = self.facts[delivery.practice.item_id]
        reply = awake(t + delay, rng) + seat.model.seconds(facts, rng)
        self._plan(seat, reply, "practice", delivery.practice)


def rss_now_mb() -> float:
    """This process's resident memory now, in MB (Linux /proc; else the peak so far)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return peak_rss_mb()
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------------- one run


async def item_facts(session: AsyncSession) -> dict[int, ItemFacts]:
    """What the model needs of every imported item, read through the content service."""
    facts: dict[int, ItemFacts] = {}
    for item_id in (await session.scalars(select(Item.id).order_by(Item.id))).all():
        item = await content.item(session, item_id)
        facts[item_id] = ItemFacts(
            item_id=item.id,
            kind=item.kind,
            skill_id=item.skill_id,
            options=len(item.options),
            correct=tuple(item.correct_indices),
            judgements=None
            if item.judgements is None
            else tuple(j.value for j in item.judgements),
            characters=len(item.passage)
            + len(item.question)
            + sum(len(o["text"]) for o in item.options),
        )
    await session.commit()
    return facts


async def simulate(url: str, config: SimConfig) -> dict[str, Any]:
    """Run the cohort on a migrated or empty database at `url`; return its figures."""
    clock = FakeClock(START)
    settings = Settings(DATABASE_URL=url, TELEGRAM_BOT_TOKEN="1:simulated-cohort")
    started = time.perf_counter()
    cpu = time.process_time()
    async with open_runtime(settings, clock=clock) as runtime:
        setup_s = time.perf_counter() - started
        async with runtime.sessions() as session:
            instructor = await learners.touch_telegram_user(
                session,
                telegram_id=699_999_999,
                first_name="Instructor",
                language_code="en",
                now=clock(),
            )
            instructor_id = instructor.id
        async with runtime.sessions() as session:
            code = (
                await cohorts.create_cohort(
                    session, owner_id=instructor_id, name="Simulated cohort", now=clock()
                )
            ).code
        async with runtime.sessions() as session:
            facts = await item_facts(session)
        sim = Simulation(runtime.sessions, clock, config, facts, code)

        def count(*_: Any) -> None:
            sim.tally.statements[_KIND.get()] += 1

        event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
        run_started = time.perf_counter()
        await sim.run()
        run_s = time.perf_counter() - run_started
        report_started = time.perf_counter()
        result = await figures(sim, runtime.sessions, code)
        report_s = time.perf_counter() - report_started
    return {
        "backend": "postgresql" if url.startswith("postgresql") else "sqlite",
        "config": asdict(config),
        "setup_s": round(setup_s, 2),
        "run_s": round(run_s, 1),
        "report_s": round(report_s, 2),
        "cpu_s": round(time.process_time() - cpu, 1),
        "rss_mb_by_day": [round(x, 1) for x in sim.rss],
        "peak_rss_mb": round(peak_rss_mb(), 1),
        **result,
    }


async def figures(
    sim: Simulation, sessions: async_sessionmaker[AsyncSession], code: str
) -> dict[str, Any]:
    """The run's figures: the report service's, the database's counts, the model's truth."""
    now = sim.clock.now
    async with sessions() as session:
        report = await quiz_report(
            session,
            viewer=Viewer(None, Role.ADMIN),
            query=ReportQuery(quiz=DEFAULT_QUIZ_ID, cohort=code),
            now=now,
        )
    async with sessions() as session:
        later = START + dt.timedelta(seconds=LATER)
        parts = select(
            Answer.followup_id.is_not(None).label("practice"),
            (Answer.answered_at >= later).label("late"),
            Answer.correct,
        ).subquery()
        answers = {
            (bool(practice), bool(late)): (int(n), int(right or 0))
            for practice, late, n, right in await session.execute(
                select(
                    parts.c.practice,
                    parts.c.late,
                    func.count(),
                    func.sum(func.cast(parts.c.correct, Integer)),
                ).group_by(parts.c.practice, parts.c.late)
            )
        }
        statuses = {
            status: int(n)
            for status, n in await session.execute(
                select(FollowUp.status, func.count()).group_by(FollowUp.status)
            )
        }
        sent_early = await session.scalar(
            select(func.count()).where(
                FollowUp.sent_at.is_not(None), FollowUp.sent_at < FollowUp.due_at
            )
        )
        versions = await session.scalar(select(func.count()).select_from(QuizVersion))
    quiz_n = sum(n for (practice, _), (n, _r) in answers.items() if not practice)
    practice_n = sum(n for (practice, _), (n, _r) in answers.items() if practice)
    later_n, later_right = answers.get((True, True), (0, 0))
    end = (now - START).total_seconds()
    skills = sorted({f.skill_id for f in sim.facts.values()})
    mastery_model = {
        skill: {
            "mean_known": _mean([s.model.memory[skill].knows(end) for s in sim.seats]),
            "mean_prior": _mean([s.model.memory[skill].prior for s in sim.seats]),
            "known_80": sum(s.model.memory[skill].knows(end) >= 0.8 for s in sim.seats),
        }
        for skill in skills
    }
    states = Counter(s.state for s in sim.seats)
    d = report.discernment
    return {
        "tally": {
            **asdict(sim.tally),
            "errors": dict(sim.tally.errors),
            "calls": dict(sim.tally.calls),
            "cpu_s": {k: round(v, 2) for k, v in sim.tally.cpu_s.items()},
            "statements": dict(sim.tally.statements),
        },
        "learner_states": dict(states),
        "answers_recorded": quiz_n + practice_n,
        "answers_simulated": sim.tally.quiz_answers + sim.tally.practice_answers,
        "quiz_answers": quiz_n,
        "practice_answers": practice_n,
        "later_practice": {"answers": later_n, "accuracy": _share(later_right, later_n)},
        "followups": dict(statuses),
        "followups_sent_before_due": int(sent_early or 0),
        "quiz_versions": int(versions or 0),
        "report": {
            "learners": report.learners,
            "attempts_started": report.attempts_started,
            "attempts_finished": report.attempts_finished,
            "mean_score": report.mean_score,
            "first": _detection(d.first),
            "latest_followups": _detection(d.latest),
            "followups": asdict(report.followups),
            "skills": {
                m.skill_id: {
                    "learners": m.learners,
                    "mean_share_right": m.mean_share_right,
                    "mastered": m.mastered,
                }
                for m in report.skills
            },
        },
        "model_mastery": mastery_model,
    }


def _detection(summary: Any) -> dict[str, Any]:
    return {
        "learners": summary.learners,
        "d_prime": summary.mean_d_prime,
        "c": summary.mean_criterion,
        "hit_rate": summary.hit_rate,
        "false_alarm_rate": summary.false_alarm_rate,
    }


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


async def run_on(backend: str, config: SimConfig) -> dict[str, Any]:
    """One run on a fresh database of `backend`, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            return await simulate(f"sqlite:///{folder}/cohort.db", config)
    name = f"quizbot_sim_{uuid.uuid4().hex[:10]}"
    url = await pg_create(name)
    try:
        return await simulate(url, config)
    finally:
        await pg_drop(name)


# --------------------------------------------------------------------------- printing


def _f(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_pair(runs: dict[bool, dict[str, Any]]) -> None:
    """The figures of one backend, follow-ups on and off side by side."""
    on, off = runs.get(True), runs.get(False)
    shown = [r for r in (on, off) if r is not None]
    heads = ["follow-ups on" if r is on else "follow-ups off" for r in shown]
    backend = shown[0]["backend"]
    print(
        f"\n== {backend}: {shown[0]['config']['learners']:,} learners, "
        f"{shown[0]['config']['days']} days, seed {shown[0]['config']['seed']}"
    )

    def row(label: str, *values: Any) -> None:
        print(f"  {label:<44}" + "".join(f"{v!s:>16}" for v in values))

    row("", *heads)
    row(
        "wall seconds: setup / 30 days / report",
        *(f"{r['setup_s']}/{r['run_s']}/{r['report_s']}" for r in shown),
    )
    row("CPU seconds of the process", *(r["cpu_s"] for r in shown))
    row("peak RSS MB", *(r["peak_rss_mb"] for r in shown))
    for day in (0, 1, 10, 20, 30):
        row(
            f"RSS MB at day {day}",
            *(r["rss_mb_by_day"][day] if day < len(r["rss_mb_by_day"]) else "-" for r in shown),
        )
    row("dispatcher passes", *(r["tally"]["passes"] for r in shown))
    row(
        "answers simulated / recorded",
        *(f"{r['answers_simulated']}/{r['answers_recorded']}" for r in shown),
    )
    row(
        "quiz answers / practice answers",
        *(f"{r['quiz_answers']}/{r['practice_answers']}" for r in shown),
    )
    row(
        "quizzes finished / started",
        *(f"{r['report']['attempts_finished']}/{r['report']['attempts_started']}" for r in shown),
    )
    row(
        "follow-up messages sent (rows in them)",
        *(f"{r['tally']['messages']} ({r['tally']['message_followups']})" for r in shown),
    )
    row("messages not replied to", *(r["tally"]["unanswered_messages"] for r in shown))
    row(
        "follow-ups answered / pending / cancelled",
        *(
            f"{r['followups'].get('answered', 0)}/{r['report']['followups']['pending']}/"
            f"{r['followups'].get('cancelled', 0)}"
            for r in shown
        ),
    )
    row(
        "sent before due / outside window / mid-sitting",
        *(
            f"{r['followups_sent_before_due']}/{r['tally']['sent_outside_window']}/"
            f"{r['tally']['sent_mid_sitting']}"
            for r in shown
        ),
    )
    row("errors", *(sum(r["tally"]["errors"].values()) for r in shown))
    for kind in ("join", "sit", "answer", "continue", "practice", "dispatch"):
        row(
            f"{kind}: CPU ms, statements (calls)",
            *(
                f"{_f(1000 * r['tally']['cpu_s'].get(kind, 0) / n)}, "
                f"{_f(r['tally']['statements'].get(kind, 0) / n, 1)} ({n})"
                if (n := r["tally"]["calls"].get(kind, 0))
                else "-"
                for r in shown
            ),
        )
    row("quiz mean score (finished)", *(_f(r["report"]["mean_score"]) for r in shown))
    for label, key in (("first attempt", "first"), ("latest follow-ups", "latest_followups")):
        row(
            f"{label}: learners, d', c",
            *(
                f"{r['report'][key]['learners']}, {_f(r['report'][key]['d_prime'])}, "
                f"{_f(r['report'][key]['c'])}"
                for r in shown
            ),
        )
    row(
        "later practice (day 7 on): answers, accuracy",
        *(
            f"{r['later_practice']['answers']}, {_f(r['later_practice']['accuracy'])}"
            for r in shown
        ),
    )
    print("  per skill: the model's mean chance of knowing it at day 30 (prior), and the")
    print("  report's learners with the skill mastered (last 3 answers right)")
    for skill in shown[0]["model_mastery"]:
        row(
            f"  {skill}",
            *(
                f"{r['model_mastery'][skill]['mean_known']:.2f}"
                f" ({r['model_mastery'][skill]['mean_prior']:.2f})"
                f" {r['report']['skills'].get(skill, {}).get('mastered', 0):>4}"
                for r in shown
            ),
        )
    for r, head in zip(shown, heads, strict=True):
        if r["tally"]["errors"]:
            print(f"  errors with {head}: {r['tally']['errors']}")


def run_child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--followups", nargs="+", choices=["on", "off"], default=["on", "off"])
    parser.add_argument("--profile", metavar="FILE", help="cProfile the run into FILE.BACKEND-on")
    parser.add_argument("--child", nargs=2, metavar=("BACKEND", "ON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        backend, setting = args.child
        config = SimConfig(
            learners=args.learners,
            days=args.days,
            seed=args.seed,
            followups=setting == "on",
            concurrency=1 if backend == "sqlite" else 16,
        )
        if args.profile:
            profiler = cProfile.Profile()
            result = profiler.runcall(asyncio.run, run_on(backend, config))
            profiler.dump_stats(f"{args.profile}.{backend}-{setting}")
        else:
            result = asyncio.run(run_on(backend, config))
        print(json.dumps(result))
        return

    print(NOTICE)
    backends = list(args.backends)
    if "postgresql" in backends:
        reason = asyncio.run(pg_available())
        if reason:
            print(f"skipping PostgreSQL: {reason}")
            backends.remove("postgresql")
    common = ["--learners", str(args.learners), "--days", str(args.days), "--seed", str(args.seed)]
    if args.profile:
        common += ["--profile", args.profile]
    for backend in backends:
        runs = {
            setting == "on": run_child([*common, "--child", backend, setting])
            for setting in args.followups
        }
        print_pair(runs)
    print(f"\n{NOTICE}")


if __name__ == "__main__":
    main()
