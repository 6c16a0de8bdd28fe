"""The /stats reply in Telegram HTML: a short summary, sent split at paragraphs if long."""

from __future__ import annotations

import math
import textwrap
from html import escape

from bot.console.i18n import N_, _, ngettext, number, percent
from bot.console.report_words import flags_words, group_words, scope_words
from bot.domain.assessment import Stage
from bot.domain.statistics import (
    MIN_COMPLETE_ATTEMPTS,
    DetectionCounts,
    DetectionSummary,
    share,
)
from bot.services.assessment.report import AssessmentReport, StageChange
from bot.services.reports import QuizReport

# The chat shows the items most worth a look; `quizbot stats` lists them all.
CHECK_ROWS_MAX = 10
PASSAGE_MAX = 160
CAPTION = N_("Scores, skills and discernment: {quiz}")


def export_caption(rows: int) -> str:
    """The caption of the CSV document."""
    return ngettext(
        "{n} answer, one row each; learners by pseudonym only.",
        "{n} answers, one row each; learners by pseudonym only.",
        rows,
    ).format(n=rows)


def export_too_big_text(rows: int) -> str:
    """Why an export that would not fit Telegram's 50 MB is not sent."""
    return _(
        "The export has {rows} rows, too big for Telegram. Narrow it with days=N or "
        "cohort=CODE, or run quizbot export in the terminal."
    ).format(rows=rows)


def _e(text: str) -> str:
    return escape(text, quote=False)


def pct(value: float | None) -> str:
    """A share as a whole percentage, or a dash when undefined."""
    return "–" if value is None else percent(value)


def num(value: float | None, digits: int = 2) -> str:
    """A number with fixed decimals, or a dash when undefined."""
    # Adding 0.0 turns a rounded -0.0 into 0.0, so no "-0.00" is shown.
    return "–" if value is None else number(round(value, digits) + 0.0, digits)


def _filters(report: QuizReport) -> str:
    q = report.query
    parts = [scope_words(report.scope)]
    if q.version is not None:
        parts.append(_("version {version}").format(version=q.version))
    if q.days is not None:
        parts.append(
            ngettext(
                "attempts started in the last {n} day",
                "attempts started in the last {n} days",
                q.days,
            ).format(n=q.days)
        )
    return " · ".join(parts)


def stats_caption(report: QuizReport) -> str:
    """The chart's caption (well under Telegram's 1024 characters)."""
    return _(CAPTION).format(quiz=(report.query.quiz or _("all quizzes"))[:64])


def _detection_line(label: str, s: DetectionSummary) -> str:
    if s.learners == 0 and s.hit_rate is None and s.false_alarm_rate is None:
        if s.misreadings:
            return _("{label}: only misreadings ({n})").format(label=label, n=s.misreadings)
        return _("{label}: no answers yet").format(label=label)
    learners = ngettext("{n} learner", "{n} learners", s.learners).format(n=s.learners)
    return _(
        "{label}: d′ {d}, c {c} ({learners})\n"
        "    over-belief {belief} · over-doubt {doubt} · misread {misread} ({share})"
    ).format(
        label=label,
        d=num(s.mean_d_prime),
        c=num(s.mean_criterion),
        learners=learners,
        belief=pct(s.over_belief_rate),
        doubt=pct(s.over_doubt_rate),
        misread=s.misreadings,
        share=pct(s.misreading_rate),
    )


def _counts(c: DetectionCounts | None) -> str:
    if c is None:
        return "–"
    text = _("trusted {misses}/{flawed} flawed, doubted {alarms}/{sound} sound").format(
        misses=c.misses, flawed=c.flawed, alarms=c.false_alarms, sound=c.sound
    )
    if not c.misreadings:
        return text
    return _("{counts}, misread {n}").format(counts=text, n=c.misreadings)


# How the tests' stages are named to instructors: plain words for pre, post and delayed.
STAGE_WORDS = {
    Stage.PRE: N_("before"),
    Stage.POST: N_("after"),
    Stage.DELAYED: N_("later"),
}


def _points(value: float) -> str:
    """A change of a share in whole percentage points, halves away from zero: the last bits of
    a float sum differ between databases, and 12.5 must not become 12 on one and 13 on the
    other."""
    whole = math.floor(abs(round(100 * value, 6)) + 0.5)
    sign = "+" if value >= 0 else "−"
    return ngettext("{sign}{n} point", "{sign}{n} points", whole).format(sign=sign, n=whole)


def _change_line(change: StageChange, min_pairs: int) -> str:
    first, second = _(STAGE_WORDS[change.first]), _(STAGE_WORDS[change.second])
    head = _("{first} → {second}: {pairs} of {takers} took both (lost {lost})").format(
        first=first,
        second=second,
        pairs=change.pairs,
        takers=change.first_takers,
        lost=pct(change.attrition),
    )
    if not change.pairs:
        return head
    head += f": {pct(change.mean_first)} → {pct(change.mean_second)}"
    paired = change.change
    if paired is not None:
        head += f", {_points(paired.mean_change)}"
    elif change.mean_first is not None and change.mean_second is not None:
        head += f", {_points(change.mean_second - change.mean_first)}"  # one pair
    if not change.enough:
        return head + _("; effect size needs {n} learners with both tests (has {pairs})").format(
            n=min_pairs, pairs=change.pairs
        )
    if paired is None or paired.d_z is None:
        return head + _("; no effect size: every learner changed by the same")
    return head + _(", d_z {d} (95% CI {low} to {high})").format(
        d=num(paired.d_z), low=num(paired.ci_low), high=num(paired.ci_high)
    )


def assessment_block(tests: AssessmentReport) -> str:
    """The cohort's tests before and after training: each stage, and the two changes."""
    lines = [
        _("<b>Tests before and after training</b>"),
        (
            _("set {set} · on · later test {days} days after · {learners}")
            if tests.enabled
            else _("set {set} · off · later test {days} days after · {learners}")
        ).format(
            set=_e(tests.set_id or "–"),
            days=tests.delay_days,
            learners=ngettext("{n} learner", "{n} learners", tests.enrolled).format(
                n=tests.enrolled
            ),
        ),
    ]
    for stage in tests.stages:
        d = stage.detection
        lines.append(
            _(
                "{stage}: {taken} taken, {skipped} skipped, {open} open · {share} right · "
                "d′ {d}, c {c}"
            ).format(
                stage=_(STAGE_WORDS[stage.stage]),
                taken=stage.taken,
                skipped=stage.skipped,
                open=stage.open,
                share=pct(stage.mean_accuracy),
                d=num(d.mean_d_prime),
                c=num(d.mean_criterion),
            )
        )
    lines += [_change_line(change, tests.min_pairs) for change in tests.changes]
    return "\n".join(lines)


def stats_text(report: QuizReport) -> str:
    """The summary of a report as Telegram HTML."""
    title = _e(report.query.quiz or _("all quizzes"))
    lines = [_("<b>Stats: {title}</b>").format(title=title), _e(_filters(report))]
    if report.attempts_started == 0:
        lines.append("\n" + _("No attempts yet in this scope."))
        if report.assessment is not None:
            return "\n".join(lines) + "\n\n" + assessment_block(report.assessment)
        return "\n".join(lines)
    lines += [
        _("Learners: {n}").format(n=report.learners),
        _("Attempts: {started} started, {finished} finished (completion {share})").format(
            started=report.attempts_started,
            finished=report.attempts_finished,
            share=pct(report.completion_rate),
        ),
        _("Score of finished attempts: mean {mean}, median {median}").format(
            mean=pct(report.mean_score), median=pct(report.median_score)
        ),
    ]
    for v in report.versions:
        alpha = (
            _("alpha {alpha}").format(alpha=num(v.alpha))
            if v.complete_attempts >= MIN_COMPLETE_ATTEMPTS
            else _("alpha needs {n} finished attempts").format(n=MIN_COMPLETE_ATTEMPTS)
        )
        lines.append(
            _("{quiz} v{version}: {items}, {finished} finished, {alpha}").format(
                quiz=_e(v.quiz),
                version=v.version,
                items=ngettext("{n} item", "{n} items", v.items).format(n=v.items),
                finished=v.complete_attempts,
                alpha=alpha,
            )
        )

    blocks = ["\n".join(lines)]
    if report.skills:
        skill_lines = [_("<b>Skills</b> (mean % right · learners who mastered it)")]
        skill_lines += [
            _("• {skill}: {share} · {mastered} of {learners}").format(
                skill=_e(s.name),
                share=pct(s.mean_share_right),
                mastered=s.mastered,
                learners=s.learners,
            )
            for s in report.skills
        ]
        blocks.append("\n".join(skill_lines))

    if report.most_missed:
        missed = [_("<b>Most missed</b>")]
        for n, item in enumerate(report.most_missed, start=1):
            passage = textwrap.shorten(item.passage, PASSAGE_MAX, placeholder="…")
            missed.append(
                f"{n}. {_e(item.quiz)} v{item.version} <code>{_e(item.key)}</code>: "
                + _("{wrong} of {answers} answers wrong ({share})").format(
                    wrong=item.wrong,
                    answers=item.answers,
                    share=pct(share(item.wrong, item.answers)),
                )
                + f"\n<blockquote>{_e(passage)}</blockquote>"
            )
        blocks.append("\n".join(missed))

    flagged = report.needs_checking
    if flagged:
        check = [
            ngettext(
                "<b>Needs checking</b> ({n} item)",
                "<b>Needs checking</b> ({n} items)",
                len(flagged),
            ).format(n=len(flagged))
        ]
        for item in flagged[:CHECK_ROWS_MAX]:
            check.append(
                f"• {_e(item.quiz)} v{item.version} <code>{_e(item.key)}</code>: "
                + _("{flags} (right {share}, discrimination {discrimination})").format(
                    flags=_e(flags_words(item.flags)),
                    share=pct(item.facility),
                    discrimination=num(item.discrimination),
                )
            )
        if len(flagged) > CHECK_ROWS_MAX:
            check.append(
                _("… and {n} more: see quizbot stats.").format(n=len(flagged) - CHECK_ROWS_MAX)
            )
        blocks.append("\n".join(check))

    d = report.discernment
    disc = [
        _("<b>Discernment</b> (flawed vs sound claims)"),
        _detection_line(_("First attempt"), d.first),
        _detection_line(_("Latest follow-ups"), d.latest),
        _(
            "Over-belief: flawed claims trusted. Over-doubt: sound claims doubted. Misread: "
            "answers that judge neither way, left out of d′ and c."
        ),
        _(
            "d′ up: better at telling them apart. "
            "c above 0 leans to trusting, below 0 to doubting."
        ),
    ]
    for group in report.cohorts:
        disc.append(
            f"• {_e(group_words(group))}: d′ {num(group.first.mean_d_prime)} → "
            f"{num(group.latest.mean_d_prime)}, c {num(group.first.mean_criterion)} → "
            f"{num(group.latest.mean_criterion)}"
        )
    blocks.append("\n".join(disc))
    if report.learner_rows:
        rows = [_("<b>Learners</b> (first attempt → latest follow-ups)")]
        rows += [
            f"<code>{_e(r.learner)}</code> {_counts(r.first)} → {_counts(r.latest)}"
            for r in report.learner_rows
        ]
        blocks.append("\n".join(rows))

    if report.assessment is not None:
        blocks.append(assessment_block(report.assessment))
    f = report.followups
    blocks.append(
        _(
            "<b>Follow-ups</b>\n"
            "pending {pending} · sent {sent} · answered {answered} · failed {failed} · "
            "cancelled {cancelled}\n"
            "Learners answering one within a day: {share}"
        ).format(
            pending=f.pending,
            sent=f.sent,
            answered=f.answered,
            failed=f.failed,
            cancelled=f.cancelled,
            share=pct(f.answered_within_day_share),
        )
    )
    return "\n\n".join(blocks)
