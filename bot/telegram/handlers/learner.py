"""Learner commands and answer buttons: each parses its update, calls one service, renders.

The sequence around the service call (knowing the learner, the session, a domain error
worded as a popup or a reply) is `turn.py`'s.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from telegram import Update
from telegram.error import BadRequest

from bot.config import DEFAULT_QUIZ_ID
from bot.console import i18n
from bot.console.i18n import N_, _
from bot.domain.errors import AlreadyAnsweredError, AlreadyContinuedError, QuizbotError
from bot.domain.roles import Role
from bot.services import attempts, cohorts, learners
from bot.services.assessment import flow as tests
from bot.services.followups import practice as followup_practice
from bot.services.followups import settings as followup_settings
from bot.services.views import AnswerResult, ItemView, QuizChoice
from bot.telegram import callback_data as cd
from bot.telegram import (
    error_text,
    followup_render,
    menus,
    render,
    render_assessment,
    render_instructor,
)
from bot.telegram.context import QuizContext
from bot.telegram.handlers.turn import INVALID_BUTTON, Turn, command, press
from bot.telegram.intake.shared import REDELIVERED

MAIN_QUIZ_HINT = N_("Send /quiz for the main quiz.")


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


@command
async def start(turn: Turn) -> None:
    """Greet the learner; a deep link joins a cohort or starts a quiz."""
    user = turn.update.effective_user
    await turn.reply(render.greeting_text(user.first_name if user else None))
    if not turn.args:
        return
    target = await turn.call(
        cohorts.resolve_start_payload, user_id=turn.user_id, payload=turn.args[0], now=turn.now()
    )
    if target.cohort is not None:
        await turn.reply(render_instructor.joined_text(target.cohort))
        if target.cohort.tests is not None:
            offer = target.cohort.tests
            await turn.reply(
                render_assessment.offer_text(offer), render_assessment.offer_keyboard(offer)
            )
        elif target.cohort.tests_elsewhere:
            await turn.reply(_(render_assessment.ELSEWHERE))
    elif target.quiz_slug is not None:
        await _start_quiz(turn, target.quiz_slug)
    else:
        await turn.reply(_(render_instructor.BAD_START_LINK))


@command
async def help_command(turn: Turn) -> None:
    """List the commands this user's role may use."""
    await turn.reply(menus.help_text(turn.role))


@command
async def quiz(turn: Turn) -> None:
    """Start or resume a quiz (the bundled article quiz when none is named)."""
    if turn.args:
        await _start_quiz(turn, turn.args[0].lower())
        return
    # None named: the bundled quiz, with the others this learner may take offered under it.
    others = await turn.call(
        attempts.other_quizzes,
        user_id=turn.user_id,
        but=DEFAULT_QUIZ_ID,
        language=i18n.language(),
        see_all=turn.role >= Role.ADMIN,
    )
    await _start_quiz(turn, DEFAULT_QUIZ_ID, others)


@press(cd.parse_quiz)
async def quiz_press(turn: Turn, quiz_id: int) -> None:
    """Start (or resume) the quiz picked under /quiz."""
    slug = await turn.call(
        attempts.chosen_quiz,
        user_id=turn.user_id,
        quiz_id=quiz_id,
        see_all=turn.role >= Role.ADMIN,
    )
    if slug is None:
        await turn.popup(_(INVALID_BUTTON))
        return
    await turn.popup()
    await _start_quiz(turn, slug)


async def _start_quiz(turn: Turn, slug: str, others: Sequence[QuizChoice] = ()) -> None:
    # A cohort's pre-test comes before any training, or it would not measure the start.
    offer = await turn.call(tests.pending_pre_test, user_id=turn.user_id)
    if offer is not None:
        await turn.reply(
            render_assessment.offer_text(offer), render_assessment.offer_keyboard(offer)
        )
        return
    try:
        started = await turn.call(
            attempts.start_quiz,
            user_id=turn.user_id,
            language=i18n.language(),
            slug=slug,
            round_size=turn.settings.round_size,
            now=turn.now(),
            see_all=turn.role >= Role.ADMIN,
        )
    except QuizbotError as error:
        # A quiz that cannot start points the learner to the one that always can.
        await turn.reply(f"{error_text.reply_html(error)} {_(MAIN_QUIZ_HINT)}")
        return
    intro = render.quiz_intro_text(started, turn.settings.round_size)
    if others:
        await turn.reply(
            f"{intro}\n\n{render.other_quizzes_text(others)}",
            render.other_quizzes_keyboard(others),
        )
    else:
        await turn.reply(intro)
    await _send_item(turn, started.item)


async def _send_item(turn: Turn, item: ItemView) -> None:
    await turn.reply(render.item_text(item), render.item_keyboard(item))


@command
async def score(turn: Turn) -> None:
    """Show the learner's progress per quiz and per skill."""
    report = await turn.call(learners.score_report, user_id=turn.user_id, language=i18n.language())
    await turn.reply(render.score_text(report))


@command
async def lessons(turn: Turn) -> None:
    """Show follow-up lessons (next due, window); `on`/`off`; `tz ZONE` sets the time zone."""
    args = turn.args
    arg = args[0].lower() if args else ""
    if arg in {"on", "off"}:
        await turn.call(
            learners.set_lessons,
            user_id=turn.user_id,
            enabled=arg == "on",
            now=turn.now(),
            delay_scale=turn.settings.followup_delay_scale,
        )
        done = followup_render.LESSONS_ON if arg == "on" else followup_render.LESSONS_OFF
        await turn.reply(_(done))
        return
    if arg == "tz" and len(args) == 2:
        status = await turn.call(
            followup_settings.set_timezone, user_id=turn.user_id, name=args[1], now=turn.now()
        )
    elif arg == "tz":
        await turn.reply(_(followup_render.TZ_HINT))
        return
    elif arg:
        await turn.reply(_(followup_render.LESSONS_USAGE))
        return
    else:
        status = await turn.call(followup_settings.next_due, user_id=turn.user_id)
    await turn.reply(
        followup_render.lessons_status_text(status), followup_render.window_keyboard(status)
    )


@press(cd.parse_window)
async def window_press(turn: Turn, preset: str) -> None:
    """Set the daily window for follow-ups from a /lessons button."""
    status = await turn.call(
        followup_settings.set_window, user_id=turn.user_id, preset=preset, now=turn.now()
    )
    await turn.popup(followup_render.window_set_popup(status))
    await turn.edit(
        followup_render.lessons_status_text(status), followup_render.window_keyboard(status)
    )


@command
async def language(turn: Turn) -> None:
    """Offer the languages the bot speaks as buttons."""
    await turn.reply(render.language_text(), render.language_keyboard(i18n.language()))


@press(cd.parse_language)
async def language_press(turn: Turn, chosen: str) -> None:
    """Store the learner's language; from this answer on the bot speaks it."""
    await turn.call(learners.set_language, user_id=turn.user_id, language=chosen, now=turn.now())
    turn.context.remember_language(chosen)
    with i18n.use(chosen):
        await turn.popup(render.language_set_text())
        await turn.edit(render.language_set_text())
        await menus.set_chat_menu(turn.context.bot, turn.chat_id, turn.role)


@command
async def stop(turn: Turn) -> None:
    """Stop all follow-up lessons."""
    await turn.call(learners.set_lessons, user_id=turn.user_id, enabled=False)
    await turn.reply(_(followup_render.STOPPED))


@command
async def forgetme(turn: Turn) -> None:
    """Ask to confirm deleting everything stored about the learner."""
    owned = await turn.call(learners.owned_by, user_id=turn.user_id)
    text = render.forget_confirmation_text(owned, instructor=turn.role >= Role.INSTRUCTOR)
    await turn.reply(text, render.forget_keyboard())


@press(cd.parse_forget)
async def forget_press(turn: Turn, confirmed: bool) -> None:
    """Delete the learner's data after confirmation."""
    await turn.popup()
    if not confirmed:
        await turn.edit(_(render.NOTHING_DELETED))
        return
    await turn.call(learners.forget_user, user_id=turn.user_id)
    turn.context.forget_cached_user()
    if turn.role < Role.INSTRUCTOR:
        # A menu set by /language goes too: the phone's language chooses again.
        await menus.drop_chat_menu(turn.context.bot, turn.chat_id)
    await turn.edit(_(render.DELETED))


@press(cd.parse_answer)
async def answer_press(turn: Turn, press: cd.AnswerPress) -> None:
    """Grade a one-choice answer and show the verdict."""
    await _grade(turn, press.attempt_id, press.item_id, [press.option])


@press(cd.parse_mask)
async def mask_press(turn: Turn, press: cd.MaskPress) -> None:
    """Toggle an option of a "choose all" item, or submit the choice."""
    if press.submit:
        await _grade(turn, press.attempt_id, press.item_id, sorted(press.chosen))
        return
    item = await turn.call(
        attempts.open_item,
        user_id=turn.user_id,
        language=i18n.language(),
        attempt_id=press.attempt_id,
        item_id=press.item_id,
    )
    await _show_ticks(turn, item, press.chosen)


async def _show_ticks(turn: Turn, item: ItemView, chosen: frozenset[int]) -> None:
    """Redraw a "choose all" keyboard with the ticked options."""
    if any(i >= len(item.options) for i in chosen):
        await turn.popup(_(INVALID_BUTTON))
        return
    await turn.popup()
    await turn.edit_keyboard(render.item_keyboard(item, chosen))


async def _grade(turn: Turn, attempt_id: int, item_id: int, chosen: list[int]) -> None:
    try:
        result = await turn.call(
            attempts.answer_item,
            user_id=turn.user_id,
            language=i18n.language(),
            attempt_id=attempt_id,
            item_id=item_id,
            chosen=chosen,
            now=turn.now(),
            delay_scale=turn.settings.followup_delay_scale,
        )
    except AlreadyAnsweredError:
        if not REDELIVERED.get():
            raise
        await _replay(turn, attempt_id, item_id)
        return
    await turn.popup(
        _(render_assessment.ANSWER_SAVED) if result.withheld else render.verdict_popup(result)
    )
    await _show_result(turn, result, *_answered(result))


def _answered(result: AnswerResult) -> tuple[str, str | None]:
    """The question after the answer: a test's shows the choice only."""
    if result.withheld:
        return render_assessment.withheld_text(result), None
    return render.answered_text(result)


async def _replay(turn: Turn, attempt_id: int, item_id: int) -> None:
    """Show again the verdict and the next step of an answer recorded before a crash."""
    result = await turn.call(
        attempts.replay_answer,
        user_id=turn.user_id,
        language=i18n.language(),
        attempt_id=attempt_id,
        item_id=item_id,
    )
    with contextlib.suppress(BadRequest):  # the query may have been answered before the crash
        if result is None:
            await turn.popup()
        else:
            await turn.popup(
                _(render_assessment.ANSWER_SAVED)
                if result.withheld
                else render.verdict_popup(result)
            )
    if result is not None:
        await _show_result(turn, result, *_answered(result))


async def _show_result(turn: Turn, result: AnswerResult, text: str, rest: str | None) -> None:
    """The answered item in place of the asked one, then the next item or the summary."""
    await turn.edit(text)
    if rest:
        await turn.reply(rest)
    if result.next_item is not None:
        await _send_item(turn, result.next_item)
    elif result.stage_step is not None:
        await turn.reply(render_assessment.step_text(result.stage_step))
    elif result.summary is not None and not result.withheld:
        await turn.reply(
            render.summary_text(result.summary), render.continue_keyboard(result.summary)
        )
    if result.stage_offer is not None:
        offer = result.stage_offer
        await turn.reply(
            render_assessment.offer_text(offer), render_assessment.offer_keyboard(offer)
        )


@press(cd.parse_practice)
async def practice_press(turn: Turn, press: cd.PracticePress) -> None:
    """Grade a follow-up's practice item, or toggle an option of a "choose all" one."""
    if not press.submit:
        item = await turn.call(
            followup_practice.open_practice,
            user_id=turn.user_id,
            language=i18n.language(),
            followup_id=press.followup_id,
        )
        await _show_ticks(turn, item, press.chosen)
        return
    practice = await turn.call(
        followup_practice.answer_practice,
        user_id=turn.user_id,
        language=i18n.language(),
        followup_id=press.followup_id,
        chosen=sorted(press.chosen),
        now=turn.now(),
        delay_scale=turn.settings.followup_delay_scale,
    )
    await turn.popup(render.verdict_popup(practice.answer))
    await _show_result(turn, practice.answer, *followup_render.practice_answered_text(practice))


@press(cd.parse_continue)
async def continue_press(turn: Turn, press: cd.ContinuePress) -> None:
    """Show the next round's first item."""
    try:
        item = await turn.call(
            attempts.continue_attempt,
            user_id=turn.user_id,
            language=i18n.language(),
            attempt_id=press.attempt_id,
            answered=press.answered,
            now=turn.now(),
        )
    except AlreadyContinuedError:
        # Redelivered after a crash: the round was continued, but the item may never have
        # reached the learner.
        if not REDELIVERED.get():
            raise
        shown = await turn.call(
            attempts.current_item,
            user_id=turn.user_id,
            language=i18n.language(),
            attempt_id=press.attempt_id,
        )
        if shown is None:
            raise
        item = shown
    with contextlib.suppress(BadRequest):  # a redelivered query may be answered already
        await turn.popup()
    await turn.drop_keyboard()
    await _send_item(turn, item)


@command
async def unknown_command(turn: Turn) -> None:
    """Answer a command the bot does not know."""
    await turn.reply(_(render.UNKNOWN_COMMAND))


@command
async def plain_text(turn: Turn) -> None:
    """Answer a message that is not a command."""
    await turn.reply(_(render.PLAIN_TEXT))


@command
async def document(turn: Turn) -> None:
    """Refuse files from users who may not upload quizzes."""
    await turn.reply(_(render_instructor.NOT_UPLOADER))


async def unknown_button(update: Update, context: QuizContext) -> None:
    """Answer a press whose data matches no known prefix."""
    query = update.callback_query
    assert query is not None
    with i18n.use(context.language):
        await query.answer(_(INVALID_BUTTON))
