"""Size limits: those Telegram enforces and those of the quiz format.

Telegram counts text length in UTF-16 code units (an emoji outside the Basic Multilingual
Plane counts twice), so the message estimates below do the same.
"""

from __future__ import annotations

from collections.abc import Sequence

# --- Telegram Bot API -------------------------------------------------------------------------

MESSAGE_TEXT_MAX = 4096  # characters in one text message, after entity parsing
CALLBACK_DATA_MAX_BYTES = 64  # bytes of callback_data in an inline button
CALLBACK_ANSWER_MAX = 200  # characters of the text shown by answerCallbackQuery
POLL_OPTION_MAX = 100  # characters in one poll option

# --- Quiz format ------------------------------------------------------------------------------

QUIZ_FILE_MAX_BYTES = 1_000_000  # bytes in one quiz or skill file; checked before parsing
OPTION_TEXT_MAX = 300  # characters in an option (listed in the message body; buttons show A, B…)
QUESTION_MAX = 1000  # characters in an item's question
LESSON_MAX = 1000  # characters in a skill lesson, sent as a follow-up message
LESSON_COMFORTABLE = 800  # characters in a lesson above which a warning suggests shortening it

# --- Message layout (worst case) ----------------------------------------------------------------

ITEM_FOOTER_MAX = 60  # the footer line, e.g. "Question 12 of 36 · skill name"
VERDICT_LINE_MAX = 40  # the first line of the feedback, e.g. "✅ Right!"
OPTION_LETTERS = "ABCDEFGH"  # buttons show these instead of option texts
# The line under a "choose all" item telling how to answer, in any of the bot's languages
# (a test holds every catalog to it).
MULTIPLE_HINT_MAX = 100


def telegram_length(text: str) -> int:
    """Length of `text` as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def item_message_length(
    passage: str, question: str, options: Sequence[str], *, multiple: bool = False
) -> int:
    """Worst-case length of the message that asks an item.

    The Telegram renderer follows this plain-text layout, so keep the two in step::

        «{passage}»

        {question}

        A) {option 1}
        B) {option 2}
        …

        {footer of up to ITEM_FOOTER_MAX characters}

        {for a "choose all" item, its hint of up to MULTIPLE_HINT_MAX characters}
    """
    text = f"«{passage}»\n\n{question}\n\n"
    text += "".join(
        f"{letter}) {option}\n" for letter, option in zip(OPTION_LETTERS, options, strict=False)
    )
    # A blank line before the footer is counted too: the renderer may add one.
    hint = 2 + MULTIPLE_HINT_MAX if multiple else 0  # with the blank line before it
    return telegram_length(text) + 1 + ITEM_FOOTER_MAX + _extra_option_lines(options) + hint


def feedback_message_length(passage: str, explanation: str, feedback: str | None) -> int:
    """Worst-case length of the message sent after an answer.

    The Telegram renderer follows this plain-text layout, so keep the two in step::

        {verdict line of up to VERDICT_LINE_MAX characters}

        {feedback of the chosen option}

        {explanation}

        «{passage}»
    """
    text = f"\n\n{feedback or ''}\n\n{explanation}\n\n«{passage}»"
    return VERDICT_LINE_MAX + telegram_length(text)


def _extra_option_lines(options: Sequence[str]) -> int:
    # More options than letters is a format error reported elsewhere; still count them all,
    # with a two-character label, so the estimate never shrinks.
    return sum(telegram_length(f"??) {option}\n") for option in options[len(OPTION_LETTERS) :])
