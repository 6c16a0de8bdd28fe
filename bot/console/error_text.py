"""The terminal's words for the domain errors (`quizbot demo`, `stats`, `export`).

The chat words the same errors in `telegram/error_text.py`; here the way on is a command to
run, and report options are named as the command line spells them (`--days`).
"""

from __future__ import annotations

from bot.console.i18n import N_, _, number, render
from bot.domain import errors
from bot.domain.languages import LANGUAGES

FALLBACK = N_("That did not work.")

_CHOICES = {
    errors.ChoiceProblem.NONE_CHOSEN: N_("Choose at least one option."),
    errors.ChoiceProblem.NO_SUCH_OPTION: N_("There is no such option."),
    errors.ChoiceProblem.NOT_ONE: N_("Choose exactly one option."),
}


def describe(error: errors.QuizbotError, *, usage: str | None = None) -> str:
    """The error as a line (or lines) for the terminal; `usage` follows argument errors."""
    match error:
        case errors.UnknownQuizError(slug=slug):
            # The terminal holds the database: no quiz is another instructor's there.
            return _("There is no quiz '{slug}'.").format(slug=slug)
        case errors.QuizEmptyError(slug=slug):
            return _("The quiz '{slug}' has no content yet.").format(slug=slug)
        case errors.UnknownVersionError(slug=slug, version=version):
            return _("The quiz '{slug}' has no version {version}.").format(
                slug=slug, version=version
            )
        case errors.UnknownCohortError(code=code):
            return _("There is no cohort with the code '{code}'.").format(code=code)
        case errors.AttemptGoneError():
            return _("This quiz session no longer exists. Run `quizbot demo` to start again.")
        case errors.LessonGoneError():
            return _("This lesson no longer exists.")
        case errors.NotYourButtonsError(of=errors.ButtonsOf.QUIZ):
            return _("This quiz belongs to another player.")
        case errors.NotYourButtonsError():
            return _("This lesson belongs to another player.")
        case errors.ItemClosedError(of=errors.ButtonsOf.QUIZ):
            return _("This question is no longer open.")
        case errors.ItemClosedError():
            return _("This practice question is no longer open.")
        case errors.AlreadyAnsweredError():
            return _("You already answered this one; your first answer counts.")
        case errors.AlreadyContinuedError():
            return _("You already continued.")
        case errors.QuizFinishedError():
            return _("This quiz is finished. Run `quizbot demo` to take it again.")
        case errors.InvalidChoiceError(problem=problem):
            return _(_CHOICES[problem])
        case errors.CohortNameMissingError():
            return _("Name the cohort.")
        case errors.CohortNameTooLongError(length=length, limit=limit):
            return _(
                "A cohort name may have at most {limit} characters; this one has {length}."
            ).format(limit=limit, length=length)
        case errors.CohortCodesMissingError():
            return _("Name at least one cohort code.")
        case errors.BadReportQueryError():
            return _report_args(error, usage)
        case errors.UnknownWindowError(preset=preset):
            return _("'{preset}' is not one of the offered times.").format(preset=preset[:20])
        case errors.UnknownLanguageError(code=code):
            return _("Unknown language '{code}'; choose one of: {choices}.").format(
                code=code[:8], choices=", ".join(LANGUAGES)
            )
        case errors.UnknownTimezoneError(name=name):
            return _("Unknown time zone '{name}'; use a name like Europe/Berlin.").format(
                name=name[:64]
            )
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
                "'{slug}' is a test form: learners take it through a cohort's tests in the "
                "chat, not in the demo."
            ).format(slug=slug)
        case errors.StageGoneError():
            return _("This test no longer exists.")
        case errors.StageClosedError(reason=reason):
            # The reason as the code names it: the terminal is the operators'.
            return _("This test cannot be started: {reason}.").format(reason=reason.value)
        case errors.BadAssessArgsError(problem=problem, value=value):
            return _("The tests' settings are not understood ({problem}: {value}).").format(
                problem=problem.value, value=value[:40]
            )
        case errors.NoAssessmentFormsError():
            return _("No test forms are imported yet: import forms A and B of one set first.")
        case errors.IncompleteFormSetError(set_id=set_id, present=present, missing=missing):
            return _("The set '{set}' has form {present} but no form {missing}.").format(
                set=set_id, present=present, missing=missing
            )
        case errors.FormSetChoiceError(sets=sets):
            return _("Name one of the sets of test forms: {sets}.").format(sets=", ".join(sets))
        case errors.FormSetFixedError(set_id=set_id):
            return _("The cohort's learners take the set '{set}' already.").format(set=set_id)
        case errors.UnknownFormSetError(set_id=set_id):
            return _("There is no set of test forms '{set}'.").format(set=set_id[:64])
        case errors.ArticleRejectedError():
            return article_text(error) + " " + _("No draft was written.")
    return _(FALLBACK)


def article_text(error: errors.ArticleRejectedError) -> str:
    """Why no draft quiz can be made from the file, in one sentence or two."""
    match error.problem:
        case errors.ArticleProblem.EMPTY:
            return _("The file is empty.")
        case errors.ArticleProblem.BINARY:
            return _(
                "The file is not text: save the article as plain text (.txt) or a web page "
                "(.html)."
            )
        case errors.ArticleProblem.TOO_BIG:
            return _("The file is {size} MB; an article may be at most 1 MB.").format(
                size=number(error.size / 1_000_000, 1)
            )
        case errors.ArticleProblem.WRONG_TYPE:
            return _("Send an article as a .txt or .html file.")
        case errors.ArticleProblem.NO_ARTICLE_IN_PAGE:
            return _(
                "I found no article in this web page. Save the article's own page, or paste "
                "its text into a .txt file."
            )
        case errors.ArticleProblem.TOO_SHORT:
            return _("The text has {size} words; an article needs at least {limit}.").format(
                size=error.size, limit=error.limit
            )
        case errors.ArticleProblem.TOO_LONG:
            return _(
                "The text has {size} characters; one quiz can hold at most {limit}. "
                "Use one article, or part of it."
            ).format(size=number(error.size), limit=number(error.limit))
        case errors.ArticleProblem.NOT_PROSE:
            return _(
                "This is not an article: it has hardly any sentences (a list of words or a "
                "table?)."
            )
        case errors.ArticleProblem.DATA:
            return _(
                "This is not an article: it looks like data or code (YAML, JSON, markup). To "
                "check a quiz file, use `quizbot quiz validate`."
            )
        case errors.ArticleProblem.NOT_ENGLISH:
            return _(
                "The article does not seem to be in English; drafts are made from English "
                "articles only."
            )
    return _(FALLBACK)


MAX_LISTED = 20


def unknown_quiz(slug: str, ids: list[str]) -> str:
    """One line for a quiz id not in the database, with the ids that are."""
    if not ids:
        return _("There is no quiz '{slug}', and no quiz is imported yet.").format(slug=slug[:63])
    listed = ", ".join(ids[:MAX_LISTED])
    hidden = len(ids) - MAX_LISTED
    if hidden > 0:
        return _(
            "There is no quiz '{slug}'. The quiz ids are: {listed} and {n} more "
            "(quizbot quiz list)."
        ).format(slug=slug[:63], listed=listed, n=hidden)
    return _("There is no quiz '{slug}'. The quiz ids are: {listed}.").format(
        slug=slug[:63], listed=listed
    )


def _report_args(error: errors.BadReportQueryError, usage: str | None) -> str:
    option = f"--{error.value}"
    match error.problem:
        case errors.ReportArgProblem.TWO_QUIZZES:
            text = _("Name at most one quiz.")
        case errors.ReportArgProblem.NOT_A_QUIZ_ID:
            text = _("'{value}' is not a quiz id.").format(value=error.value[:40])
        case errors.ReportArgProblem.UNKNOWN_OPTION:
            text = _("Unknown option '{value}'.").format(value=error.value[:20])
        case errors.ReportArgProblem.REPEATED_OPTION:
            text = _("{option} is given twice.").format(option=option)
        case errors.ReportArgProblem.VERSION_WITHOUT_QUIZ:
            text = _("--version needs --quiz.")
        case errors.ReportArgProblem.OUT_OF_RANGE:
            return _("{option} must be a whole number from 1 to {limit}.").format(
                option=option, limit=error.limit
            )
        case errors.ReportArgProblem.NOT_A_CODE:
            return _("--cohort must be an invite code (letters, digits, - and _).")
    return f"{text} {usage}" if usage else text
