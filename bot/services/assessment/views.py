"""Plain values the tests' use cases return; the adapters render them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.assessment import Stage


@dataclass(frozen=True)
class StageOffer:
    """A test offered to a learner: what its Start and Skip buttons carry and say."""

    stage_id: int
    stage: Stage
    items: int  # questions in the form
    answered: int  # answered so far: more than 0 means "continue", not "start"


class NextStep(StrEnum):
    """What follows a test that was finished or skipped."""

    TRAINING = "training"  # after the pre-test: the training quiz
    DELAYED = "delayed"  # after the post-test: the delayed test, some days later
    FINISHED = "finished"  # nothing more: the last test, or the cohort's tests are off


@dataclass(frozen=True)
class ReviewLine:
    """One item of the last test with the learner's answer and the right one."""

    number: int
    question: str
    chosen: tuple[str, ...]  # option texts
    right: tuple[str, ...]
    correct: bool
    explanation: str


@dataclass(frozen=True)
class StageStep:
    """A test finished or skipped: the score, and what comes next."""

    stage: Stage
    skipped: bool
    correct: int  # 0 when skipped
    total: int
    next: NextStep
    # After the pre-test: the cohort's own quizzes (quiz id, title); empty means the main quiz.
    training: tuple[tuple[str, str], ...] = ()
    delay_days: int | None = None  # after the post-test: days until the delayed test
    review: tuple[ReviewLine, ...] = ()  # after the delayed test: its items and answers


@dataclass(frozen=True)
class StageInvitation:
    """The delayed test's invitation, sent by a dispatcher pass."""

    user_id: int
    chat_id: int
    offer: StageOffer
    delay_days: int


@dataclass(frozen=True)
class AssessmentState:
    """A cohort's tests as /assess shows them."""

    cohort: str  # name
    code: str
    enabled: bool
    configured: bool  # False: tests were never turned on for this cohort
    set_id: str | None
    forms: tuple[tuple[str, str], ...]  # (form, quiz id) of the set
    form_items: tuple[int, ...]  # questions in form A and B
    delay_days: int | None
    enrolled: int
    # Members taking no tests: they joined before the tests were on, or take another
    # cohort's (one flow per learner).
    not_enrolled: int
    taken: tuple[int, int, int]  # pre, post and delayed tests finished
