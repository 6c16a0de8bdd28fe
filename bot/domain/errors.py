"""Domain errors: what a user ran into, with the values a message needs, and no sentences.

Each adapter words them for its users, in one module: `telegram/error_text.py` for the chat,
`console/error_text.py` for the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.domain.quizfile.messages import Problem


class QuizbotError(Exception):
    """Base of the errors a user can cause; an adapter words each one."""

    def __str__(self) -> str:
        # No sentence for users here; logs and tracebacks show the class and its values.
        return repr(self)


class ButtonsOf(StrEnum):
    """What a pressed button belongs to: a quiz attempt, or a follow-up lesson's practice."""

    QUIZ = "quiz"
    LESSON = "lesson"


class ChoiceProblem(StrEnum):
    """Why the options chosen are not a possible answer to an item."""

    NONE_CHOSEN = "none chosen"
    NO_SUCH_OPTION = "no such option"
    NOT_ONE = "not exactly one"


class ArticleProblem(StrEnum):
    """Why no draft quiz can be made from a file (`quizbot quiz draft`, an article sent)."""

    EMPTY = "empty"
    BINARY = "binary"  # not text: a picture, a PDF, a word-processor file
    TOO_BIG = "too big"  # the file is over the size limit (`size`, `limit` in bytes)
    WRONG_TYPE = "wrong type"  # sent in the chat with a name that is neither .txt nor .html
    NO_ARTICLE_IN_PAGE = "no article in page"  # an HTML page with no article text in it
    TOO_SHORT = "too short"
    TOO_LONG = "too long"  # more text than one quiz can hold (`limit` in characters)
    NOT_PROSE = "not prose"  # a list of words or a table: hardly any sentence ends
    DATA = "data"  # YAML, JSON, markup or code
    NOT_ENGLISH = "not English"


class ReportArgProblem(StrEnum):
    """What is wrong with the words given to a report (/stats, /export, `quizbot stats`)."""

    TWO_QUIZZES = "two quizzes"
    NOT_A_QUIZ_ID = "not a quiz id"
    UNKNOWN_OPTION = "unknown option"
    REPEATED_OPTION = "repeated option"
    VERSION_WITHOUT_QUIZ = "version without quiz"
    OUT_OF_RANGE = "out of range"  # a number that is not a whole number from 1 to `limit`
    NOT_A_CODE = "not a code"  # a cohort that is not shaped like an invite code


class AssessArgProblem(StrEnum):
    """What is wrong with the words given to /assess."""

    NO_CODE = "no code"
    NOT_A_CODE = "not a code"
    UNKNOWN_ACTION = "unknown action"  # not on or off
    BAD_DAYS = "bad days"  # not a whole number from 1 to `limit`
    TOO_MANY = "too many"  # a word that is neither the delay nor a set id


class StageClosedReason(StrEnum):
    """Why a test's Start button does nothing now."""

    DONE = "done"  # finished already
    SKIPPED = "skipped"
    TESTS_OFF = "tests off"  # the instructor turned the cohort's tests off
    NOT_YET = "not yet"  # the delayed test is not due yet


# ------------------------------------------- not there (or not this user's to see)


class NotFoundError(QuizbotError):
    """Something named does not exist, or is not visible to this user (ids do not leak)."""


@dataclass(eq=False)
class UnknownQuizError(NotFoundError):
    """No quiz with this id that the user may take or report on.

    `owned`: the quiz was looked for among the user's own (to manage it), where another
    instructor's quiz is as absent as an unknown one.
    """

    slug: str
    owned: bool = False


@dataclass(eq=False)
class AssessmentFormError(QuizbotError):
    """The quiz is a form of a pre-, post- or delayed test: learners get it through their
    cohort's tests, not by its id."""

    slug: str


@dataclass(eq=False)
class QuizEmptyError(NotFoundError):
    """The quiz exists but has no version to take yet."""

    slug: str


@dataclass(eq=False)
class UnknownVersionError(NotFoundError):
    """The quiz has no version with this number."""

    slug: str
    version: int


@dataclass(eq=False)
class UnknownCohortError(NotFoundError):
    """No cohort with this invite code (that the user owns, when `owned`)."""

    code: str
    owned: bool = False


class AttemptGoneError(NotFoundError):
    """The quiz attempt a button belongs to no longer exists."""


class LessonGoneError(NotFoundError):
    """The follow-up a practice button belongs to no longer exists."""


class StageGoneError(NotFoundError):
    """The test a button belongs to no longer exists (its learner was forgotten)."""


# ------------------------------------------------------------- presses that cannot count


@dataclass(eq=False)
class NotYourButtonsError(QuizbotError):
    """Someone pressed a button of another learner's quiz or lesson."""

    of: ButtonsOf


@dataclass(eq=False)
class ItemClosedError(QuizbotError):
    """The item is no longer the one being asked (an old message)."""

    of: ButtonsOf


@dataclass(eq=False)
class StageClosedError(QuizbotError):
    """A test's button was pressed when the test cannot be started or skipped."""

    reason: StageClosedReason


class AlreadyAnsweredError(QuizbotError):
    """The item was answered already; the first answer stands."""


class AlreadyContinuedError(QuizbotError):
    """The round's Continue button was pressed already."""


class QuizFinishedError(QuizbotError):
    """The attempt is over."""


@dataclass(eq=False)
class InvalidChoiceError(QuizbotError):
    """The chosen options are not a possible answer to the item."""

    problem: ChoiceProblem


# ---------------------------------------------------------------- what the user typed


class InvalidInputError(QuizbotError):
    """What the user typed cannot be used (a missing or too long argument)."""


class CohortNameMissingError(InvalidInputError):
    """A cohort was to be created without a name."""


@dataclass(eq=False)
class CohortNameTooLongError(InvalidInputError):
    """The cohort name has more than `limit` characters."""

    length: int
    limit: int


class CohortCodesMissingError(InvalidInputError):
    """A quiz was to be shared with no cohort code named."""


@dataclass(eq=False)
class BadReportQueryError(InvalidInputError):
    """The words given to a report are not understood.

    `value` is the word at fault (an argument, or an option's name); `limit` the largest
    number an out-of-range option takes.
    """

    problem: ReportArgProblem
    value: str = ""
    limit: int = 0


@dataclass(eq=False)
class BadAssessArgsError(InvalidInputError):
    """The words after /assess are not understood; `value` is the word at fault."""

    problem: AssessArgProblem
    value: str = ""
    limit: int = 0


# ------------------------------------------------------------------ a cohort's tests


class NoAssessmentFormsError(QuizbotError):
    """Tests were turned on, but no test form is imported that this instructor may use."""


@dataclass(eq=False)
class IncompleteFormSetError(QuizbotError):
    """The set has one form only: `present` (A or B) without `missing`."""

    set_id: str
    present: str
    missing: str


@dataclass(eq=False)
class FormSetChoiceError(QuizbotError):
    """Several complete sets exist and none was named; `sets` are their ids."""

    sets: tuple[str, ...]


@dataclass(eq=False)
class FormSetFixedError(QuizbotError):
    """Another set was named for a cohort whose learners take `set_id` already."""

    set_id: str


@dataclass(eq=False)
class UnknownFormSetError(NotFoundError):
    """No test form of this set id that this instructor may use."""

    set_id: str
    sets: tuple[str, ...] = ()  # the complete sets there are


class InvalidSettingError(QuizbotError):
    """A learner's setting (a time zone, a window) is not one the bot accepts."""


@dataclass(eq=False)
class UnknownTimezoneError(InvalidSettingError):
    """The name is not an IANA time zone."""

    name: str


@dataclass(eq=False)
class UnknownWindowError(InvalidSettingError):
    """The daily window is not one of those offered."""

    preset: str


@dataclass(eq=False)
class UnknownLanguageError(InvalidSettingError):
    """The bot does not speak this language."""

    code: str


# ---------------------------------------------------------------------------- reports


class ReportAccessDeniedError(QuizbotError):
    """The user may not see this report."""


class StaffOnlyReportError(ReportAccessDeniedError):
    """A learner asked for a report: reports are for admins and instructors."""


class OutsideOwnReportError(ReportAccessDeniedError):
    """An instructor asked beyond their own quizzes and cohorts."""


# ---------------------------------------------------------------------------- imports


class QuizImportError(QuizbotError):
    """A quiz file has problems; nothing was imported.

    `problems` are ``FILE:LINE: message`` lines in English (logs); `located` holds the same
    problems with their parts apart, for adapters to render in their reader's language and
    way (the chat numbers them by line, the terminal prints ``FILE:LINE: message``).
    """

    def __init__(self, problems: list[str], located: Sequence[Problem] = ()) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing imported")
        self.problems = problems
        self.located = tuple(located)


# ---------------------------------------------------------------------------- drafts


@dataclass(eq=False)
class ArticleRejectedError(QuizbotError):
    """No draft quiz can be made from the file; nothing was written or stored.

    `size` and `limit` are in bytes for TOO_BIG, in characters for TOO_LONG, and in words
    for TOO_SHORT.
    """

    problem: ArticleProblem
    size: int = 0
    limit: int = 0
