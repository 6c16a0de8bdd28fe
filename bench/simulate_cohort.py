"""A simulated cohort: the real scheduler at scale for 30 days, with follow-ups on and off.

A TEST BED FOR THE SCHEDULER AT SCALE, NOT EVIDENCE ABOUT PEOPLE. The learners are a
stated model (bench/learner_model.py: per-skill ability, forgetting with FSRS's
retrievability, answer times) whose numbers are chosen, not fitted. What the run shows is
how the bot's services, its database and its dispatcher behave with 1,000 learners over a
month, and that the figures move the way the model says they should. It says nothing about
how real learners learn, or about whether follow-ups help them.

What runs is the bot's own code on a real database (a SQLite file, and a PostgreSQL
database the run creates and drops), never Telegram: the bundled quiz and test forms
imported by the import service; an instructor's cohort with its tests turned on (delayed
test after 14 days); each learner created as a Telegram user and joined by the invite
code; the pre-test, the training quiz, the post-test and the delayed test taken or skipped
through `flow.start_stage`, `flow.skip_stage`, `start_quiz`, `answer_item` and
`continue_attempt`; the dispatcher passes (`dispatch_due_followups`, `dispatch_due_tests`)
on a fake clock every 5 simulated minutes, their senders handing each message to its
learner; practice items answered through `answer_practice`; the figures read by the report
service (`quiz_report` for the cohort, as /stats cohort=CODE shows them). The learners'
behaviour is in bench/cohort_simulation.py. With follow-ups off the dispatcher's
follow-up pass is not run (everything else is the same, seeds included).

    .venv/bin/python bench/simulate_cohort.py [--learners 1000] [--days 30] [--seed 1]
        [--backends sqlite postgresql] [--followups on off] [--profile FILE]

Each backend and setting runs in a child process of its own, so its time and memory are
its own. PostgreSQL is used when 127.0.0.1:5432 answers (as in the tests); there the
learners of a 5-minute step act side by side (16 at a time), so ids, and with them the
practice items drawn, differ from run to run; SQLite runs one after another and gives the
same figures for the same seed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Integer, event, func, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from bench.cohort_simulation import (  # noqa: E402
    KIND,
    START,
    SimConfig,
    Simulation,
    at,
    item_facts,
    peak_rss_mb,
)
from bot.config import DEFAULT_QUIZ_ID, Settings  # noqa: E402
from bot.db.models import Answer, Attempt, FollowUp, Quiz, QuizVersion  # noqa: E402
from bot.domain.report_query import ReportQuery, Viewer  # noqa: E402
from bot.domain.roles import Role  # noqa: E402
from bot.runtime import open_runtime  # noqa: E402
from bot.services import cohorts, learners  # noqa: E402
from bot.services.assessment import setup  # noqa: E402
from bot.services.reports import quiz_report  # noqa: E402
from tests.db_support import pg_available, pg_create, pg_drop  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402

NOTICE = (
    "A test bed for the scheduler at scale, not evidence about people: the learners are a "
    "stated model (bench/learner_model.py) whose numbers are chosen, not fitted."
)
LATER_DAY = 7  # practice answers from this day on are "later practice"


async def simulate(url: str, config: SimConfig) -> dict[str, Any]:
    """Run the cohort on a database at `url` (migrated here if need be).

    Returns {"figures": what the run produced, the same for the same seed on SQLite;
    "costs": time, memory, calls and statements}.
    """
    clock = FakeClock(START)
    settings = Settings(DATABASE_URL=url, TELEGRAM_BOT_TOKEN="1:simulated-cohort")
    started = time.perf_counter()
    cpu = time.process_time()
    async with open_runtime(settings, clock=clock) as runtime:
        setup_s = time.perf_counter() - started
        code = await _cohort_with_tests(runtime.sessions, clock, config.delay_days)
        async with runtime.sessions() as session:
            facts = await item_facts(session)
        sim = Simulation(runtime.sessions, clock, config, facts, code)

        def count(*_: Any) -> None:
            sim.tally.statements[KIND.get()] += 1

        event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
        run_started, run_cpu = time.perf_counter(), time.process_time()
        await sim.run()
        run_s, run_cpu_s = time.perf_counter() - run_started, time.process_time() - run_cpu
        report_started = time.perf_counter()
        figures = await _figures(sim, runtime.sessions, code)
        report_s = time.perf_counter() - report_started
    tally = sim.tally
    return {
        "backend": "postgresql" if url.startswith("postgresql") else "sqlite",
        "config": dataclasses.asdict(config),
        "figures": figures,
        "costs": {
            "setup_s": round(setup_s, 2),
            "run_s": round(run_s, 1),
            "run_cpu_s": round(run_cpu_s, 1),
            "report_s": round(report_s, 2),
            "cpu_s": round(time.process_time() - cpu, 1),
            "rss_mb_by_day": [round(x, 1) for x in sim.rss],
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "calls": dict(tally.calls),
            "cpu_s_by_kind": {k: round(v, 2) for k, v in tally.cpu_s.items()},
            "statements": dict(tally.statements),
        },
    }


async def _cohort_with_tests(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, delay_days: int
) -> str:
    """An instructor's cohort with its tests on (the bundled forms); its invite code."""
    async with sessions() as session:
        instructor = await learners.touch_telegram_user(
            session, telegram_id=699_999_999, first_name="Tess", language_code="en", now=clock()
        )
        instructor_id = instructor.id
    async with sessions() as session:
        created = await cohorts.create_cohort(
            session, owner_id=instructor_id, name="Simulated cohort", now=clock()
        )
    async with sessions() as session:
        await setup.configure(
            session,
            user_id=instructor_id,
            admin=False,
            code=created.code,
            enabled=True,
            delay_days=delay_days,
            now=clock(),
        )
    return created.code


async def _figures(
    sim: Simulation, sessions: async_sessionmaker[AsyncSession], code: str
) -> dict[str, Any]:
    """The run's figures: the report service's, the database's counts, the model's truth."""
    now = sim.clock.now
    async with sessions() as session:
        report = await quiz_report(
            session,
            viewer=Viewer(None, Role.ADMIN),
            query=ReportQuery(quiz=DEFAULT_QUIZ_ID, cohort=code),
            now=now,
        )
    async with sessions() as session:
        counts = await _answer_counts(session)
        statuses = {
            status: int(n)
            for status, n in await session.execute(
                select(FollowUp.status, func.count()).group_by(FollowUp.status)
            )
        }
        sent_early = await session.scalar(
            select(func.count()).where(
                FollowUp.sent_at.is_not(None), FollowUp.sent_at < FollowUp.due_at
            )
        )
    end = (now - START).total_seconds()
    skills = sorted({f.skill_id for f in sim.facts.values()})
    tests: Counter[str] = Counter()
    for seat in sim.seats:
        tests.update(seat.tests)
    tally = dataclasses.asdict(sim.tally)
    for costly in ("calls", "cpu_s", "statements"):
        del tally[costly]
    tally["errors"] = dict(sim.tally.errors)
    d = report.discernment
    return {
        "tally": tally,
        "learner_states": dict(Counter(s.state for s in sim.seats)),
        "tests_simulated": dict(sorted(tests.items())),
        "answers_simulated": (
            sim.tally.quiz_answers + sim.tally.practice_answers + sim.tally.form_answers
        ),
        "answers_recorded": sum(counts.values()),
        **{f"{kind}_answers_recorded": n for kind, n in counts.items()},
        "later_practice": await _later_practice(sessions),
        "followups": statuses,
        "followups_sent_before_due": int(sent_early or 0),
        "report": {
            "learners": report.learners,
            "attempts_started": report.attempts_started,
            "attempts_finished": report.attempts_finished,
            "mean_score": report.mean_score,
            "first": _detection(d.first),
            "latest_followups": _detection(d.latest),
            "followups": dataclasses.asdict(report.followups),
            "skills": {
                m.skill_id: {"mastered": m.mastered, "mean_share_right": m.mean_share_right}
                for m in report.skills
            },
            "tests": _tests(report.assessment),
        },
        "model_mastery": {
            skill: {
                "mean_known": _mean([s.model.memory[skill].knows(end) for s in sim.seats]),
                "mean_prior": _mean([s.model.memory[skill].prior for s in sim.seats]),
            }
            for skill in skills
        },
    }


async def _answer_counts(session: AsyncSession) -> dict[str, int]:
    """Recorded answers: quiz (training), form (tests) and practice (follow-ups)."""
    form = Quiz.assessment_set.is_not(None)
    rows = await session.execute(
        select(Answer.followup_id.is_not(None), form, func.count())
        .outerjoin(Attempt, Attempt.id == Answer.attempt_id)
        .outerjoin(QuizVersion, QuizVersion.id == Attempt.quiz_version_id)
        .outerjoin(Quiz, Quiz.id == QuizVersion.quiz_id)
        .group_by(Answer.followup_id.is_not(None), form)
    )
    counts = {"quiz": 0, "form": 0, "practice": 0}
    for practice, is_form, n in rows:
        counts["practice" if practice else "form" if is_form else "quiz"] += int(n)
    return counts


async def _later_practice(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Practice answers from LATER_DAY on: how many, and the share right."""
    async with sessions() as session:
        n, right = (
            await session.execute(
                select(func.count(), func.sum(func.cast(Answer.correct, Integer))).where(
                    Answer.followup_id.is_not(None),
                    Answer.answered_at >= at(LATER_DAY * 86_400.0),
                )
            )
        ).one()
    return {"answers": int(n), "accuracy": int(right or 0) / n if n else None}


def _detection(summary: Any) -> dict[str, Any]:
    return {
        "learners": summary.learners,
        "d_prime": summary.mean_d_prime,
        "c": summary.mean_criterion,
        "hit_rate": summary.hit_rate,
        "false_alarm_rate": summary.false_alarm_rate,
    }


def _tests(assessment: Any) -> dict[str, Any] | None:
    """The report's tests section as plain values."""
    if assessment is None:
        return None
    return {
        "enrolled": assessment.enrolled,
        "stages": {
            s.stage.value: {
                "taken": s.taken,
                "skipped": s.skipped,
                "open": s.open,
                "accuracy": s.mean_accuracy,
                **{k: v for k, v in _detection(s.detection).items() if k in ("d_prime", "c")},
            }
            for s in assessment.stages
        },
        "changes": {
            f"{c.first.value}-{c.second.value}": {
                "first_takers": c.first_takers,
                "pairs": c.pairs,
                "attrition": c.attrition,
                "mean_first": c.mean_first,
                "mean_second": c.mean_second,
                "d_z": c.change.d_z if c.change else None,
                "ci": [c.change.ci_low, c.change.ci_high] if c.change else None,
                "enough": c.enough,
            }
            for c in assessment.changes
        },
    }


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


async def run_on(backend: str, config: SimConfig) -> dict[str, Any]:
    """One run on a fresh database of `backend`, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            return await simulate(f"sqlite:///{folder}/cohort.db", config)
    name = f"quizbot_sim_{uuid.uuid4().hex[:10]}"
    url = await pg_create(name)
    try:
        return await simulate(url, config)
    finally:
        await pg_drop(name)


# --------------------------------------------------------------------------- printing


def _f(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_runs(runs: dict[str, dict[str, Any]]) -> None:
    """The figures of one backend, follow-ups on and off side by side."""
    heads = [f"follow-ups {setting}" for setting in runs]
    shown = list(runs.values())
    first = shown[0]
    config = first["config"]
    print(
        f"\n== {first['backend']}: {config['learners']:,} learners, {config['days']} days, "
        f"seed {config['seed']}, a dispatcher pass every {config['dispatch_every']:.0f} s"
    )

    def row(label: str, *values: Any) -> None:
        print(f"  {label:<46}" + "".join(f"{v!s:>22}" for v in values))

    def fig(r: dict[str, Any]) -> dict[str, Any]:
        return r["figures"]

    row("", *heads)
    row(
        f"wall s: {config['days']} days (setup, report)",
        *(
            f"{r['costs']['run_s']} ({r['costs']['setup_s']}, {r['costs']['report_s']})"
            for r in shown
        ),
    )
    row("CPU s of the simulation process", *(r["costs"]["run_cpu_s"] for r in shown))
    row(
        "RSS MB at day 1 / 10 / 20 / 30",
        *(
            " / ".join(
                str(r["costs"]["rss_mb_by_day"][d])
                for d in (1, 10, 20, 30)
                if d < len(r["costs"]["rss_mb_by_day"])
            )
            for r in shown
        ),
    )
    row("peak RSS MB", *(r["costs"]["peak_rss_mb"] for r in shown))
    row("dispatcher passes", *(fig(r)["tally"]["passes"] for r in shown))
    row(
        "answers simulated / recorded",
        *(f"{fig(r)['answers_simulated']} / {fig(r)['answers_recorded']}" for r in shown),
    )
    row(
        "  quiz / practice / test answers",
        *(
            f"{fig(r)['quiz_answers_recorded']} / {fig(r)['practice_answers_recorded']} / "
            f"{fig(r)['form_answers_recorded']}"
            for r in shown
        ),
    )
    row(
        "quizzes finished / started",
        *(
            f"{fig(r)['report']['attempts_finished']} / {fig(r)['report']['attempts_started']}"
            for r in shown
        ),
    )
    row(
        "follow-up messages (follow-ups in them)",
        *(
            f"{fig(r)['tally']['messages']} ({fig(r)['tally']['message_followups']})"
            for r in shown
        ),
    )
    row("  not replied to", *(fig(r)["tally"]["unanswered_messages"] for r in shown))
    row(
        "follow-ups answered / pending at the end",
        *(
            f"{fig(r)['followups'].get('answered', 0)} / "
            f"{fig(r)['report']['followups']['pending']}"
            for r in shown
        ),
    )
    row("delayed tests' invitations", *(fig(r)["tally"]["invitations"] for r in shown))
    row(
        "sent before due / outside window / in sitting",
        *(
            f"{fig(r)['followups_sent_before_due']} / {fig(r)['tally']['sent_outside_window']} / "
            f"{fig(r)['tally']['sent_mid_sitting']}"
            for r in shown
        ),
    )
    row("errors", *(sum(fig(r)["tally"]["errors"].values()) for r in shown))
    row(
        "quiz: mean score of finished attempts",
        *(_f(fig(r)["report"]["mean_score"]) for r in shown),
    )
    for label, key in (("first attempt", "first"), ("latest follow-ups", "latest_followups")):
        row(
            f"{label}: learners, d', c",
            *(
                f"{fig(r)['report'][key]['learners']}, {_f(fig(r)['report'][key]['d_prime'])}, "
                f"{_f(fig(r)['report'][key]['c'])}"
                for r in shown
            ),
        )
    row(
        f"practice from day {LATER_DAY}: answers, accuracy",
        *(
            f"{fig(r)['later_practice']['answers']}, {_f(fig(r)['later_practice']['accuracy'])}"
            for r in shown
        ),
    )
    _print_tests(row, [fig(r)["report"]["tests"] for r in shown])
    print("  per skill: the model's mean chance of knowing it at the end (at the start), and")
    print("  the report's learners with it mastered (the last 3 answers right)")
    for skill in first["figures"]["model_mastery"]:
        row(
            f"  {skill}",
            *(
                f"{fig(r)['model_mastery'][skill]['mean_known']:.2f} "
                f"({fig(r)['model_mastery'][skill]['mean_prior']:.2f}) "
                f"{fig(r)['report']['skills'].get(skill, {}).get('mastered', 0):>5}"
                for r in shown
            ),
        )
    if all(r["config"]["concurrency"] == 1 for r in shown):
        for kind in (
            "join",
            "test",
            "form",
            "skip",
            "sit",
            "answer",
            "continue",
            "practice",
            "dispatch",
        ):
            row(
                f"{kind}: calls, CPU ms and statements each",
                *(
                    f"{n} {_f(1000 * r['costs']['cpu_s_by_kind'].get(kind, 0) / n)} "
                    f"{_f(r['costs']['statements'].get(kind, 0) / n, 1)}"
                    if (n := r["costs"]["calls"].get(kind, 0))
                    else "-"
                    for r in shown
                ),
            )
    for r, head in zip(shown, heads, strict=True):
        if fig(r)["tally"]["errors"]:
            print(f"  errors with {head}: {fig(r)['tally']['errors']}")


def _print_tests(row: Any, tests: list[dict[str, Any] | None]) -> None:
    if not any(tests):
        row("tests", *("off" for _ in tests))
        return
    row("tests: learners enrolled", *(t["enrolled"] if t else "-" for t in tests))
    for stage in ("pre", "post", "delayed"):
        row(
            f"  {stage}: taken/skipped/open, accuracy",
            *(
                f"{s['taken']}/{s['skipped']}/{s['open']}, {_f(s['accuracy'])}"
                if t and (s := t["stages"][stage])
                else "-"
                for t in tests
            ),
        )
        row(
            f"  {stage}: d', c",
            *(
                f"{_f(s['d_prime'])}, {_f(s['c'])}" if t and (s := t["stages"][stage]) else "-"
                for t in tests
            ),
        )
    for change in ("pre-post", "pre-delayed"):
        row(
            f"  {change}: pairs, attrition, d_z [95% CI]",
            *(
                f"{c['pairs']}, {_f(c['attrition'])}, {_f(c['d_z'])} "
                f"[{_f(c['ci'][0]) if c['ci'] else '-'}, {_f(c['ci'][1]) if c['ci'] else '-'}]"
                if t and (c := t["changes"][change])
                else "-"
                for t in tests
            ),
        )


# ---------------------------------------------------------------------- the command


def run_child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--followups", nargs="+", choices=["on", "off"], default=["on", "off"])
    parser.add_argument("--profile", metavar="FILE", help="cProfile each run into FILE.BACKEND-ON")
    parser.add_argument("--json", metavar="FILE", help="also write every run's results here")
    parser.add_argument("--child", nargs=2, metavar=("BACKEND", "ON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        backend, setting = args.child
        config = SimConfig(
            learners=args.learners,
            days=args.days,
            seed=args.seed,
            followups=setting == "on",
            concurrency=1 if backend == "sqlite" else 16,
        )
        if args.profile:
            profiler = cProfile.Profile()
            result = profiler.runcall(asyncio.run, run_on(backend, config))
            profiler.dump_stats(f"{args.profile}.{backend}-{setting}")
        else:
            result = asyncio.run(run_on(backend, config))
        print(json.dumps(result))
        return

    print(NOTICE)
    backends = list(args.backends)
    if "postgresql" in backends:
        reason = asyncio.run(pg_available())
        if reason:
            print(f"skipping PostgreSQL: {reason}")
            backends.remove("postgresql")
    common = ["--learners", str(args.learners), "--days", str(args.days), "--seed", str(args.seed)]
    if args.profile:
        common += ["--profile", args.profile]
    results = []
    for backend in backends:
        runs = {
            setting: run_child([*common, "--child", backend, setting])
            for setting in args.followups
        }
        results.extend(runs.values())
        print_runs(runs)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print(f"\n{NOTICE}")


if __name__ == "__main__":
    main()
