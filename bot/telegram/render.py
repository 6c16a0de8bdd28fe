"""Turn service results into Telegram HTML and inline keyboards.

Every string that comes from a quiz file or a user is escaped: instructors write the
quizzes, and a stray `<` must not break a message or inject markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.console.i18n import N_, _, language, language_name, ngettext, pgettext
from bot.domain.discernment import Lean
from bot.domain.languages import ENGLISH, KHMER, LANGUAGES
from bot.domain.limits import MESSAGE_TEXT_MAX
from bot.services.views import (
    AnswerResult,
    ItemView,
    OptionView,
    Owned,
    QuizChoice,
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


# Replies to what the bot does not take: an unknown command, free text (translated where
# they are sent).
UNKNOWN_COMMAND = N_("I don't know that command. Send /help to see what I can do.")
PLAIN_TEXT = N_("Send /quiz to practise, or /help for the commands. Answer with the buttons.")
NOTHING_DELETED = N_("Nothing was deleted.")
DELETED = N_("Done: everything stored about you is deleted. Send /start to begin afresh.")


def greeting_text(first_name: str | None) -> str:
    """/start's greeting and how the bot works."""
    hello = _("Hi {name}!").format(name=escape_text(first_name)) if first_name else _("Hi!")
    return "\n\n".join(
        (
            hello
            + " "
            + _(
                "I help you practise checking what you read: is a claim sourced, is it "
                "consistent with the rest of the text, is it accurate?"
            ),
            _(
                "You get short rounds of questions about a real article, with an explanation "
                "after each answer. Later I send short follow-up lessons on the skills you "
                "missed (/lessons off stops them)."
            ),
            _("Send /quiz to begin, /language to change the language, or /help for all commands."),
        )
    )


def quiz_intro_text(started: QuizStart, round_size: int) -> str:
    """Where a learner stands when a quiz starts or resumes."""
    if started.resumed:
        return _("Welcome back: {answered} of {total} answered so far.").format(
            answered=started.answered, total=started.total
        )
    questions = ngettext("{n} question", "{n} questions", started.total).format(n=started.total)
    text = "<b>{title}</b>\n{body}".format(
        title=escape_text(started.quiz_title),
        body=_("{questions}, in rounds of {size}. Tap the button with your answer.").format(
            questions=questions, size=round_size
        ),
    )
    if started.language.split("-")[0] != language():
        # Quizzes stay as their authors wrote them: say so before the first question.
        text += "\n" + _("The questions are in {language}, as the quiz was written.").format(
            language=language_name(started.language)
        )
    return text


# Telegram shows about 20 characters of a button on a phone; the list above it has the rest.
_BUTTON_TITLE = 20


def other_quizzes_text(choices: Sequence[QuizChoice]) -> str:
    """The other quizzes the learner may take, each with the language it is written in."""
    lines = [f"• {escape_text(c.title)} ({language_name(c.language)})" for c in choices]
    return _("Other quizzes for you: tap one to switch.") + "\n" + "\n".join(lines)


def other_quizzes_keyboard(choices: Sequence[QuizChoice]) -> InlineKeyboardMarkup:
    """A button per other quiz, its title cut to what a phone shows."""

    def label(title: str) -> str:
        return title if len(title) <= _BUTTON_TITLE else title[: _BUTTON_TITLE - 1] + "…"

    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label(c.title), callback_data=cd.quiz_button(c.quiz_id))]
            for c in choices
        ]
    )


def _short_options(item: ItemView) -> bool:
    return item.kind != "contradiction" and all(len(o.text) <= SHORT_OPTION for o in item.options)


def item_text(item: ItemView) -> str:
    """The message that asks an item: header, quoted passage, question, options."""
    if item.is_test:
        # No skill named: in a test it would say what to look for.
        header = _("📝 <b>Test · question {number} of {total}</b>").format(
            number=item.number, total=item.total
        )
    elif item.is_practice:
        header = _("<b>Practice</b>") + f" · <i>{_e(item.skill_name)}</i>"
    else:
        question = _("<b>Question {number} of {total}</b>").format(
            number=item.number, total=item.total
        )
        header = f"{question} · <i>{_e(item.skill_name)}</i>"
    parts = [
        header,
        f"<blockquote>{_e(item.passage)}</blockquote>",
        f"<b>{_e(item.question)}</b>",
    ]
    if not _short_options(item):
        parts.append("\n".join(f"{o.letter}) {_e(o.text)}" for o in item.options))
    if item.is_multiple:
        parts.append(_("<i>Tick every answer that applies, then press Submit.</i>"))
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
        rows.append([InlineKeyboardButton(pgettext("button", "Submit ✔"), callback_data=submit)])
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
    return pgettext("popup", "✅ Right!") if result.correct else pgettext("popup", "❌ Not quite")


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
        verdict = _("✅ <b>Right!</b> You chose {chosen}.").format(
            chosen=option_line(item, result.chosen)
        )
    else:
        verdict = _("❌ <b>Not quite.</b> You chose {chosen}.\nThe answer: {right}.").format(
            chosen=option_line(item, result.chosen), right=option_line(item, result.right)
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
        return "\n".join(
            (
                _("<b>Round done: {right} of {answered} right.</b>").format(
                    right=summary.round_correct, answered=summary.round_answered
                ),
                _("{answered} of {total} questions answered. Take a break or carry on.").format(
                    answered=summary.answered, total=summary.total
                ),
            )
        )
    lines = [
        _("🏁 <b>Finished {title}</b>").format(title=_e(summary.quiz_title)),
        _("{right} of {total} right.").format(right=summary.correct, total=summary.total),
        "",
        _("<b>By skill</b>"),
        *(_skill_line(s) for s in summary.skills),
        "",
        _("Send /score to see your progress, or /quiz to take it again."),
    ]
    return "\n".join(lines)


def continue_keyboard(summary: RoundSummary) -> InlineKeyboardMarkup | None:
    """A Continue button after a round; none at the end."""
    if summary.finished:
        return None
    data = cd.cont(summary.attempt_id, summary.answered)
    label = pgettext("button", "Continue ▶")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


def _bar(percent: int) -> str:
    filled = round(percent / 20)
    return "▰" * filled + "▱" * (5 - filled)


def _skill_line(skill: SkillScore) -> str:
    return f"{_bar(skill.percent)} {_e(skill.name)}: {skill.correct}/{skill.answered}"


def score_text(report: ScoreReport) -> str:
    """The learner's own progress, per quiz and per skill."""
    if not report.quizzes and not report.skills:
        return _("You have not answered anything yet. Send /quiz to start.")
    lines = [_("<b>Your progress</b>"), ""]
    for q in report.quizzes:
        questions = ngettext("{n} question", "{n} questions", q.total).format(n=q.total)
        line = (
            _("• {title}: {right} right of {answered} answered ({questions}, finished)")
            if q.finished
            else _("• {title}: {right} right of {answered} answered ({questions}, in progress)")
        )
        lines.append(
            line.format(
                title=_e(q.title), right=q.correct, answered=q.answered, questions=questions
            )
        )
    if report.skills:
        lines += ["", _("<b>By skill</b> (all your answers)")]
        lines += [_skill_line(s) for s in report.skills]
    if report.lean is not None:
        counts = report.discernment
        lines += [
            "",
            _(
                "<b>Sound or flawed?</b> (your answers on {sound} claims that hold up and "
                "{flawed} with a flaw)"
            ).format(sound=counts.sound, flawed=counts.flawed),
            _(LEAN_SENTENCES[report.lean]),
        ]
    return "\n".join(lines)


def forget_confirmation_text(owned: Owned, *, instructor: bool) -> str:
    """/forgetme's question; an instructor learns first what becomes of their quizzes and
    cohorts (kept, with no owner)."""
    text = _("This deletes your answers, scores and lessons for good.")
    if owned.quizzes or owned.cohorts:
        quizzes = ngettext("{n} quiz", "{n} quizzes", owned.quizzes).format(n=owned.quizzes)
        cohorts = ngettext("{n} cohort", "{n} cohorts", owned.cohorts).format(n=owned.cohorts)
        if owned.quizzes and owned.cohorts:
            what = _("{quizzes} and {cohorts}").format(quizzes=quizzes, cohorts=cohorts)
        else:
            what = quizzes if owned.quizzes else cohorts
        text += "\n\n" + _(
            "Your {what} will be kept, with no owner: learners keep what you opened to them, "
            "and from then on only admins can manage them. You could not get them back."
        ).format(what=what)
    elif instructor:
        text += "\n\n" + _(
            "Quizzes and cohorts you own would be kept with no owner, for admins to manage; "
            "you own none now."
        )
    return text + " " + _("Are you sure?")


def forget_keyboard() -> InlineKeyboardMarkup:
    """/forgetme's Yes and No."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    pgettext("button", "Yes, delete my data"), callback_data=cd.forget(True)
                ),
                InlineKeyboardButton(
                    pgettext("button", "No, keep it"), callback_data=cd.forget(False)
                ),
            ]
        ]
    )


# What /score says about which way a learner's mistakes go (domain.discernment.lean).
LEAN_SENTENCES = {
    Lean.TRUSTS: N_(
        "You tend to trust claims that have a flaw: check the source before you believe."
    ),
    Lean.DOUBTS: N_(
        "You tend to doubt claims that hold up: a named, checkable source is a good sign."
    ),
    Lean.EVEN: N_(
        "You lean neither way: you trust flawed claims about as often as you doubt sound ones."
    ),
}


# Each language by its own name, so a learner finds theirs whatever the bot speaks now.
LANGUAGE_NAMES = {ENGLISH: "English", KHMER: "ខ្មែរ (Khmer)"}


def language_text() -> str:
    """/language's question."""
    return _("Which language should I speak? Quizzes stay in the language they were written in.")


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    """A button per language; the current one is marked."""
    buttons = [
        InlineKeyboardButton(
            f"• {LANGUAGE_NAMES[code]}" if code == current else LANGUAGE_NAMES[code],
            callback_data=cd.language(code),
        )
        for code in LANGUAGES
    ]
    return InlineKeyboardMarkup([buttons])


def language_set_text() -> str:
    """After a language is chosen, said in that language."""
    # TRANSLATORS: said in the language just chosen; name that language (Khmer: ភាសាខ្មែរ).
    return _("From now on I speak English.")
