"""What a report covers (quiz, version, cohort, period) and who may see it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.errors import QuizbotError
from bot.domain.roles import Role

MAX_DAYS = 3660
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

USAGE = "Usage: /stats [quiz-id] [version=N] [cohort=CODE] [days=N]"


class BadReportQueryError(QuizbotError):
    """The arguments of /stats or /export are not understood."""


class ReportAccessDeniedError(QuizbotError):
    """The user may not see this report."""


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
        raise ReportAccessDeniedError("Only admins and instructors can see reports.")


def parse_report_args(args: Sequence[str], *, usage: str = USAGE) -> ReportQuery:
    """Parse `[quiz-id] [version=N] [cohort=CODE] [days=N]` in any order."""
    quiz: str | None = None
    values: dict[str, str] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep:
            if quiz is not None:
                raise BadReportQueryError(f"Name at most one quiz. {usage}")
            if not _SLUG.match(arg.lower()):
                raise BadReportQueryError(f"'{arg[:40]}' is not a quiz id. {usage}")
            quiz = arg.lower()
            continue
        key = key.lower()
        if key not in {"version", "cohort", "days"}:
            raise BadReportQueryError(f"Unknown option '{key[:20]}'. {usage}")
        if key in values:
            raise BadReportQueryError(f"'{key}' is given twice. {usage}")
        values[key] = value
    if "version" in values and quiz is None:
        raise BadReportQueryError(f"version=N needs a quiz id. {usage}")
    return ReportQuery(
        quiz=quiz,
        version=_positive(values, "version", 1_000_000),
        cohort=_cohort(values.get("cohort")),
        days=_positive(values, "days", MAX_DAYS),
    )


def _positive(values: dict[str, str], key: str, limit: int) -> int | None:
    raw = values.get(key)
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= limit:
        raise BadReportQueryError(f"{key} must be a whole number from 1 to {limit}.")
    return int(raw)


def _cohort(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not _CODE.match(raw):
        raise BadReportQueryError("cohort must be an invite code (letters, digits, - and _).")
    return raw
