"""Every domain error has words in both adapters: the chat's and the terminal's."""

from __future__ import annotations

import inspect

import pytest

from bot.console import error_text as console
from bot.domain import errors
from bot.domain.errors import (
    ArticleProblem,
    ButtonsOf,
    ChoiceProblem,
    QuizbotError,
    ReportArgProblem,
)
from bot.domain.quizfile.messages import Problem
from bot.telegram import error_text as chat

EXAMPLES: list[QuizbotError] = [
    errors.UnknownQuizError("mine", owned=True),
    errors.QuizEmptyError("empty"),
    errors.UnknownVersionError("tiny", 7),
    errors.UnknownCohortError("Nope123"),
    errors.AttemptGoneError(),
    errors.LessonGoneError(),
    *(errors.NotYourButtonsError(of) for of in ButtonsOf),
    *(errors.ItemClosedError(of) for of in ButtonsOf),
    errors.AlreadyAnsweredError(),
    errors.AlreadyContinuedError(),
    errors.QuizFinishedError(),
    *(errors.InvalidChoiceError(problem) for problem in ChoiceProblem),
    errors.CohortNameMissingError(),
    errors.CohortNameTooLongError(length=101, limit=100),
    errors.CohortCodesMissingError(),
    *(errors.BadReportQueryError(problem, "days", 3660) for problem in ReportArgProblem),
    errors.UnknownTimezoneError("Mars/Base"),
    errors.UnknownWindowError("never"),
    errors.StaffOnlyReportError(),
    errors.OutsideOwnReportError(),
    errors.QuizImportError(["q.yaml:3: unknown field"], [Problem("q.yaml", 3, "unknown field")]),
    errors.AssessmentFormError("form-a"),
    errors.StageGoneError(),
    *(errors.StageClosedError(reason) for reason in errors.StageClosedReason),
    *(errors.BadAssessArgsError(problem, "x", 365) for problem in errors.AssessArgProblem),
    errors.NoAssessmentFormsError(),
    errors.IncompleteFormSetError("spring", "A", "B"),
    errors.FormSetChoiceError(("autumn", "spring")),
    errors.FormSetFixedError("spring"),
    errors.UnknownFormSetError("winter", ("spring",)),
    *(errors.ArticleRejectedError(problem, 1_500_000, 1_000_000) for problem in ArticleProblem),
]


def _error_classes() -> set[type[QuizbotError]]:
    return {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, QuizbotError) and not cls.__subclasses__()
    }


def test_the_examples_cover_every_error_a_service_raises() -> None:
    assert {type(e) for e in EXAMPLES} == _error_classes()


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: repr(e))
def test_both_adapters_word_each_error(error: QuizbotError) -> None:
    for words in (chat.describe(error), console.describe(error)):
        assert words
        assert words not in (chat.FALLBACK, console.FALLBACK)
    assert len(chat.popup_text(error)) <= 200


def test_the_chat_says_send_and_the_terminal_says_run() -> None:
    finished = errors.QuizFinishedError()
    assert chat.describe(finished) == "This quiz is finished. Send /quiz to take it again."
    assert console.describe(finished) == (
        "This quiz is finished. Run `quizbot demo` to take it again."
    )


def test_argument_errors_end_with_the_commands_usage() -> None:
    twice = errors.BadReportQueryError(ReportArgProblem.REPEATED_OPTION, "days")
    assert (
        chat.describe(twice, usage="Usage: /stats …") == "'days' is given twice. Usage: /stats …"
    )
    assert console.describe(twice, usage="Usage: quizbot stats …") == (
        "--days is given twice. Usage: quizbot stats …"
    )


def test_the_chat_escapes_what_the_user_typed() -> None:
    html = chat.reply_html(errors.UnknownQuizError("<b>x</b>"))
    assert html == "There is no quiz '&lt;b&gt;x&lt;/b&gt;'."


def test_logs_show_the_kind_and_values_never_a_sentence() -> None:
    assert str(errors.UnknownCohortError("abc")) == "UnknownCohortError(code='abc', owned=False)"


def test_an_unknown_quiz_in_the_terminal_lists_the_ids_on_one_line() -> None:
    assert console.unknown_quiz("nope", []) == (
        "There is no quiz 'nope', and no quiz is imported yet."
    )
    many = [f"quiz-{n:02d}" for n in range(25)]
    line = console.unknown_quiz("nope", many)
    assert "\n" not in line
    assert line.startswith("There is no quiz 'nope'. The quiz ids are: quiz-00, quiz-01, ")
    assert line.endswith("quiz-19 and 5 more (quizbot quiz list).")
