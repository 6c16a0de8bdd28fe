"""Command menus: one list per role and language, set with setMyCommands per scope."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.console import i18n
from bot.console.i18n import NP_, _, pgettext
from bot.domain.languages import ENGLISH, LANGUAGES
from bot.domain.roles import Role

log = logging.getLogger(__name__)

LEARNER_COMMANDS = [
    ("quiz", NP_("command", "start or resume a quiz")),
    ("score", NP_("command", "your progress per quiz and skill")),
    ("lessons", NP_("command", "follow-up lessons: /lessons on or off")),
    ("language", NP_("command", "choose the language: English or Khmer")),
    ("stop", NP_("command", "stop all follow-up lessons")),
    ("forgetme", NP_("command", "delete everything stored about you")),
    ("help", NP_("command", "what the bot can do")),
]
INSTRUCTOR_COMMANDS = [
    ("quizzes", NP_("command", "your quizzes and cohorts; /quizzes QUIZ-ID: its versions")),
    ("cohort", NP_("command", "create a cohort: /cohort NAME")),
    ("share", NP_("command", "open a quiz to cohorts: /share QUIZ-ID CODE")),
    ("public", NP_("command", "open a quiz to everyone: /public QUIZ-ID")),
    ("assess", NP_("command", "tests before and after training: /assess CODE on|off")),
    ("stats", NP_("command", "results of your quizzes: /stats [quiz-id] [cohort=CODE] [days=N]")),
    ("export", NP_("command", "answers as CSV: /export [quiz-id]")),
]
# Admins use the same commands; /stats and /export then cover every quiz and cohort.
ADMIN_COMMANDS: list[tuple[str, str]] = []


def help_text(role: Role) -> str:
    """/help: the commands this role may use, in the current language."""
    lines = [_("<b>Commands</b>"), *(f"/{c} – {d}" for c, d in _described(LEARNER_COMMANDS))]
    if role >= Role.INSTRUCTOR:
        lines += ["", _("<b>Instructors</b>")]
        lines += [f"/{c} – {d}" for c, d in _described(INSTRUCTOR_COMMANDS)]
        lines.append(
            _(
                "Send a .yaml quiz file as a document to upload it (with the source text "
                "inline under source.text). Send an article as a .txt or .html file to get a "
                "draft quiz to complete."
            )
        )
    if role >= Role.ADMIN:
        lines += ["", _("As an admin, /stats and /export cover every quiz and cohort.")]
    return "\n".join(lines)


def _described(entries: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, pgettext("command", description)) for name, description in entries]


def commands_for(role: Role) -> list[tuple[str, str]]:
    """The commands a role may use, learners' first, described in the current language."""
    entries = list(LEARNER_COMMANDS)
    if role >= Role.INSTRUCTOR:
        entries += INSTRUCTOR_COMMANDS
    if role >= Role.ADMIN:
        entries += ADMIN_COMMANDS
    return _described(entries)


async def set_default_menus(bot: ExtBot[None]) -> None:
    """The menu everyone sees, the learners' commands, in each language the bot speaks.

    English is set with no language code, so it is what a phone in any other language shows;
    each other language is set for the phones in that language.
    """
    for code in LANGUAGES:
        with i18n.use(code):
            commands = [BotCommand(c, d) for c, d in commands_for(Role.LEARNER)]
        language_code = None if code == ENGLISH else code
        await bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=language_code
        )


async def set_chat_menu(bot: ExtBot[None], chat_id: int, role: Role) -> bool:
    """The menu of one private chat: the role's commands in the current language; False if
    Telegram refused.

    Set for instructors and admins when they first write to this process (Telegram refuses
    a chat scope, "chat not found", for someone who has not started the bot yet), and for
    anyone who picks a language with /language, whatever their phone's language.
    """
    commands = [BotCommand(c, d) for c, d in commands_for(role)]
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        log.warning("cannot set the command menu of chat %s: %s", chat_id, exc)
        return False
    return True


async def drop_chat_menu(bot: ExtBot[None], chat_id: int) -> None:
    """Remove a private chat's own menu, so the default one for its language shows again."""
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        log.warning("cannot remove the command menu of chat %s: %s", chat_id, exc)
