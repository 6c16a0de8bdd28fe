"""`quizbot stats` in the terminal: the report as plain-text tables."""

from __future__ import annotations

import textwrap

from bot.console.columns import width as _width
from bot.console.i18n import _, ngettext, number, percent
from bot.console.report_words import (
    flags_words,
    group_words,
    scope_words,
    stage_words,
    verdict_words,
)
from bot.domain.statistics import (
    MIN_COMPLETE_ATTEMPTS,
    DetectionCounts,
    DetectionSummary,
    share,
)
from bot.services.assessment.report import AssessmentReport
from bot.services.reports import QuizReport


def _pct(value: float | None) -> str:
    return "-" if value is None else percent(value)


def _num(value: float | None, digits: int = 2) -> str:
    # Adding 0.0 turns a rounded -0.0 into 0.0, so no "-0.00" is shown.
    return "-" if value is None else number(round(value, digits) + 0.0, digits)


def _table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> list[str]:
    """Columns padded to their widest cell; columns in `right` are right-aligned."""
    right = right or set()
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            " " * (w - _width(c)) + c if i in right else c + " " * (w - _width(c))
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
    title = q.quiz or _("all quizzes")
    scope = [scope_words(report.scope)]
    if q.version is not None:
        scope.append(_("version {version}").format(version=q.version))
    if q.days is not None:
        scope.append(
            ngettext(
                "attempts started in the last {n} day",
                "attempts started in the last {n} days",
                q.days,
            ).format(n=q.days)
        )
    out = [_("Stats: {title} ({scope})").format(title=title, scope="; ".join(scope)), ""]
    bands = " ".join(f"{10 * i}%:{n}" for i, n in enumerate(report.score_deciles))
    summary = [
        (_("learners"), str(report.learners)),
        (_("attempts started"), str(report.attempts_started)),
        (
            _("attempts finished"),
            _("{n}  (completion {share})").format(
                n=report.attempts_finished, share=_pct(report.completion_rate)
            ),
        ),
        (
            _("score (finished)"),
            _("mean {mean}, median {median}").format(
                mean=_pct(report.mean_score), median=_pct(report.median_score)
            ),
        ),
        (_("score bands"), bands),
    ]
    label_width = max(_width(label) for label, _value in summary)
    out += [f"{label}{' ' * (label_width - _width(label))} {value}" for label, value in summary]
    if report.versions:
        out += ["", _("Reliability (Cronbach's alpha over finished attempts)")]
        out += _table(
            [_("quiz"), _("version"), _("items"), _("finished"), _("alpha")],
            [
                [
                    v.quiz,
                    str(v.version),
                    str(v.items),
                    str(v.complete_attempts),
                    _num(v.alpha)
                    if v.complete_attempts >= MIN_COMPLETE_ATTEMPTS
                    else _("needs {n}").format(n=MIN_COMPLETE_ATTEMPTS),
                ]
                for v in report.versions
            ],
            right={1, 2, 3, 4},
        )
    if report.skills:
        out += ["", _("Skills (learners' memory model: mean share right, mastered)")]
        out += _table(
            [_("skill"), _("learners"), _("right"), _("mastered")],
            [
                [s.name, str(s.learners), _pct(s.mean_share_right), str(s.mastered)]
                for s in report.skills
            ],
            right={1, 2, 3},
        )
    if report.items:
        out += [
            "",
            _(
                "Items (facility = share right; discrimination = item-rest correlation over "
                "finished attempts; options = times chosen, * marks a key)"
            ),
        ]
        out += _table(
            [
                _("quiz"),
                "v",
                _("item"),
                _("skill"),
                _("verdict"),
                "n",
                _("right"),
                _("discr"),
                _("med s"),
                _("options"),
                _("check"),
            ],
            [
                [
                    i.quiz,
                    str(i.version),
                    i.key,
                    i.skill_id,
                    verdict_words(i.verdict),
                    str(i.answers),
                    _pct(i.facility),
                    _num(i.discrimination),
                    _num(i.median_seconds, 0),
                    " ".join(
                        f"{o.letter}{'*' if o.correct else ''}:{o.chosen}" for o in i.options
                    ),
                    flags_words(i.flags),
                ]
                for i in report.items
            ],
            right={1, 5, 6, 7, 8},
        )
    if report.most_missed:
        out += ["", _("Most missed")]
        for n, i in enumerate(report.most_missed, start=1):
            passage = textwrap.shorten(i.passage, 90, placeholder="...")
            out.append(
                f"{n}. {i.quiz} v{i.version} {i.key}: "
                + _("{wrong} of {answers} answers wrong ({share})").format(
                    wrong=i.wrong, answers=i.answers, share=_pct(share(i.wrong, i.answers))
                )
                + f': "{passage}"'
            )
    out += [
        "",
        *textwrap.wrap(
            _(
                "Discernment (over-belief = flawed claims trusted, of flawed judged; "
                "over-doubt = sound claims doubted, of sound judged; misread = answers judging "
                "neither way, left out of both and of d' and c; c above 0 leans to trusting, "
                "below 0 to doubting)"
            ),
            90,
        ),
    ]
    groups = [report.discernment, *report.cohorts]
    rows = []
    for g in groups:
        rows.append([group_words(g), _("first attempt"), *_detection(g.first)])
        rows.append(["", _("latest follow-ups"), *_detection(g.latest)])
    out += _table(
        [
            _("group"),
            _("phase"),
            _("learners"),
            "d'",
            "c",
            _("over-belief"),
            _("over-doubt"),
            _("misread"),
        ],
        rows,
        right={2, 3, 4, 5, 6, 7},
    )
    if report.learner_rows:
        out += [
            "",
            _("Learners (flawed trusted/judged, sound doubted/judged, misread; d' and c)"),
        ]
        out += _table(
            [_("learner"), _("first"), "d'", "c", _("latest"), "d'", "c"],
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
        _("Follow-ups"),
        _(
            "pending {pending}, sent {sent}, answered {answered}, failed {failed}, "
            "cancelled {cancelled}; learners answering one within a day: {share}"
        ).format(
            pending=f.pending,
            sent=f.sent,
            answered=f.answered,
            failed=f.failed,
            cancelled=f.cancelled,
            share=_pct(f.answered_within_day_share),
        ),
    ]
    return "\n".join(out)


def assessment_table(tests: AssessmentReport) -> list[str]:
    """The cohort's tests: each stage, then the paired changes of accuracy."""
    out = [
        (
            _(
                "Tests before and after training (set {set}, on; the later test {days} days "
                "after the one after training; {learners})"
            )
            if tests.enabled
            else _(
                "Tests before and after training (set {set}, off; the later test {days} days "
                "after the one after training; {learners})"
            )
        ).format(
            set=tests.set_id or "-",
            days=tests.delay_days,
            learners=ngettext("{n} learner", "{n} learners", tests.enrolled).format(
                n=tests.enrolled
            ),
        ),
    ]
    out += _table(
        [_("test"), _("taken"), _("skipped"), _("open"), _("right"), "d'", "c"],
        [
            [
                stage_words(stage.stage),
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
        _(
            "Paired change of accuracy (learners with both tests; points and sd of the changes "
            "in percentage points; d_z = mean change / sd, 95% CI by Bonett 2008; shown from "
            "{n} pairs)"
        ).format(n=tests.min_pairs),
    ]
    rows = []
    for change in tests.changes:
        paired = change.change
        shown = change.enough and paired is not None and paired.d_z is not None
        rows.append(
            [
                f"{stage_words(change.first)} -> {stage_words(change.second)}",
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
                _("{low} to {high}").format(low=_num(paired.ci_low), high=_num(paired.ci_high))
                if shown and paired is not None
                else _("needs {n} pairs").format(n=tests.min_pairs),
            ]
        )
    out += _table(
        [
            _("tests"),
            _("pairs"),
            _("of"),
            _("lost"),
            _("first"),
            _("second"),
            _("points"),
            "sd",
            "d_z",
            _("95% CI"),
        ],
        rows,
        right={1, 2, 3, 4, 5, 6, 7, 8},
    )
    return out
