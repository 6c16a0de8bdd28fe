"""Plain values the services return; adapters render them (Telegram, terminal)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain.discernment import Lean
from bot.domain.statistics import DetectionCounts
from bot.services.assessment.views import StageOffer, StageStep

if TYPE_CHECKING:
    from bot.domain.quizfile.messages import Problem


@dataclass(frozen=True)
class OptionView:
    """An option as shown: its display letter and its index in the file."""

    letter: str
    file_index: int
    text: str


@dataclass(frozen=True)
class ItemView:
    """An item on screen: asked in a quiz attempt, or as a follow-up's practice item.

    Its buttons carry where it is asked: `attempt_id` for a quiz item, `followup_id` for a
    practice item; exactly one of the two is set.
    """

    attempt_id: int | None
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
    followup_id: int | None = None
    is_test: bool = False  # an item of a test form (no feedback until the end)

    def __post_init__(self) -> None:
        if (self.attempt_id is None) == (self.followup_id is None):
            raise ValueError("an item is asked either in an attempt or for a follow-up")

    @property
    def is_practice(self) -> bool:
        """True for a follow-up's practice item (not part of an attempt)."""
        return self.followup_id is not None

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
    # A test form's answer: the verdict, the right options and the explanation are not
    # shown, only that the answer was recorded; the score comes at the end (stage_step).
    withheld: bool = False
    stage_step: StageStep | None = None  # the answer finished a test form
    stage_offer: StageOffer | None = None  # the answer finished training: the post-test


@dataclass(frozen=True)
class QuizStart:
    """The outcome of /quiz or `demo`: where the learner stands."""

    attempt_id: int
    quiz_title: str
    resumed: bool
    answered: int
    total: int
    item: ItemView
    language: str = "en"  # the quiz's, as its author wrote it


@dataclass(frozen=True)
class QuizChoice:
    """A quiz a learner may start instead: its number (for a button), id, title, language."""

    quiz_id: int
    slug: str
    title: str
    language: str


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
    """What /score shows: per quiz, per skill, and which way the learner's errors lean."""

    quizzes: tuple[QuizProgress, ...]
    skills: tuple[SkillScore, ...]  # all answers, quizzes and follow-ups
    # Judgements of sound and flawed claims over all answers, quizzes and follow-ups.
    discernment: DetectionCounts
    lean: Lean | None  # None until enough of each kind was judged


@dataclass(frozen=True)
class QuizListing:
    """A quiz as listed by `quiz list` and /quizzes."""

    slug: str
    title: str
    version: int
    item_count: int
    versions: int
    is_public: bool
    cohorts: tuple[str, ...] = ()  # names of the cohorts a limited quiz is open to
    language: str = "en"  # the quiz's, as its author wrote it
    # A test form: (set, form); such a quiz is taken through a cohort's tests, not /quiz.
    form: tuple[str, str] | None = None


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did."""

    slug: str
    version: int
    item_count: int
    skills: tuple[str, ...]
    unchanged: bool
    warnings: tuple[str, ...]
    # The warnings with their line apart (the chat shows "line N: …" without the file name).
    warning_problems: tuple[Problem, ...] = ()
    created: bool = False  # the first version of a new quiz id
    is_public: bool = True


@dataclass(frozen=True)
class CohortListing:
    """A cohort as an instructor sees it."""

    name: str
    code: str
    members: int


@dataclass(frozen=True)
class InstructorOverview:
    """What /quizzes shows: the instructor's quizzes (an admin's: all) and cohorts."""

    quizzes: tuple[QuizListing, ...]
    cohorts: tuple[CohortListing, ...]
    everything: bool  # an admin's view of every quiz and cohort


@dataclass(frozen=True)
class VersionStats:
    """One version of a quiz and what learners did with it."""

    number: int
    item_count: int
    imported_at: dt.datetime
    attempts: int
    finished: int
    answers: int
    correct: int

    @property
    def percent(self) -> int:
        """Share of answers correct, rounded, 0 when nothing was answered."""
        return round(100 * self.correct / self.answers) if self.answers else 0


@dataclass(frozen=True)
class QuizVersions:
    """A quiz with the statistics of each of its versions, oldest first."""

    slug: str
    title: str
    is_public: bool
    cohorts: tuple[str, ...]
    versions: tuple[VersionStats, ...]


@dataclass(frozen=True)
class CohortCreated:
    """A new cohort and the code that invites learners into it."""

    name: str
    code: str


@dataclass(frozen=True)
class CohortJoined:
    """A learner in a cohort by its invite, and the quizzes the cohort may take.

    `tests` is the pre-test's offer when the cohort's tests are on; `tests_elsewhere` says
    the learner takes another cohort's tests (one flow per learner).
    """

    name: str
    already_member: bool
    # (quiz id, title, language), those in the learner's language first
    quizzes: tuple[tuple[str, str, str], ...]
    tests: StageOffer | None = None
    tests_elsewhere: bool = False


@dataclass(frozen=True)
class StartTarget:
    """What a /start payload means: a cohort joined, a quiz to start, or neither."""

    cohort: CohortJoined | None = None
    quiz_slug: str | None = None


@dataclass(frozen=True)
class Sharing:
    """Who may take a quiz: everyone, or the learners of the cohorts named."""

    slug: str
    is_public: bool
    cohorts: tuple[str, ...]


@dataclass(frozen=True)
class SkillLesson:
    """A skill's follow-up lesson from the catalogue."""

    skill_id: str
    name: str
    lesson: str


@dataclass(frozen=True)
class FollowUpDelivery:
    """One follow-up message for one learner: lessons on the due skills, then one item.

    The practice items of the other skills follow one by one as each is answered.
    """

    user_id: int
    chat_id: int
    language: str | None  # the learner's, for the words around the lessons
    followup_ids: tuple[int, ...]
    lessons: tuple[SkillLesson, ...]
    practice: ItemView | None


@dataclass(frozen=True)
class PracticeResult:
    """The verdict on a follow-up's practice item.

    `lessons` are the lessons of the message the item came in, when the item is the one in
    that message (its edit keeps them); empty for the items that followed.
    """

    answer: AnswerResult
    lessons: tuple[SkillLesson, ...]


@dataclass(frozen=True)
class LessonsStatus:
    """What /lessons shows: on or off, the next follow-up due, the daily window."""

    enabled: bool
    timezone: str  # the one in effect
    zone_from_language: bool  # not set by the learner: their language's (languages.zone_for)
    window_start_hour: int
    window_end_hour: int
    window_label: str
    next_due_at: dt.datetime | None  # UTC
    next_skill: str | None
    pending: int


@dataclass(frozen=True)
class FollowUpStats:
    """Follow-ups by state, and how learners respond to them.

    pending: waiting to be sent (including those being sent right now); sent: ever sent
    (answered ones included); answered: practice item answered; failed: given up after
    retries; cancelled: stopped by the learner, a block or a retained skill.
    answered_within_day_share: of the learners sent a follow-up at least a day ago (or who
    answered one already), the share who answered one within a day of receiving it (0..1;
    None when there is no such learner yet).
    """

    pending: int
    sent: int
    failed: int
    cancelled: int
    answered: int
    answered_within_day_share: float | None


@dataclass(frozen=True)
class Owned:
    """What a user owns as an instructor."""

    quizzes: int
    cohorts: int
