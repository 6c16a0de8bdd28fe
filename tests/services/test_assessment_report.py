"""The tests' figures against hand-computed ones, on SQLite and PostgreSQL.

Twelve learners join a cohort with tests on. The placeholder forms have four items: two
sound claims, then two flawed ones; a learner who gets k right gets the first k right, so
each learner's hits and false alarms follow from k alone.
"""

from __future__ import annotations

import math
from pathlib import Path
from statistics import NormalDist

import pytest

from bot.db.models import Cohort
from bot.domain.assessment import Stage
from bot.domain.limits import MESSAGE_TEXT_MAX
from bot.domain.report_query import ReportQuery, Viewer
from bot.domain.roles import Role
from bot.runtime import Runtime
from bot.services.assessment.report import AssessmentReport, cohort_assessment
from bot.services.assessment.views import StageInvitation
from bot.services.reports import quiz_report
from bot.telegram.render_reports import assessment_block, stats_text
from bot.telegram.text import visible_length
from tests.assessment_support import (
    Inbox,
    cohort_with_tests,
    dispatch,
    id_of_cohort,
    import_forms,
    join,
    skip,
    stage_of,
    take,
    train,
    user,
)
from tests.cli.test_report_commands import _quizbot
from tests.fakes.clock import FakeClock

# Right answers (of 4) of learners 1-10 at the pre- and post-test, and of learners 1-6 at
# the delayed test. Learner 11 skips the pre-test and gets 4 at the post-test; learner 7
# skips the delayed test; learners 8-11 have it open; learner 12 has the pre-test open.
PRE = (1, 2, 2, 1, 3, 2, 0, 3, 2, 1)
POST = (3, 3, 2, 2, 4, 4, 1, 3, 3, 2)
DELAYED = (2, 2, 2, 2, 3, 3)

# z(5/6): with the log-linear correction, 0, 1 or 2 of 2 judged flawed give rates 1/6, 1/2
# and 5/6, whose z are -Z, 0 and Z.
Z = NormalDist().inv_cdf(5 / 6)
# d′ and c of a learner with k right: sound items right first, then flawed ones.
#   k: hits, false alarms -> d′ = z(H) - z(F), c = -(z(H) + z(F)) / 2
#   0: 0, 2 -> -2Z, 0    1: 0, 1 -> -Z, Z/2    2: 0, 0 -> 0, Z
#   3: 1, 0 -> Z, Z/2    4: 2, 0 -> 2Z, 0
D_PRIME = {0: -2 * Z, 1: -Z, 2: 0.0, 3: Z, 4: 2 * Z}
CRITERION = {0: 0.0, 1: Z / 2, 2: Z, 3: Z / 2, 4: 0.0}


async def _build(runtime: Runtime, clock: FakeClock) -> int:
    await import_forms(runtime)
    _, code = await cohort_with_tests(runtime, days=14)
    learners = [await user(runtime, 300 + n, f"L{n + 1}") for n in range(12)]
    offers = [(await join(runtime, uid, code)).tests for uid in learners]
    for n, uid in enumerate(learners[:10]):
        await take(runtime, uid, stage_of(offers[n], Stage.PRE), right=PRE[n])
    await skip(runtime, learners[10], stage_of(offers[10], Stage.PRE))
    for n, uid in enumerate(learners[:11]):
        post = stage_of((await train(runtime, uid)).stage_offer, Stage.POST)
        await take(runtime, uid, post, right=POST[n] if n < 10 else 4)
    clock.advance(days=14)
    inbox = Inbox()
    assert await dispatch(runtime, inbox) == 11
    by_user: dict[int, StageInvitation] = {i.user_id: i for i in inbox.sent}
    for n, uid in enumerate(learners[:6]):
        await take(runtime, uid, by_user[uid].offer, right=DELAYED[n])
    await skip(runtime, learners[6], by_user[learners[6]].offer)
    async with runtime.sessions() as s:
        return await id_of_cohort(s, code)


def _check(report: AssessmentReport) -> None:
    assert report.enabled
    assert report.set_id == "placeholder"
    assert report.delay_days == 14
    assert report.enrolled == 12
    pre, post, delayed = report.stages
    assert (pre.taken, pre.skipped, pre.open) == (10, 1, 1)
    assert (post.taken, post.skipped, post.open) == (11, 0, 0)
    assert (delayed.taken, delayed.skipped, delayed.open) == (6, 1, 4)
    assert pre.mean_accuracy == pytest.approx(17 / 40)
    assert post.mean_accuracy == pytest.approx(31 / 44)
    assert delayed.mean_accuracy == pytest.approx(14 / 24)
    for figures, ks in ((pre, PRE), (post, (*POST, 4)), (delayed, DELAYED)):
        assert figures.detection.learners == len(ks)
        assert figures.detection.mean_d_prime == pytest.approx(
            sum(D_PRIME[k] for k in ks) / len(ks)
        )
        assert figures.detection.mean_criterion == pytest.approx(
            sum(CRITERION[k] for k in ks) / len(ks)
        )
    # By hand: d′ before -0.3 Z, after 9/11 Z, later Z/3; c 0.65 Z, Z/2 and 5/6 Z.
    assert pre.detection.mean_d_prime == pytest.approx(-0.2902266, abs=1e-6)
    assert pre.detection.mean_criterion == pytest.approx(0.6288243, abs=1e-6)

    to_post, to_delayed = report.changes
    # Changes 0.5, .25, 0, .25, .25, .5, .25, 0, .25, .25: mean 0.25, deviations ±0.25 four
    # times and 0 six times, variance 0.25 / 9, sd 1/6, d_z 1.5; Bonett's standard error
    # sqrt(2.25 / 18 + 1 / 9) = 0.485913, so 1.5 ± 1.959964 × 0.485913.
    assert (to_post.first, to_post.second) == (Stage.PRE, Stage.POST)
    assert (to_post.first_takers, to_post.pairs) == (10, 10)
    assert to_post.enough
    assert to_post.attrition == 0
    assert to_post.mean_first == pytest.approx(0.425)
    assert to_post.mean_second == pytest.approx(0.675)
    change = to_post.change
    assert change is not None
    assert change.mean_change == pytest.approx(0.25)
    assert change.sd_change == pytest.approx(1 / 6)
    assert change.d_z == pytest.approx(1.5)
    assert change.ci_low == pytest.approx(0.547628, abs=1e-6)
    assert change.ci_high == pytest.approx(2.452372, abs=1e-6)
    # Learners 1-6: changes .25, 0, 0, .25, 0, .25: mean 0.125, sd sqrt(0.09375 / 5), below
    # the 10 pairs an effect size needs.
    assert (to_delayed.first_takers, to_delayed.pairs) == (10, 6)
    assert not to_delayed.enough
    assert to_delayed.attrition == pytest.approx(0.4)
    assert to_delayed.mean_first == pytest.approx(11 / 24)
    assert to_delayed.mean_second == pytest.approx(14 / 24)
    assert to_delayed.change is not None
    assert to_delayed.change.d_z == pytest.approx(0.125 / math.sqrt(0.09375 / 5))


async def test_the_figures_are_the_hand_computed_ones(runtime: Runtime, clock: FakeClock) -> None:
    cohort_id = await _build(runtime, clock)
    async with runtime.sessions() as s:
        report = await cohort_assessment(s, cohort_id=cohort_id)
    assert report is not None
    _check(report)


async def test_stats_of_the_cohort_carry_the_same_figures(
    runtime: Runtime, clock: FakeClock
) -> None:
    cohort_id = await _build(runtime, clock)
    async with runtime.sessions() as s:
        code = (await s.get_one(Cohort, cohort_id)).code
    for query in (ReportQuery(cohort=code), ReportQuery(quiz="bike-lane", cohort=code, days=3)):
        async with runtime.sessions() as s:
            report = await quiz_report(
                s, viewer=Viewer(None, Role.ADMIN), query=query, now=clock()
            )
        assert report.assessment is not None
        _check(report.assessment)
    async with runtime.sessions() as s:
        whole = await quiz_report(
            s, viewer=Viewer(None, Role.ADMIN), query=ReportQuery(), now=clock()
        )
    assert whole.assessment is None, "the tests are a cohort's: shown when one is named"


async def test_the_chat_and_the_terminal_show_the_figures(
    runtime: Runtime, clock: FakeClock, database_url: str, tmp_path: Path
) -> None:
    cohort_id = await _build(runtime, clock)
    async with runtime.sessions() as s:
        code = (await s.get_one(Cohort, cohort_id)).code
    async with runtime.sessions() as s:
        report = await quiz_report(
            s, viewer=Viewer(None, Role.ADMIN), query=ReportQuery(cohort=code), now=clock()
        )
    text = stats_text(report)
    assert visible_length(text) <= MESSAGE_TEXT_MAX, "one Telegram message"
    block = assessment_block(report.assessment)  # type: ignore[arg-type]
    assert block.splitlines()[1:] == [
        "set placeholder · on · later test 14 days after · 12 learners",
        "before: 10 taken, 1 skipped, 1 open · 42% right · d′ -0.29, c 0.63",
        "after: 11 taken, 0 skipped, 0 open · 70% right · d′ 0.79, c 0.48",
        "later: 6 taken, 1 skipped, 4 open · 58% right · d′ 0.32, c 0.81",
        "before → after: 10 of 10 took both (lost 0%): 42% → 68%, +25 points, "
        "d_z 1.50 (95% CI 0.55 to 2.45)",
        "before → later: 6 of 10 took both (lost 40%): 46% → 58%, +13 points; effect size "
        "needs 10 learners with both tests (has 6)",
    ]
    assert block in text

    # The terminal, as a subprocess on the same database.
    chart = tmp_path / "chart.png"
    status, out, err = await _quizbot(
        database_url, "stats", "--cohort", code, "--chart", str(chart)
    )
    assert status == 0, err
    section = out.split("Tests before and after training", 1)[1]
    rows = {line.split()[0]: line.split()[1:] for line in section.splitlines()[3:6]}
    assert rows["pre"] == ["10", "1", "1", "42%", "-0.29", "0.63"]
    assert rows["delayed"] == ["6", "1", "4", "58%", "0.32", "0.81"]
    changes = [line.split() for line in out.splitlines() if " -> " in line]
    assert changes[0] == [
        "pre",
        "->",
        "post",
        "10",
        "10",
        "0%",
        "42%",
        "68%",
        "+25.0",
        "16.7",
        "1.50",
        "0.55",
        "to",
        "2.45",
    ]
    assert changes[1][:9] == ["pre", "->", "delayed", "6", "10", "40%", "46%", "58%", "+12.5"]
    assert changes[1][9:] == ["13.7", "-", "needs", "10", "pairs"]
    assert chart.read_bytes()[:4] == b"\x89PNG"
