"""Telegram HTML for a cohort's tests: the offers and invitations, a test's questions and
its end, and the instructor's /assess."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.assessment import Stage
from bot.services.assessment.views import (
    AssessmentState,
    NextStep,
    ReviewLine,
    StageInvitation,
    StageOffer,
    StageStep,
)
from bot.services.views import AnswerResult, QuizStart
from bot.telegram import callback_data as cd
from bot.telegram.render import escape_text, item_text, option_line

_e = escape_text

ANSWER_SAVED = "📝 Answer saved"
ASSESS_USAGE = "Usage: /assess CODE, /assess CODE on [DAYS] [SET] or /assess CODE off."
ELSEWHERE = (
    "You are taking the short tests of another group already; they go on as before. "
    "In this group you take no tests."
)
SKIP_NOTE = "You may skip it; that is fine, and the training goes on."


def offer_text(offer: StageOffer, *, delay_days: int | None = None) -> str:
    """A test offered: what it is, and that it may be skipped."""
    if offer.answered:
        return (
            f"📝 <b>Your short test</b>: {offer.answered} of {offer.items} questions answered. "
            "Continue where you stopped, or skip the rest."
        )
    if offer.stage is Stage.PRE:
        head = (
            "📝 <b>First, a short test</b>\n"
            f"{offer.items} questions on a new article, before the training. You see your "
            "score at the end, not after each answer. It is not a grade: it shows what the "
            "training changes."
        )
    elif offer.stage is Stage.POST:
        head = (
            "📝 <b>Training done: one more short test</b>\n"
            f"{offer.items} questions on another new article. You see your score at the end."
        )
    else:
        since = f"{delay_days} days ago" if delay_days else "a while ago"
        head = (
            "📝 <b>One last short test</b>\n"
            f"You finished the training {since}. {offer.items} questions; at the end you see "
            "your score and the right answers."
        )
    return f"{head}\n\n{SKIP_NOTE}"


def offer_keyboard(offer: StageOffer) -> InlineKeyboardMarkup:
    """Start (or Continue) and Skip."""
    start = "Continue the test ▶" if offer.answered else "Start the test ▶"
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    start, callback_data=cd.stage_button(offer.stage_id, skip=False)
                )
            ],
            [
                InlineKeyboardButton(
                    "Skip it", callback_data=cd.stage_button(offer.stage_id, skip=True)
                )
            ],
        ]
    )


def invitation_text(invitation: StageInvitation) -> str:
    """The delayed test's invitation."""
    return offer_text(invitation.offer, delay_days=invitation.delay_days)


def stage_intro_text(started: QuizStart) -> str:
    """A test starts or resumes."""
    if started.resumed:
        return f"Welcome back to your test: {started.answered} of {started.total} answered."
    return (
        f"<b>{_e(started.quiz_title)}</b>\n{started.total} questions. Take your time: read "
        "the passage, then tap your answer. Your score comes at the end."
    )


def withheld_text(result: AnswerResult) -> str:
    """A test's question after the answer: what was chosen, no verdict."""
    item = result.item
    return f"{item_text(item)}\n\n{ANSWER_SAVED}: {option_line(item, result.chosen)}."


def step_text(step: StageStep) -> str:
    """A test finished or skipped, and what comes next."""
    if step.skipped:
        head = "You skipped this test. That is fine."
    else:
        head = f"🏁 <b>Test done: {step.correct} of {step.total} right.</b>"
    if step.next is NextStep.TRAINING:
        if step.training:
            quizzes = "\n".join(f"/quiz {_e(slug)} – {_e(title)}" for slug, title in step.training)
            return f"{head}\n\nNow the training:\n{quizzes}"
        return f"{head}\n\nNow the training: send /quiz to start."
    if step.next is NextStep.DELAYED:
        days = step.delay_days or 0
        when = "tomorrow" if days == 1 else f"in {days} days"
        return (
            f"{head}\n\nThank you! I will send you one last short test {when}, to see what "
            "stays with you."
        )
    parts = [head, "That was the last test. Thank you!"]
    if step.review:
        parts.append(
            "<b>Your answers</b>\n\n" + "\n\n".join(_review(line) for line in step.review)
        )
    return "\n\n".join(parts)


def _review(line: ReviewLine) -> str:
    mark = "✅" if line.correct else "❌"
    text = f"{mark} {line.number}. {_e(line.question)}"
    if not line.correct:
        chosen = ", ".join(_e(t) for t in line.chosen)
        text += f"\nYou chose: {chosen}\nThe answer: {', '.join(_e(t) for t in line.right)}"
    return f"{text}\n<i>{_e(line.explanation)}</i>"


def assess_text(state: AssessmentState, *, changed: bool) -> str:
    """/assess: the cohort's tests; `changed` when this command turned them on or off."""
    cohort, code = _e(state.cohort), _e(state.code)
    if not state.configured:
        return (
            f"Tests are off for <b>{cohort}</b>. Turn them on with /assess {code} on: "
            "learners who join then take a short test before the training, one after it, "
            f"and one some days later (default 14). {ASSESS_USAGE}"
        )
    lines = [f"Tests for <b>{cohort}</b> are <b>{'on' if state.enabled else 'off'}</b>."]
    if changed and state.enabled:
        lines.append(
            "Learners who join from now on take a short test before the training, one after "
            f"it, and one {state.delay_days} days after that. Learners who joined before "
            "take none."
        )
    elif changed:
        lines.append(
            "Learners in the middle of a test can finish it; nobody gets a new test. Turn "
            f"them on again with /assess {code} on."
        )
    forms = ", ".join(
        f"{form} = {_e(slug)} ({items} questions)"
        for (form, slug), items in zip(state.forms, state.form_items, strict=True)
    )
    lines += [
        f"Forms of the set {_e(state.set_id or '')}: {forms or 'none'}",
        f"Last test: {state.delay_days} days after the one after training",
        f"Learners taking the tests: {state.enrolled}; other members: {state.not_enrolled}",
        f"Tests finished: before {state.taken[0]}, after {state.taken[1]}, later {state.taken[2]}",
        f"Figures: /stats cohort={code}",
    ]
    return "\n".join(lines)
