"""Turn service results into Telegram HTML and inline keyboards.

Every string that comes from a quiz file or a user is escaped: instructors write the
quizzes, and a stray `<` must not break a message or inject markup.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.discernment import Lean
from bot.domain.limits import MESSAGE_TEXT_MAX
from bot.services.views import (
    AnswerResult,
    ItemView,
    OptionView,
    Owned,
    QuizStart,
    RoundSummary,
    ScoreReport,
    SkillScore,
)
from bot.telegram import callback_data as cd
from bot.telegram.text import visible_length

# Options this short go on the buttons themselves; longer ones are listed in the message and
# the buttons carry their letters (phones cut button text at about 20-30 characters).
SHORT_OPTION = 24


def escape_text(text: str) -> str:
    """Escape text for Telegram HTML."""
    return escape(text, quote=False)


_e = escape_text


# Replies to what the bot does not take: an unknown command, free text.
UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."
PLAIN_TEXT = "Send /quiz to practise, or /help for the commands. Answer with the buttons."
NOTHING_DELETED = "Nothing was deleted."
DELETED = "Done: everything stored about you is deleted. Send /start to begin afresh."


def greeting_text(first_name: str | None) -> str:
    """/start's greeting and how the bot works."""
    name = escape_text(first_name) if first_name else "there"
    return (
        f"Hi {name}! I help you practise checking what you read: is a claim sourced, is it "
        "consistent with the rest of the text, is it accurate?\n\n"
        "You get short rounds of questions about a real article, with an explanation after "
        "each answer. Later I send short follow-up lessons on the skills you missed "
        "(/lessons off stops them).\n\nSend /quiz to begin, or /help for all commands."
    )


def quiz_intro_text(started: QuizStart, round_size: int) -> str:
    """Where a learner stands when a quiz starts or resumes."""
    if started.resumed:
        return f"Welcome back: {started.answered} of {started.total} answered so far."
    return (
        f"<b>{escape_text(started.quiz_title)}</b>\n{started.total} questions, "
        f"in rounds of {round_size}. Tap the button with your answer."
    )


def _short_options(item: ItemView) -> bool:
    return item.kind != "contradiction" and all(len(o.text) <= SHORT_OPTION for o in item.options)


def item_text(item: ItemView) -> str:
    """The message that asks an item: header, quoted passage, question, options."""
    if item.is_test:
        # No skill named: in a test it would say what to look for.
        header = f"📝 <b>Test · question {item.number} of {item.total}</b>"
    elif item.is_practice:
        header = f"<b>Practice</b> · <i>{_e(item.skill_name)}</i>"
    else:
        header = f"<b>Question {item.number} of {item.total}</b> · <i>{_e(item.skill_name)}</i>"
    parts = [
        header,
        f"<blockquote>{_e(item.passage)}</blockquote>",
        f"<b>{_e(item.question)}</b>",
    ]
    if not _short_options(item):
        parts.append("\n".join(f"{o.letter}) {_e(o.text)}" for o in item.options))
    if item.is_multiple:
        parts.append("<i>Tick every answer that applies, then press Submit.</i>")
    return "\n\n".join(parts)


def item_keyboard(item: ItemView, chosen: frozenset[int] = frozenset()) -> InlineKeyboardMarkup:
    """Answer buttons; "choose all" items toggle and have a Submit button."""
    short = _short_options(item)
    buttons = []
    for o in item.options:
        label = o.text if short else o.letter
        if item.is_multiple:
            mark = "☑" if o.file_index in chosen else "☐"
            data = _choice_data(item, chosen ^ {o.file_index}, submit=False)
            buttons.append(InlineKeyboardButton(f"{mark} {label}", callback_data=data))
        else:
            buttons.append(InlineKeyboardButton(label, callback_data=_answer_data(item, o)))
    per_row = 1 if short and any(len(o.text) > 12 for o in item.options) else 4
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    if item.is_multiple:
        submit = _choice_data(item, chosen, submit=True)
        rows.append([InlineKeyboardButton("Submit ✔", callback_data=submit)])
    return InlineKeyboardMarkup(rows)


def _answer_data(item: ItemView, option: OptionView) -> str:
    """What a one-choice button carries: the follow-up, or the attempt and the item."""
    if item.followup_id is not None:
        return cd.practice(item.followup_id, option.file_index)
    assert item.attempt_id is not None  # an item is asked in an attempt or for a follow-up
    return cd.answer(item.attempt_id, item.item_id, option.file_index)


def _choice_data(item: ItemView, chosen: frozenset[int], *, submit: bool) -> str:
    """What a "choose all" toggle or Submit button carries, with the options ticked."""
    if item.followup_id is not None:
        return cd.practice_mask(item.followup_id, chosen, submit=submit)
    assert item.attempt_id is not None  # an item is asked in an attempt or for a follow-up
    return cd.mask(item.attempt_id, item.item_id, chosen, submit=submit)


def verdict_popup(result: AnswerResult) -> str:
    """The short text of the callback answer."""
    return "✅ Right!" if result.correct else "❌ Not quite"


def option_line(item: ItemView, options: tuple[OptionView, ...]) -> str:
    """Options as named in a verdict: their text when short, else letter and text."""
    short = _short_options(item)
    return ", ".join(_e(o.text) if short else f"{o.letter}) {_e(o.text)}" for o in options)


def answered_text(result: AnswerResult) -> tuple[str, str | None]:
    """The item message after the answer, and any explanation that did not fit in it.

    The verdict and explanation are folded into the edit of the item message when they fit:
    every extra message costs a share of Telegram's 30 messages a second for all learners.
    """
    item = result.item
    if result.correct:
        verdict = f"✅ <b>Right!</b> You chose {option_line(item, result.chosen)}."
    else:
        verdict = (
            f"❌ <b>Not quite.</b> You chose {option_line(item, result.chosen)}.\n"
            f"The answer: {option_line(item, result.right)}."
        )
    feedback = "\n\n".join(f"<i>{_e(f)}</i>" for f in result.feedback)
    explanation = _e(result.explanation)
    base = f"{item_text(item)}\n\n{verdict}"
    whole = "\n\n".join(p for p in (base, feedback, explanation) if p)
    if visible_length(whole) <= MESSAGE_TEXT_MAX:
        return whole, None
    rest = "\n\n".join(
        p for p in (feedback, explanation, f"<blockquote>{_e(item.passage)}</blockquote>") if p
    )
    return base, rest


def summary_text(summary: RoundSummary) -> str:
    """After a round, or at the end of the quiz."""
    if not summary.finished:
        return (
            f"<b>Round done: {summary.round_correct} of {summary.round_answered} right.</b>\n"
            f"{summary.answered} of {summary.total} questions answered. "
            "Take a break or carry on."
        )
    lines = [
        f"🏁 <b>Finished {_e(summary.quiz_title)}</b>",
        f"{summary.correct} of {summary.total} right.",
        "",
        "<b>By skill</b>",
        *(_skill_line(s) for s in summary.skills),
        "",
        "Send /score to see your progress, or /quiz to take it again.",
    ]
    return "\n".join(lines)


def continue_keyboard(summary: RoundSummary) -> InlineKeyboardMarkup | None:
    """A Continue button after a round; none at the end."""
    if summary.finished:
        return None
    data = cd.cont(summary.attempt_id, summary.answered)
    return InlineKeyboardMarkup([[InlineKeyboardButton("Continue ▶", callback_data=data)]])


def _bar(percent: int) -> str:
    filled = round(percent / 20)
    return "▰" * filled + "▱" * (5 - filled)


def _skill_line(skill: SkillScore) -> str:
    return f"{_bar(skill.percent)} {_e(skill.name)}: {skill.correct}/{skill.answered}"


def score_text(report: ScoreReport) -> str:
    """The learner's own progress, per quiz and per skill."""
    if not report.quizzes and not report.skills:
        return "You have not answered anything yet. Send /quiz to start."
    lines = ["<b>Your progress</b>", ""]
    for q in report.quizzes:
        state = "finished" if q.finished else "in progress"
        lines.append(
            f"• {_e(q.title)}: {q.correct} right of {q.answered} answered "
            f"({q.total} questions, {state})"
        )
    if report.skills:
        lines += ["", "<b>By skill</b> (all your answers)"]
        lines += [_skill_line(s) for s in report.skills]
    if report.lean is not None:
        counts = report.discernment
        lines += [
            "",
            "<b>Sound or flawed?</b> "
            f"(your answers on {counts.sound} claims that hold up and {counts.flawed} with a "
            "flaw)",
            LEAN_SENTENCES[report.lean],
        ]
    return "\n".join(lines)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def forget_confirmation_text(owned: Owned, *, instructor: bool) -> str:
    """/forgetme's question; an instructor learns first what becomes of their quizzes and
    cohorts (kept, with no owner)."""
    text = "This deletes your answers, scores and lessons for good."
    if owned.quizzes or owned.cohorts:
        what = " and ".join(
            part
            for part in (
                _count(owned.quizzes, "quiz", "quizzes") if owned.quizzes else "",
                _count(owned.cohorts, "cohort", "cohorts") if owned.cohorts else "",
            )
            if part
        )
        text += (
            f"\n\nYour {what} will be kept, with no owner: learners keep what you opened to "
            "them, and from then on only admins can manage them. You could not get them back."
        )
    elif instructor:
        text += (
            "\n\nQuizzes and cohorts you own would be kept with no owner, for admins to "
            "manage; you own none now."
        )
    return text + " Are you sure?"


def forget_keyboard() -> InlineKeyboardMarkup:
    """/forgetme's Yes and No."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes, delete my data", callback_data=cd.forget(True)),
                InlineKeyboardButton("No, keep it", callback_data=cd.forget(False)),
            ]
        ]
    )


# What /score says about which way a learner's mistakes go (domain.discernment.lean).
LEAN_SENTENCES = {
    Lean.TRUSTS: "You tend to trust claims that have a flaw: check the source before you believe.",
    Lean.DOUBTS: "You tend to doubt claims that hold up: a named, checkable source is a good "
    "sign.",
    Lean.EVEN: "You lean neither way: you trust flawed claims about as often as you doubt "
    "sound ones.",
}
