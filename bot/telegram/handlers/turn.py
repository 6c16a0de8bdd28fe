"""What every handler does around its one service call, written once.

A handler is a coroutine that takes a `Turn` (and, for a button, the parsed press):

    @command
    async def score(turn: Turn) -> None:
        report = await turn.call(learners.score_report, user_id=turn.user_id)
        await turn.reply(render.score_text(report))

`command` and `press(parse)` make it a PTB callback that parses the press (a forged or
malformed one gets "not valid" and goes no further), knows the learner, runs the handler,
and turns a domain error it lets through into the chat's words: a popup for a button, a
reply to a command.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar, overload

from telegram import InlineKeyboardMarkup, Message, Update

from bot.config import Settings
from bot.console import i18n
from bot.console.i18n import N_, _
from bot.domain.errors import QuizbotError
from bot.domain.limits import CALLBACK_ANSWER_MAX
from bot.domain.roles import Role
from bot.telegram import callback_data as cd
from bot.telegram import error_text
from bot.telegram.context import QuizContext
from bot.telegram.render_instructor import NOT_INSTRUCTOR
from bot.telegram.sending import drop_keyboard, edit_or_send_html, send_html

P = ParamSpec("P")
T = TypeVar("T")

Callback = Callable[[Update, QuizContext], Coroutine[Any, Any, None]]
TurnHandler = Callable[["Turn"], Awaitable[None]]

INVALID_BUTTON = N_("This button is not valid any more.")


class Turn:
    """One update being handled: who sent it, where to answer, and the service to call."""

    def __init__(self, update: Update, context: QuizContext, user_id: int) -> None:
        self.update = update
        self.context = context
        self.user_id = user_id  # the learner's database id

    @property
    def settings(self) -> Settings:
        """This process's settings."""
        return self.context.runtime.settings

    @property
    def role(self) -> Role:
        """The role of the user who sent the update."""
        return self.context.role(self.update)

    @property
    def args(self) -> list[str]:
        """The words after a command."""
        return list(self.context.args or ())

    @property
    def chat_id(self) -> int:
        """The chat to answer in."""
        chat = self.update.effective_chat
        assert chat is not None, "handlers run for updates from a chat"
        return chat.id

    @property
    def message(self) -> Message:
        """The message sent, or the one whose button was pressed."""
        message = self.update.effective_message
        assert message is not None, "handlers run for updates with a message"
        return message

    @property
    def bot_username(self) -> str:
        """The bot's @name, for invite links."""
        return self.context.bot.username

    def now(self) -> dt.datetime:
        """The time from the process's one clock."""
        return self.context.runtime.clock()

    async def call(
        self,
        service: Callable[Concatenate[Any, P], Awaitable[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run one service in a database session of its own; it commits what it changes."""
        async with self.context.runtime.sessions() as session:
            return await service(session, *args, **kwargs)

    async def reply(self, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
        """Send HTML text to the chat (split at paragraphs when long)."""
        await send_html(self.context.bot, self.chat_id, text, keyboard)

    async def edit(self, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
        """Replace the pressed message's text, or send it anew when it cannot be edited."""
        await edit_or_send_html(
            self.context.bot, self.chat_id, self._pressed_message_id(), text, keyboard
        )

    async def edit_keyboard(self, keyboard: InlineKeyboardMarkup) -> None:
        """Replace the buttons of the pressed message."""
        message_id = self._pressed_message_id()
        if message_id is not None:
            await self.context.bot.edit_message_reply_markup(
                chat_id=self.chat_id, message_id=message_id, reply_markup=keyboard
            )

    async def drop_keyboard(self) -> None:
        """Remove the buttons of the pressed message, so they cannot be pressed again."""
        message_id = self._pressed_message_id()
        if message_id is not None:
            await drop_keyboard(self.context.bot, self.chat_id, message_id)

    async def popup(self, text: str | None = None) -> None:
        """Answer the press (Telegram shows `text` briefly; none just stops the spinner)."""
        query = self.update.callback_query
        assert query is not None, "only a press has a popup"
        await query.answer(text[:CALLBACK_ANSWER_MAX] if text else None)

    def _pressed_message_id(self) -> int | None:
        query = self.update.callback_query
        return query.message.message_id if query and query.message else None


async def refuse(
    update: Update, context: QuizContext, error: QuizbotError, *, usage: str | None = None
) -> None:
    """Tell the user what stood in the way: a popup for a button, else a reply (in the
    language being rendered: the handler's, or the learner's when called from outside one)."""
    query = update.callback_query
    if query is not None:
        await query.answer(error_text.popup_text(error))
    elif update.effective_chat is not None:
        await send_html(
            context.bot, update.effective_chat.id, error_text.reply_html(error, usage=usage)
        )


async def _handle(
    update: Update,
    context: QuizContext,
    handle: TurnHandler,
    *,
    usage: str | None = None,
    staff_only: str | None = None,
) -> None:
    turn = Turn(update, context, await context.learner_id(update))
    with i18n.use(context.language):
        if staff_only is not None and turn.role < Role.INSTRUCTOR:
            await turn.reply(_(NOT_INSTRUCTOR).format(command=staff_only))
            return
        try:
            await handle(turn)
        except QuizbotError as error:
            await refuse(update, context, error, usage=usage)


@overload
def command(handle: TurnHandler, /) -> Callback: ...
@overload
def command(
    *, usage: str | None = None, staff_only: str | None = None
) -> Callable[[TurnHandler], Callback]: ...
def command(
    handle: TurnHandler | None = None,
    /,
    *,
    usage: str | None = None,
    staff_only: str | None = None,
) -> Callback | Callable[[TurnHandler], Callback]:
    """Make a handler of a command or a message.

    `usage` is said after an argument error; `staff_only` names a command that learners
    are refused ("Only instructors can use /NAME.").
    """

    def wrap(handle: TurnHandler) -> Callback:
        @functools.wraps(handle)
        async def callback(update: Update, context: QuizContext) -> None:
            await _handle(update, context, handle, usage=usage, staff_only=staff_only)

        return callback

    return wrap if handle is None else wrap(handle)


def press(
    parse: Callable[[str], T],
) -> Callable[[Callable[[Turn, T], Awaitable[None]]], Callback]:
    """Make a handler of a button press whose data `parse` reads (or refuses)."""

    def wrap(handle: Callable[[Turn, T], Awaitable[None]]) -> Callback:
        @functools.wraps(handle)
        async def callback(update: Update, context: QuizContext) -> None:
            query = update.callback_query
            assert query is not None
            try:
                parsed = parse(query.data or "")
            except cd.BadCallbackData:
                with i18n.use(context.language):
                    await query.answer(_(INVALID_BUTTON))
                return
            await _handle(update, context, lambda turn: handle(turn, parsed))

        return callback

    return wrap
