"""Telegram HTML for a cohort's tests: the offers and invitations, a test's questions and
its end, and the instructor's /assess."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.console.i18n import N_, _, ngettext, pgettext
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

ANSWER_SAVED = N_("📝 Answer saved")
ASSESS_USAGE = N_("Usage: /assess CODE, /assess CODE on [DAYS] [SET] or /assess CODE off.")
ELSEWHERE = N_(
    "You are taking the short tests of another group already; they go on as before. "
    "In this group you take no tests."
)
SKIP_NOTE = N_("You may skip it; that is fine, and the training goes on.")


def _questions(n: int) -> str:
    return ngettext("{n} question", "{n} questions", n).format(n=n)


def offer_text(offer: StageOffer, *, delay_days: int | None = None) -> str:
    """A test offered: what it is, and that it may be skipped."""
    if offer.answered:
        return _(
            "📝 <b>Your short test</b>: {answered} of {total} questions answered. "
            "Continue where you stopped, or skip the rest."
        ).format(answered=offer.answered, total=offer.items)
    if offer.stage is Stage.PRE:
        head = _(
            "📝 <b>First, a short test</b>\n"
            "{questions} on a new article, before the training. You see your score at the "
            "end, not after each answer. It is not a grade: it shows what the training changes."
        ).format(questions=_questions(offer.items))
    elif offer.stage is Stage.POST:
        head = _(
            "📝 <b>Training done: one more short test</b>\n"
            "{questions} on another new article. You see your score at the end."
        ).format(questions=_questions(offer.items))
    else:
        since = (
            ngettext("{n} day ago", "{n} days ago", delay_days).format(n=delay_days)
            if delay_days
            else _("a while ago")
        )
        head = _(
            "📝 <b>One last short test</b>\n"
            "You finished the training {since}. {questions}; at the end you see your score "
            "and the right answers."
        ).format(since=since, questions=_questions(offer.items))
    return f"{head}\n\n{_(SKIP_NOTE)}"


def offer_keyboard(offer: StageOffer) -> InlineKeyboardMarkup:
    """Start (or Continue) and Skip."""
    start = (
        pgettext("button", "Continue the test ▶")
        if offer.answered
        else pgettext("button", "Start the test ▶")
    )
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    start, callback_data=cd.stage_button(offer.stage_id, skip=False)
                )
            ],
            [
                InlineKeyboardButton(
                    pgettext("button", "Skip it"),
                    callback_data=cd.stage_button(offer.stage_id, skip=True),
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
        return _("Welcome back to your test: {answered} of {total} answered.").format(
            answered=started.answered, total=started.total
        )
    return f"<b>{_e(started.quiz_title)}</b>\n" + _(
        "{questions}. Take your time: read the passage, then tap your answer. "
        "Your score comes at the end."
    ).format(questions=_questions(started.total))


def withheld_text(result: AnswerResult) -> str:
    """A test's question after the answer: what was chosen, no verdict."""
    item = result.item
    return f"{item_text(item)}\n\n{_(ANSWER_SAVED)}: {option_line(item, result.chosen)}."


def step_text(step: StageStep) -> str:
    """A test finished or skipped, and what comes next."""
    if step.skipped:
        head = _("You skipped this test. That is fine.")
    else:
        head = _("🏁 <b>Test done: {right} of {total} right.</b>").format(
            right=step.correct, total=step.total
        )
    if step.next is NextStep.TRAINING:
        if step.training:
            quizzes = "\n".join(
                f"/quiz {_e(slug)} – {_e(title)}" for slug, title, _language in step.training
            )
            return f"{head}\n\n" + _("Now the training:") + f"\n{quizzes}"
        return f"{head}\n\n" + _("Now the training: send /quiz to start.")
    if step.next is NextStep.DELAYED:
        days = step.delay_days or 0
        when = ngettext("tomorrow", "in {n} days", days).format(n=days)
        return f"{head}\n\n" + _(
            "Thank you! I will send you one last short test {when}, to see what stays with you."
        ).format(when=when)
    parts = [head, _("That was the last test. Thank you!")]
    if step.review:
        parts.append(
            _("<b>Your answers</b>") + "\n\n" + "\n\n".join(_review(line) for line in step.review)
        )
    return "\n\n".join(parts)


def _review(line: ReviewLine) -> str:
    mark = "✅" if line.correct else "❌"
    text = f"{mark} {line.number}. {_e(line.question)}"
    if not line.correct:
        text += "\n" + _("You chose: {chosen}\nThe answer: {right}").format(
            chosen=", ".join(_e(t) for t in line.chosen),
            right=", ".join(_e(t) for t in line.right),
        )
    return f"{text}\n<i>{_e(line.explanation)}</i>"


def assess_text(state: AssessmentState, *, changed: bool) -> str:
    """/assess: the cohort's tests; `changed` when this command turned them on or off."""
    cohort, code = _e(state.cohort), _e(state.code)
    if not state.configured:
        return _(
            "Tests are off for <b>{cohort}</b>. Turn them on with /assess {code} on: "
            "learners who join then take a short test before the training, one after it, "
            "and one some days later (default 14). {usage}"
        ).format(cohort=cohort, code=code, usage=_(ASSESS_USAGE))
    lines = [
        (
            _("Tests for <b>{cohort}</b> are <b>on</b>.")
            if state.enabled
            else _("Tests for <b>{cohort}</b> are <b>off</b>.")
        ).format(cohort=cohort)
    ]
    if changed and state.enabled:
        lines.append(
            _(
                "Learners who join from now on take a short test before the training, one "
                "after it, and one {days} days after that. Learners who joined before take none."
            ).format(days=state.delay_days)
        )
    elif changed:
        lines.append(
            _(
                "Learners in the middle of a test can finish it; nobody gets a new test. Turn "
                "them on again with /assess {code} on."
            ).format(code=code)
        )
    forms = ", ".join(
        f"{form} = {_e(slug)} ({_questions(items)})"
        for (form, slug), items in zip(state.forms, state.form_items, strict=True)
    )
    lines += [
        _("Forms of the set {set}: {forms}").format(
            set=_e(state.set_id or ""), forms=forms or _("none")
        ),
        _("Last test: {days} days after the one after training").format(days=state.delay_days),
        _("Learners taking the tests: {enrolled}; other members: {others}").format(
            enrolled=state.enrolled, others=state.not_enrolled
        ),
        _("Tests finished: before {pre}, after {post}, later {delayed}").format(
            pre=state.taken[0], post=state.taken[1], delayed=state.taken[2]
        ),
        _("Figures: /stats cohort={code}").format(code=code),
    ]
    return "\n".join(lines)
