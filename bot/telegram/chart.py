"""The /stats chart: a PNG drawn with matplotlib's Agg backend, sized to read on a phone.

Its words are in the language being rendered (bot/console/i18n.py). Khmer is drawn with the
Noto Sans Khmer font shipped in bot/fonts (bot/fonts/SOURCES.md), after DejaVu Sans, which
matplotlib ships: a glyph missing from the first comes from the second, so English and
numbers look as they always did. matplotlib 3.11 shapes the text with libraqm, which Khmer
needs: its subscript consonants and vowel signs are placed by the font's shaping rules.
"""

from __future__ import annotations

import dataclasses
import io
import textwrap
from typing import Any

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.console.i18n import _
from bot.console.report_words import scope_words
from bot.paths import package_folder
from bot.services.assessment.report import AssessmentReport
from bot.services.reports import QuizReport

# Portrait, like a phone screen: 7 x 9.5 inches at 120 dpi is 840 x 1140 pixels, which
# Telegram shows without shrinking the text below legibility.
SIZE_INCHES = (7.0, 9.5)
DPI = 120
TESTS_INCHES = 2.8  # added to the height for a cohort's tests
FONT_SIZE = 12
BLUE, GREEN, GREY, ORANGE = "#2f6db5", "#3a9a5b", "#9aa3ad", "#d9822b"


def _register_khmer_font() -> str:
    """Make the shipped Khmer font known to matplotlib; its family name."""
    path = package_folder("fonts") / "NotoSansKhmer.ttf"
    font_manager.fontManager.addfont(path)
    regular = next(f for f in font_manager.fontManager.ttflist if f.fname == str(path))
    # The file is a variable font, drawn at its regular instance. Known as bold too, so a
    # bold title finds it without a "failed to find font weight" warning (the title's Khmer
    # words then show at regular weight).
    font_manager.fontManager.ttflist.append(dataclasses.replace(regular, weight=700))
    return regular.name


# Every text of the chart is given these families, in this order (see the module's doc).
FAMILIES = ["DejaVu Sans", _register_khmer_font()]
FONT: dict[str, Any] = {"fontfamily": FAMILIES}


def render_chart(report: QuizReport) -> bytes:
    """Draw scores, per-skill mastery and discernment of a report as PNG bytes; a cohort
    with tests gets a fourth panel, its three tests."""
    fig = chart_figure(report)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def chart_figure(report: QuizReport) -> Figure:
    """The chart of a report as a matplotlib figure, in the language being rendered."""
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
    title = report.query.quiz or _("all quizzes")
    fig.suptitle(
        _("{quiz}: {scope}").format(quiz=title, scope=scope_words(report.scope)),
        fontsize=FONT_SIZE + 2,
        fontweight="bold",
        **FONT,
    )

    # Scores of complete attempts, in bands of 10 %.
    labels = [f"{10 * i}" for i in range(10)]
    # Numeric positions with text labels: matplotlib would log about digit-only categories.
    top.bar(range(10), report.score_deciles, color=BLUE)
    top.set_xticks(range(10), labels)
    completion = f"{report.completion_rate:.0%}" if report.completion_rate is not None else "–"
    top.set_title(
        _("Scores of complete attempts · finished {finished} of {started} ({completion})").format(
            finished=report.attempts_finished,
            started=report.attempts_started,
            completion=completion,
        ),
        fontsize=FONT_SIZE,
        **FONT,
    )
    top.set_xlabel(_("score band, % right (from)"), fontsize=FONT_SIZE - 1, **FONT)
    top.set_ylabel(_("attempts"), fontsize=FONT_SIZE - 1, **FONT)
    top.tick_params(labelsize=FONT_SIZE - 1)
    top.yaxis.set_major_locator(MaxNLocator(integer=True))

    # Per-skill mastery: mean share right, and the share of learners who mastered it.
    skills = list(report.skills)[:12]
    names = [textwrap.shorten(s.name, 28, placeholder="…") for s in skills]
    right = [100 * (s.mean_share_right or 0.0) for s in skills]
    mastered = [100 * s.mastered / s.learners if s.learners else 0.0 for s in skills]
    rows = list(range(len(skills)))
    if skills:
        middle.barh([r - 0.2 for r in rows], right, height=0.4, color=BLUE, label=_("% right"))
        middle.barh(
            [r + 0.2 for r in rows], mastered, height=0.4, color=GREEN, label=_("% mastered")
        )
        middle.set_yticks(rows, names, fontsize=FONT_SIZE - 1, **FONT)
        middle.legend(loc="lower right", prop={"family": FAMILIES, "size": FONT_SIZE - 2})
    else:
        _empty(middle, _("no skill practised yet"))
    middle.set_xlim(0, 100)
    middle.invert_yaxis()
    middle.set_title(_("Skills across learners"), fontsize=FONT_SIZE, **FONT)
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
        bars = [_("d' first"), _("d' latest"), _("c first"), _("c latest")]
        heights = [v or 0.0 for v in values]
        # Numeric positions with text labels, as above: the labels are words in any language.
        bottom.bar(range(4), heights, color=[BLUE, GREEN, GREY, ORANGE])
        bottom.set_xticks(range(4), bars, **FONT)
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
        _empty(bottom, _("no answers on sound/flawed items yet"))
    bottom.set_title(
        _(
            "Discernment ({first} learners first, {latest} in follow-ups)\n"
            "c above 0: leans to trusting claims; below 0: to doubting them"
        ).format(first=first.learners, latest=latest.learners),
        fontsize=FONT_SIZE,
        **FONT,
    )
    bottom.tick_params(labelsize=FONT_SIZE - 1)
    return fig


def _tests_panel(axes: Axes, tests: AssessmentReport) -> None:
    """Mean accuracy at each of the three tests, with how many took each and their d′."""
    # The stages as /stats names them (render_reports.STAGE_WORDS).
    labels = [_("before"), _("after"), _("later")]
    right = [100 * (s.mean_accuracy or 0.0) for s in tests.stages]
    axes.bar(range(3), right, color=[GREY, BLUE, GREEN])
    axes.set_xticks(range(3), labels, **FONT)
    axes.set_ylim(0, 118)  # room above a full bar for its label
    axes.set_ylabel(_("% right"), fontsize=FONT_SIZE - 1, **FONT)
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
        effect = _("before → after: d_z {d} ({pairs} learners)").format(
            d=f"{change.change.d_z:.2f}", pairs=change.pairs
        )
    else:
        effect = _("effect size needs {n} learners with both tests").format(n=tests.min_pairs)
    axes.set_title(
        _("Tests before and after training\n{effect}").format(effect=effect),
        fontsize=FONT_SIZE,
        **FONT,
    )
    axes.tick_params(labelsize=FONT_SIZE - 1)


def _empty(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", fontsize=FONT_SIZE, **FONT)
    axes.set_xticks([])
    axes.set_yticks([])
