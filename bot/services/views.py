"""Plain values the services return; adapters render them (Telegram, terminal)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OptionView:
    """An option as shown: its display letter and its index in the file."""

    letter: str
    file_index: int
    text: str


@dataclass(frozen=True)
class ItemView:
    """An item on screen in one attempt."""

    attempt_id: int
    item_id: int
    item_key: str
    kind: str
    skill_id: str
    skill_name: str
    quiz_title: str
    passage: str
    question: str
    options: tuple[OptionView, ...]
    number: int  # 1-based position in the quiz
    total: int

    @property
    def is_multiple(self) -> bool:
        """True for "choose all that apply" items."""
        return self.kind == "multiple"


@dataclass(frozen=True)
class SkillScore:
    """Answers on one skill."""

    skill_id: str
    name: str
    answered: int
    correct: int

    @property
    def percent(self) -> int:
        """Share correct, rounded, 0 when nothing was answered."""
        return round(100 * self.correct / self.answered) if self.answered else 0


@dataclass(frozen=True)
class RoundSummary:
    """Shown after each round and at the end of a quiz."""

    attempt_id: int
    quiz_title: str
    round_answered: int
    round_correct: int
    answered: int
    correct: int
    total: int
    finished: bool
    skills: tuple[SkillScore, ...]  # this attempt, per skill


@dataclass(frozen=True)
class AnswerResult:
    """The verdict on one answer, and what comes next."""

    item: ItemView
    correct: bool
    chosen: tuple[OptionView, ...]
    right: tuple[OptionView, ...]
    feedback: tuple[str, ...]  # per-option feedback for the options chosen
    explanation: str
    next_item: ItemView | None  # the next item, already presented, within a round
    summary: RoundSummary | None  # set when the answer ended a round or the quiz


@dataclass(frozen=True)
class QuizStart:
    """The outcome of /quiz or `demo`: where the learner stands."""

    attempt_id: int
    quiz_title: str
    resumed: bool
    answered: int
    total: int
    item: ItemView


@dataclass(frozen=True)
class QuizProgress:
    """A learner's standing in one quiz (latest attempt)."""

    slug: str
    title: str
    answered: int
    correct: int
    total: int
    finished: bool
    attempts: int


@dataclass(frozen=True)
class ScoreReport:
    """What /score shows: per quiz and per skill."""

    quizzes: tuple[QuizProgress, ...]
    skills: tuple[SkillScore, ...]  # all answers, quizzes and follow-ups


@dataclass(frozen=True)
class QuizListing:
    """A quiz as listed by `quiz list` and /quizzes."""

    slug: str
    title: str
    version: int
    item_count: int
    versions: int
    is_public: bool


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did."""

    slug: str
    version: int
    item_count: int
    skills: tuple[str, ...]
    unchanged: bool
    warnings: tuple[str, ...]
