"""Pre-, post- and delayed tests of a cohort: the stages, which form each takes, and /assess.

A learner who joins a cohort with tests on takes one form of the cohort's set before the
training quiz (pre), the other form after it (post), and the pre-test's form again some
days later (delayed). Which form comes first alternates in join order, so the forms'
difficulty cancels out of the pre-to-post change across the cohort; the delayed test
repeats the pre-test's form, which the learner saw with their score only, never the
answers, so the retest is not coached by the first sitting. docs/reports.md says how the
figures are computed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bot.domain.errors import AssessArgProblem, BadAssessArgsError
from bot.domain.quizfile.model import SLUG_PATTERN, FormName

DEFAULT_DELAY_DAYS: Final = 14
MAX_DELAY_DAYS: Final = 365
# Below this many learners with both tests of a comparison, the report gives the counts and
# says it needs more rather than an effect size: with fewer pairs a 95% interval of d_z is
# wider than 1.4 (Bonett 2008's standard error at d_z = 0.5 and n = 9 is 0.37), so it tells
# a medium effect from none no better than a guess.
MIN_PAIRS: Final = 10


class Stage(StrEnum):
    """The three tests of a learner's flow, in order."""

    PRE = "pre"
    POST = "post"
    DELAYED = "delayed"


class StageStatus(StrEnum):
    """Where one test of a learner stands."""

    PENDING = "pending"  # the delayed test, waiting until it is due
    CLAIMED = "claimed"  # a dispatcher pass is sending its invitation
    OFFERED = "offered"  # the learner has buttons to start or skip it
    STARTED = "started"  # an attempt on the form is under way
    DONE = "done"  # the form was finished
    SKIPPED = "skipped"  # the learner pressed Skip (before or during the form)
    FAILED = "failed"  # the invitation could not be sent after every try


OPEN_STATUSES: Final = frozenset({StageStatus.OFFERED, StageStatus.STARTED})


def first_form(position: int) -> FormName:
    """The pre-test's form of the learner enrolled at a 1-based place in join order: A for
    the 1st, 3rd, 5th…, B for the 2nd, 4th…, so the two orders stay within one learner of
    each other."""
    return FormName.A if position % 2 == 1 else FormName.B


def other_form(form: FormName) -> FormName:
    """The form the learner did not take first."""
    return FormName.B if form is FormName.A else FormName.A


def form_for(stage: Stage, first: FormName) -> FormName:
    """The form a stage takes: pre and delayed the first one, post the other."""
    return other_form(first) if stage is Stage.POST else first


class AssessAction(StrEnum):
    """What /assess CODE asks for."""

    SHOW = "show"
    ON = "on"
    OFF = "off"


@dataclass(frozen=True)
class AssessCommand:
    """/assess CODE [on [DAYS] [SET] | off], parsed."""

    code: str
    action: AssessAction
    delay_days: int | None = None  # None: keep the cohort's, or the default
    set_id: str | None = None  # None: the only complete set there is


_CODE_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def parse_assess_args(args: Sequence[str]) -> AssessCommand:
    """Parse the words after /assess, or raise BadAssessArgsError. After `on`, a number is
    the delay in days and a word the set id, in either order."""
    if not args:
        raise BadAssessArgsError(AssessArgProblem.NO_CODE)
    code, *rest = args
    if not 1 <= len(code) <= 64 or not set(code) <= _CODE_CHARS:
        raise BadAssessArgsError(AssessArgProblem.NOT_A_CODE, code[:64])
    if not rest:
        return AssessCommand(code, AssessAction.SHOW)
    action = rest[0].lower()
    if action not in (AssessAction.ON, AssessAction.OFF):
        raise BadAssessArgsError(AssessArgProblem.UNKNOWN_ACTION, rest[0][:20])
    if action == AssessAction.OFF:
        if len(rest) > 1:
            raise BadAssessArgsError(AssessArgProblem.TOO_MANY, rest[1][:40])
        return AssessCommand(code, AssessAction.OFF)
    days: int | None = None
    set_id: str | None = None
    for word in rest[1:]:
        if word.isdigit() and days is None:
            if not 1 <= int(word) <= MAX_DELAY_DAYS:
                raise BadAssessArgsError(AssessArgProblem.BAD_DAYS, word[:12], MAX_DELAY_DAYS)
            days = int(word)
        elif not word.isdigit() and set_id is None and re.fullmatch(SLUG_PATTERN, word.lower()):
            set_id = word.lower()
        else:
            raise BadAssessArgsError(AssessArgProblem.TOO_MANY, word[:40])
    return AssessCommand(code, AssessAction.ON, delay_days=days, set_id=set_id)
