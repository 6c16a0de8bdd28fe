"""The terminal's words for the domain errors (`quizbot demo`, `stats`, `export`).

The chat words the same errors in `telegram/error_text.py`; here the way on is a command to
run, and report options are named as the command line spells them (`--days`).
"""

from __future__ import annotations

from bot.domain import errors

FALLBACK = "That did not work."

_CHOICES = {
    errors.ChoiceProblem.NONE_CHOSEN: "Choose at least one option.",
    errors.ChoiceProblem.NO_SUCH_OPTION: "There is no such option.",
    errors.ChoiceProblem.NOT_ONE: "Choose exactly one option.",
}


def describe(error: errors.QuizbotError, *, usage: str | None = None) -> str:
    """The error as a line (or lines) for the terminal; `usage` follows argument errors."""
    match error:
        case errors.UnknownQuizError(slug=slug):
            # The terminal holds the database: no quiz is another instructor's there.
            return f"There is no quiz '{slug}'."
        case errors.QuizEmptyError(slug=slug):
            return f"The quiz '{slug}' has no content yet."
        case errors.UnknownVersionError(slug=slug, version=version):
            return f"The quiz '{slug}' has no version {version}."
        case errors.UnknownCohortError(code=code):
            return f"There is no cohort with the code '{code}'."
        case errors.AttemptGoneError():
            return "This quiz session no longer exists. Run `quizbot demo` to start again."
        case errors.LessonGoneError():
            return "This lesson no longer exists."
        case errors.NotYourButtonsError(of=errors.ButtonsOf.QUIZ):
            return "This quiz belongs to another player."
        case errors.NotYourButtonsError():
            return "This lesson belongs to another player."
        case errors.ItemClosedError(of=errors.ButtonsOf.QUIZ):
            return "This question is no longer open."
        case errors.ItemClosedError():
            return "This practice question is no longer open."
        case errors.AlreadyAnsweredError():
            return "You already answered this one; your first answer counts."
        case errors.AlreadyContinuedError():
            return "You already continued."
        case errors.QuizFinishedError():
            return "This quiz is finished. Run `quizbot demo` to take it again."
        case errors.InvalidChoiceError(problem=problem):
            return _CHOICES[problem]
        case errors.CohortNameMissingError():
            return "Name the cohort."
        case errors.CohortNameTooLongError(length=length, limit=limit):
            return f"A cohort name may have at most {limit} characters; this one has {length}."
        case errors.CohortCodesMissingError():
            return "Name at least one cohort code."
        case errors.BadReportQueryError():
            return _report_args(error, usage)
        case errors.UnknownWindowError(preset=preset):
            return f"'{preset[:20]}' is not one of the offered times."
        case errors.UnknownTimezoneError(name=name):
            return f"Unknown time zone '{name[:64]}'; use a name like Europe/Berlin."
        case errors.StaffOnlyReportError():
            return "Only admins and instructors can see reports."
        case errors.OutsideOwnReportError():
            return "You can see reports only on your own quizzes and cohorts."
        case errors.QuizImportError(problems=problems):
            return "\n".join(problems)
        case errors.AssessmentFormError(slug=slug):
            return (
                f"'{slug}' is a test form: learners take it through a cohort's tests in the "
                "chat, not in the demo."
            )
        case errors.StageGoneError():
            return "This test no longer exists."
        case errors.StageClosedError(reason=reason):
            return f"This test cannot be started: {reason.value}."
        case errors.BadAssessArgsError(problem=problem, value=value):
            return f"The tests' settings are not understood ({problem.value}: {value[:40]})."
        case errors.NoAssessmentFormsError():
            return "No test forms are imported yet: import forms A and B of one set first."
        case errors.IncompleteFormSetError(set_id=set_id, present=present, missing=missing):
            return f"The set '{set_id}' has form {present} but no form {missing}."
        case errors.FormSetChoiceError(sets=sets):
            return f"Name one of the sets of test forms: {', '.join(sets)}."
        case errors.FormSetFixedError(set_id=set_id):
            return f"The cohort's learners take the set '{set_id}' already."
        case errors.UnknownFormSetError(set_id=set_id):
            return f"There is no set of test forms '{set_id[:64]}'."
        case errors.ArticleRejectedError():
            return article_text(error) + " No draft was written."
    return FALLBACK


def article_text(error: errors.ArticleRejectedError) -> str:
    """Why no draft quiz can be made from the file, in one sentence or two."""
    match error.problem:
        case errors.ArticleProblem.EMPTY:
            return "The file is empty."
        case errors.ArticleProblem.BINARY:
            return (
                "The file is not text: save the article as plain text (.txt) or a web page "
                "(.html)."
            )
        case errors.ArticleProblem.TOO_BIG:
            return f"The file is {error.size / 1_000_000:.1f} MB; an article may be at most 1 MB."
        case errors.ArticleProblem.WRONG_TYPE:
            return "Send an article as a .txt or .html file."
        case errors.ArticleProblem.NO_ARTICLE_IN_PAGE:
            return (
                "I found no article in this web page. Save the article's own page, or paste "
                "its text into a .txt file."
            )
        case errors.ArticleProblem.TOO_SHORT:
            return f"The text has {error.size} words; an article needs at least {error.limit}."
        case errors.ArticleProblem.TOO_LONG:
            return (
                f"The text has {error.size:,} characters; one quiz can hold at most "
                f"{error.limit:,}. Use one article, or part of it."
            )
        case errors.ArticleProblem.NOT_PROSE:
            return (
                "This is not an article: it has hardly any sentences (a list of words or a "
                "table?)."
            )
        case errors.ArticleProblem.DATA:
            return (
                "This is not an article: it looks like data or code (YAML, JSON, markup). To "
                "check a quiz file, use `quizbot quiz validate`."
            )
        case errors.ArticleProblem.NOT_ENGLISH:
            return (
                "The article does not seem to be in English; drafts are made from English "
                "articles only."
            )
    return FALLBACK


MAX_LISTED = 20


def unknown_quiz(slug: str, ids: list[str]) -> str:
    """One line for a quiz id not in the database, with the ids that are."""
    if not ids:
        return f"There is no quiz '{slug[:63]}', and no quiz is imported yet."
    listed = ", ".join(ids[:MAX_LISTED])
    hidden = len(ids) - MAX_LISTED
    more = f" and {hidden} more (quizbot quiz list)" if hidden > 0 else ""
    return f"There is no quiz '{slug[:63]}'. The quiz ids are: {listed}{more}."


def _report_args(error: errors.BadReportQueryError, usage: str | None) -> str:
    option = f"--{error.value}"
    match error.problem:
        case errors.ReportArgProblem.TWO_QUIZZES:
            text = "Name at most one quiz."
        case errors.ReportArgProblem.NOT_A_QUIZ_ID:
            text = f"'{error.value[:40]}' is not a quiz id."
        case errors.ReportArgProblem.UNKNOWN_OPTION:
            text = f"Unknown option '{error.value[:20]}'."
        case errors.ReportArgProblem.REPEATED_OPTION:
            text = f"{option} is given twice."
        case errors.ReportArgProblem.VERSION_WITHOUT_QUIZ:
            text = "--version needs --quiz."
        case errors.ReportArgProblem.OUT_OF_RANGE:
            return f"{option} must be a whole number from 1 to {error.limit}."
        case errors.ReportArgProblem.NOT_A_CODE:
            return "--cohort must be an invite code (letters, digits, - and _)."
    return f"{text} {usage}" if usage else text
