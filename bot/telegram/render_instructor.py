"""Telegram HTML for instructors' replies (uploads, cohorts, quiz lists) and cohort invites.

Everything that comes from a file or a user is escaped, quiz and cohort names included.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Final

from bot.console.i18n import N_, _, language_name, ngettext, number, percent, render
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

# Translated where they are sent.
BAD_START_LINK: Final = N_(
    "This link is not valid: it may be mistyped, or the quiz or cohort it was for is gone. "
    "Send /quiz for the main quiz."
)
NOT_INSTRUCTOR: Final = N_("Only instructors can use /{command}.")
NOT_UPLOADER: Final = N_("Only instructors can upload quiz files and articles.")
PUBLIC_USAGE: Final = N_("Name the quiz: /public QUIZ-ID")
WRONG_FILE_TYPE: Final = N_(
    "Send a quiz as a .yaml or .yml file (YAML text), or an article as a .txt or .html file "
    "to get a draft quiz; '{name}' is neither."
)
DOWNLOAD_FAILED: Final = N_("I could not download the file from Telegram. Please send it again.")


def _e(text: str) -> str:
    return escape(text, quote=False)


def invite_link(bot_username: str, payload: str) -> str:
    """The deep link that opens the bot with /start PAYLOAD."""
    return f"https://t.me/{bot_username}?start={payload}"


def draft_caption(items: int, words: int) -> str:
    """The caption of a draft quiz sent back for an article."""
    return _(
        "A draft quiz: {items} from an article of {words} words. Open the file, write every "
        "TODO (the options, explanations and verdicts), delete the items you do not want, and "
        "send the file back to me to import it. Until every TODO is written, I will list what "
        "is left, by line, and import nothing."
    ).format(items=_items(items), words=words)


def too_big_text(size: int) -> str:
    """Refusal of a file over the size limit, before downloading it."""
    return _(
        "The file is {size} MB; a quiz file may be at most {limit} MB. "
        "Split it into several quizzes."
    ).format(size=number(size / 1_000_000, 1), limit=QUIZ_FILE_MAX_BYTES // 1_000_000)


def _problem_line(problem: Problem) -> str:
    # The problems themselves are the validator's (domain/quizfile/), rendered here.
    message = render(problem.text)
    if problem.severity == "warning":
        return _("line {line}: warning: {message}").format(line=problem.line, message=message)
    return _("line {line}: {message}").format(line=problem.line, message=message)


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
        return _("Nothing was imported from {name}: {problem}").format(
            name=_e(name), problem=_e(_problem_line(problems[0]))
        )
    count = len(problems)
    head = ngettext(
        "<b>Nothing was imported</b> from {name}: {n} problem to fix.",
        "<b>Nothing was imported</b> from {name}: {n} problems to fix.",
        count,
    ).format(name=_e(name), n=count)
    shown = [
        f"{number}. {_e(_problem_line(p))}"
        for number, p in enumerate(problems[:PROBLEMS_SHOWN], start=1)
    ]
    if count > PROBLEMS_SHOWN:
        shown.append(
            _(
                "… and {n} more. Fix these first, or check the whole file with: "
                "quizbot quiz validate FILE"
            ).format(n=count - PROBLEMS_SHOWN)
        )
    return f"{head}\n\n{_blocks(shown)}"


def _items(count: int) -> str:
    return ngettext("{n} item", "{n} items", count).format(n=count)


def import_text(outcome: ImportOutcome, bot_username: str) -> str:
    """What an upload imported, its warnings, and who may take the quiz."""
    slug = _e(outcome.slug)
    if outcome.unchanged:
        text = _(
            "Quiz <b>{slug}</b> is already up to date (version {version}, {items}): "
            "nothing changed."
        ).format(slug=slug, version=outcome.version, items=_items(outcome.item_count))
    else:
        text = _(
            "Imported quiz <b>{slug}</b> version {version}: {items}, skills {skills}."
        ).format(
            slug=slug,
            version=outcome.version,
            items=_items(outcome.item_count),
            skills=_e(", ".join(outcome.skills)),
        )
        if outcome.version > 1:
            text += " " + _("Learners in the middle of it finish the version they started.")
    if outcome.warning_problems:
        lines = [_e(_problem_line(p)) for p in outcome.warning_problems[:PROBLEMS_SHOWN]]
        more = len(outcome.warning_problems) - PROBLEMS_SHOWN
        if more > 0:
            lines.append(
                _(
                    "… and {n} more warnings. See them all with: quizbot quiz validate "
                    "--strict FILE"
                ).format(n=more)
            )
        text += "\n\n" + _("<b>Worth a look</b> (these did not block the import):")
        text += "\n\n" + _blocks(lines)
    if outcome.created and not outcome.is_public:
        text += "\n\n" + _(
            "Only you can take it so far (/quiz {slug}). Open it to a cohort with "
            "/share {slug} CODE, or to everyone with /public {slug}."
        ).format(slug=slug)
    elif outcome.created:
        text += "\n\n" + _("Learners can take it with /quiz {slug} or {link}").format(
            slug=slug, link=invite_link(bot_username, slug)
        )
    return text


def cohort_created_text(cohort: CohortCreated, bot_username: str) -> str:
    """The new cohort's invite link and code."""
    return _(
        "Cohort <b>{name}</b> created.\n\n"
        "Invite link: {link}\nCode: <code>{code}</code>\n\n"
        "Learners who open the link join the cohort. Open a quiz to it with "
        "/share QUIZ-ID {code}"
    ).format(name=_e(cohort.name), link=invite_link(bot_username, cohort.code), code=cohort.code)


def joined_text(joined: CohortJoined) -> str:
    """What a learner sees after opening a cohort's invite link."""
    name = _e(joined.name)
    head = (
        _("You are already in <b>{name}</b>.")
        if joined.already_member
        else _("You joined <b>{name}</b>.")
    ).format(name=name)
    if not joined.quizzes:
        return head + " " + _("Its quizzes will appear here once your instructor shares them.")
    lines = [
        f"/quiz {_e(slug)} – {_e(title)} ({language_name(language)})"
        for slug, title, language in joined.quizzes
    ]
    return head + " " + _("Its quizzes:") + "\n" + "\n".join(lines)


def sharing_text(sharing: Sharing, bot_username: str) -> str:
    """Who may take a quiz now."""
    slug = _e(sharing.slug)
    if sharing.is_public:
        link = invite_link(bot_username, sharing.slug)
        return _(
            "Quiz <b>{slug}</b> is public: anyone can take it with /quiz {slug} or {link}"
        ).format(slug=slug, link=link)
    names = ", ".join(_e(n) for n in sharing.cohorts) or _("no cohort")
    return _(
        "Quiz <b>{slug}</b> is open to: {names}. Its learners take it with /quiz {slug}; "
        "others are told there is no such quiz."
    ).format(slug=slug, names=names)


def _who(quiz: QuizListing) -> str:
    if quiz.form is not None:
        return _("test form {form} of the set {set} (/assess)").format(
            form=quiz.form[1], set=_e(quiz.form[0])
        )
    return _who_may(quiz.is_public, quiz.cohorts)


def _who_may(is_public: bool, cohorts: Sequence[str]) -> str:
    if is_public:
        return _("public")
    if cohorts:
        return _("cohorts: {names}").format(names=", ".join(_e(n) for n in cohorts))
    return _("only you")


def overview_text(overview: InstructorOverview, bot_username: str) -> str:
    """/quizzes: quizzes with versions, items and who may take them; then the cohorts."""
    whose = _("All quizzes") if overview.everything else _("Your quizzes")
    if overview.quizzes:
        quiz_lines = [
            f"<b>{_e(q.slug)}</b> – {_e(q.title)}\n   "
            + _("version {version} (of {versions}) · {items} · {who} · {language}").format(
                version=q.version,
                versions=q.versions,
                items=_items(q.item_count),
                who=_who(q),
                language=language_name(q.language),
            )
            for q in overview.quizzes
        ]
        quizzes = _blocks(quiz_lines)
    else:
        quizzes = _("None yet: send a .yaml quiz file as a document to upload one.")
    which = _("All cohorts") if overview.everything else _("Your cohorts")
    if overview.cohorts:
        cohort_lines = [
            f"<b>{_e(c.name)}</b> – "
            + _("{learners} · code <code>{code}</code> · {link}").format(
                learners=ngettext("{n} learner", "{n} learners", c.members).format(n=c.members),
                code=c.code,
                link=invite_link(bot_username, c.code),
            )
            for c in overview.cohorts
        ]
        cohorts = _blocks(cohort_lines)
    else:
        cohorts = _("None yet: /cohort NAME creates one.")
    return f"<b>{whose}</b>\n{quizzes}\n\n<b>{which}</b>\n{cohorts}\n\n" + _(
        "/quizzes QUIZ-ID shows the statistics of each version."
    )


def versions_text(quiz: QuizVersions) -> str:
    """/quizzes QUIZ-ID: each version with its attempts and answers."""
    lines = [
        _(
            "version {version} ({date}): {items} · {attempts}, {finished} finished · "
            "{answers}, {percent} right"
        ).format(
            version=v.number,
            date=v.imported_at.strftime("%Y-%m-%d"),
            items=_items(v.item_count),
            attempts=ngettext("{n} attempt", "{n} attempts", v.attempts).format(n=v.attempts),
            finished=v.finished,
            answers=ngettext("{n} answer", "{n} answers", v.answers).format(n=v.answers),
            percent=percent(v.percent / 100),
        )
        for v in quiz.versions
    ]
    who = _who_may(quiz.is_public, quiz.cohorts)
    return f"<b>{_e(quiz.slug)}</b> – {_e(quiz.title)} ({who})\n\n" + _blocks(lines)
