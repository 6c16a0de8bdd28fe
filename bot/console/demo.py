"""`quizbot demo`: the quiz in a terminal, through the same services as the Telegram bot."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import textwrap
import threading
from collections.abc import Awaitable, Callable, Sequence

from bot.console import i18n
from bot.console.error_text import describe
from bot.console.i18n import _, ngettext
from bot.domain.errors import QuizbotError
from bot.runtime import Runtime
from bot.services import attempts, learners
from bot.services.views import AnswerResult, ItemView, OptionView, QuizStart, RoundSummary

ReadLine = Callable[[str], Awaitable[str | None]]
Write = Callable[[str], None]

QUIT = {"q", "quit", "exit"}


async def read_stdin(prompt: str) -> str | None:
    """Read one line from the terminal; None at end of input.

    A daemon thread waits for the line, reading the file descriptor itself: on Ctrl-C, a
    thread of the event loop's pool would be waited for until Enter, and one inside
    `input()` holds the lock of `sys.stdin`, which Python then fails to take at exit.
    """
    sys.stdout.write(prompt)
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    line: asyncio.Future[str | None] = loop.create_future()

    def settle(text: str | None) -> None:
        if not line.done():
            line.set_result(text)

    def read() -> None:
        text = _read_line(sys.stdin.fileno(), sys.stdin.encoding or "utf-8")
        # A closed loop: the demo ended (Ctrl-C) without this line.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, text)

    threading.Thread(target=read, name="demo-stdin", daemon=True).start()
    return await line


def _read_line(fd: int, encoding: str) -> str | None:
    """One line from `fd`, without its line break; None at end of input."""
    data = bytearray()
    while True:
        try:
            byte = os.read(fd, 1)  # one at a time: nothing of the next line is taken
        except OSError:
            byte = b""
        if not byte:
            return data.decode(encoding, "replace") if data else None
        if byte == b"\n":
            return data.decode(encoding, "replace").removesuffix("\r")
        data += byte


def _wrap(text: str, indent: str = "", hang: str | None = None) -> str:
    """Fill each paragraph to the terminal; `hang` indents the lines after the first."""
    width = max(40, min(100, shutil.get_terminal_size((80, 24)).columns)) - len(indent)
    after = indent if hang is None else hang
    return "\n".join(
        textwrap.fill(p, width, initial_indent=indent, subsequent_indent=after) if p else ""
        for p in text.split("\n")
    )


class ConsoleDemo:
    """Plays one quiz for one local player until the end, `q`, or end of input."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        slug: str,
        read: ReadLine = read_stdin,
        write: Write = print,
        player: str = "demo",
        language: str | None = None,
        resume: str = "quizbot demo",
    ) -> None:
        self._sessions = runtime.sessions
        self._clock = runtime.clock
        self._slug = slug
        self._round_size = runtime.settings.round_size
        self._read = read
        self._write = write
        self._player = player
        self._language = language
        self._resume = resume  # the command that resumes this sitting, as the player types it

    async def play(self) -> int:
        """Run the quiz in the player's language (`--lang`, else the one they chose before);
        return the process exit code.

        Ctrl-C (a cancellation) says what is saved and how to resume, then ends the demo.
        """
        async with self._sessions() as session:
            user = await learners.console_user(
                session, name=self._player, now=self._clock(), language=self._language
            )
        # A player who never chose one gets the terminal's language (set by the command line).
        with i18n.use(user.language or i18n.language()):
            return await self._play(user.id)

    async def _play(self, user_id: int) -> int:
        async with self._sessions() as session:
            # Whoever runs the terminal holds the database: every quiz in it is theirs to try.
            start = await attempts.start_quiz(
                session,
                user_id=user_id,
                language=i18n.language(),
                slug=self._slug,
                round_size=self._round_size,
                now=self._clock(),
                see_all=True,
            )
        self._user_id = user_id
        self._attempt_id = start.attempt_id
        self._answered, self._total = start.answered, start.total
        try:
            return await self._sit(start)
        except asyncio.CancelledError:
            self._write("\n" + _("Stopped.") + " " + self._saved())
            raise

    def _saved(self) -> str:
        return _(
            "Saved: {answered} of {total} questions answered. To continue, run: {command}"
        ).format(answered=self._answered, total=self._total, command=self._resume)

    async def _sit(self, start: QuizStart) -> int:
        self._write(f"\n{start.quiz_title}")
        if start.resumed:
            self._write(
                _("Welcome back: {answered} of {total} answered so far.").format(
                    answered=start.answered, total=start.total
                )
            )
        else:
            questions = ngettext("{n} question", "{n} questions", start.total).format(
                n=start.total
            )
            self._write(
                _(
                    "{questions} in rounds of {size}. Type the number of your answer and press "
                    "Enter; q quits (you can resume later)."
                ).format(questions=questions, size=self._round_size)
            )
        item: ItemView | None = start.item
        while item is not None:
            result = await self._ask(item)
            if result is None:
                return 0
            self._show_result(result)
            if result.summary is not None:
                self._show_summary(result.summary)
                if result.summary.finished:
                    return 0
                line = await self._read("\n" + _("Press Enter for the next round (q to quit): "))
                if line is None or line.strip().lower() in QUIT:
                    self._write(self._saved())
                    return 0
                async with self._sessions() as session:
                    item = await attempts.continue_attempt(
                        session,
                        user_id=self._user_id,
                        language=i18n.language(),
                        attempt_id=self._attempt_id,
                        answered=result.summary.answered,
                        now=self._clock(),
                    )
            else:
                item = result.next_item
        return 0

    async def _ask(self, item: ItemView) -> AnswerResult | None:
        self._show_item(item)
        hint = (
            _("Type the numbers of all that apply, e.g. 1 3, or q to quit.")
            if item.is_multiple
            else _("Type a number from 1 to {last}, or q to quit.").format(last=len(item.options))
        )
        while True:
            line = await self._read("> ")
            if line is None or line.strip().lower() in QUIT:
                self._write(f"\n{self._saved()}")
                return None
            chosen = _parse_choice(line, item)
            if chosen is None:
                self._write(hint)
                continue
            try:
                async with self._sessions() as session:
                    result = await attempts.answer_item(
                        session,
                        user_id=self._user_id,
                        language=i18n.language(),
                        attempt_id=self._attempt_id,
                        item_id=item.item_id,
                        chosen=chosen,
                        now=self._clock(),
                    )
            except QuizbotError as exc:
                self._write(describe(exc))
                continue
            self._answered += 1
            return result

    def _show_item(self, item: ItemView) -> None:
        question = _("Question {number} of {total}").format(number=item.number, total=item.total)
        self._write(f"\n── {question} · {item.skill_name} ──")
        self._write(_wrap(f"“{item.passage}”", "    "))
        self._write("")
        self._write(_wrap(item.question))
        if item.is_multiple and "all that apply" not in item.question.lower():
            self._write(_("(Choose all that apply.)"))
        for number, option in enumerate(item.options, start=1):
            self._write(_wrap(f"{number}) {option.text}", "  "))

    def _show_result(self, result: AnswerResult) -> None:
        self._write("")
        if result.correct:
            self._write(_("✔ Right!"))
        else:
            self._write(_("✘ Not quite."))
            self._write_options(_("You chose"), result.item, result.chosen)
            self._write_options(_("The answer"), result.item, result.right)
        for feedback in result.feedback:
            self._write("")
            self._write(_wrap(feedback))
        self._write("")
        self._write(_wrap(result.explanation))
        self._write("")
        self._write(_wrap(f"“{result.item.passage}”", "    "))

    def _write_options(self, label: str, item: ItemView, options: Sequence[OptionView]) -> None:
        """The options by the numbers and texts they were shown with, as the chat names them."""
        numbers = {o.file_index: n for n, o in enumerate(item.options, start=1)}
        lines = [f"{numbers[o.file_index]}) {o.text}" for o in options]
        if len(lines) == 1:
            self._write(_wrap(f"{label}: {lines[0]}", hang="  "))
        else:
            self._write(f"{label}:")
            for line in lines:
                self._write(_wrap(line, "  "))

    def _show_summary(self, summary: RoundSummary) -> None:
        if summary.finished:
            finished = _("Finished: {right} of {total} right").format(
                right=summary.correct, total=summary.total
            )
            self._write(f"\n══ {finished} ══\n" + _("Score per skill:"))
            for skill in summary.skills:
                share = i18n.percent(skill.percent / 100)
                self._write(f"  {skill.name}: {skill.correct}/{skill.answered} ({share})")
        else:
            done = _(
                "Round done: {right} of {answered} right · {so_far} of {total} answered"
            ).format(
                right=summary.round_correct,
                answered=summary.round_answered,
                so_far=summary.answered,
                total=summary.total,
            )
            self._write(f"\n── {done} ──")


def _parse_choice(line: str, item: ItemView) -> list[int] | None:
    """Turn '2' or '1 3' (or letters) into file indices; None when it is not a valid choice."""
    tokens = line.replace(",", " ").split()
    if not tokens or (len(tokens) > 1 and not item.is_multiple):
        return None
    chosen: list[int] = []
    for token in tokens:
        if token.isdigit() and 1 <= int(token) <= len(item.options):
            chosen.append(item.options[int(token) - 1].file_index)
        elif len(token) == 1 and token.upper() in {o.letter for o in item.options}:
            chosen.append(next(o.file_index for o in item.options if o.letter == token.upper()))
        else:
            return None
    return sorted(set(chosen))
