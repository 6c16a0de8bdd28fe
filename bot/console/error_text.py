"""The terminal's words for the domain errors (`quizbot demo`, `stats`, `export`).

The chat words the same errors in `telegram/error_text.py`; here the way on is a command to
run, and report options are named as the command line spells them (`--days`).
"""

from __future__ import annotations

from bot.domain.errors import (
    AlreadyAnsweredError,
    AlreadyContinuedError,
    AttemptGoneError,
    BadReportQueryError,
    ButtonsOf,
    ChoiceProblem,
    CohortCodesMissingError,
    CohortNameMissingError,
    CohortNameTooLongError,
    InvalidChoiceError,
    ItemClosedError,
    LessonGoneError,
    NotYourButtonsError,
    OutsideOwnReportError,
    QuizbotError,
    QuizEmptyError,
    QuizFinishedError,
    QuizImportError,
    ReportArgProblem,
    StaffOnlyReportError,
    UnknownCohortError,
    UnknownQuizError,
    UnknownTimezoneError,
    UnknownVersionError,
    UnknownWindowError,
)

FALLBACK = "That did not work."

_CHOICES = {
    ChoiceProblem.NONE_CHOSEN: "Choose at least one option.",
    ChoiceProblem.NO_SUCH_OPTION: "There is no such option.",
    ChoiceProblem.NOT_ONE: "Choose exactly one option.",
}


def describe(error: QuizbotError, *, usage: str | None = None) -> str:
    """The error as a line (or lines) for the terminal; `usage` follows argument errors."""
    match error:
        case UnknownQuizError(slug=slug):
            # The terminal holds the database: no quiz is another instructor's there.
            return f"There is no quiz '{slug}'."
        case QuizEmptyError(slug=slug):
            return f"The quiz '{slug}' has no content yet."
        case UnknownVersionError(slug=slug, version=version):
            return f"The quiz '{slug}' has no version {version}."
        case UnknownCohortError(code=code):
            return f"There is no cohort with the code '{code}'."
        case AttemptGoneError():
            return "This quiz session no longer exists. Run `quizbot demo` to start again."
        case LessonGoneError():
            return "This lesson no longer exists."
        case NotYourButtonsError(of=ButtonsOf.QUIZ):
            return "This quiz belongs to another player."
        case NotYourButtonsError():
            return "This lesson belongs to another player."
        case ItemClosedError(of=ButtonsOf.QUIZ):
            return "This question is no longer open."
        case ItemClosedError():
            return "This practice question is no longer open."
        case AlreadyAnsweredError():
            return "You already answered this one; your first answer counts."
        case AlreadyContinuedError():
            return "You already continued."
        case QuizFinishedError():
            return "This quiz is finished. Run `quizbot demo` to take it again."
        case InvalidChoiceError(problem=problem):
            return _CHOICES[problem]
        case CohortNameMissingError():
            return "Name the cohort."
        case CohortNameTooLongError(length=length, limit=limit):
            return f"A cohort name may have at most {limit} characters; this one has {length}."
        case CohortCodesMissingError():
            return "Name at least one cohort code."
        case BadReportQueryError():
            return _report_args(error, usage)
        case UnknownWindowError(preset=preset):
            return f"'{preset[:20]}' is not one of the offered times."
        case UnknownTimezoneError(name=name):
            return f"Unknown time zone '{name[:64]}'; use a name like Europe/Berlin."
        case StaffOnlyReportError():
            return "Only admins and instructors can see reports."
        case OutsideOwnReportError():
            return "You can see reports only on your own quizzes and cohorts."
        case QuizImportError(problems=problems):
            return "\n".join(problems)
    return FALLBACK


def _report_args(error: BadReportQueryError, usage: str | None) -> str:
    option = f"--{error.value}"
    match error.problem:
        case ReportArgProblem.TWO_QUIZZES:
            text = "Name at most one quiz."
        case ReportArgProblem.NOT_A_QUIZ_ID:
            text = f"'{error.value[:40]}' is not a quiz id."
        case ReportArgProblem.UNKNOWN_OPTION:
            text = f"Unknown option '{error.value[:20]}'."
        case ReportArgProblem.REPEATED_OPTION:
            text = f"{option} is given twice."
        case ReportArgProblem.VERSION_WITHOUT_QUIZ:
            text = "--version needs --quiz."
        case ReportArgProblem.OUT_OF_RANGE:
            return f"{option} must be a whole number from 1 to {error.limit}."
        case ReportArgProblem.NOT_A_CODE:
            return "--cohort must be an invite code (letters, digits, - and _)."
    return f"{text} {usage}" if usage else text
