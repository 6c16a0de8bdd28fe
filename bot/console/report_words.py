"""The words for the reports' plain values, shared by /stats, its chart and `quizbot stats`:
whose answers a report covers, an item's flags and verdict, a discernment group, a test's
stage. The services hand over values (bot/services/reports); these name them in the
language being rendered.
"""

from __future__ import annotations

from bot.console.i18n import N_, NP_, _, pgettext
from bot.domain.assessment import Stage
from bot.domain.statistics import ItemFlag
from bot.services.reports import Covers, DiscernmentGroup, ScopeLabel

_COVERS = {
    Covers.EVERYONE: N_("all learners"),
    Covers.OWN: N_("your quizzes and your cohorts' learners"),
}

_FLAGS = {
    # Facility below 20 %: nearly no one gets it right (is the key wrong?).
    ItemFlag.VERY_HARD: N_("very hard"),
    # Facility above 90 %: nearly everyone gets it right.
    ItemFlag.VERY_EASY: N_("very easy"),
    # Item-rest correlation below 0.3: it tells strong from weak learners apart poorly.
    ItemFlag.LOW_DISCRIMINATION: N_("low discrimination"),
}

# An item's verdict as the quiz file says it: whether the right answer finds the claim
# sound or flawed.
_VERDICTS = {
    "sound": NP_("verdict", "sound"),
    "flawed": NP_("verdict", "flawed"),
}

# The tests' stages as the terminal's tables name them (the chat says before/after/later).
_STAGES = {
    Stage.PRE: NP_("test", "pre"),
    Stage.POST: NP_("test", "post"),
    Stage.DELAYED: NP_("test", "delayed"),
}


def scope_words(scope: ScopeLabel) -> str:
    """Whose answers the report counts: "all learners", "cohort NAME", …"""
    if scope.covers is Covers.COHORT:
        return _("cohort {name}").format(name=scope.cohort or "?")
    return _(_COVERS[scope.covers])


def flags_words(flags: tuple[ItemFlag, ...]) -> str:
    """Why an item needs checking, as a list ("very hard, low discrimination")."""
    return ", ".join(_(_FLAGS[flag]) for flag in flags)


def verdict_words(verdict: str | None) -> str:
    """An item's verdict ("sound", "flawed"), or nothing for an item without one."""
    if verdict is None:
        return ""
    found = _VERDICTS.get(verdict)
    return pgettext("verdict", found) if found else verdict


def group_words(group: DiscernmentGroup) -> str:
    """A discernment group: its cohort's name, or all the learners in scope."""
    return _("all learners in scope") if group.cohort is None else group.cohort


def stage_words(stage: Stage) -> str:
    """A test's stage in a table: pre, post, delayed."""
    return pgettext("test", _STAGES[stage])
