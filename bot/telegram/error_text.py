"""The chat's words for the domain errors: a reply to a command, a popup for a button.

The terminal words the same errors in `console/error_text.py`; here the way on is always a
command to send (/quiz, /share …).
"""

from __future__ import annotations

from bot.console.i18n import N_, _, number, render
from bot.domain import errors
from bot.domain.limits import CALLBACK_ANSWER_MAX
from bot.telegram.render import escape_text
from bot.telegram.render_instructor import problems_text

FALLBACK = N_("That did not work. Send /help to see what I can do.")

_CHOICES = {
    errors.ChoiceProblem.NONE_CHOSEN: N_("choose at least one option"),
    errors.ChoiceProblem.NO_SUCH_OPTION: N_("no such option"),
    errors.ChoiceProblem.NOT_ONE: N_("choose exactly one option"),
}


def describe(error: errors.QuizbotError, *, usage: str | None = None) -> str:
    """The error in plain text; `usage` is the command's usage line, for argument errors."""
    match error:
        case errors.UnknownQuizError(slug=slug, owned=owned):
            text = (
                _("There is no quiz '{slug}' of yours.")
                if owned
                else _("There is no quiz '{slug}'.")
            )
            return text.format(slug=slug)
        case errors.QuizEmptyError(slug=slug):
            return _("The quiz '{slug}' has no content yet.").format(slug=slug)
        case errors.UnknownVersionError(slug=slug, version=version):
            return _("The quiz '{slug}' has no version {version}.").format(
                slug=slug, version=version
            )
        case errors.UnknownCohortError(code=code, owned=owned):
            text = (
                _("There is no cohort of yours with the code '{code}'.")
                if owned
                else _("There is no cohort with the code '{code}'.")
            )
            return text.format(code=code)
        case errors.AttemptGoneError():
            return _("This quiz session no longer exists. Send /quiz to start again.")
        case errors.LessonGoneError():
            return _("This lesson no longer exists.")
        case errors.NotYourButtonsError(of=errors.ButtonsOf.QUIZ):
            return _("These buttons belong to someone else's quiz.")
        case errors.NotYourButtonsError():
            return _("These buttons belong to someone else's lesson.")
        case errors.ItemClosedError(of=errors.ButtonsOf.QUIZ):
            return _("This question is no longer open.")
        case errors.ItemClosedError():
            return _("This practice question is no longer open.")
        case errors.AlreadyAnsweredError():
            return _("You already answered this one; your first answer counts.")
        case errors.AlreadyContinuedError():
            return _("You already continued.")
        case errors.QuizFinishedError():
            return _("This quiz is finished. Send /quiz to take it again.")
        case errors.InvalidChoiceError(problem=problem):
            return _(_CHOICES[problem])
        case errors.CohortNameMissingError():
            return _("Name the cohort: /cohort NAME, for example /cohort Class 9B.")
        case errors.CohortNameTooLongError(length=length, limit=limit):
            return _(
                "A cohort name may have at most {limit} characters; this one has {length}."
            ).format(limit=limit, length=length)
        case errors.CohortCodesMissingError():
            return _(
                "Name the quiz and the cohort codes: /share QUIZ-ID CODE (more codes may follow)."
            )
        case errors.BadReportQueryError():
            return _report_args(error, usage)
        case errors.UnknownWindowError():
            return _("That is not one of the offered times.")
        case errors.UnknownLanguageError():
            return _("I don't speak that language yet. Send /language to see the choices.")
        case errors.UnknownTimezoneError(name=name):
            return _(
                "I don't know the time zone '{name}'. Use a name like Europe/Berlin, "
                "America/New_York or Asia/Tokyo."
            ).format(name=name[:64])
        case errors.StaffOnlyReportError():
            return _("Only admins and instructors can see reports.")
        case errors.OutsideOwnReportError():
            return _("You can see reports only on your own quizzes and cohorts.")
        case errors.QuizImportError(problems=problems, located=located):
            if located:
                return "\n".join(render(problem.located()) for problem in located)
            return "\n".join(problems)
        case errors.AssessmentFormError(slug=slug):
            return _(
                "'{slug}' is a test form: learners take it through their group's tests, "
                "not with /quiz."
            ).format(slug=slug)
        case errors.StageGoneError():
            return _("This test no longer exists.")
        case errors.StageClosedError(reason=reason):
            return _(_CLOSED[reason])
        case errors.BadAssessArgsError():
            return _assess_args(error, usage)
        case errors.NoAssessmentFormsError():
            return _(
                "No test forms are imported yet. Upload two quiz files marked as form A and "
                "form B of one set ('assessment:' with 'set:' and 'form:' in the file), then "
                "try again."
            )
        case errors.IncompleteFormSetError(set_id=set_id, present=present, missing=missing):
            return _(
                "The set '{set}' has form {present} but no form {missing} yet. Upload a "
                "quiz file with 'assessment:' set: {set}, form: {missing}, then try again."
            ).format(set=set_id, present=present, missing=missing)
        case errors.FormSetChoiceError(sets=sets):
            return _(
                "There are several sets of test forms: {sets}. Name one: "
                "/assess CODE on [DAYS] SET."
            ).format(sets=", ".join(sets))
        case errors.FormSetFixedError(set_id=set_id):
            return _(
                "The learners of this cohort take the tests of the set '{set}' already; "
                "it cannot change now."
            ).format(set=set_id)
        case errors.UnknownFormSetError(set_id=set_id, sets=sets):
            text = _("There is no set of test forms '{set}'.").format(set=set_id[:64])
            if not sets:
                return text
            return text + " " + _("Sets you can use: {sets}.").format(sets=", ".join(sets))
        case errors.ArticleRejectedError():
            return article_text(error)
    return _(FALLBACK)


def article_text(error: errors.ArticleRejectedError) -> str:
    """Why no draft quiz can be made from the article sent, in one sentence or two."""
    match error.problem:
        case errors.ArticleProblem.EMPTY:
            return _("The file is empty.")
        case errors.ArticleProblem.BINARY:
            return _("The file is not text. Send the article as a .txt or .html file.")
        case errors.ArticleProblem.TOO_BIG:
            return _("The file is {size} MB; an article may be at most 1 MB.").format(
                size=number(error.size / 1_000_000, 1)
            )
        case errors.ArticleProblem.WRONG_TYPE:
            return _("Send an article as a .txt or .html file.")
        case errors.ArticleProblem.NO_ARTICLE_IN_PAGE:
            return _(
                "I found no article in this web page. Send the article's own page, or its text "
                "as a .txt file."
            )
        case errors.ArticleProblem.TOO_SHORT:
            return _("The text has {size} words; an article needs at least {limit}.").format(
                size=error.size, limit=error.limit
            )
        case errors.ArticleProblem.TOO_LONG:
            return _(
                "The text has {size} characters; one quiz can hold at most {limit}. "
                "Send one article, or part of it."
            ).format(size=number(error.size), limit=number(error.limit))
        case errors.ArticleProblem.NOT_PROSE:
            return _("This is not an article: it has hardly any sentences.")
        case errors.ArticleProblem.DATA:
            return _(
                "This is not an article: it looks like data or code. To upload a quiz, send it "
                "as a .yaml file."
            )
        case errors.ArticleProblem.NOT_ENGLISH:
            return _(
                "The article does not seem to be in English. I can draft quizzes from English "
                "articles only."
            )
    return _(FALLBACK)


_CLOSED = {
    errors.StageClosedReason.DONE: N_("You finished this test already."),
    errors.StageClosedReason.SKIPPED: N_("You skipped this test."),
    errors.StageClosedReason.TESTS_OFF: N_("The tests of this group are off now."),
    errors.StageClosedReason.NOT_YET: N_("This test is not open yet."),
}


def _assess_args(error: errors.BadAssessArgsError, usage: str | None) -> str:
    value = error.value
    match error.problem:
        case errors.AssessArgProblem.NO_CODE:
            text = _("Name the cohort by its code.")
        case errors.AssessArgProblem.NOT_A_CODE:
            text = _("'{value}' is not a cohort code.").format(value=value[:40])
        case errors.AssessArgProblem.UNKNOWN_ACTION:
            text = _("After the code, write on or off, not '{value}'.").format(value=value[:20])
        case errors.AssessArgProblem.BAD_DAYS:
            return _("The delay must be a whole number of days from 1 to {limit}.").format(
                limit=error.limit
            )
        case errors.AssessArgProblem.TOO_MANY:
            text = _("I don't understand '{value}'.").format(value=value[:40])
    return f"{text} {_(usage)}" if usage else text


def _report_args(error: errors.BadReportQueryError, usage: str | None) -> str:
    value = error.value
    match error.problem:
        case errors.ReportArgProblem.TWO_QUIZZES:
            text = _("Name at most one quiz.")
        case errors.ReportArgProblem.NOT_A_QUIZ_ID:
            text = _("'{value}' is not a quiz id.").format(value=value[:40])
        case errors.ReportArgProblem.UNKNOWN_OPTION:
            text = _("Unknown option '{value}'.").format(value=value[:20])
        case errors.ReportArgProblem.REPEATED_OPTION:
            text = _("'{value}' is given twice.").format(value=value)
        case errors.ReportArgProblem.VERSION_WITHOUT_QUIZ:
            text = _("version=N needs a quiz id.")
        case errors.ReportArgProblem.OUT_OF_RANGE:
            # Said plainly, with no usage: the option was right, its number was not.
            return _("{value} must be a whole number from 1 to {limit}.").format(
                value=value, limit=error.limit
            )
        case errors.ReportArgProblem.NOT_A_CODE:
            return _("cohort must be an invite code (letters, digits, - and _).")
    return f"{text} {_(usage)}" if usage else text


def reply_html(error: errors.QuizbotError, *, usage: str | None = None) -> str:
    """The error as a reply message (HTML); a refused upload lists its problems by line."""
    if isinstance(error, errors.QuizImportError) and error.located:
        return problems_text(error.located[0].file, error.located)
    return escape_text(describe(error, usage=usage))


def popup_text(error: errors.QuizbotError) -> str:
    """The error as a button's popup (a callback answer: plain text, 200 characters)."""
    return describe(error)[:CALLBACK_ANSWER_MAX]
