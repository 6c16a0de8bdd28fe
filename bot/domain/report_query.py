"""What a report covers (quiz, version, cohort, period) and who may see it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.errors import BadReportQueryError, StaffOnlyReportError
from bot.domain.errors import ReportArgProblem as Problem
from bot.domain.roles import Role

MAX_DAYS = 3660
MAX_VERSION = 1_000_000
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class ReportQuery:
    """The answers a report or export covers; None means no restriction."""

    quiz: str | None = None  # quiz id (slug)
    version: int | None = None  # version number of that quiz
    cohort: str | None = None  # cohort invite code
    days: int | None = None  # only the last N days


@dataclass(frozen=True)
class Viewer:
    """Who asks for a report: their database user id (None for the terminal) and role."""

    user_id: int | None
    role: Role


def check_may_report(viewer: Viewer) -> None:
    """Refuse learners: reports are for admins and instructors."""
    if viewer.role < Role.INSTRUCTOR:
        raise StaffOnlyReportError


def parse_report_args(args: Sequence[str]) -> ReportQuery:
    """Parse `[quiz-id] [version=N] [cohort=CODE] [days=N]` in any order."""
    quiz: str | None = None
    values: dict[str, str] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep:
            if quiz is not None:
                raise BadReportQueryError(Problem.TWO_QUIZZES)
            if not _SLUG.match(arg.lower()):
                raise BadReportQueryError(Problem.NOT_A_QUIZ_ID, arg)
            quiz = arg.lower()
            continue
        key = key.lower()
        if key not in {"version", "cohort", "days"}:
            raise BadReportQueryError(Problem.UNKNOWN_OPTION, key)
        if key in values:
            raise BadReportQueryError(Problem.REPEATED_OPTION, key)
        values[key] = value
    if "version" in values and quiz is None:
        raise BadReportQueryError(Problem.VERSION_WITHOUT_QUIZ, "version")
    return ReportQuery(
        quiz=quiz,
        version=_positive(values, "version", MAX_VERSION),
        cohort=_cohort(values.get("cohort")),
        days=_positive(values, "days", MAX_DAYS),
    )


def _positive(values: dict[str, str], key: str, limit: int) -> int | None:
    raw = values.get(key)
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= limit:
        raise BadReportQueryError(Problem.OUT_OF_RANGE, key, limit)
    return int(raw)


def _cohort(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not _CODE.match(raw):
        raise BadReportQueryError(Problem.NOT_A_CODE, "cohort")
    return raw
