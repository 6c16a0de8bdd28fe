"""`quizbot stats` in the terminal: the report as plain-text tables."""

from __future__ import annotations

import textwrap

from bot.domain.statistics import (
    MIN_COMPLETE_ATTEMPTS,
    DetectionCounts,
    DetectionSummary,
    share,
)
from bot.services.assessment.report import AssessmentReport
from bot.services.reports import QuizReport


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _num(value: float | None, digits: int = 2) -> str:
    # Adding 0.0 turns a rounded -0.0 into 0.0, so no "-0.00" is shown.
    return "-" if value is None else f"{round(value, digits) + 0.0:.{digits}f}"


def _table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> list[str]:
    """Columns padded to their widest cell; columns in `right` are right-aligned."""
    right = right or set()
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _detection(s: DetectionSummary) -> list[str]:
    return [
        str(s.learners),
        _num(s.mean_d_prime),
        _num(s.mean_criterion),
        _pct(s.over_belief_rate),
        _pct(s.over_doubt_rate),
        str(s.misreadings),
    ]


def _counts(c: DetectionCounts | None) -> str:
    if c is None:
        return "-"
    return f"{c.misses}/{c.flawed} {c.false_alarms}/{c.sound} {c.misreadings}"


def report_text(report: QuizReport) -> str:
    """The whole report, items included, as plain text for a terminal."""
    q = report.query
    title = q.quiz or "all quizzes"
    scope = [report.scope]
    if q.version is not None:
        scope.append(f"version {q.version}")
    if q.days is not None:
        scope.append(f"attempts started in the last {q.days} days")
    out = [f"Stats: {title} ({'; '.join(scope)})", ""]
    out += [
        f"learners          {report.learners}",
        f"attempts started  {report.attempts_started}",
        f"attempts finished {report.attempts_finished}  "
        f"(completion {_pct(report.completion_rate)})",
        f"score (finished)  mean {_pct(report.mean_score)}, median {_pct(report.median_score)}",
        "score bands       "
        + " ".join(f"{10 * i}%:{n}" for i, n in enumerate(report.score_deciles)),
    ]
    if report.versions:
        out += ["", "Reliability (Cronbach's alpha over finished attempts)"]
        out += _table(
            ["quiz", "version", "items", "finished", "alpha"],
            [
                [
                    v.quiz,
                    str(v.version),
                    str(v.items),
                    str(v.complete_attempts),
                    _num(v.alpha)
                    if v.complete_attempts >= MIN_COMPLETE_ATTEMPTS
                    else f"needs {MIN_COMPLETE_ATTEMPTS}",
                ]
                for v in report.versions
            ],
            right={1, 2, 3, 4},
        )
    if report.skills:
        out += ["", "Skills (learners' memory model: mean share right, mastered)"]
        out += _table(
            ["skill", "learners", "right", "mastered"],
            [
                [s.name, str(s.learners), _pct(s.mean_share_right), str(s.mastered)]
                for s in report.skills
            ],
            right={1, 2, 3},
        )
    if report.items:
        out += [
            "",
            "Items (facility = share right; discrimination = item-rest correlation over "
            "finished attempts; options = times chosen, * marks a key)",
        ]
        out += _table(
            [
                "quiz",
                "v",
                "item",
                "skill",
                "verdict",
                "n",
                "right",
                "discr",
                "med s",
                "options",
                "check",
            ],
            [
                [
                    i.quiz,
                    str(i.version),
                    i.key,
                    i.skill_id,
                    i.verdict or "",
                    str(i.answers),
                    _pct(i.facility),
                    _num(i.discrimination),
                    _num(i.median_seconds, 0),
                    " ".join(
                        f"{o.letter}{'*' if o.correct else ''}:{o.chosen}" for o in i.options
                    ),
                    ", ".join(i.flags),
                ]
                for i in report.items
            ],
            right={1, 5, 6, 7, 8},
        )
    if report.most_missed:
        out += ["", "Most missed"]
        for n, i in enumerate(report.most_missed, start=1):
            passage = textwrap.shorten(i.passage, 90, placeholder="...")
            out.append(
                f"{n}. {i.quiz} v{i.version} {i.key}: {i.wrong} of {i.answers} answers wrong "
                f'({_pct(share(i.wrong, i.answers))}): "{passage}"'
            )
    out += [
        "",
        "Discernment (over-belief = flawed claims trusted, of flawed judged; over-doubt = sound",
        "claims doubted, of sound judged; misread = answers judging neither way, left out of",
        "both and of d' and c; c above 0 leans to trusting, below 0 to doubting)",
    ]
    groups = [report.discernment, *report.cohorts]
    rows = []
    for g in groups:
        rows.append([g.label, "first attempt", *_detection(g.first)])
        rows.append(["", "latest follow-ups", *_detection(g.latest)])
    out += _table(
        ["group", "phase", "learners", "d'", "c", "over-belief", "over-doubt", "misread"],
        rows,
        right={2, 3, 4, 5, 6, 7},
    )
    if report.learner_rows:
        out += [
            "",
            "Learners (flawed trusted/judged, sound doubted/judged, misread; d' and c)",
        ]
        out += _table(
            ["learner", "first", "d'", "c", "latest", "d'", "c"],
            [
                [
                    r.learner,
                    _counts(r.first),
                    _num(r.first_measures.d_prime if r.first_measures else None),
                    _num(r.first_measures.criterion if r.first_measures else None),
                    _counts(r.latest),
                    _num(r.latest_measures.d_prime if r.latest_measures else None),
                    _num(r.latest_measures.criterion if r.latest_measures else None),
                ]
                for r in report.learner_rows
            ],
            right={2, 3, 5, 6},
        )
    if report.assessment is not None:
        out += ["", *assessment_table(report.assessment)]
    f = report.followups
    out += [
        "",
        "Follow-ups",
        f"pending {f.pending}, sent {f.sent}, answered {f.answered}, failed {f.failed}, "
        f"cancelled {f.cancelled}; learners answering one within a day: "
        f"{_pct(f.answered_within_day_share)}",
    ]
    return "\n".join(out)


def assessment_table(tests: AssessmentReport) -> list[str]:
    """The cohort's tests: each stage, then the paired changes of accuracy."""
    state = "on" if tests.enabled else "off"
    out = [
        f"Tests before and after training (set {tests.set_id or '-'}, {state}; the later test "
        f"{tests.delay_days} days after the one after training; {tests.enrolled} learners)",
    ]
    out += _table(
        ["test", "taken", "skipped", "open", "right", "d'", "c"],
        [
            [
                f"{stage.stage.value}",
                str(stage.taken),
                str(stage.skipped),
                str(stage.open),
                _pct(stage.mean_accuracy),
                _num(stage.detection.mean_d_prime),
                _num(stage.detection.mean_criterion),
            ]
            for stage in tests.stages
        ],
        right={1, 2, 3, 4, 5, 6},
    )
    out += [
        "",
        "Paired change of accuracy (learners with both tests; points and sd of the changes in "
        "percentage points; d_z = mean change / sd, 95% CI by Bonett 2008; shown from "
        f"{tests.min_pairs} pairs)",
    ]
    rows = []
    for change in tests.changes:
        paired = change.change
        shown = change.enough and paired is not None and paired.d_z is not None
        rows.append(
            [
                f"{change.first.value} -> {change.second.value}",
                str(change.pairs),
                str(change.first_takers),
                _pct(change.attrition),
                _pct(change.mean_first),
                _pct(change.mean_second),
                "-"
                if change.mean_first is None or change.mean_second is None
                else f"{100 * (change.mean_second - change.mean_first):+.1f}",
                "-" if paired is None else f"{100 * paired.sd_change:.1f}",
                _num(paired.d_z) if shown and paired is not None else "-",
                f"{_num(paired.ci_low)} to {_num(paired.ci_high)}"
                if shown and paired is not None
                else f"needs {tests.min_pairs} pairs",
            ]
        )
    out += _table(
        ["tests", "pairs", "of", "lost", "first", "second", "points", "sd", "d_z", "95% CI"],
        rows,
        right={1, 2, 3, 4, 5, 6, 7, 8},
    )
    return out
