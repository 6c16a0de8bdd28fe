"""The simulated learners of bench/simulate_cohort.py: a stated model, not a finding about people.

The numbers below are chosen to give the scheduler a plausible mix of strong and weak,
quick and slow, keen and forgetful learners. They are not fitted to any data; figures that
come out of them test the scheduler, they say nothing about how people learn.

A learner, drawn from streams seeded by (run seed, learner number):

- ability a ~ N(0, 1); on each skill a_s = a + N(0, 0.6). Each skill has a difficulty
  d_s ~ N(0, 0.5), drawn once per run from the seed.
- prior knowledge of a skill b_s = 0.1 + 0.6 * logistic(a_s - d_s - 0.5): what the learner
  knows untaught. It is never forgotten.
- learning rate r = 0.2 + 0.3 * logistic(a).
- lean l ~ N(0, 0.6): a learner who guesses weighs options that call the claim flawed by
  e^l, options that call it sound by e^-l, and the others by 1 (l > 0 doubts, l < 0 trusts).
- slips: a learner who knows the skill still answers wrongly 5% of the time.
- reading speed v ~ logN(0, 0.3); persistence after a round p ~ U(0.6, 0.95); replies to a
  follow-up with probability q ~ U(0.3, 0.95) (see simulate_cohort.py for the timings).

Memory of a skill (what was learnt decays towards the prior, as FSRS models forgetting):

    K(t) = b + (L - b) * R(t - t_last, S)          the chance the learner knows it at t
    R(t, S) = (1 + F * t / S) ** C                 FSRS retrievability, t and S in days

with FSRS-6's default decay (C = -0.1542, F = 0.9 ** (1 / C) - 1, so R(S, S) = 0.9), read
from the fsrs package the bot's own memory model uses. L starts at b and S at 1 day. Each
exposure (the feedback on an answer; a lesson) at time t:

    L <- K(t) + r * g * (1 - K(t))                 learning: g = 1, or 1.5 with a lesson
    S <- S * (1.05 + 4 * (1 - R(t - t_last, S)))   spacing: massed practice barely helps
    t_last <- t

An answer: with probability K(t) the learner knows the skill and picks the key (less the
slips); otherwise they guess among the options, weighed by their lean. A "choose all that
apply" guess ticks each option with probability 1/2 (at least one). Seconds to answer:
(6 + characters of passage, question and options / (20 * v)) * logN(0, 0.35), from 2 to 900.
A test form's items (other articles, no feedback until the end) are answered from the same
memory and teach nothing: the model assumes a skill carries over to a new article whole.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from fsrs.scheduler import DEFAULT_PARAMETERS

DECAY = -DEFAULT_PARAMETERS[20]
FACTOR = 0.9 ** (1 / DECAY) - 1
FIRST_STABILITY = 1.0  # days
SLIP = 0.05
LESSON_GAIN = 1.5
DAY = 86_400.0


def retrievability(elapsed_days: float, stability: float) -> float:
    """FSRS's power forgetting curve: the chance of recall after `elapsed_days`."""
    return (1 + FACTOR * max(elapsed_days, 0.0) / stability) ** DECAY


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


@dataclass(frozen=True)
class ItemFacts:
    """What the model needs of an item: its key and what each option says about the claim."""

    item_id: int
    kind: str
    skill_id: str
    options: int
    correct: tuple[int, ...]  # option indices in file order
    judgements: tuple[str, ...] | None  # "flawed", "sound" or "neither" per option
    characters: int  # passage, question and options: what there is to read


@dataclass
class SkillMemory:
    """One learner's memory of one skill."""

    prior: float
    level: float
    stability: float = FIRST_STABILITY
    last: float | None = None  # seconds since the start of the run

    def knows(self, at: float) -> float:
        """K(t): the chance the learner knows the skill at `at` (seconds)."""
        if self.last is None:
            return self.level
        fade = retrievability((at - self.last) / DAY, self.stability)
        return self.prior + (self.level - self.prior) * fade

    def expose(self, at: float, rate: float, gain: float = 1.0) -> None:
        """Learn from feedback or a lesson at `at`: raise the level, lengthen the stability."""
        known = self.knows(at)
        recall = (
            1.0 if self.last is None else retrievability((at - self.last) / DAY, self.stability)
        )
        self.level = known + min(rate * gain, 1.0) * (1 - known)
        self.stability *= 1.05 + 4 * (1 - recall)
        self.last = at


@dataclass
class Learner:
    """A simulated learner's traits and memory."""

    number: int
    ability: float
    rate: float
    lean: float
    speed: float
    persistence: float
    replies: float
    memory: dict[str, SkillMemory] = field(default_factory=dict)

    def answer(
        self, item: ItemFacts, at: float, rng: random.Random, *, gain: float | None = 1.0
    ) -> list[int]:
        """Choose options (file order) for an item at `at`, then learn from its feedback
        (`gain` None: a test form, which shows no feedback, teaches nothing)."""
        memory = self.memory[item.skill_id]
        # The same number of draws whatever the outcome, so that two runs of one seed
        # (follow-ups on and off) stay on the same stream when their answers differ.
        knows = rng.random() < memory.knows(at)
        slips = rng.random() < SLIP
        guess = rng.random()
        ticks = [rng.random() < 0.5 for _ in range(item.options)]
        if knows and not slips:
            chosen = list(item.correct)
        elif item.kind == "multiple":
            chosen = [i for i, ticked in enumerate(ticks) if ticked] or [int(guess * item.options)]
        else:
            chosen = [self._guess(item, guess)]
        if gain is not None:
            memory.expose(at, self.rate, gain)
        return chosen

    def _guess(self, item: ItemFacts, u: float) -> int:
        weights = [self._weight(j) for j in item.judgements or ("neither",) * item.options]
        total = sum(weights)
        point = u * total
        for index, weight in enumerate(weights):
            point -= weight
            if point < 0:
                return index
        return len(weights) - 1

    def _weight(self, judgement: str) -> float:
        if judgement == "flawed":
            return math.exp(self.lean)
        if judgement == "sound":
            return math.exp(-self.lean)
        return 1.0

    def seconds(self, item: ItemFacts, rng: random.Random) -> float:
        """Seconds the learner takes to read and answer an item."""
        base = 6 + item.characters / (20 * self.speed)
        return min(max(base * rng.lognormvariate(0, 0.35), 2.0), 900.0)


def skill_difficulties(skills: Sequence[str], seed: int) -> dict[str, float]:
    """Each skill's difficulty for a run, the same for every learner."""
    rng = random.Random(f"skills:{seed}")
    return {skill: rng.gauss(0, 0.5) for skill in sorted(skills)}


def draw_learner(number: int, seed: int, difficulty: dict[str, float]) -> Learner:
    """A learner's traits and starting memory, from their own seeded stream."""
    rng = random.Random(f"traits:{seed}:{number}")
    ability = rng.gauss(0, 1)
    learner = Learner(
        number=number,
        ability=ability,
        rate=0.2 + 0.3 * _logistic(ability),
        lean=rng.gauss(0, 0.6),
        speed=rng.lognormvariate(0, 0.3),
        persistence=rng.uniform(0.6, 0.95),
        replies=rng.uniform(0.3, 0.95),
    )
    for skill, hardness in sorted(difficulty.items()):
        prior = 0.1 + 0.6 * _logistic(ability + rng.gauss(0, 0.6) - hardness - 0.5)
        learner.memory[skill] = SkillMemory(prior=prior, level=prior)
    return learner
