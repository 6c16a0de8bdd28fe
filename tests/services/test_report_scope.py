"""Instructors see only their own cohorts and quizzes, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest

from bot.domain.errors import NotFoundError, QuizImportError
from bot.domain.report_query import ReportQuery, Viewer
from bot.domain.roles import Role
from bot.runtime import Runtime
from bot.services import reports
from bot.services.reports import Covers, ScopeLabel
from bot.telegram.error_text import describe
from tests.scope_data import build_classes, upload

ADMIN = Viewer(user_id=None, role=Role.ADMIN)


async def _export(runtime: Runtime, viewer: Viewer, query: ReportQuery) -> str:
    out = io.StringIO()
    async with runtime.sessions() as s:
        await reports.export_answers(s, viewer=viewer, query=query, now=runtime.clock(), out=out)
    return out.getvalue()


async def _report(runtime: Runtime, viewer: Viewer, query: ReportQuery) -> reports.QuizReport:
    async with runtime.sessions() as s:
        return await reports.quiz_report(s, viewer=viewer, query=query, now=runtime.clock())


async def _refusal(runtime: Runtime, viewer: Viewer, query: ReportQuery) -> str:
    with pytest.raises(NotFoundError) as raised:
        await _report(runtime, viewer, query)
    with pytest.raises(NotFoundError) as raised_export:
        await _export(runtime, viewer, query)
    # As a learner reads it: the chat's wording of the refusal.
    assert describe(raised_export.value) == describe(raised.value)
    return describe(raised.value)


async def test_an_instructors_export_names_only_their_own_cohorts(runtime: Runtime) -> None:
    c = await build_classes(runtime)
    text = await _export(runtime, c.amy, ReportQuery())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {(r["quiz"], r["cohort"]) for r in rows} == {
        ("amy-quiz", "Amy class"),
        ("nk-arms-article", "Amy class"),
    }
    for secret in (c.amy_code, c.bob_code, "Bob class", "bob-secret"):
        assert secret not in text

    # An admin sees every cohort, by name; invite codes appear in no export.
    text = await _export(runtime, ADMIN, ReportQuery())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["quiz"] for r in rows} == {"amy-quiz", "bob-secret", "nk-arms-article"}
    assert {r["cohort"] for r in rows} == {"Amy class;Bob class"}
    assert c.amy_code not in text
    assert c.bob_code not in text


async def test_an_instructors_report_leaves_out_other_instructors_private_quizzes(
    runtime: Runtime,
) -> None:
    c = await build_classes(runtime)
    report = await _report(runtime, c.amy, ReportQuery())
    assert {v.quiz for v in report.versions} == {"amy-quiz", "nk-arms-article"}
    assert {i.quiz for i in report.items} == {"amy-quiz", "nk-arms-article"}
    assert [g.cohort for g in report.cohorts] == ["Amy class"]
    # Bob's own report has his quiz, and only his cohort.
    report = await _report(runtime, c.bob, ReportQuery())
    assert "bob-secret" in {v.quiz for v in report.versions}
    assert "amy-quiz" not in {v.quiz for v in report.versions}
    assert [g.cohort for g in report.cohorts] == ["Bob class"]


async def test_another_instructors_private_quiz_is_no_quiz_at_all(runtime: Runtime) -> None:
    c = await build_classes(runtime)
    unknown = await _refusal(runtime, c.amy, ReportQuery(quiz="no-such-quiz"))
    assert unknown == "There is no quiz 'no-such-quiz'."
    hidden = await _refusal(runtime, c.amy, ReportQuery(quiz="bob-secret"))
    assert hidden == unknown.replace("no-such-quiz", "bob-secret")
    # Its owner and admins see it.
    assert (await _report(runtime, c.bob, ReportQuery(quiz="bob-secret"))).learners == 1
    assert (await _report(runtime, ADMIN, ReportQuery(quiz="bob-secret"))).learners == 1


async def test_another_instructors_cohort_is_no_cohort_at_all(runtime: Runtime) -> None:
    c = await build_classes(runtime)
    unknown = await _refusal(runtime, c.amy, ReportQuery(quiz="amy-quiz", cohort="Nope123"))
    assert unknown == "There is no cohort with the code 'Nope123'."
    for query in (
        ReportQuery(quiz="amy-quiz", cohort=c.bob_code),
        ReportQuery(cohort=c.bob_code),
    ):
        hidden = await _refusal(runtime, c.amy, query)
        assert hidden == unknown.replace("Nope123", c.bob_code)
    # Her own cohort works, and is named in the report.
    mine = await _report(runtime, c.amy, ReportQuery(quiz="amy-quiz", cohort=c.amy_code))
    assert (mine.scope, mine.learners) == (ScopeLabel(Covers.COHORT, "Amy class"), 1)
    admin = await _report(runtime, ADMIN, ReportQuery(cohort=c.bob_code))
    assert admin.scope == ScopeLabel(Covers.COHORT, "Bob class")


async def test_an_upload_does_not_reveal_another_instructors_private_quiz(
    runtime: Runtime,
) -> None:
    c = await build_classes(runtime)
    assert c.amy.user_id is not None
    for slug in ("bob-secret", "nk-arms-article"):
        with pytest.raises(QuizImportError) as raised:
            await upload(runtime, c.amy.user_id, slug)
        [problem] = raised.value.located
        if slug == "bob-secret":
            assert "this quiz id is not available; choose another id" in problem.message
            assert "instructor" not in problem.message
        else:
            assert "a bundled quiz" in problem.message  # public: no secret to keep
