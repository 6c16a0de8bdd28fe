"""Command menus: one list per role, set with setMyCommands per scope."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.domain.roles import Role

log = logging.getLogger(__name__)

LEARNER_COMMANDS = [
    ("quiz", "start or resume a quiz"),
    ("score", "your progress per quiz and skill"),
    ("lessons", "follow-up lessons: /lessons on or off"),
    ("stop", "stop all follow-up lessons"),
    ("forgetme", "delete everything stored about you"),
    ("help", "what the bot can do"),
]
INSTRUCTOR_COMMANDS = [
    ("quizzes", "your quizzes and cohorts; /quizzes QUIZ-ID: its versions"),
    ("cohort", "create a cohort: /cohort NAME"),
    ("share", "open a quiz to cohorts: /share QUIZ-ID CODE"),
    ("public", "open a quiz to everyone: /public QUIZ-ID"),
    ("assess", "tests before and after training: /assess CODE on|off"),
    ("stats", "results of your quizzes: /stats [quiz-id] [cohort=CODE] [days=N]"),
    ("export", "answers as CSV: /export [quiz-id]"),
]
# Admins use the same commands; /stats and /export then cover every quiz and cohort.
ADMIN_COMMANDS: list[tuple[str, str]] = []


def help_text(role: Role) -> str:
    """/help: the commands this role may use."""
    lines = ["<b>Commands</b>", *(f"/{c} – {d}" for c, d in LEARNER_COMMANDS)]
    if role >= Role.INSTRUCTOR:
        lines += ["", "<b>Instructors</b>"]
        lines += [f"/{c} – {d}" for c, d in INSTRUCTOR_COMMANDS]
        lines.append(
            "Send a .yaml quiz file as a document to upload it (with the source text inline "
            "under source.text). Send an article as a .txt or .html file to get a draft quiz "
            "to complete."
        )
    if role >= Role.ADMIN:
        lines += ["", "As an admin, /stats and /export cover every quiz and cohort."]
    return "\n".join(lines)


def commands_for(role: Role) -> list[tuple[str, str]]:
    """The commands a role may use, learners' first."""
    entries = list(LEARNER_COMMANDS)
    if role >= Role.INSTRUCTOR:
        entries += INSTRUCTOR_COMMANDS
    if role >= Role.ADMIN:
        entries += ADMIN_COMMANDS
    return entries


async def set_default_menu(bot: ExtBot[None]) -> None:
    """The menu everyone sees: the learners' commands."""
    commands = [BotCommand(c, d) for c, d in commands_for(Role.LEARNER)]
    await bot.set_my_commands(commands, scope=BotCommandScopeDefault())


async def set_staff_menu(bot: ExtBot[None], chat_id: int, role: Role) -> bool:
    """A wider menu in an instructor's or admin's private chat; False if Telegram refused.

    Set when they first write to this process: Telegram refuses a chat scope ("chat not
    found") for someone who has not started the bot yet.
    """
    commands = [BotCommand(c, d) for c, d in commands_for(role)]
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        log.warning("cannot set the command menu of chat %s: %s", chat_id, exc)
        return False
    return True
