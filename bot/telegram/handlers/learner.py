"""Learner commands and answer buttons: parse the update, call one service, render."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.config import DEFAULT_QUIZ_ID
from bot.domain.errors import AlreadyAnsweredError, AlreadyContinuedError, QuizbotError
from bot.domain.limits import CALLBACK_ANSWER_MAX, MESSAGE_TEXT_MAX
from bot.domain.roles import Role
from bot.services import attempts, cohorts, followups, learners
from bot.services.views import AnswerResult, ItemView
from bot.telegram import callback_data as cd
from bot.telegram import error_text, followup_render, menus, render, render_instructor
from bot.telegram.context import QuizContext
from bot.telegram.inbox import REDELIVERED
from bot.telegram.sending import drop_keyboard, edit_or_send_html, send_html
from bot.telegram.text import visible_length

INVALID_BUTTON = "This button is not valid any more."
T = TypeVar("T")


async def _parsed(update: Update, parse: Callable[[str], T]) -> T | None:
    """Parse a press's callback data; answer a forged or malformed one and return None."""
    query = update.callback_query
    assert query is not None
    try:
        return parse(query.data or "")
    except cd.BadCallbackData:
        await query.answer(INVALID_BUTTON)
        return None


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None
    return chat.id


async def _reply(update: Update, context: QuizContext, text: str) -> None:
    await send_html(context.bot, _chat_id(update), text)


async def identify(update: Update, context: QuizContext) -> None:
    """Know the learner behind every message and press (creating them when new)."""
    if (update.message or update.callback_query) and update.effective_user:
        await context.learner_id(update)


async def membership(update: Update, context: QuizContext) -> None:
    """Record that the learner blocked the bot, or came back."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    runtime = context.runtime
    if change.new_chat_member.status == "kicked":
        async with runtime.sessions() as session:
            await learners.mark_blocked(
                session, telegram_id=change.from_user.id, now=runtime.clock()
            )
        context.forget_cached_user()
    else:
        context.forget_cached_user()
        await context.learner_id(update)


async def start(update: Update, context: QuizContext) -> None:
    """Greet the learner; a deep link joins a cohort or starts a quiz."""
    user_id = await context.learner_id(update)
    payload = context.args[0] if context.args else None
    user = update.effective_user
    name = render.escape_text(user.first_name) if user and user.first_name else "there"
    await _reply(
        update,
        context,
        f"Hi {name}! I help you practise checking what you read: is a claim sourced, is it "
        "consistent with the rest of the text, is it accurate?\n\n"
        "You get short rounds of questions about a real article, with an explanation after "
        "each answer. Later I send short follow-up lessons on the skills you missed "
        "(/lessons off stops them).\n\nSend /quiz to begin, or /help for all commands.",
    )
    if not payload:
        return
    runtime = context.runtime
    async with runtime.sessions() as session:
        target = await cohorts.resolve_start_payload(
            session, user_id=user_id, payload=payload, now=runtime.clock()
        )
    if target.cohort is not None:
        await _reply(update, context, render_instructor.joined_text(target.cohort))
    elif target.quiz_slug is not None:
        await _start_quiz(update, context, target.quiz_slug)
    else:
        await _reply(update, context, render_instructor.BAD_START_LINK)


async def help_command(update: Update, context: QuizContext) -> None:
    """List the commands this user's role may use."""
    role = context.role(update)
    lines = ["<b>Commands</b>", *(f"/{c} – {d}" for c, d in menus.LEARNER_COMMANDS)]
    if role >= Role.INSTRUCTOR:
        lines += ["", "<b>Instructors</b>"]
        lines += [f"/{c} – {d}" for c, d in menus.INSTRUCTOR_COMMANDS]
        lines.append(
            "Send a .yaml quiz file as a document to upload it (with the source text inline "
            "under source.text)."
        )
    if role >= Role.ADMIN:
        lines += ["", "As an admin, /stats and /export cover every quiz and cohort."]
    await _reply(update, context, "\n".join(lines))


async def quiz(update: Update, context: QuizContext) -> None:
    """Start or resume a quiz (the bundled article quiz when none is named)."""
    slug = context.args[0].lower() if context.args else DEFAULT_QUIZ_ID
    await _start_quiz(update, context, slug)


async def _start_quiz(update: Update, context: QuizContext, slug: str) -> None:
    user_id = await context.learner_id(update)
    runtime = context.runtime
    try:
        async with runtime.sessions() as session:
            started = await attempts.start_quiz(
                session,
                user_id=user_id,
                slug=slug,
                round_size=runtime.settings.round_size,
                now=runtime.clock(),
                see_all=context.role(update) >= Role.ADMIN,
            )
    except QuizbotError as exc:
        await _reply(
            update, context, error_text.reply_html(exc) + " Send /quiz for the main quiz."
        )
        return
    if started.resumed:
        intro = f"Welcome back: {started.answered} of {started.total} answered so far."
    else:
        intro = (
            f"<b>{render.escape_text(started.quiz_title)}</b>\n{started.total} questions, "
            f"in rounds of {runtime.settings.round_size}. Tap the button with your answer."
        )
    await _reply(update, context, intro)
    await _send_item(context, _chat_id(update), started.item)


async def _send_item(context: QuizContext, chat_id: int, item: ItemView) -> None:
    await send_html(context.bot, chat_id, render.item_text(item), render.item_keyboard(item))


async def score(update: Update, context: QuizContext) -> None:
    """Show the learner's progress per quiz and per skill."""
    user_id = await context.learner_id(update)
    async with context.runtime.sessions() as session:
        report = await learners.score_report(session, user_id=user_id)
    await _reply(update, context, render.score_text(report))


async def lessons(update: Update, context: QuizContext) -> None:
    """Show follow-up lessons (next due, window); `on`/`off`; `tz ZONE` sets the time zone."""
    user_id = await context.learner_id(update)
    runtime = context.runtime
    args = context.args or []
    arg = args[0].lower() if args else ""
    if arg in {"on", "off"}:
        async with runtime.sessions() as session:
            await learners.set_lessons(
                session,
                user_id=user_id,
                enabled=arg == "on",
                now=runtime.clock(),
                delay_scale=runtime.settings.followup_delay_scale,
            )
        await _reply(
            update,
            context,
            "Follow-up lessons are on. /lessons shows the next one."
            if arg == "on"
            else "Follow-up lessons are off; nothing more will be sent. /lessons on resumes them.",
        )
        return
    if arg not in {"", "tz"}:
        await _reply(
            update,
            context,
            "Send /lessons, /lessons on, /lessons off or /lessons tz Europe/Berlin.",
        )
        return
    if arg == "tz" and len(args) != 2:
        await _reply(update, context, followup_render.TZ_HINT)
        return
    try:
        async with runtime.sessions() as session:
            if arg == "tz":
                status = await followups.set_timezone(
                    session, user_id=user_id, name=args[1], now=runtime.clock()
                )
            else:
                status = await followups.next_due(session, user_id=user_id)
    except QuizbotError as exc:
        await _reply(update, context, error_text.reply_html(exc))
        return
    await send_html(
        context.bot,
        _chat_id(update),
        followup_render.lessons_status_text(status),
        followup_render.window_keyboard(status),
    )


async def window_press(update: Update, context: QuizContext) -> None:
    """Set the daily window for follow-ups from a /lessons button."""
    query = update.callback_query
    assert query is not None
    preset = await _parsed(update, cd.parse_window)
    if preset is None:
        return
    user_id = await context.learner_id(update)
    runtime = context.runtime
    try:
        async with runtime.sessions() as session:
            status = await followups.set_window(
                session, user_id=user_id, preset=preset, now=runtime.clock()
            )
    except QuizbotError as exc:
        await query.answer(error_text.popup_text(exc))
        return
    await query.answer(f"Follow-ups now arrive: {status.window_label}"[:CALLBACK_ANSWER_MAX])
    message_id = query.message.message_id if query.message else None
    await edit_or_send_html(
        context.bot,
        _chat_id(update),
        message_id,
        followup_render.lessons_status_text(status),
        followup_render.window_keyboard(status),
    )


async def stop(update: Update, context: QuizContext) -> None:
    """Stop all follow-up lessons."""
    user_id = await context.learner_id(update)
    async with context.runtime.sessions() as session:
        await learners.set_lessons(session, user_id=user_id, enabled=False)
    await _reply(
        update,
        context,
        "Stopped: no more follow-up lessons. Your progress is kept; /lessons on resumes them.",
    )


async def forgetme(update: Update, context: QuizContext) -> None:
    """Ask to confirm deleting everything stored about the learner."""
    user_id = await context.learner_id(update)
    async with context.runtime.sessions() as session:
        owned = await learners.owned_by(session, user_id=user_id)
    text = render.forget_confirmation_text(
        owned, instructor=context.role(update) >= Role.INSTRUCTOR
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes, delete my data", callback_data="fgt:yes"),
                InlineKeyboardButton("No, keep it", callback_data="fgt:no"),
            ]
        ]
    )
    await send_html(context.bot, _chat_id(update), text, keyboard)


async def forget_press(update: Update, context: QuizContext) -> None:
    """Delete the learner's data after confirmation."""
    query = update.callback_query
    assert query is not None
    confirmed = await _parsed(update, cd.parse_forget)
    if confirmed is None:
        return
    await query.answer()
    message_id = query.message.message_id if query.message else None
    if not confirmed:
        await edit_or_send_html(context.bot, _chat_id(update), message_id, "Nothing was deleted.")
        return
    user_id = await context.learner_id(update)
    async with context.runtime.sessions() as session:
        await learners.forget_user(session, user_id=user_id)
    context.forget_cached_user()
    await edit_or_send_html(
        context.bot,
        _chat_id(update),
        message_id,
        "Done: everything stored about you is deleted. Send /start to begin afresh.",
    )


async def answer_press(update: Update, context: QuizContext) -> None:
    """Grade a one-choice answer and show the verdict."""
    query = update.callback_query
    assert query is not None
    press = await _parsed(update, cd.parse_answer)
    if press is None:
        return
    await _grade(update, context, press.attempt_id, press.item_id, [press.option])


async def mask_press(update: Update, context: QuizContext) -> None:
    """Toggle an option of a "choose all" item, or submit the choice."""
    query = update.callback_query
    assert query is not None
    press = await _parsed(update, cd.parse_mask)
    if press is None:
        return
    if press.submit:
        await _grade(update, context, press.attempt_id, press.item_id, sorted(press.chosen))
        return
    user_id = await context.learner_id(update)
    try:
        async with context.runtime.sessions() as session:
            item = await attempts.open_item(
                session, user_id=user_id, attempt_id=press.attempt_id, item_id=press.item_id
            )
    except QuizbotError as exc:
        await query.answer(error_text.popup_text(exc))
        return
    await _show_ticks(update, context, item, press.chosen)


async def _show_ticks(
    update: Update, context: QuizContext, item: ItemView, chosen: frozenset[int]
) -> None:
    """Redraw a "choose all" keyboard with the ticked options."""
    query = update.callback_query
    assert query is not None
    if any(i >= len(item.options) for i in chosen):
        await query.answer(INVALID_BUTTON)
        return
    await query.answer()
    if query.message is not None:
        await context.bot.edit_message_reply_markup(
            chat_id=_chat_id(update),
            message_id=query.message.message_id,
            reply_markup=render.item_keyboard(item, chosen),
        )


async def _grade(
    update: Update, context: QuizContext, attempt_id: int, item_id: int, chosen: list[int]
) -> None:
    query = update.callback_query
    assert query is not None
    user_id = await context.learner_id(update)
    runtime = context.runtime
    try:
        async with runtime.sessions() as session:
            result = await attempts.answer_item(
                session,
                user_id=user_id,
                attempt_id=attempt_id,
                item_id=item_id,
                chosen=chosen,
                now=runtime.clock(),
                delay_scale=runtime.settings.followup_delay_scale,
            )
    except AlreadyAnsweredError as exc:
        if REDELIVERED.get():
            await _replay(update, context, attempt_id, item_id)
        else:
            await query.answer(error_text.popup_text(exc))
        return
    except QuizbotError as exc:
        await query.answer(error_text.popup_text(exc))
        return
    await query.answer(render.verdict_popup(result))
    await _show_result(update, context, result)


async def _replay(update: Update, context: QuizContext, attempt_id: int, item_id: int) -> None:
    """Show again the verdict and the next step of an answer recorded before a crash."""
    query = update.callback_query
    assert query is not None
    async with context.runtime.sessions() as session:
        result = await attempts.replay_answer(
            session,
            user_id=await context.learner_id(update),
            attempt_id=attempt_id,
            item_id=item_id,
        )
    with contextlib.suppress(BadRequest):  # the query may have been answered before the crash
        await query.answer(render.verdict_popup(result) if result else None)
    if result is not None:
        await _show_result(update, context, result)


async def _show_result(
    update: Update, context: QuizContext, result: AnswerResult, before: str | None = None
) -> None:
    chat_id = _chat_id(update)
    query = update.callback_query
    message_id = query.message.message_id if query and query.message else None
    text, rest = render.answered_text(result)
    if before and visible_length(f"{before}\n\n{text}") <= MESSAGE_TEXT_MAX:
        # A follow-up's edit keeps the lessons the item came with.
        text = f"{before}\n\n{text}"
    await edit_or_send_html(context.bot, chat_id, message_id, text)
    if rest:
        await send_html(context.bot, chat_id, rest)
    if result.next_item is not None:
        await _send_item(context, chat_id, result.next_item)
    elif result.summary is not None:
        await send_html(
            context.bot,
            chat_id,
            render.summary_text(result.summary),
            render.continue_keyboard(result.summary),
        )


async def practice_press(update: Update, context: QuizContext) -> None:
    """Grade a follow-up's practice item, or toggle an option of a "choose all" one."""
    query = update.callback_query
    assert query is not None
    press = await _parsed(update, cd.parse_practice)
    if press is None:
        return
    user_id = await context.learner_id(update)
    runtime = context.runtime
    if not press.submit:
        await _toggle_practice(update, context, user_id, press)
        return
    try:
        async with runtime.sessions() as session:
            practice = await followups.answer_practice(
                session,
                user_id=user_id,
                followup_id=press.followup_id,
                chosen=sorted(press.chosen),
                now=runtime.clock(),
                delay_scale=runtime.settings.followup_delay_scale,
            )
    except QuizbotError as exc:
        await query.answer(error_text.popup_text(exc))
        return
    await query.answer(render.verdict_popup(practice.answer))
    await _show_result(update, context, practice.answer, followup_render.lessons_block(practice))


async def _toggle_practice(
    update: Update, context: QuizContext, user_id: int, press: cd.PracticePress
) -> None:
    query = update.callback_query
    assert query is not None
    try:
        async with context.runtime.sessions() as session:
            item = await followups.open_practice(
                session, user_id=user_id, followup_id=press.followup_id
            )
    except QuizbotError as exc:
        await query.answer(error_text.popup_text(exc))
        return
    await _show_ticks(update, context, item, press.chosen)


async def continue_press(update: Update, context: QuizContext) -> None:
    """Show the next round's first item."""
    query = update.callback_query
    assert query is not None
    press = await _parsed(update, cd.parse_continue)
    if press is None:
        return
    user_id = await context.learner_id(update)
    runtime = context.runtime
    try:
        async with runtime.sessions() as session:
            item = await attempts.continue_attempt(
                session,
                user_id=user_id,
                attempt_id=press.attempt_id,
                answered=press.answered,
                now=runtime.clock(),
            )
    except AlreadyContinuedError as exc:
        # Redelivered after a crash: the round was continued, but the item may never have
        # reached the learner.
        shown = None
        if REDELIVERED.get():
            async with runtime.sessions() as session:
                shown = await attempts.current_item(
                    session, user_id=user_id, attempt_id=press.attempt_id
                )
        if shown is None:
            await query.answer(error_text.popup_text(exc))
            return
        item = shown
    except QuizbotError as exc:
        await query.answer(error_text.popup_text(exc))
        return
    with contextlib.suppress(BadRequest):  # a redelivered query may be answered already
        await query.answer()
    if query.message is not None:
        await drop_keyboard(context.bot, _chat_id(update), query.message.message_id)
    await _send_item(context, _chat_id(update), item)


async def unknown_command(update: Update, context: QuizContext) -> None:
    """Answer a command the bot does not know."""
    await _reply(update, context, "I don't know that command. Send /help to see what I can do.")


async def plain_text(update: Update, context: QuizContext) -> None:
    """Answer a message that is not a command."""
    await context.learner_id(update)
    await _reply(
        update,
        context,
        "Send /quiz to practise, or /help for the commands. Answer with the buttons.",
    )


async def document(update: Update, context: QuizContext) -> None:
    """Refuse files from users who may not upload quizzes."""
    await context.learner_id(update)
    await _reply(update, context, "Only instructors can upload quiz files.")


async def unknown_button(update: Update, context: QuizContext) -> None:
    """Answer a press whose data matches no known prefix."""
    query = update.callback_query
    assert query is not None
    await query.answer(INVALID_BUTTON)
