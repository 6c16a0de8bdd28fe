"""The chat's words for the domain errors: a reply to a command, a popup for a button.

The terminal words the same errors in `console/error_text.py`; here the way on is always a
command to send (/quiz, /share …).
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
from bot.domain.limits import CALLBACK_ANSWER_MAX
from bot.telegram.render import escape_text
from bot.telegram.render_instructor import problems_text

FALLBACK = "That did not work. Send /help to see what I can do."

_CHOICES = {
    ChoiceProblem.NONE_CHOSEN: "choose at least one option",
    ChoiceProblem.NO_SUCH_OPTION: "no such option",
    ChoiceProblem.NOT_ONE: "choose exactly one option",
}


def describe(error: QuizbotError, *, usage: str | None = None) -> str:
    """The error in plain text; `usage` is the command's usage line, for argument errors."""
    match error:
        case UnknownQuizError(slug=slug, owned=owned):
            return f"There is no quiz '{slug}'{' of yours' if owned else ''}."
        case QuizEmptyError(slug=slug):
            return f"The quiz '{slug}' has no content yet."
        case UnknownVersionError(slug=slug, version=version):
            return f"The quiz '{slug}' has no version {version}."
        case UnknownCohortError(code=code, owned=owned):
            return f"There is no cohort with the code '{code}'{' of yours' if owned else ''}."
        case AttemptGoneError():
            return "This quiz session no longer exists. Send /quiz to start again."
        case LessonGoneError():
            return "This lesson no longer exists."
        case NotYourButtonsError(of=ButtonsOf.QUIZ):
            return "These buttons belong to someone else's quiz."
        case NotYourButtonsError():
            return "These buttons belong to someone else's lesson."
        case ItemClosedError(of=ButtonsOf.QUIZ):
            return "This question is no longer open."
        case ItemClosedError():
            return "This practice question is no longer open."
        case AlreadyAnsweredError():
            return "You already answered this one; your first answer counts."
        case AlreadyContinuedError():
            return "You already continued."
        case QuizFinishedError():
            return "This quiz is finished. Send /quiz to take it again."
        case InvalidChoiceError(problem=problem):
            return _CHOICES[problem]
        case CohortNameMissingError():
            return "Name the cohort: /cohort NAME, for example /cohort Class 9B."
        case CohortNameTooLongError(length=length, limit=limit):
            return f"A cohort name may have at most {limit} characters; this one has {length}."
        case CohortCodesMissingError():
            return (
                "Name the quiz and the cohort codes: /share QUIZ-ID CODE (more codes may follow)."
            )
        case BadReportQueryError():
            return _report_args(error, usage)
        case UnknownWindowError():
            return "That is not one of the offered times."
        case UnknownTimezoneError(name=name):
            return (
                f"I don't know the time zone '{name[:64]}'. Use a name like Europe/Berlin, "
                "America/New_York or Asia/Tokyo."
            )
        case StaffOnlyReportError():
            return "Only admins and instructors can see reports."
        case OutsideOwnReportError():
            return "You can see reports only on your own quizzes and cohorts."
        case QuizImportError(problems=problems):
            return "\n".join(problems)
    return FALLBACK


def _report_args(error: BadReportQueryError, usage: str | None) -> str:
    value = error.value
    match error.problem:
        case ReportArgProblem.TWO_QUIZZES:
            text = "Name at most one quiz."
        case ReportArgProblem.NOT_A_QUIZ_ID:
            text = f"'{value[:40]}' is not a quiz id."
        case ReportArgProblem.UNKNOWN_OPTION:
            text = f"Unknown option '{value[:20]}'."
        case ReportArgProblem.REPEATED_OPTION:
            text = f"'{value}' is given twice."
        case ReportArgProblem.VERSION_WITHOUT_QUIZ:
            text = "version=N needs a quiz id."
        case ReportArgProblem.OUT_OF_RANGE:
            # Said plainly, with no usage: the option was right, its number was not.
            return f"{value} must be a whole number from 1 to {error.limit}."
        case ReportArgProblem.NOT_A_CODE:
            return "cohort must be an invite code (letters, digits, - and _)."
    return f"{text} {usage}" if usage else text


def reply_html(error: QuizbotError, *, usage: str | None = None) -> str:
    """The error as a reply message (HTML); a refused upload lists its problems by line."""
    if isinstance(error, QuizImportError) and error.located:
        return problems_text(error.located[0].file, error.located)
    return escape_text(describe(error, usage=usage))


def popup_text(error: QuizbotError) -> str:
    """The error as a button's popup (a callback answer: plain text, 200 characters)."""
    return describe(error)[:CALLBACK_ANSWER_MAX]
