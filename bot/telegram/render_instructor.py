"""Telegram HTML for instructors' replies (uploads, cohorts, quiz lists) and cohort invites.

Everything that comes from a file or a user is escaped, quiz and cohort names included.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Final

from bot.domain.limits import MESSAGE_TEXT_MAX, QUIZ_FILE_MAX_BYTES
from bot.domain.quizfile.messages import Problem
from bot.services.views import (
    CohortCreated,
    CohortJoined,
    ImportOutcome,
    InstructorOverview,
    QuizListing,
    QuizVersions,
    Sharing,
)
from bot.telegram.text import visible_length

# Past this many problems the list stops: a file with thousands of errors has one cause
# (a wrong indentation, a misnamed field) worth fixing before the rest, and Telegram sends
# only about one message a second to a chat.
PROBLEMS_SHOWN: Final = 50
# Lines are grouped into blocks below a message's size, so no problem is cut in two.
_BLOCK: Final = MESSAGE_TEXT_MAX - 200

BAD_START_LINK: Final = (
    "This link is not valid: it may be mistyped, or the quiz or cohort it was for is gone. "
    "Send /quiz for the main quiz."
)
NOT_INSTRUCTOR: Final = "Only instructors can use /{command}."
NOT_UPLOADER: Final = "Only instructors can upload quiz files and articles."
PUBLIC_USAGE: Final = "Name the quiz: /public QUIZ-ID"
WRONG_FILE_TYPE: Final = (
    "Send a quiz as a .yaml or .yml file (YAML text), or an article as a .txt or .html file "
    "to get a draft quiz; '{name}' is neither."
)
DOWNLOAD_FAILED: Final = "I could not download the file from Telegram. Please send it again."


def _e(text: str) -> str:
    return escape(text, quote=False)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def invite_link(bot_username: str, payload: str) -> str:
    """The deep link that opens the bot with /start PAYLOAD."""
    return f"https://t.me/{bot_username}?start={payload}"


def draft_caption(items: int, words: int) -> str:
    """The caption of a draft quiz sent back for an article."""
    return (
        f"A draft quiz: {_n(items, 'item')} from an article of {words} words. Open the file, "
        "write every TODO (the options, explanations and verdicts), delete the items you do "
        "not want, and send the file back to me to import it. Until every TODO is written, "
        "I will list what is left, by line, and import nothing."
    )


def too_big_text(size: int) -> str:
    """Refusal of a file over the size limit, before downloading it."""
    return (
        f"The file is {size / 1_000_000:.1f} MB; a quiz file may be at most "
        f"{QUIZ_FILE_MAX_BYTES // 1_000_000} MB. Split it into several quizzes."
    )


def _problem_line(problem: Problem) -> str:
    marker = "warning: " if problem.severity == "warning" else ""
    return f"line {problem.line}: {marker}{problem.message}"


def _blocks(lines: Sequence[str]) -> str:
    """Join lines into paragraphs that each fit a message, so a split never cuts a line."""
    blocks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        length = visible_length(line) + 1
        if current and size + length > _BLOCK:
            blocks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += length
    if current:
        blocks.append("\n".join(current))
    return "\n\n".join(blocks)


def problems_text(name: str, problems: Sequence[Problem]) -> str:
    """Every problem of a refused upload, numbered, with its line; nothing was imported."""
    if len(problems) == 1:
        return f"Nothing was imported from {_e(name)}: {_e(_problem_line(problems[0]))}"
    count = len(problems)
    head = f"<b>Nothing was imported</b> from {_e(name)}: {count} problems to fix."
    shown = [
        f"{number}. {_e(_problem_line(p))}"
        for number, p in enumerate(problems[:PROBLEMS_SHOWN], start=1)
    ]
    if count > PROBLEMS_SHOWN:
        shown.append(
            f"… and {count - PROBLEMS_SHOWN} more. Fix these first, or check the whole file "
            "with: quizbot quiz validate FILE"
        )
    return f"{head}\n\n{_blocks(shown)}"


def import_text(outcome: ImportOutcome, bot_username: str) -> str:
    """What an upload imported, its warnings, and who may take the quiz."""
    slug = _e(outcome.slug)
    if outcome.unchanged:
        text = (
            f"Quiz <b>{slug}</b> is already up to date (version {outcome.version}, "
            f"{outcome.item_count} items): nothing changed."
        )
    else:
        skills = ", ".join(outcome.skills)
        text = (
            f"Imported quiz <b>{slug}</b> version {outcome.version}: {outcome.item_count} "
            f"items, skills {_e(skills)}."
        )
        if outcome.version > 1:
            text += " Learners in the middle of it finish the version they started."
    if outcome.warning_problems:
        lines = [_e(_problem_line(p)) for p in outcome.warning_problems[:PROBLEMS_SHOWN]]
        more = len(outcome.warning_problems) - PROBLEMS_SHOWN
        if more > 0:
            lines.append(
                f"… and {more} more warnings. See them all with: quizbot quiz validate --strict "
                "FILE"
            )
        text += f"\n\n<b>Worth a look</b> (these did not block the import):\n\n{_blocks(lines)}"
    if outcome.created and not outcome.is_public:
        text += (
            "\n\nOnly you can take it so far (/quiz "
            f"{slug}). Open it to a cohort with /share {slug} CODE, or to everyone with "
            f"/public {slug}."
        )
    elif outcome.created:
        text += f"\n\nLearners can take it with /quiz {slug} or {invite_link(bot_username, slug)}"
    return text


def cohort_created_text(cohort: CohortCreated, bot_username: str) -> str:
    """The new cohort's invite link and code."""
    link = invite_link(bot_username, cohort.code)
    return (
        f"Cohort <b>{_e(cohort.name)}</b> created.\n\n"
        f"Invite link: {link}\nCode: <code>{cohort.code}</code>\n\n"
        "Learners who open the link join the cohort. Open a quiz to it with "
        f"/share QUIZ-ID {cohort.code}"
    )


def joined_text(joined: CohortJoined) -> str:
    """What a learner sees after opening a cohort's invite link."""
    name = _e(joined.name)
    head = (
        f"You are already in <b>{name}</b>."
        if joined.already_member
        else f"You joined <b>{name}</b>."
    )
    if not joined.quizzes:
        return f"{head} Its quizzes will appear here once your instructor shares them."
    lines = [f"/quiz {_e(slug)} – {_e(title)}" for slug, title in joined.quizzes]
    return f"{head} Its quizzes:\n" + "\n".join(lines)


def sharing_text(sharing: Sharing, bot_username: str) -> str:
    """Who may take a quiz now."""
    slug = _e(sharing.slug)
    if sharing.is_public:
        link = invite_link(bot_username, sharing.slug)
        return f"Quiz <b>{slug}</b> is public: anyone can take it with /quiz {slug} or {link}"
    names = ", ".join(_e(n) for n in sharing.cohorts) or "no cohort"
    return (
        f"Quiz <b>{slug}</b> is open to: {names}. Its learners take it with /quiz {slug}; "
        "others are told there is no such quiz."
    )


def _who(quiz: QuizListing) -> str:
    if quiz.form is not None:
        return f"test form {quiz.form[1]} of the set {_e(quiz.form[0])} (/assess)"
    if quiz.is_public:
        return "public"
    if quiz.cohorts:
        return "cohorts: " + ", ".join(_e(n) for n in quiz.cohorts)
    return "only you"


def overview_text(overview: InstructorOverview, bot_username: str) -> str:
    """/quizzes: quizzes with versions, items and who may take them; then the cohorts."""
    whose = "All quizzes" if overview.everything else "Your quizzes"
    if overview.quizzes:
        quiz_lines = [
            f"<b>{_e(q.slug)}</b> – {_e(q.title)}\n"
            f"   version {q.version} (of {q.versions}) · {_n(q.item_count, 'item')} · {_who(q)}"
            for q in overview.quizzes
        ]
        quizzes = _blocks(quiz_lines)
    else:
        quizzes = "None yet: send a .yaml quiz file as a document to upload one."
    which = "All cohorts" if overview.everything else "Your cohorts"
    if overview.cohorts:
        cohort_lines = [
            f"<b>{_e(c.name)}</b> – {_n(c.members, 'learner')} · "
            f"code <code>{c.code}</code> · {invite_link(bot_username, c.code)}"
            for c in overview.cohorts
        ]
        cohorts = _blocks(cohort_lines)
    else:
        cohorts = "None yet: /cohort NAME creates one."
    return (
        f"<b>{whose}</b>\n{quizzes}\n\n<b>{which}</b>\n{cohorts}\n\n"
        "/quizzes QUIZ-ID shows the statistics of each version."
    )


def versions_text(quiz: QuizVersions) -> str:
    """/quizzes QUIZ-ID: each version with its attempts and answers."""
    who = (
        "public"
        if quiz.is_public
        else ("cohorts: " + ", ".join(_e(n) for n in quiz.cohorts) if quiz.cohorts else "only you")
    )
    lines = [
        f"version {v.number} ({v.imported_at:%Y-%m-%d}): {_n(v.item_count, 'item')} · "
        f"{_n(v.attempts, 'attempt')}, {v.finished} finished · {_n(v.answers, 'answer')}, "
        f"{v.percent}% right"
        for v in quiz.versions
    ]
    return f"<b>{_e(quiz.slug)}</b> – {_e(quiz.title)} ({who})\n\n" + _blocks(lines)
