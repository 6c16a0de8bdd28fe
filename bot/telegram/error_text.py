"""The chat's words for the domain errors: a reply to a command, a popup for a button.

The terminal words the same errors in `console/error_text.py`; here the way on is always a
command to send (/quiz, /share …).
"""

from __future__ import annotations

from bot.domain import errors
from bot.domain.limits import CALLBACK_ANSWER_MAX
from bot.telegram.render import escape_text
from bot.telegram.render_instructor import problems_text

FALLBACK = "That did not work. Send /help to see what I can do."

_CHOICES = {
    errors.ChoiceProblem.NONE_CHOSEN: "choose at least one option",
    errors.ChoiceProblem.NO_SUCH_OPTION: "no such option",
    errors.ChoiceProblem.NOT_ONE: "choose exactly one option",
}


def describe(error: errors.QuizbotError, *, usage: str | None = None) -> str:
    """The error in plain text; `usage` is the command's usage line, for argument errors."""
    match error:
        case errors.UnknownQuizError(slug=slug, owned=owned):
            return f"There is no quiz '{slug}'{' of yours' if owned else ''}."
        case errors.QuizEmptyError(slug=slug):
            return f"The quiz '{slug}' has no content yet."
        case errors.UnknownVersionError(slug=slug, version=version):
            return f"The quiz '{slug}' has no version {version}."
        case errors.UnknownCohortError(code=code, owned=owned):
            return f"There is no cohort with the code '{code}'{' of yours' if owned else ''}."
        case errors.AttemptGoneError():
            return "This quiz session no longer exists. Send /quiz to start again."
        case errors.LessonGoneError():
            return "This lesson no longer exists."
        case errors.NotYourButtonsError(of=errors.ButtonsOf.QUIZ):
            return "These buttons belong to someone else's quiz."
        case errors.NotYourButtonsError():
            return "These buttons belong to someone else's lesson."
        case errors.ItemClosedError(of=errors.ButtonsOf.QUIZ):
            return "This question is no longer open."
        case errors.ItemClosedError():
            return "This practice question is no longer open."
        case errors.AlreadyAnsweredError():
            return "You already answered this one; your first answer counts."
        case errors.AlreadyContinuedError():
            return "You already continued."
        case errors.QuizFinishedError():
            return "This quiz is finished. Send /quiz to take it again."
        case errors.InvalidChoiceError(problem=problem):
            return _CHOICES[problem]
        case errors.CohortNameMissingError():
            return "Name the cohort: /cohort NAME, for example /cohort Class 9B."
        case errors.CohortNameTooLongError(length=length, limit=limit):
            return f"A cohort name may have at most {limit} characters; this one has {length}."
        case errors.CohortCodesMissingError():
            return (
                "Name the quiz and the cohort codes: /share QUIZ-ID CODE (more codes may follow)."
            )
        case errors.BadReportQueryError():
            return _report_args(error, usage)
        case errors.UnknownWindowError():
            return "That is not one of the offered times."
        case errors.UnknownTimezoneError(name=name):
            return (
                f"I don't know the time zone '{name[:64]}'. Use a name like Europe/Berlin, "
                "America/New_York or Asia/Tokyo."
            )
        case errors.StaffOnlyReportError():
            return "Only admins and instructors can see reports."
        case errors.OutsideOwnReportError():
            return "You can see reports only on your own quizzes and cohorts."
        case errors.QuizImportError(problems=problems):
            return "\n".join(problems)
        case errors.AssessmentFormError(slug=slug):
            return (
                f"'{slug}' is a test form: learners take it through their group's tests, "
                "not with /quiz."
            )
        case errors.StageGoneError():
            return "This test no longer exists."
        case errors.StageClosedError(reason=reason):
            return _CLOSED[reason]
        case errors.BadAssessArgsError():
            return _assess_args(error, usage)
        case errors.NoAssessmentFormsError():
            return (
                "No test forms are imported yet. Upload two quiz files marked as form A and "
                "form B of one set ('assessment:' with 'set:' and 'form:' in the file), then "
                "try again."
            )
        case errors.IncompleteFormSetError(set_id=set_id, present=present, missing=missing):
            return (
                f"The set '{set_id}' has form {present} but no form {missing} yet. Upload a "
                f"quiz file with 'assessment:' set: {set_id}, form: {missing}, then try again."
            )
        case errors.FormSetChoiceError(sets=sets):
            return (
                f"There are several sets of test forms: {', '.join(sets)}. Name one: "
                "/assess CODE on [DAYS] SET."
            )
        case errors.FormSetFixedError(set_id=set_id):
            return (
                f"The learners of this cohort take the tests of the set '{set_id}' already; "
                "it cannot change now."
            )
        case errors.UnknownFormSetError(set_id=set_id, sets=sets):
            known = f" Sets you can use: {', '.join(sets)}." if sets else ""
            return f"There is no set of test forms '{set_id[:64]}'.{known}"
        case errors.ArticleRejectedError():
            return article_text(error)
    return FALLBACK


def article_text(error: errors.ArticleRejectedError) -> str:
    """Why no draft quiz can be made from the article sent, in one sentence or two."""
    match error.problem:
        case errors.ArticleProblem.EMPTY:
            return "The file is empty."
        case errors.ArticleProblem.BINARY:
            return "The file is not text. Send the article as a .txt or .html file."
        case errors.ArticleProblem.TOO_BIG:
            return f"The file is {error.size / 1_000_000:.1f} MB; an article may be at most 1 MB."
        case errors.ArticleProblem.WRONG_TYPE:
            return "Send an article as a .txt or .html file."
        case errors.ArticleProblem.NO_ARTICLE_IN_PAGE:
            return (
                "I found no article in this web page. Send the article's own page, or its text "
                "as a .txt file."
            )
        case errors.ArticleProblem.TOO_SHORT:
            return f"The text has {error.size} words; an article needs at least {error.limit}."
        case errors.ArticleProblem.TOO_LONG:
            return (
                f"The text has {error.size:,} characters; one quiz can hold at most "
                f"{error.limit:,}. Send one article, or part of it."
            )
        case errors.ArticleProblem.NOT_PROSE:
            return "This is not an article: it has hardly any sentences."
        case errors.ArticleProblem.DATA:
            return (
                "This is not an article: it looks like data or code. To upload a quiz, send it "
                "as a .yaml file."
            )
        case errors.ArticleProblem.NOT_ENGLISH:
            return (
                "The article does not seem to be in English. I can draft quizzes from English "
                "articles only."
            )
    return FALLBACK


_CLOSED = {
    errors.StageClosedReason.DONE: "You finished this test already.",
    errors.StageClosedReason.SKIPPED: "You skipped this test.",
    errors.StageClosedReason.TESTS_OFF: "The tests of this group are off now.",
    errors.StageClosedReason.NOT_YET: "This test is not open yet.",
}


def _assess_args(error: errors.BadAssessArgsError, usage: str | None) -> str:
    value = error.value
    match error.problem:
        case errors.AssessArgProblem.NO_CODE:
            text = "Name the cohort by its code."
        case errors.AssessArgProblem.NOT_A_CODE:
            text = f"'{value[:40]}' is not a cohort code."
        case errors.AssessArgProblem.UNKNOWN_ACTION:
            text = f"After the code, write on or off, not '{value[:20]}'."
        case errors.AssessArgProblem.BAD_DAYS:
            return f"The delay must be a whole number of days from 1 to {error.limit}."
        case errors.AssessArgProblem.TOO_MANY:
            text = f"I don't understand '{value[:40]}'."
    return f"{text} {usage}" if usage else text


def _report_args(error: errors.BadReportQueryError, usage: str | None) -> str:
    value = error.value
    match error.problem:
        case errors.ReportArgProblem.TWO_QUIZZES:
            text = "Name at most one quiz."
        case errors.ReportArgProblem.NOT_A_QUIZ_ID:
            text = f"'{value[:40]}' is not a quiz id."
        case errors.ReportArgProblem.UNKNOWN_OPTION:
            text = f"Unknown option '{value[:20]}'."
        case errors.ReportArgProblem.REPEATED_OPTION:
            text = f"'{value}' is given twice."
        case errors.ReportArgProblem.VERSION_WITHOUT_QUIZ:
            text = "version=N needs a quiz id."
        case errors.ReportArgProblem.OUT_OF_RANGE:
            # Said plainly, with no usage: the option was right, its number was not.
            return f"{value} must be a whole number from 1 to {error.limit}."
        case errors.ReportArgProblem.NOT_A_CODE:
            return "cohort must be an invite code (letters, digits, - and _)."
    return f"{text} {usage}" if usage else text


def reply_html(error: errors.QuizbotError, *, usage: str | None = None) -> str:
    """The error as a reply message (HTML); a refused upload lists its problems by line."""
    if isinstance(error, errors.QuizImportError) and error.located:
        return problems_text(error.located[0].file, error.located)
    return escape_text(describe(error, usage=usage))


def popup_text(error: errors.QuizbotError) -> str:
    """The error as a button's popup (a callback answer: plain text, 200 characters)."""
    return describe(error)[:CALLBACK_ANSWER_MAX]
