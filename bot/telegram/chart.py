"""The /stats chart: a PNG drawn with matplotlib's Agg backend, sized to read on a phone."""

from __future__ import annotations

import io
import textwrap

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.services.assessment.report import AssessmentReport
from bot.services.reports import QuizReport

# Portrait, like a phone screen: 7 x 9.5 inches at 120 dpi is 840 x 1140 pixels, which
# Telegram shows without shrinking the text below legibility.
SIZE_INCHES = (7.0, 9.5)
DPI = 120
TESTS_INCHES = 2.8  # added to the height for a cohort's tests
FONT_SIZE = 12
BLUE, GREEN, GREY, ORANGE = "#2f6db5", "#3a9a5b", "#9aa3ad", "#d9822b"


def render_chart(report: QuizReport) -> bytes:
    """Draw scores, per-skill mastery and discernment of a report as PNG bytes; a cohort
    with tests gets a fourth panel, its three tests."""
    tests = report.assessment
    width, height = SIZE_INCHES
    fig = Figure(
        figsize=(width, height + (TESTS_INCHES if tests else 0.0)), dpi=DPI, layout="constrained"
    )
    FigureCanvasAgg(fig)
    ratios = [1.0, 1.4, 0.8, 0.9] if tests else [1.0, 1.4, 0.8]
    panels = fig.subplots(len(ratios), 1, height_ratios=ratios)
    top, middle, bottom = panels[:3]
    if tests is not None:
        _tests_panel(panels[3], tests)
    title = report.query.quiz or "all quizzes"
    fig.suptitle(f"{title}: {report.scope}", fontsize=FONT_SIZE + 2, fontweight="bold")

    # Scores of complete attempts, in bands of 10 %.
    labels = [f"{10 * i}" for i in range(10)]
    # Numeric positions with text labels: matplotlib would log about digit-only categories.
    top.bar(range(10), report.score_deciles, color=BLUE)
    top.set_xticks(range(10), labels)
    completion = f"{report.completion_rate:.0%}" if report.completion_rate is not None else "–"
    top.set_title(
        f"Scores of complete attempts · finished {report.attempts_finished}"
        f" of {report.attempts_started} ({completion})",
        fontsize=FONT_SIZE,
    )
    top.set_xlabel("score band, % right (from)", fontsize=FONT_SIZE - 1)
    top.set_ylabel("attempts", fontsize=FONT_SIZE - 1)
    top.tick_params(labelsize=FONT_SIZE - 1)
    top.yaxis.set_major_locator(MaxNLocator(integer=True))

    # Per-skill mastery: mean share right, and the share of learners who mastered it.
    skills = list(report.skills)[:12]
    names = [textwrap.shorten(s.name, 28, placeholder="…") for s in skills]
    right = [100 * (s.mean_share_right or 0.0) for s in skills]
    mastered = [100 * s.mastered / s.learners if s.learners else 0.0 for s in skills]
    rows = list(range(len(skills)))
    if skills:
        middle.barh([r - 0.2 for r in rows], right, height=0.4, color=BLUE, label="% right")
        middle.barh([r + 0.2 for r in rows], mastered, height=0.4, color=GREEN, label="% mastered")
        middle.set_yticks(rows, names, fontsize=FONT_SIZE - 1)
        middle.legend(fontsize=FONT_SIZE - 2, loc="lower right")
    else:
        _empty(middle, "no skill practised yet")
    middle.set_xlim(0, 100)
    middle.invert_yaxis()
    middle.set_title("Skills across learners", fontsize=FONT_SIZE)
    middle.tick_params(labelsize=FONT_SIZE - 1)

    # Discernment: d' (telling flawed from sound) and c (bias), first attempt vs follow-ups.
    first, latest = report.discernment.first, report.discernment.latest
    values = [
        first.mean_d_prime,
        latest.mean_d_prime,
        first.mean_criterion,
        latest.mean_criterion,
    ]
    if any(v is not None for v in values):
        bars = ["d' first", "d' latest", "c first", "c latest"]
        heights = [v or 0.0 for v in values]
        bottom.bar(bars, heights, color=[BLUE, GREEN, GREY, ORANGE])
        bottom.axhline(0, color="black", linewidth=0.8)
        # Room above and below the bars for their labels.
        bottom.margins(y=0.3)
        for x, v in enumerate(values):
            bottom.annotate(
                "–" if v is None else f"{v:.2f}",
                (x, v or 0.0),
                ha="center",
                va="bottom" if (v or 0.0) >= 0 else "top",
                fontsize=FONT_SIZE - 1,
            )
    else:
        _empty(bottom, "no answers on sound/flawed items yet")
    bottom.set_title(
        f"Discernment ({first.learners} learners first, {latest.learners} in follow-ups)\n"
        "c above 0: leans to trusting claims; below 0: to doubting them",
        fontsize=FONT_SIZE,
    )
    bottom.tick_params(labelsize=FONT_SIZE - 1)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _tests_panel(axes: Axes, tests: AssessmentReport) -> None:
    """Mean accuracy at each of the three tests, with how many took each and their d′."""
    labels = ["before", "after", "later"]
    right = [100 * (s.mean_accuracy or 0.0) for s in tests.stages]
    axes.bar(range(3), right, color=[GREY, BLUE, GREEN])
    axes.set_xticks(range(3), labels)
    axes.set_ylim(0, 118)  # room above a full bar for its label
    axes.set_ylabel("% right", fontsize=FONT_SIZE - 1)
    for x, stage in enumerate(tests.stages):
        d_prime = stage.detection.mean_d_prime
        label = f"n={stage.taken}"
        if stage.mean_accuracy is not None:
            label = f"{right[x]:.0f}% · {label}"
        if d_prime is not None:
            label += f"\nd′ {d_prime:.2f}"
        axes.annotate(label, (x, right[x]), ha="center", va="bottom", fontsize=FONT_SIZE - 2)
    change = tests.changes[0]
    if change.enough and change.change is not None and change.change.d_z is not None:
        effect = f"before → after: d_z {change.change.d_z:.2f} ({change.pairs} learners)"
    else:
        effect = f"effect size needs {tests.min_pairs} learners with both tests"
    axes.set_title(f"Tests before and after training\n{effect}", fontsize=FONT_SIZE)
    axes.tick_params(labelsize=FONT_SIZE - 1)


def _empty(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", fontsize=FONT_SIZE)
    axes.set_xticks([])
    axes.set_yticks([])
