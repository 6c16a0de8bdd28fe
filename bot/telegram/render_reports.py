"""The /stats reply in Telegram HTML: a short summary, sent split at paragraphs if long."""

from __future__ import annotations

import math
import textwrap
from html import escape

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
CAPTION = "Scores, skills and discernment"


def export_caption(rows: int) -> str:
    """The caption of the CSV document."""
    return f"{rows} answers, one row each; learners by pseudonym only."


def export_too_big_text(rows: int) -> str:
    """Why an export that would not fit Telegram's 50 MB is not sent."""
    return (
        f"The export has {rows} rows, too big for Telegram. Narrow it with days=N or "
        "cohort=CODE, or run quizbot export in the terminal."
    )


def _e(text: str) -> str:
    return escape(text, quote=False)


def pct(value: float | None) -> str:
    """A share as a whole percentage, or a dash when undefined."""
    return "–" if value is None else f"{100 * value:.0f}%"


def num(value: float | None, digits: int = 2) -> str:
    """A number with fixed decimals, or a dash when undefined."""
    # Adding 0.0 turns a rounded -0.0 into 0.0, so no "-0.00" is shown.
    return "–" if value is None else f"{round(value, digits) + 0.0:.{digits}f}"


def _filters(report: QuizReport) -> str:
    q = report.query
    parts = [report.scope]
    if q.version is not None:
        parts.append(f"version {q.version}")
    if q.days is not None:
        parts.append(f"attempts started in the last {q.days} days")
    return " · ".join(parts)


def stats_caption(report: QuizReport) -> str:
    """The chart's caption (well under Telegram's 1024 characters)."""
    return f"{CAPTION}: {(report.query.quiz or 'all quizzes')[:64]}"


def _detection_line(label: str, s: DetectionSummary) -> str:
    if s.learners == 0 and s.hit_rate is None and s.false_alarm_rate is None:
        if s.misreadings:
            return f"{label}: only misreadings ({s.misreadings})"
        return f"{label}: no answers yet"
    return (
        f"{label}: d′ {num(s.mean_d_prime)}, c {num(s.mean_criterion)} "
        f"({s.learners} learners)\n"
        f"    over-belief {pct(s.over_belief_rate)} · over-doubt {pct(s.over_doubt_rate)} · "
        f"misread {s.misreadings} ({pct(s.misreading_rate)})"
    )


def _counts(c: DetectionCounts | None) -> str:
    if c is None:
        return "–"
    text = f"trusted {c.misses}/{c.flawed} flawed, doubted {c.false_alarms}/{c.sound} sound"
    return f"{text}, misread {c.misreadings}" if c.misreadings else text


# How the tests' stages are named to instructors: plain words for pre, post and delayed.
STAGE_WORDS = {Stage.PRE: "before", Stage.POST: "after", Stage.DELAYED: "later"}


def _points(value: float) -> str:
    """A change of a share in whole percentage points, halves away from zero: the last bits of
    a float sum differ between databases, and 12.5 must not become 12 on one and 13 on the
    other."""
    whole = math.floor(abs(round(100 * value, 6)) + 0.5)
    return f"{'+' if value >= 0 else '−'}{whole} points"


def _change_line(change: StageChange, min_pairs: int) -> str:
    first, second = STAGE_WORDS[change.first], STAGE_WORDS[change.second]
    head = (
        f"{first} → {second}: {change.pairs} of {change.first_takers} took both "
        f"(lost {pct(change.attrition)})"
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
        return (
            f"{head}; effect size needs {min_pairs} learners with both tests (has {change.pairs})"
        )
    if paired is None or paired.d_z is None:
        return f"{head}; no effect size: every learner changed by the same"
    return f"{head}, d_z {num(paired.d_z)} (95% CI {num(paired.ci_low)} to {num(paired.ci_high)})"


def assessment_block(tests: AssessmentReport) -> str:
    """The cohort's tests before and after training: each stage, and the two changes."""
    state = "on" if tests.enabled else "off"
    lines = [
        "<b>Tests before and after training</b>",
        f"set {_e(tests.set_id or '–')} · {state} · later test {tests.delay_days} days after "
        f"· {tests.enrolled} learners",
    ]
    for stage in tests.stages:
        d = stage.detection
        lines.append(
            f"{STAGE_WORDS[stage.stage]}: {stage.taken} taken, {stage.skipped} skipped, "
            f"{stage.open} open · {pct(stage.mean_accuracy)} right · "
            f"d′ {num(d.mean_d_prime)}, c {num(d.mean_criterion)}"
        )
    lines += [_change_line(change, tests.min_pairs) for change in tests.changes]
    return "\n".join(lines)


def stats_text(report: QuizReport) -> str:
    """The summary of a report as Telegram HTML."""
    title = _e(report.query.quiz or "all quizzes")
    lines = [f"<b>Stats: {title}</b>", _e(_filters(report))]
    if report.attempts_started == 0:
        lines.append("\nNo attempts yet in this scope.")
        if report.assessment is not None:
            return "\n".join(lines) + "\n\n" + assessment_block(report.assessment)
        return "\n".join(lines)
    lines += [
        f"Learners: {report.learners}",
        f"Attempts: {report.attempts_started} started, {report.attempts_finished} finished "
        f"(completion {pct(report.completion_rate)})",
        f"Score of finished attempts: mean {pct(report.mean_score)}, "
        f"median {pct(report.median_score)}",
    ]
    for v in report.versions:
        alpha = (
            f"alpha {num(v.alpha)}"
            if v.complete_attempts >= MIN_COMPLETE_ATTEMPTS
            else f"alpha needs {MIN_COMPLETE_ATTEMPTS} finished attempts"
        )
        lines.append(
            f"{_e(v.quiz)} v{v.version}: {v.items} items, {v.complete_attempts} finished, {alpha}"
        )

    blocks = ["\n".join(lines)]
    if report.skills:
        skill_lines = ["<b>Skills</b> (mean % right · learners who mastered it)"]
        skill_lines += [
            f"• {_e(s.name)}: {pct(s.mean_share_right)} · {s.mastered} of {s.learners}"
            for s in report.skills
        ]
        blocks.append("\n".join(skill_lines))

    if report.most_missed:
        missed = ["<b>Most missed</b>"]
        for n, item in enumerate(report.most_missed, start=1):
            passage = textwrap.shorten(item.passage, PASSAGE_MAX, placeholder="…")
            missed.append(
                f"{n}. {_e(item.quiz)} v{item.version} <code>{_e(item.key)}</code>: "
                f"{item.wrong} of {item.answers} answers wrong "
                f"({pct(share(item.wrong, item.answers))})\n"
                f"<blockquote>{_e(passage)}</blockquote>"
            )
        blocks.append("\n".join(missed))

    flagged = report.needs_checking
    if flagged:
        check = [f"<b>Needs checking</b> ({len(flagged)} items)"]
        for item in flagged[:CHECK_ROWS_MAX]:
            check.append(
                f"• {_e(item.quiz)} v{item.version} <code>{_e(item.key)}</code>: "
                f"{_e(', '.join(item.flags))} (right {pct(item.facility)}, "
                f"discrimination {num(item.discrimination)})"
            )
        if len(flagged) > CHECK_ROWS_MAX:
            check.append(f"… and {len(flagged) - CHECK_ROWS_MAX} more: see quizbot stats.")
        blocks.append("\n".join(check))

    d = report.discernment
    disc = [
        "<b>Discernment</b> (flawed vs sound claims)",
        _detection_line("First attempt", d.first),
        _detection_line("Latest follow-ups", d.latest),
        "Over-belief: flawed claims trusted. Over-doubt: sound claims doubted. Misread: "
        "answers that judge neither way, left out of d′ and c.",
        "d′ up: better at telling them apart. c above 0 leans to trusting, below 0 to doubting.",
    ]
    for group in report.cohorts:
        disc.append(
            f"• {_e(group.label)}: d′ {num(group.first.mean_d_prime)} → "
            f"{num(group.latest.mean_d_prime)}, c {num(group.first.mean_criterion)} → "
            f"{num(group.latest.mean_criterion)}"
        )
    blocks.append("\n".join(disc))
    if report.learner_rows:
        rows = ["<b>Learners</b> (first attempt → latest follow-ups)"]
        rows += [
            f"<code>{_e(r.learner)}</code> {_counts(r.first)} → {_counts(r.latest)}"
            for r in report.learner_rows
        ]
        blocks.append("\n".join(rows))

    if report.assessment is not None:
        blocks.append(assessment_block(report.assessment))
    f = report.followups
    blocks.append(
        "<b>Follow-ups</b>\n"
        f"pending {f.pending} · sent {f.sent} · answered {f.answered} · failed {f.failed} · "
        f"cancelled {f.cancelled}\n"
        f"Learners answering one within a day: {pct(f.answered_within_day_share)}"
    )
    return "\n\n".join(blocks)
