"""Telegram HTML for follow-up lessons and for /lessons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.console.i18n import N_, NP_, _, moment, ngettext, pgettext
from bot.domain import followups as rules
from bot.domain.errors import UnknownTimezoneError
from bot.domain.limits import MESSAGE_TEXT_MAX
from bot.services.views import FollowUpDelivery, LessonsStatus, PracticeResult, SkillLesson
from bot.telegram import callback_data as cd
from bot.telegram.render import answered_text, escape_text, item_text
from bot.telegram.text import visible_length

_e = escape_text

# Translated where they are sent.
TZ_HINT = N_(
    "Set your time zone with /lessons tz followed by its name, e.g. /lessons tz Europe/Berlin."
)
LESSONS_USAGE = N_("Send /lessons, /lessons on, /lessons off or /lessons tz Europe/Berlin.")
LESSONS_ON = N_("Follow-up lessons are on. /lessons shows the next one.")
LESSONS_OFF = N_("Follow-up lessons are off; nothing more will be sent. /lessons on resumes them.")
STOPPED = N_(
    "Stopped: no more follow-up lessons. Your progress is kept; /lessons on resumes them."
)

# The daily windows /lessons offers (domain/followups.py's presets), as button labels.
_WINDOW_LABELS = {
    "morning": NP_("button", "Mornings (8–12)"),
    "afternoon": NP_("button", "Afternoons (12–18)"),
    "evening": NP_("button", "Evenings (18–22)"),
    "day": NP_("button", "Daytime (9–21)"),
    "any": NP_("button", "Any time"),
}


def _window_label(start: int, end: int) -> str:
    for preset, (_label, first, last) in rules.WINDOW_PRESETS.items():
        if (first % 24, last % 24) == (start % 24, end % 24):
            return pgettext("button", _WINDOW_LABELS[preset])
    return f"{start:02d}:00–{end % 24:02d}:00"


def _lessons(lessons: Sequence[SkillLesson]) -> list[str]:
    parts = [_("📚 <b>Time for a short review</b>")]
    parts += [f"<b>{_e(lesson.name)}</b>\n{_e(lesson.lesson)}" for lesson in lessons]
    return parts


def delivery_text(delivery: FollowUpDelivery) -> str:
    """One follow-up message: a lesson per due skill, then the first practice item."""
    parts = _lessons(delivery.lessons)
    if delivery.practice is not None:
        parts.append(item_text(delivery.practice))
    else:
        parts.append(_("Send /quiz to practise more."))
    return "\n\n".join(parts)


def local_time(when: dt.datetime, timezone: str) -> str:
    """A moment as the learner reads it, e.g. 'Mon 2 Mar, 13:00' (in their language)."""
    try:
        zone: dt.tzinfo = rules.zone(timezone)
    except UnknownTimezoneError:
        zone = dt.UTC
    return moment(when, zone)


def lessons_status_text(status: LessonsStatus) -> str:
    """What /lessons shows."""
    lines = [
        _("<b>Follow-up lessons are on.</b>")
        if status.enabled
        else _("<b>Follow-up lessons are off.</b>")
    ]
    if not status.enabled:
        lines.append(_("Send /lessons on to get short lessons on the skills you missed."))
    elif status.next_due_at is not None and status.next_skill is not None:
        when = local_time(status.next_due_at, status.timezone)
        lines.append(
            _("Next: <i>{skill}</i>, {when}.").format(skill=_e(status.next_skill), when=when)
        )
        if status.pending > 1:
            lines.append(
                ngettext(
                    "{n} skill is planned in all.",
                    "{n} skills are planned in all.",
                    status.pending,
                ).format(n=status.pending)
            )
    else:
        lines.append(
            _("Nothing is planned yet: missing a quiz question plans a lesson on its skill.")
        )
    window = _window_label(status.window_start_hour, status.window_end_hour)
    zone = (
        _("time zone {zone} (from your language; set your own below)")
        if status.zone_from_language
        else _("time zone {zone}")
    ).format(zone=_e(status.timezone))
    lines += [
        "",
        _("They arrive: {window}, {zone}.").format(window=_e(window), zone=zone),
        _("Pick another time below.") + " " + _(TZ_HINT),
    ]
    if status.enabled:
        lines.append(_("/lessons off stops them."))
    return "\n".join(lines)


def window_keyboard(status: LessonsStatus) -> InlineKeyboardMarkup:
    """Buttons to choose the daily window; the current one is marked."""
    buttons = []
    for preset, (_label, start, end) in rules.WINDOW_PRESETS.items():
        current = (start % 24, end % 24) == (
            status.window_start_hour % 24,
            status.window_end_hour % 24,
        )
        label = pgettext("button", _WINDOW_LABELS[preset])
        text = f"• {label}" if current else label
        buttons.append(InlineKeyboardButton(text, callback_data=cd.window(preset)))
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def window_set_popup(status: LessonsStatus) -> str:
    """The popup after choosing a daily window."""
    window = _window_label(status.window_start_hour, status.window_end_hour)
    return _("Follow-ups now arrive: {window}").format(window=window)


def practice_answered_text(practice: PracticeResult) -> tuple[str, str | None]:
    """The practice message after the answer, and any explanation that did not fit in it.

    The first practice item came with the lessons: its edit keeps them, when they fit.
    """
    text, rest = answered_text(practice.answer)
    if practice.lessons:
        lessons = "\n\n".join(_lessons(practice.lessons))
        if visible_length(f"{lessons}\n\n{text}") <= MESSAGE_TEXT_MAX:
            text = f"{lessons}\n\n{text}"
    return text, rest
