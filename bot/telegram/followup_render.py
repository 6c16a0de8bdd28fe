"""Telegram HTML for follow-up lessons and for /lessons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain import followups as rules
from bot.domain.errors import UnknownTimezoneError
from bot.domain.limits import MESSAGE_TEXT_MAX
from bot.services.views import FollowUpDelivery, LessonsStatus, PracticeResult, SkillLesson
from bot.telegram import callback_data as cd
from bot.telegram.render import answered_text, escape_text, item_text
from bot.telegram.text import visible_length

_e = escape_text

TZ_HINT = (
    "Set your time zone with /lessons tz followed by its name, e.g. /lessons tz Europe/Berlin."
)
LESSONS_USAGE = "Send /lessons, /lessons on, /lessons off or /lessons tz Europe/Berlin."
LESSONS_ON = "Follow-up lessons are on. /lessons shows the next one."
LESSONS_OFF = "Follow-up lessons are off; nothing more will be sent. /lessons on resumes them."
STOPPED = "Stopped: no more follow-up lessons. Your progress is kept; /lessons on resumes them."


def _lessons(lessons: Sequence[SkillLesson]) -> list[str]:
    parts = ["📚 <b>Time for a short review</b>"]
    parts += [f"<b>{_e(lesson.name)}</b>\n{_e(lesson.lesson)}" for lesson in lessons]
    return parts


def delivery_text(delivery: FollowUpDelivery) -> str:
    """One follow-up message: a lesson per due skill, then the first practice item."""
    parts = _lessons(delivery.lessons)
    if delivery.practice is not None:
        parts.append(item_text(delivery.practice))
    else:
        parts.append("Send /quiz to practise more.")
    return "\n\n".join(parts)


def local_time(moment: dt.datetime, timezone: str) -> str:
    """A moment as the learner reads it, e.g. 'Mon 2 Mar, 13:00'."""
    try:
        local = moment.astimezone(rules.zone(timezone))
    except UnknownTimezoneError:
        local = moment.astimezone(dt.UTC)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def lessons_status_text(status: LessonsStatus) -> str:
    """What /lessons shows."""
    lines = [f"<b>Follow-up lessons are {'on' if status.enabled else 'off'}.</b>"]
    if not status.enabled:
        lines.append("Send /lessons on to get short lessons on the skills you missed.")
    elif status.next_due_at is not None and status.next_skill is not None:
        when = local_time(status.next_due_at, status.timezone)
        lines.append(f"Next: <i>{_e(status.next_skill)}</i>, {when}.")
        if status.pending > 1:
            lines.append(f"{status.pending} skills are planned in all.")
    else:
        lines.append(
            "Nothing is planned yet: missing a quiz question plans a lesson on its skill."
        )
    lines += [
        "",
        f"They arrive: {_e(status.window_label)}, time zone {_e(status.timezone)}.",
        "Pick another time below. " + TZ_HINT,
    ]
    if status.enabled:
        lines.append("/lessons off stops them.")
    return "\n".join(lines)


def window_keyboard(status: LessonsStatus) -> InlineKeyboardMarkup:
    """Buttons to choose the daily window; the current one is marked."""
    buttons = []
    for preset, (label, start, end) in rules.WINDOW_PRESETS.items():
        current = (start % 24, end % 24) == (
            status.window_start_hour % 24,
            status.window_end_hour % 24,
        )
        text = f"• {label}" if current else label
        buttons.append(InlineKeyboardButton(text, callback_data=cd.window(preset)))
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def window_set_popup(status: LessonsStatus) -> str:
    """The popup after choosing a daily window."""
    return f"Follow-ups now arrive: {status.window_label}"


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
