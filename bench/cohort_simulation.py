"""The simulated cohort's engine: learners of bench/learner_model.py driven through the bot's
services on a fake clock. bench/simulate_cohort.py runs it and prints its figures.

The learners' behaviour, besides the model's answers (every probability is per learner and
drawn from their own seeded streams, so a seed gives the same cohort with follow-ups on and
off; quiz, follow-ups and tests draw from separate streams, so one does not shift another):

- joining: on day 0, 1 or 2 at a time between 09:00 and 21:00 UTC, by the cohort's invite
  link; the pre-test it offers is skipped with probability 0.1, else taken at once.
- the training quiz, in rounds of 5: after a round, going on with the learner's persistence
  p, else a break (about 3 hours, logN with sigma 1, moved into waking hours 08:00-23:00)
  or, with probability 0.08, giving up the quiz for good; an item is left unanswered on
  screen with probability 0.01 (and taken up again after a break).
- the post-test, offered when the quiz is finished: taken (0.85), skipped (0.10) or left
  unanswered (0.05).
- a follow-up message or the delayed test's invitation: answered with the learner's reply
  probability q after about 45 minutes (logN, sigma 1, at most 2 days, waking hours); the
  message's practice items one after the other; the delayed test skipped with
  probability 0.1 by those who answer.

Every service call gets the simulated moment of its event as `now`; the dispatcher passes
(follow-ups, then the delayed tests' invitations, as `bot/telegram/dispatcher.py` runs them)
read the fake clock, every 5 simulated minutes. With follow-ups off the follow-up pass is
not run: answers still plan follow-ups, none is sent.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import heapq
import math
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.learner_model import (
    DAY,
    LESSON_GAIN,
    ItemFacts,
    Learner,
    draw_learner,
    skill_difficulties,
)
from bot.config import DEFAULT_QUIZ_ID
from bot.db.models import Item
from bot.domain import followups as rules
from bot.domain.assessment import Stage
from bot.services import attempts, cohorts, content, learners
from bot.services.assessment import flow
from bot.services.assessment.invitations import dispatch_due_tests
from bot.services.assessment.views import StageInvitation, StageOffer, StageStep
from bot.services.followups.dispatch import dispatch_due_followups
from bot.services.followups.practice import answer_practice
from bot.services.views import AnswerResult, FollowUpDelivery, ItemView, RoundSummary
from tests.fakes.clock import FakeClock

START = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)  # a Monday, 00:00 UTC
ROUND_SIZE = 5
DISPATCH_EVERY = 300.0  # simulated seconds between two dispatcher passes
AWAKE = (8, 23)  # hours (UTC) in which learners act
ABANDON = 0.01  # an item left unanswered on screen
GIVE_UP = 0.08  # at a break: never come back to the quiz
BREAK_MEDIAN = 3 * 3600.0
REPLY_MEDIAN = 45 * 60.0
REPLY_MAX = 2 * DAY
SKIP_PRE = 0.10
TAKE_POST, SKIP_POST = 0.85, 0.10  # the rest leave it
SKIP_DELAYED = 0.10
FIRST_NAME = "Sim"

# The kind of event a statement is sent for, to count statements per kind.
KIND: contextvars.ContextVar[str] = contextvars.ContextVar("kind", default="setup")


def at(t: float) -> dt.datetime:
    """The simulated moment `t` seconds after the start."""
    return START + dt.timedelta(seconds=t)


def seconds_of(moment: dt.datetime) -> float:
    """Seconds from the start to a simulated moment."""
    return (moment - START).total_seconds()


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
    delay_days: int = 14  # the delayed test's delay, as /assess sets it
    dispatch_every: float = DISPATCH_EVERY
    concurrency: int = 1  # learners acted for side by side (PostgreSQL overlaps its work)


@dataclass
class Seat:
    """A simulated learner in the bot: the model, and where they stand in the chat."""

    model: Learner
    telegram_id: int
    quiz_rng: random.Random
    reply_rng: random.Random
    test_rng: random.Random
    user_id: int = 0
    events: list[tuple[float, int, str, Any]] = field(default_factory=list)
    screen: ItemView | None = None  # the item on screen (a quiz's or a test's)
    shown_at: float | None = None  # when it was shown
    state: str = "new"  # new, quiz, done, gone
    tests: Counter[str] = field(default_factory=Counter)  # "pre done", "post skipped"...


@dataclass
class Tally:
    """What the simulation did, counted on its side (the database is counted apart)."""

    quiz_answers: int = 0
    practice_answers: int = 0
    form_answers: int = 0
    messages: int = 0  # follow-up messages delivered
    message_followups: int = 0  # follow-up rows in them
    unanswered_messages: int = 0  # messages the learner chose not to reply to
    invitations: int = 0  # delayed tests' invitations delivered
    passes: int = 0
    sent_outside_window: int = 0  # messages and invitations
    sent_mid_sitting: int = 0
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
                test_rng=random.Random(f"test:{config.seed}:{n}"),
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
            if self.config.concurrency == 1:
                for number in sorted(due):
                    await self._advance(self.seats[number], end)
            elif due:

                async def advance(seat: Seat, end: float = end) -> None:
                    async with gate:
                        await self._advance(seat, end)

                await asyncio.gather(*(advance(self.seats[n]) for n in sorted(due)))
            self.clock.now = at(end)
            await self._measured("dispatch", self._dispatch())
            if tick % per_day == 0:
                self.rss.append(rss_now_mb())

    async def _dispatch(self) -> None:
        """One pass of the bot's dispatcher job: follow-ups (when on), then invitations."""
        if self.config.followups:
            await dispatch_due_followups(
                self.sessions, worker="sim", clock=self.clock, send=self._deliver, scale=1.0
            )
        await dispatch_due_tests(
            self.sessions, worker="sim", clock=self.clock, send=self._invite, scale=1.0
        )
        self.tally.passes += 1

    async def _measured(self, kind: str, work: Any) -> None:
        """Run one event's work, counting its CPU time, its statements and any error."""
        cpu = time.process_time()
        KIND.set(kind)
        try:
            await work
        except Exception as exc:  # counted and shown: a run with errors is a failed run
            self.tally.errors[f"{kind}: {type(exc).__name__}: {exc}"[:200]] += 1
        self.tally.calls[kind] += 1
        self.tally.cpu_s[kind] += time.process_time() - cpu

    async def _advance(self, seat: Seat, end: float) -> None:
        while seat.events and seat.events[0][0] < end:
            t, _, kind, payload = heapq.heappop(seat.events)
            await self._measured(kind, getattr(self, f"_on_{kind}")(seat, t, payload))
        if seat.events:
            heapq.heappush(self._queue, (seat.events[0][0], seat.model.number))

    # ------------------------------------------------------------ joining and the quiz

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
            joined = await cohorts.resolve_start_payload(
                session, user_id=seat.user_id, payload=self.cohort_code, now=now
            )
        seat.state = "quiz"
        offer = joined.cohort.tests if joined.cohort is not None else None
        later = t + seat.test_rng.uniform(5, 30)
        if offer is None:
            self._plan(seat, later, "sit")
        elif seat.test_rng.random() < SKIP_PRE:
            self._plan(seat, later, "skip", offer)
        else:
            self._plan(seat, later, "test", offer)

    async def _on_sit(self, seat: Seat, t: float, _: None) -> None:
        async with self.sessions() as session:
            start = await attempts.start_quiz(
                session,
                user_id=seat.user_id,
                slug=DEFAULT_QUIZ_ID,
                round_size=ROUND_SIZE,
                now=at(t),
            )
        self._show(seat, t, start.item, "answer", seat.quiz_rng)

    def _show(self, seat: Seat, t: float, item: ItemView, kind: str, rng: random.Random) -> None:
        seat.screen, seat.shown_at = item, t
        self._plan(seat, t + seat.model.seconds(self.facts[item.item_id], rng), kind)

    def _take_break(self, seat: Seat, t: float) -> None:
        rng = seat.quiz_rng
        pause = rng.lognormvariate(math.log(BREAK_MEDIAN), 1.0)
        if rng.random() < GIVE_UP:
            seat.state = "gone"
            return
        self._plan(seat, awake(t + pause, rng), "sit")

    async def _press(
        self, seat: Seat, t: float, rng: random.Random, *, gain: float | None
    ) -> AnswerResult:
        """Answer the item on screen through answer_item."""
        item = seat.screen
        assert item is not None
        assert item.attempt_id is not None
        chosen = seat.model.answer(self.facts[item.item_id], t, rng, gain=gain)
        async with self.sessions() as session:
            result = await attempts.answer_item(
                session,
                user_id=seat.user_id,
                attempt_id=item.attempt_id,
                item_id=item.item_id,
                chosen=chosen,
                now=at(t),
            )
        seat.screen = seat.shown_at = None
        return result

    async def _on_answer(self, seat: Seat, t: float, _: None) -> None:
        rng = seat.quiz_rng
        if rng.random() < ABANDON:
            self._take_break(seat, t)  # the item stays on screen, unanswered
            return
        result = await self._press(seat, t, rng, gain=1.0)
        self.tally.quiz_answers += 1
        if result.next_item is not None:
            self._show(seat, t, result.next_item, "answer", rng)
            return
        summary = result.summary
        assert summary is not None
        if summary.finished:
            seat.state = "done"
            if result.stage_offer is not None:
                self._post_test(seat, t, result.stage_offer)
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
        self._show(seat, t, item, "answer", seat.quiz_rng)

    # ------------------------------------------------------------------------- the tests

    def _post_test(self, seat: Seat, t: float, offer: StageOffer) -> None:
        rng = seat.test_rng
        draw = rng.random()
        later = t + rng.uniform(5, 60)
        if draw < TAKE_POST:
            self._plan(seat, later, "test", offer)
        elif draw < TAKE_POST + SKIP_POST:
            self._plan(seat, later, "skip", offer)
        else:
            seat.tests["post left"] += 1

    async def _on_test(self, seat: Seat, t: float, offer: StageOffer) -> None:
        async with self.sessions() as session:
            start = await flow.start_stage(
                session, user_id=seat.user_id, stage_id=offer.stage_id, now=at(t)
            )
        self._show(seat, t, start.item, "form", seat.test_rng)

    async def _on_form(self, seat: Seat, t: float, _: None) -> None:
        rng = seat.test_rng
        result = await self._press(seat, t, rng, gain=None)
        self.tally.form_answers += 1
        if result.next_item is not None:
            self._show(seat, t, result.next_item, "form", rng)
        elif result.stage_step is not None:
            self._stepped(seat, t, result.stage_step)

    async def _on_skip(self, seat: Seat, t: float, offer: StageOffer) -> None:
        async with self.sessions() as session:
            step = await flow.skip_stage(
                session, user_id=seat.user_id, stage_id=offer.stage_id, now=at(t)
            )
        self._stepped(seat, t, step)

    def _stepped(self, seat: Seat, t: float, step: StageStep) -> None:
        seat.tests[f"{step.stage.value} {'skipped' if step.skipped else 'done'}"] += 1
        if step.stage is Stage.PRE:
            self._plan(seat, t + seat.quiz_rng.uniform(5, 30), "sit")

    # ------------------------------------------------------- what the dispatcher sends

    def _check_send(self, seat: Seat) -> float:
        """The send's moment; counts one outside the daily window or during a sitting."""
        t = seconds_of(self.clock.now)
        # A pass runs every few minutes: a row due just before the window ends goes out at
        # the next pass, as the bot's own would (its pass interval is half a minute).
        late = at(t - self.config.dispatch_every)
        if not (
            rules.Window().contains(self.clock.now.hour) or rules.Window().contains(late.hour)
        ):
            self.tally.sent_outside_window += 1
        if seat.shown_at is not None and t - seat.shown_at < rules.SITTING_IDLE.total_seconds():
            self.tally.sent_mid_sitting += 1
        return t

    def _reply_at(self, seat: Seat, t: float, rng: random.Random) -> float | None:
        """When the learner answers a message, or None if they never do."""
        replies = rng.random() < seat.model.replies
        delay = min(rng.lognormvariate(math.log(REPLY_MEDIAN), 1.0), REPLY_MAX)
        return awake(t + delay, rng) if replies else None

    async def _deliver(self, delivery: FollowUpDelivery) -> None:
        """The follow-up sender: the learner receives the message."""
        seat = self.by_chat[delivery.chat_id]
        t = self._check_send(seat)
        self.tally.messages += 1
        self.tally.message_followups += len(delivery.followup_ids)
        rng = seat.reply_rng
        reply = self._reply_at(seat, t, rng)
        if delivery.practice is None:
            return
        if reply is None:
            self.tally.unanswered_messages += 1
            return
        facts = self.facts[delivery.practice.item_id]
        self._plan(seat, reply + seat.model.seconds(facts, rng), "practice", delivery.practice)

    async def _on_practice(self, seat: Seat, t: float, item: ItemView) -> None:
        assert item.followup_id is not None
        rng = seat.reply_rng
        chosen = seat.model.answer(self.facts[item.item_id], t, rng, gain=LESSON_GAIN)
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
            self._plan(seat, t + seat.model.seconds(facts, rng), "practice", following)

    async def _invite(self, invitation: StageInvitation) -> None:
        """The invitations' sender: the learner is asked to take the delayed test."""
        seat = self.by_chat[invitation.chat_id]
        t = self._check_send(seat)
        self.tally.invitations += 1
        rng = seat.test_rng
        reply = self._reply_at(seat, t, rng)
        if reply is None:
            seat.tests["delayed left"] += 1
        elif rng.random() < SKIP_DELAYED:
            self._plan(seat, reply, "skip", invitation.offer)
        else:
            self._plan(seat, reply, "test", invitation.offer)


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
