"""Reports on a small class, each figure computed by hand here, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import statistics
import struct
from statistics import NormalDist

import pytest
from matplotlib.text import Text
from sqlalchemy import func, select

from bot.console import i18n
from bot.db.models import Answer
from bot.domain import statistics as st
from bot.domain.errors import (
    NotFoundError,
    OutsideOwnReportError,
    StaffOnlyReportError,
    UnknownCohortError,
    UnknownVersionError,
)
from bot.domain.report_query import ReportQuery, Viewer
from bot.domain.roles import Role
from bot.runtime import Runtime
from bot.services import reports
from bot.telegram.chart import chart_figure, render_chart
from tests.fakes.clock import FakeClock
from tests.reports_data import (
    FOLLOWUP_ANSWERS,
    GULLIBLE,
    KEYS,
    MATRIX,
    MISREAD,
    NOW,
    SCEPTICAL,
    SKILL_STATES,
    Built,
    build_class,
    sit_tiny,
)

ADMIN = Viewer(user_id=None, role=Role.ADMIN)
TINY = ReportQuery(quiz="tiny")


async def _build(runtime: Runtime) -> Built:
    async with runtime.sessions() as session:
        return await build_class(session)


async def _report(
    runtime: Runtime, query: ReportQuery = TINY, viewer: Viewer = ADMIN
) -> reports.QuizReport:
    async with runtime.sessions() as session:
        return await reports.quiz_report(session, viewer=viewer, query=query, now=NOW)


def _item(report: reports.QuizReport, key: str) -> reports.ItemStats:
    return next(i for i in report.items if i.key == key)


def _column(key: str) -> list[int]:
    return [row["abcd".index(key)] for row in MATRIX]


def _d_and_c(hits: int, flawed: int, fas: int, sound: int) -> tuple[float, float]:
    z = NormalDist().inv_cdf
    zh, zf = z((hits + 0.5) / (flawed + 1)), z((fas + 0.5) / (sound + 1))
    return zh - zf, -(zh + zf) / 2


# Each learner's first attempt as (hits, flawed judged, false alarms, sound judged,
# misreadings), by hand from what they chose (reports_data). A and C are flawed, B and D
# sound. A wrong option judges against the verdict unless the file says otherwise, so a
# wrong A, or a wrong tick on C, trusts the claim (a miss) and a wrong D doubts it (a false
# alarm). A part of C's key ({A} or {C}) judges it flawed: a hit, though the answer is
# wrong. On B, B1 is sceptical (a false alarm), B2 gullible (judged sound: no false alarm)
# and B3 a misreading (in no rate).
FIRST_COUNTS = {
    1: (2, 2, 0, 2, 0),  # all right
    2: (2, 2, 1, 2, 0),  # D wrong
    3: (2, 2, 0, 2, 0),  # C wrong with {A}: part of the key, a hit
    4: (2, 2, 0, 2, 0),  # B wrong, gullible: judged sound, so no false alarm
    5: (1, 2, 1, 2, 0),  # C wrong with {A, B}: B trusts; D wrong
    6: (1, 2, 1, 2, 0),  # A wrong; D wrong
    7: (1, 2, 1, 1, 1),  # B misread (out of the sound ones); C wrong with {B}; D wrong
    8: (1, 2, 1, 2, 0),  # A wrong; C wrong with {C}: a hit; D wrong
    9: (0, 2, 1, 2, 0),  # A wrong; B sceptical; C wrong with {A, B, C}: B trusts
    10: (0, 2, 2, 2, 0),  # all wrong: A, C trust; B sceptical, D doubts
    11: (1, 1, 1, 1, 0),  # stopped after A right and B sceptical
    12: (0, 1, 0, 0, 0),  # stopped after A wrong
}


async def test_summary_figures_match_hand_computation(runtime: Runtime) -> None:
    await _build(runtime)
    report = await _report(runtime)

    assert report.learners == 12
    assert (report.attempts_started, report.attempts_finished) == (12, 10)
    assert report.completion_rate == pytest.approx(10 / 12)
    totals = [sum(row) for row in MATRIX]
    assert report.mean_score == pytest.approx(statistics.mean(t / 4 for t in totals))
    assert report.median_score == pytest.approx(statistics.median(t / 4 for t in totals))
    # Scores 0, 25, 50, 75, 100 %: bands 0, 2, 5, 7 and 9 (100 % joins the top band).
    assert report.score_deciles == (1, 0, 3, 0, 0, 2, 0, 3, 0, 1)


async def test_item_analysis_matches_hand_computation(runtime: Runtime) -> None:
    await _build(runtime)
    report = await _report(runtime)

    # Facility over every answer in an attempt: complete ones plus L11 (A right, B wrong)
    # and L12 (A wrong).
    a, b, c, d = (_item(report, k) for k in "abcd")
    assert (a.answers, a.correct) == (12, 7)
    assert a.facility == pytest.approx(7 / 12)
    assert (b.answers, b.correct) == (11, 6)
    assert c.facility == pytest.approx(0.4)
    assert d.facility == pytest.approx(0.4)

    # Discrimination: Pearson correlation of the item with the rest score, over complete
    # attempts. For A by hand: cov 0.16, var x 0.24, var rest 0.84 -> 0.356.
    for stats in (a, b, c, d):
        x = _column(stats.key)
        rest = [sum(row) - xi for row, xi in zip(MATRIX, x, strict=True)]
        assert stats.discrimination == pytest.approx(statistics.correlation(x, rest))
    assert a.discrimination == pytest.approx(0.16 / (0.24 * 0.84) ** 0.5)
    assert round(a.discrimination or 0, 3) == 0.356

    # Options chosen on A: B (the key) 7 times, A by L6, L8, L10, L12, C by L9.
    assert [(o.letter, o.chosen) for o in a.options] == [("A", 4), ("B", 7), ("C", 1)]
    assert a.options[1].correct
    assert a.options[1].share == pytest.approx(7 / 12)
    # "Choose all" C: right set {A, C} four times; wrong sets {A}, {A,B}, {B}, {C}, {A,B,C}, {B}.
    assert [o.chosen for o in c.options] == [7, 4, 6]

    # Time on A: 10 + learner number for L1..L12, so 11..22 s; median (16 + 17) / 2.
    assert a.median_seconds == pytest.approx(16.5)
    # B: 5 + learner for L1..L11 -> 6..16 s; median 11.
    assert b.median_seconds == pytest.approx(11.0)

    # Flags: discrimination below 0.3, or facility outside 0.2..0.9.
    for stats in (a, b, c, d):
        low = stats.discrimination is not None and stats.discrimination < 0.3
        assert ("low discrimination" in stats.flags) == low

    # Most missed: by the 95 % Wilson lower bound of the share wrong (C and D 6 of 10:
    # 0.313, then B 5 of 11: 0.213, then A 5 of 12: 0.193).
    assert [i.key for i in report.most_missed][:2] == ["c", "d"]
    assert [i.key for i in report.most_missed][2:] == ["b", "a"]


async def test_cronbach_alpha_matches_hand_computation(runtime: Runtime) -> None:
    await _build(runtime)
    report = await _report(runtime)

    (version,) = report.versions
    assert version.complete_attempts == 10
    # alpha = k/(k-1) (1 - sum of item variances / variance of totals), population variances.
    columns = [_column(k) for k in "abcd"]
    item_var = sum(statistics.pvariance(col) for col in columns)
    total_var = statistics.pvariance([sum(row) for row in MATRIX])
    expected = 4 / 3 * (1 - item_var / total_var)
    assert version.alpha == pytest.approx(expected)
    # By hand: every item has p(1-p) = 0.24, totals have variance 1.4.
    assert version.alpha == pytest.approx(4 / 3 * (1 - 0.96 / 1.4))


async def test_discernment_first_attempt_and_latest_followups(runtime: Runtime) -> None:
    await _build(runtime)
    report = await _report(runtime)

    counts = [FIRST_COUNTS[n] for n in range(1, 13)]
    complete = [c for c in counts if c[1] and c[3]]  # L12 judged no sound claim
    d_values = [_d_and_c(*c[:4]) for c in complete]
    first = report.discernment.first
    assert first.learners == 11
    assert first.mean_d_prime == pytest.approx(statistics.mean(d for d, _ in d_values))
    assert first.mean_criterion == pytest.approx(statistics.mean(c for _, c in d_values))
    hits, flawed, fas, sound, misread = (sum(c[i] for c in counts) for i in range(5))
    assert (hits, flawed, fas, sound, misread) == (13, 22, 9, 20, 1)
    assert first.hit_rate == pytest.approx(13 / 22)
    assert first.false_alarm_rate == pytest.approx(9 / 20)
    assert first.over_belief_rate == pytest.approx(9 / 22)  # flawed claims trusted
    assert first.over_doubt_rate == pytest.approx(9 / 20)  # sound claims doubted
    assert first.misreadings == 1
    assert first.misreading_rate == pytest.approx(1 / 43)

    # Latest follow-ups: L1 (A right, B right), L2 (C wrong, D right, then B misread), and
    # L3's latest ten of twelve: five A right and five B right.
    latest_counts = [(1, 1, 0, 1), (0, 1, 0, 1), (5, 5, 0, 5)]
    latest_d = [_d_and_c(*c) for c in latest_counts]
    latest = report.discernment.latest
    assert latest.learners == 3
    assert latest.mean_d_prime == pytest.approx(statistics.mean(d for d, _ in latest_d))
    assert latest.mean_criterion == pytest.approx(statistics.mean(c for _, c in latest_d))
    assert latest.hit_rate == pytest.approx(6 / 7)
    assert latest.false_alarm_rate == pytest.approx(0 / 7)
    assert (latest.misreadings, latest.misreading_rate) == (1, pytest.approx(1 / 15))

    # Per learner (a class is small enough to list): pseudonyms, never names.
    rows = {r.learner: r for r in report.learner_rows}
    assert set(rows) == {f"p{n:02d}" for n in range(1, 13)}
    l3 = rows["p03"]
    assert l3.first is not None
    assert l3.latest is not None
    assert dataclasses.astuple(l3.first) == counts[2]
    assert (l3.latest.hits, l3.latest.false_alarms) == (5, 0)
    assert l3.latest_measures is not None
    assert l3.latest_measures.d_prime == pytest.approx(_d_and_c(5, 5, 0, 5)[0])
    assert rows["p12"].first_measures is None  # no sound claim judged
    l7, l2 = rows["p07"], rows["p02"]
    assert l7.first == st.DetectionCounts(1, 2, 1, 1, misreadings=1)
    assert l7.first_measures is not None
    assert l7.first_measures.criterion == pytest.approx(_d_and_c(1, 2, 1, 1)[1])
    assert l2.latest == st.DetectionCounts(0, 1, 0, 1, misreadings=1)

    # Per cohort: alpha is L1..L6, beta L7..L10.
    by_label = {g.cohort: g for g in report.cohorts}
    assert set(by_label) == {"Class alpha", "Class beta"}
    alpha_d = [_d_and_c(*c[:4]) for c in counts[:6]]
    assert by_label["Class alpha"].first.mean_d_prime == pytest.approx(
        statistics.mean(d for d, _ in alpha_d)
    )
    assert by_label["Class beta"].latest.learners == 0


async def test_skill_mastery_and_followup_figures(runtime: Runtime) -> None:
    await _build(runtime)
    report = await _report(runtime)

    skills = {s.skill_id: s for s in report.skills}
    for skill_id in ("sourcing", "headline-body"):
        rows = [s for s in SKILL_STATES if s[1] == skill_id]
        assert skills[skill_id].learners == len(rows)
        assert skills[skill_id].mean_share_right == pytest.approx(
            statistics.mean(r[3] / r[2] for r in rows)
        )
        assert skills[skill_id].mastered == sum(1 for r in rows if r[4] >= 3)

    f = report.followups
    answered = len(FOLLOWUP_ANSWERS)
    assert (f.answered, f.sent, f.pending, f.failed, f.cancelled) == (
        answered,
        answered + 1,
        1,
        1,
        1,
    )
    # Learners sent a follow-up: L1, L2, L3 (answered) and L7 (sent days ago); all but L7
    # answered one within a day (L2's 48-hour answer does not spoil their quick one).
    assert f.answered_within_day_share == pytest.approx(3 / 4)


async def test_filters_cohort_and_period(runtime: Runtime) -> None:
    await _build(runtime)
    alpha = await _report(runtime, ReportQuery(quiz="tiny", cohort="alpha"))
    assert alpha.learners == 6
    assert (alpha.attempts_started, alpha.attempts_finished) == (6, 6)
    a = _item(alpha, "a")
    assert (a.answers, a.correct) == (6, 5)

    # The last ten days hold only the two unfinished attempts (started on day 20 of 25).
    recent = await _report(runtime, ReportQuery(quiz="tiny", days=10))
    assert (recent.learners, recent.attempts_started, recent.attempts_finished) == (2, 2, 0)
    assert recent.mean_score is None
    assert recent.completion_rate == 0
    assert _item(recent, "a").answers == 2

    everything = await _report(runtime, ReportQuery())
    assert everything.attempts_started == 12


async def test_access_rules(runtime: Runtime) -> None:
    built = await _build(runtime)
    learner = Viewer(user_id=built.users[1], role=Role.LEARNER)
    with pytest.raises(StaffOnlyReportError):
        await _report(runtime, viewer=learner)

    # The quiz's owner sees all of it.
    owner = Viewer(user_id=built.instructors["owner"], role=Role.INSTRUCTOR)
    assert (await _report(runtime, viewer=owner)).learners == 12

    # An instructor with a cohort sees their cohort's learners only, on any quiz.
    teacher = Viewer(user_id=built.instructors["teacher"], role=Role.INSTRUCTOR)
    mine = await _report(runtime, viewer=teacher)
    assert mine.learners == 6
    assert [g.cohort for g in mine.cohorts] == ["Class alpha"]
    # Another's cohort is refused as one that does not exist: its name does not leak.
    with pytest.raises(UnknownCohortError) as no_cohort:
        await _report(runtime, ReportQuery(quiz="tiny", cohort="beta"), viewer=teacher)
    assert no_cohort.value.code == "beta"

    # An instructor with neither the quiz nor a cohort is refused.
    stranger = Viewer(user_id=built.instructors["stranger"], role=Role.INSTRUCTOR)
    with pytest.raises(OutsideOwnReportError):
        await _report(runtime, viewer=stranger)

    with pytest.raises(NotFoundError):
        await _report(runtime, ReportQuery(quiz="nope"))
    with pytest.raises(UnknownVersionError):
        await _report(runtime, ReportQuery(quiz="tiny", version=7))
    with pytest.raises(NotFoundError):
        await _report(runtime, ReportQuery(quiz="tiny", cohort="gamma"))


async def test_export_has_one_row_per_answer_and_no_names(runtime: Runtime) -> None:
    built = await _build(runtime)
    out = io.StringIO()
    async with runtime.sessions() as session:
        written = await reports.export_answers(session, viewer=ADMIN, query=TINY, now=NOW, out=out)
        total = await session.scalar(select(func.count()).select_from(Answer))
    assert written == total == built.answers
    text = out.getvalue()
    assert "Secretname" not in text
    assert "Instructor" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == built.answers
    assert list(rows[0]) == list(reports.EXPORT_COLUMNS)
    first = rows[0]
    assert first["learner"] == "p01"
    assert first["cohort"] == "Class alpha"  # by name, never by invite code
    assert (first["quiz"], first["version"], first["item"]) == ("tiny", "1", "a")
    assert (first["chosen"], first["correct"], first["skill"]) == ("B", "1", "sourcing")
    assert first["judgement"] == "flawed"  # A is flawed, and L1 saw it
    assert first["answered_at"] == "2026-01-05T09:00:00Z"
    assert float(first["seconds"]) == 11.0
    assert first["sitting_id"]
    assert not first["followup"]
    multi = next(r for r in rows if r["learner"] == "p09" and r["item"] == "c")
    assert multi["chosen"] == "A;B;C"
    assert multi["correct"] == "0"
    assert multi["judgement"] == "sound"  # the wrong tick B trusts the claim
    judged = {(r["learner"], r["item"], r["sitting_id"] != ""): r["judgement"] for r in rows}
    assert judged["p04", "b", True] == "sound"  # gullible: wrong, yet judged sound
    assert judged["p09", "b", True] == "flawed"  # sceptical
    assert judged["p07", "b", True] == "neither"  # a misreading
    assert judged["p03", "c", True] == "flawed"  # part of the key: wrong, but a hit
    followups = [r for r in rows if r["followup"]]
    assert len(followups) == len(FOLLOWUP_ANSWERS)
    assert all(not r["sitting_id"] for r in followups)
    assert {r["cohort"] for r in rows if r["learner"] in {"p11", "p12"}} == {""}

    # An instructor's export holds their cohort's answers only.
    teacher = Viewer(user_id=built.instructors["teacher"], role=Role.INSTRUCTOR)
    out = io.StringIO()
    async with runtime.sessions() as session:
        await reports.export_answers(session, viewer=teacher, query=TINY, now=NOW, out=out)
    learners = {r["learner"] for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert learners == {f"p{n:02d}" for n in range(1, 7)}


async def test_empty_report(runtime: Runtime) -> None:
    report = await _report(runtime, ReportQuery(quiz="nk-arms-article"))
    assert (report.learners, report.attempts_started) == (0, 0)
    assert report.completion_rate is None
    assert report.mean_score is None
    assert report.items == ()
    assert report.most_missed == ()
    assert report.discernment.first.learners == 0


async def test_chart_is_a_png_of_sane_size(runtime: Runtime) -> None:
    await _build(runtime)
    report = await _report(runtime)
    empty_detection = st.summarise_detection([])
    bare = dataclasses.replace(
        report,
        skills=(),
        discernment=reports.DiscernmentGroup("all", empty_detection, empty_detection),
    )
    for shown in (report, bare):
        png = render_chart(shown)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert 600 <= width <= 2000
        assert 600 <= height <= 2000
        assert 10_000 < len(png) < 1_000_000


async def test_gullible_and_sceptical_choices_on_a_sound_item_move_c_apart(
    runtime: Runtime, clock: FakeClock
) -> None:
    """Four learners answer alike (A wrong: a flawed claim trusted; C and D right) except on
    the sound item B: right, gullible, sceptical, misread. Counted by judgement, the
    gullible choice is no false alarm, so it raises c (towards "sound") where the sceptical
    one lowers it; a misreading leaves the counts as if B had not been asked."""
    await _build(runtime)
    clock.now = NOW
    alike = {"a": [0], "c": KEYS["c"], "d": KEYS["d"]}
    names: dict[str, str] = {}
    for n, (label, b) in enumerate(
        (
            ("right", KEYS["b"]),
            ("gullible", GULLIBLE),
            ("sceptical", SCEPTICAL),
            ("misread", MISREAD),
        )
    ):
        names[label] = await sit_tiny(runtime, telegram_id=5000 + n, choices={**alike, "b": b})
    report = await _report(runtime)
    rows = {r.learner: r for r in report.learner_rows}
    first = {label: rows[name].first for label, name in names.items()}
    measures = {label: rows[name].first_measures for label, name in names.items()}
    assert first == {
        "right": st.DetectionCounts(1, 2, 0, 2),
        "gullible": st.DetectionCounts(1, 2, 0, 2),  # wrong, and still no false alarm
        "sceptical": st.DetectionCounts(1, 2, 1, 2),
        "misread": st.DetectionCounts(1, 2, 0, 1, misreadings=1),
    }
    c = {label: m.criterion for label, m in measures.items() if m is not None}
    # Without B: H = 1.5/3 (z = 0), FA = 0.5/2 (z = -0.674), c = 0.337. Gullible: FA = 0.5/3,
    # c = 0.484 (up, and above 0: leaning to "sound"); sceptical: FA = 1.5/3, c = 0 (down).
    without_b = _d_and_c(1, 2, 0, 1)[1]
    assert c["misread"] == pytest.approx(without_b) == pytest.approx(0.3372, abs=1e-4)
    assert c["gullible"] == pytest.approx(0.4837, abs=1e-4)
    assert c["sceptical"] == pytest.approx(0.0, abs=1e-12)
    assert c["sceptical"] < c["misread"] < c["gullible"] == c["right"]
    assert c["gullible"] > 0


async def test_chart_in_khmer_draws_khmer_words_with_a_khmer_font(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    await _build(runtime)
    async with runtime.sessions() as session:
        report = await reports.quiz_report(
            session, viewer=ADMIN, query=TINY, now=NOW, language="km"
        )
    # A missing glyph is a warning, and warnings fail the tests; font look-ups log instead.
    with i18n.use("km"), caplog.at_level(logging.INFO, logger="matplotlib"):
        figure = chart_figure(report)
        figure.canvas.draw()
        png = render_chart(report)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    words = "\n".join(t.get_text() for t in figure.findobj(Text))
    assert "ជំនាញ" in words  # "skills"
    assert "អ្នកណាជាអ្នកនិយាយ?" in words  # the skill "Who says so?" by its Khmer name
    assert "Skills across learners" not in words
    assert "Who says so?" not in words
