"""The `quizbot` command line (CONTRACT.md): exit 0 done, 1 bad input, 2 usage or config.

Over 400 lines on purpose: one short function per subcommand and the parser that names them,
read together; each calls a service and prints, so splitting would only scatter the CLI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import shlex
import shutil
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError

from bot.config import (
    DEFAULT_QUIZ_ID,
    BadSettingError,
    ConfigError,
    Settings,
    TokenMissingError,
    load_settings,
)
from bot.console import i18n
from bot.console.columns import pad, width
from bot.console.error_text import describe
from bot.console.i18n import N_, _, ngettext
from bot.domain.clock import utc_now
from bot.domain.errors import QuizbotError, QuizImportError
from bot.domain.languages import LANGUAGES, from_environment
from bot.domain.quizfile.checks import validate_skill_catalogue
from bot.domain.quizfile.messages import Problem, as_errors
from bot.domain.quizfile.schema import quiz_json_schema
from bot.logging_setup import configure_logging, redact_webhook_secret
from bot.runtime import open_runtime

EXIT_OK, EXIT_BAD_INPUT, EXIT_CONFIG = 0, 1, 2

log = logging.getLogger("quizbot")


class UserFacingError(Exception):
    """Stops a command with a one-line message and an exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _database_error(exc: BaseException) -> UserFacingError:
    # The driver's text is specific ("database is locked", "file is not a database") and
    # carries no secrets; the URL is not repeated, since it may hold a password.
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return UserFacingError(_("database error: {detail}").format(detail=detail), EXIT_CONFIG)


async def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.console.demo import ConsoleDemo
    from bot.console.error_text import unknown_quiz
    from bot.domain.errors import AssessmentFormError, UnknownQuizError
    from bot.services.quizzes import list_quizzes

    slug = (args.quiz or DEFAULT_QUIZ_ID).strip().lower()
    async with open_runtime(settings) as runtime:
        demo = ConsoleDemo(
            runtime,
            slug=slug,
            player=args.player or "demo",
            resume=_resume_command(args),
            language=args.lang,
        )
        try:
            return await demo.play()
        except AssessmentFormError as error:
            raise UserFacingError(f"quizbot demo: {describe(error)}", EXIT_CONFIG) from None
        except UnknownQuizError:
            async with runtime.sessions() as session:
                # Test forms are taken through a cohort's tests, not played here.
                ids = [q.slug for q in await list_quizzes(session) if q.form is None]
            message = f"quizbot demo: {unknown_quiz(slug, ids)}"
            raise UserFacingError(message, EXIT_CONFIG) from None


def _resume_command(args: argparse.Namespace) -> str:
    """The command that resumes this demo: the same program with the options given (the
    player's language is kept with the player)."""
    words = [*_program(), "demo"]
    if args.quiz is not None:
        words += ["--quiz", args.quiz]
    if args.player is not None:
        words += ["--player", args.player]
    return shlex.join(words)


def _program() -> list[str]:
    """How this program was started, as words to type again."""
    started = sys.argv[0]
    if Path(started).name == "__main__.py":  # python -m bot
        return [sys.orig_argv[0], "-m", "bot"]
    on_path = shutil.which("quizbot")
    if on_path and Path(on_path).resolve() == Path(started).resolve():
        return ["quizbot"]
    return [started]  # e.g. .venv/bin/quizbot, with the venv not activated


async def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    async with open_runtime(settings, bundled=False):
        print(_("database schema is up to date"))
    return EXIT_OK


STRICT_HELP = "treat warnings (item-writing checks included) as errors"
PROBLEMS_LANG_HELP = (
    "the language of the problems and results (default: the terminal's); field names, "
    "values and check names stay as the file spells them"
)
OUTPUT_RULE = (
    "Problems (FILE:LINE: message, errors and warnings) go to stderr, with the line that sums "
    "them up ('nothing imported: ...'); results (ok lines, what was imported, reports) to "
    "stdout. Exit codes: 0 done, 1 bad input, 2 usage or configuration error."
)


def _problem(line: str) -> None:
    """Print a problem to stderr, after the results printed so far, so the two stay in order."""
    sys.stdout.flush()
    print(line, file=sys.stderr, flush=True)


def _located(problem: Problem) -> str:
    """A problem of a quiz file as ``FILE:LINE: message``, in the command's language."""
    return i18n.render(problem.located())


def _catalogue_skills(settings: Settings) -> set[str]:
    path = settings.quiz_dir / "skills.yaml"
    catalogue, problems = validate_skill_catalogue(path.read_bytes(), file=str(path))
    if catalogue is None:
        raise UserFacingError("\n".join(_located(p) for p in problems), EXIT_BAD_INPUT)
    return {s.id for s in catalogue.skills}


async def cmd_quiz_validate(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.quizzes import check_file, is_skill_catalogue

    skills = _catalogue_skills(settings)
    failed = False
    for name in args.files:
        file = _read(name)
        if is_skill_catalogue(file):
            failed |= not _validate_catalogue(file, strict=args.strict)
            continue
        check = check_file(file, skills=skills, today=utc_now().date())
        if args.strict:
            check = check.strict()
        for problem in check.problems:
            _problem(_located(problem))
        if not check.ok:
            failed = True
        elif check.quiz is not None:
            print(
                _("{file}: ok, quiz '{id}' with {n} items").format(
                    file=file.name, id=check.quiz.id, n=len(check.quiz.items)
                )
            )
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _validate_catalogue(file: Any, *, strict: bool) -> bool:
    """Check a skill catalogue given to `quiz validate`; True when it passes."""
    catalogue, problems = validate_skill_catalogue(file.data, file=file.name)
    if strict:
        problems = as_errors(problems)
    for problem in problems:
        _problem(_located(problem))
    if catalogue is None or any(p.severity == "error" for p in problems):
        return False
    print(
        _("{file}: ok, skill catalogue with {n} skills").format(
            file=file.name, n=len(catalogue.skills)
        )
    )
    return True


def _read(name: str) -> Any:
    from bot.services.quizzes import read_quiz_file

    path = Path(name)
    try:
        return read_quiz_file(path)
    except FileNotFoundError:
        message = _("{file}:1: no such file").format(file=name)
        raise UserFacingError(message, EXIT_BAD_INPUT) from None
    except IsADirectoryError:
        message = _("{file}:1: is a folder, not a quiz file").format(file=name)
        raise UserFacingError(message, EXIT_BAD_INPUT) from None
    except OSError as exc:
        # The system's own words say why ("Permission denied").
        message = _("{file}:1: cannot read: {reason}").format(file=name, reason=exc.strerror)
        raise UserFacingError(message, EXIT_BAD_INPUT) from None


async def cmd_quiz_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.quizzes import import_quizzes

    files = [_read(name) for name in args.files]
    async with open_runtime(settings) as runtime, runtime.sessions() as session:
        try:
            outcomes = await import_quizzes(
                session, files, now=runtime.clock(), strict=args.strict
            )
        except QuizImportError as exc:
            for line in _problem_lines(exc):
                _problem(line)
            count = len(exc.problems)
            # "problem(s)" in English whatever the count: scripts may read this line.
            _problem(
                ngettext(
                    "nothing imported: {n} problem(s)", "nothing imported: {n} problem(s)", count
                ).format(n=count)
            )
            return EXIT_BAD_INPUT
    for outcome in outcomes:
        for warning in outcome.warning_problems:
            _problem(_located(warning))
        if outcome.unchanged:
            print(
                _("quiz {id} version {version}: already up to date").format(
                    id=outcome.slug, version=outcome.version
                )
            )
        else:
            print(
                _("imported quiz {id} version {version}: {n} items, skills {skills}").format(
                    id=outcome.slug,
                    version=outcome.version,
                    n=outcome.item_count,
                    skills=", ".join(outcome.skills),
                )
            )
    return EXIT_OK


def _problem_lines(exc: QuizImportError) -> list[str]:
    """The refused import's problems as ``FILE:LINE: message`` lines, in the command's language."""
    if exc.located:
        return [_located(problem) for problem in exc.located]
    return list(exc.problems)


async def cmd_quiz_list(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.quizzes import list_quizzes

    if args.quiz:
        return await _quiz_versions(settings, args.quiz)
    async with open_runtime(settings) as runtime, runtime.sessions() as session:
        listings = await list_quizzes(session)
    # The columns are as wide as the English has them, or as their heading when wider.
    heads = [_("id"), _("version"), _("items")]
    widths = [max(w, width(h)) for w, h in zip((28, 7, 5), heads, strict=True)]

    def line(cells: list[str], title: str) -> str:
        id_, version, items = (
            pad(cell, w, right=i > 0)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        )
        return f"{id_} {version} {items}  {title}"

    print(line(heads, _("title")))
    for q in listings:
        form = (
            " " + _("(test form {form} of the set {set})").format(form=q.form[1], set=q.form[0])
            if q.form
            else ""
        )
        print(line([q.slug, str(q.version), str(q.item_count)], f"{q.title}{form}"))
    return EXIT_OK


async def _quiz_versions(settings: Settings, slug: str) -> int:
    from bot.domain.errors import UnknownQuizError
    from bot.services.quizzes import quiz_versions

    async with open_runtime(settings) as runtime, runtime.sessions() as session:
        try:
            quiz = await quiz_versions(session, slug=slug.lower())
        except UnknownQuizError:
            raise UserFacingError(
                _("there is no quiz '{slug}'").format(slug=slug), EXIT_BAD_INPUT
            ) from None
    who = (
        _("public")
        if quiz.is_public
        else _("cohorts: {names}").format(names=", ".join(quiz.cohorts) or _("none"))
    )
    print(f"{quiz.slug}: {quiz.title} ({who})")
    # As wide as the English columns, or as a heading when wider; the first and the last
    # two are right-aligned, the date left-aligned.
    heads = [
        _("version"),
        _("imported"),
        _("items"),
        _("attempts"),
        _("finished"),
        _("answers"),
        _("right"),
    ]
    widths = [max(w, width(h)) for w, h in zip((7, 10, 5, 8, 8, 7, 5), heads, strict=True)]
    print(
        " ".join(
            pad(h, w, right=i != 1) for i, (h, w) in enumerate(zip(heads, widths, strict=True))
        ).rstrip()
    )
    for v in quiz.versions:
        cells = [
            str(v.number),
            f"{v.imported_at:%Y-%m-%d}",
            str(v.item_count),
            str(v.attempts),
            str(v.finished),
            str(v.answers),
            f"{v.percent}%",
        ]
        print(
            " ".join(
                pad(c, w, right=i != 1) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    return EXIT_OK


async def cmd_quiz_draft(settings: Settings, args: argparse.Namespace) -> int:
    # Reading a long article takes a second or two; nothing else waits on the event loop.
    return await asyncio.to_thread(_write_draft, args.article, args.out)


def _write_draft(article: str, out_name: str | None) -> int:
    from bot.domain.errors import ArticleRejectedError
    from bot.services.drafts import ARTICLE_MAX_BYTES, draft_file_name, draft_quiz

    path = Path(article)
    out = Path(out_name) if out_name else path.with_name(draft_file_name(path.name))
    if out_name != "-" and out.exists():
        # A draft may already be half written: never overwrite it.
        raise UserFacingError(
            _("{file} exists; delete it or give another name with --out").format(file=out),
            EXIT_CONFIG,
        )
    try:
        size = path.stat().st_size
        data = b"" if size > ARTICLE_MAX_BYTES else path.read_bytes()
    except FileNotFoundError:
        raise UserFacingError(
            _("{file}: no such file").format(file=article), EXIT_CONFIG
        ) from None
    except IsADirectoryError:
        raise UserFacingError(
            _("{file}: is a folder, not a file").format(file=article), EXIT_CONFIG
        ) from None
    except OSError as exc:
        raise UserFacingError(
            _("{file}: cannot read: {reason}").format(file=article, reason=exc.strerror),
            EXIT_CONFIG,
        ) from None
    try:
        draft = draft_quiz(path.name, data, size=size)
    except ArticleRejectedError as exc:
        raise UserFacingError(f"{article}: {describe(exc)}", EXIT_CONFIG) from None
    summary = ngettext(
        '{n} item to complete, from an article of {words} words. Write every "TODO", then '
        "check the file with `quizbot quiz validate` and load it with `quizbot quiz import` "
        "(docs/drafting.md).",
        '{n} items to complete, from an article of {words} words. Write every "TODO", then '
        "check the file with `quizbot quiz validate` and load it with `quizbot quiz import` "
        "(docs/drafting.md).",
        draft.items,
    ).format(n=draft.items, words=draft.words)
    if out_name == "-":
        sys.stdout.write(draft.text)
        print(_("draft quiz: {summary}").format(summary=summary), file=sys.stderr)
        return EXIT_OK
    out.write_text(draft.text, encoding="utf-8")
    print(_("wrote {file}: {summary}").format(file=out, summary=summary))
    return EXIT_OK


async def cmd_quiz_schema(settings: Settings, args: argparse.Namespace) -> int:
    print(json.dumps(quiz_json_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK


async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.telegram.app import run_polling

    settings.token()
    async with open_runtime(settings) as runtime:
        await run_polling(runtime)
    return EXIT_OK


_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
MIN_SECRET = 32  # characters; secrets.token_urlsafe(32) makes 43


def _webhook_options(settings: Settings, args: argparse.Namespace) -> Any:
    from bot.telegram.intake.http import RESERVED_PATHS, WebhookOptions, webhook_path

    url = args.url or settings.webhook_url
    secret = args.secret or (
        settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    )
    if not url:
        raise UserFacingError(_("webhook: give --url (or set QUIZBOT_WEBHOOK_URL)"), EXIT_CONFIG)
    if urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname:
        raise UserFacingError(
            _("webhook: --url must be an https:// URL, not {url}").format(url=repr(url)),
            EXIT_CONFIG,
        )
    port = args.port if args.port is not None else settings.webhook_port
    if not 0 <= port <= 65535:
        raise UserFacingError(
            _("webhook: --port must be 0-65535, not {port}").format(port=port), EXIT_CONFIG
        )
    if not secret:
        raise UserFacingError(
            _("webhook: give --secret (or set QUIZBOT_WEBHOOK_SECRET)"), EXIT_CONFIG
        )
    # Redacted from here on, even if it is refused below: a refused secret may still be one
    # that is in use elsewhere.
    redact_webhook_secret(secret)
    if not _SECRET.fullmatch(secret):
        raise UserFacingError(
            _("webhook: the secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -"),
            EXIT_CONFIG,
        )
    if len(secret) < MIN_SECRET:
        # Anyone who can guess it can post updates in any learner's name.
        raise UserFacingError(
            _(
                "webhook: the secret must be at least {n} characters; make one with: {command}"
            ).format(
                n=MIN_SECRET,
                command='python -c "import secrets; print(secrets.token_urlsafe(32))"',
            ),
            EXIT_CONFIG,
        )
    path = args.path or webhook_path(url)
    if not path.startswith("/") or path in RESERVED_PATHS:
        raise UserFacingError(
            _("webhook: {path} cannot be the webhook path").format(path=repr(path)),
            EXIT_CONFIG,
        )
    return WebhookOptions(
        url=url,
        listen=args.listen or settings.webhook_listen,
        port=port,
        secret=secret,
        path=path,
    )


async def cmd_webhook(settings: Settings, args: argparse.Namespace) -> int:
    from telegram.error import InvalidToken, TelegramError

    from bot.telegram.intake.http import serve_webhook

    settings.token()
    options = _webhook_options(settings, args)  # redacts the secret from the logs
    async with open_runtime(settings) as runtime:
        try:
            await serve_webhook(runtime, options)
        except InvalidToken:
            raise UserFacingError(_("Telegram refused TELEGRAM_BOT_TOKEN"), EXIT_CONFIG) from None
        except TelegramError as exc:
            raise UserFacingError(
                _("webhook: Telegram said: {error}").format(error=exc), EXIT_CONFIG
            ) from None
        except OSError as exc:
            raise UserFacingError(
                _("webhook: cannot listen on {address}: {reason}").format(
                    address=f"{options.listen}:{options.port}", reason=exc.strerror or exc
                ),
                EXIT_CONFIG,
            ) from None
    return EXIT_OK


Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]

REPORT_USAGE = N_(
    "Usage: quizbot stats|export [--quiz ID] [--version N] [--cohort CODE] [--days N]"
)


def _report_query(args: argparse.Namespace) -> Any:
    from bot.domain.report_query import parse_report_args

    words = [args.quiz] if args.quiz else []
    words += [
        f"{k}={v}" for k in ("version", "cohort", "days") if (v := getattr(args, k)) is not None
    ]
    return parse_report_args(words)


async def cmd_stats(settings: Settings, args: argparse.Namespace) -> int:
    from bot.console.report_table import report_text
    from bot.domain.report_query import Viewer
    from bot.domain.roles import Role
    from bot.services.reports import quiz_report

    try:
        query = _report_query(args)
        async with open_runtime(settings) as runtime, runtime.sessions() as session:
            # Whoever runs the terminal holds the database: they see what an admin sees.
            report = await quiz_report(
                session,
                viewer=Viewer(None, Role.ADMIN),
                query=query,
                now=runtime.clock(),
                language=i18n.language(),
            )
    except QuizbotError as exc:
        message = describe(exc, usage=_(REPORT_USAGE))
        raise UserFacingError(f"quizbot stats: {message}", EXIT_BAD_INPUT) from None
    print(report_text(report))
    if args.chart:
        from bot.telegram.chart import render_chart

        await asyncio.to_thread(Path(args.chart).write_bytes, render_chart(report))
        print(_("chart written to {file}").format(file=args.chart), file=sys.stderr)
    return EXIT_OK


async def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.domain.report_query import Viewer
    from bot.domain.roles import Role
    from bot.services.reports import export_answers

    viewer = Viewer(None, Role.ADMIN)
    try:
        query = _report_query(args)
        async with open_runtime(settings) as runtime, runtime.sessions() as session:
            if args.out == "-":
                rows = await export_answers(
                    session, viewer=viewer, query=query, now=runtime.clock(), out=sys.stdout
                )
            else:
                out = await asyncio.to_thread(open, args.out, "w", encoding="utf-8", newline="")
                with out:
                    rows = await export_answers(
                        session, viewer=viewer, query=query, now=runtime.clock(), out=out
                    )
    except QuizbotError as exc:
        message = describe(exc, usage=_(REPORT_USAGE))
        raise UserFacingError(f"quizbot export: {message}", EXIT_BAD_INPUT) from None
    print(
        ngettext("exported {n} answer to {file}", "exported {n} answers to {file}", rows).format(
            n=rows, file=args.out
        ),
        file=sys.stderr,
    )
    return EXIT_OK


def _report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiz", metavar="ID", help="only this quiz (default: all quizzes)")
    parser.add_argument("--version", type=int, metavar="N", help="only this version of --quiz")
    parser.add_argument("--cohort", metavar="CODE", help="only learners of this cohort")
    parser.add_argument("--days", type=int, metavar="N", help="only the last N days")


MESSAGES_HELP = "the language of the command's messages (default: the terminal's)"


def _lang_option(parser: argparse.ArgumentParser, help: str = MESSAGES_HELP) -> None:
    parser.add_argument("--lang", choices=LANGUAGES, help=help)


def _language(args: argparse.Namespace) -> str:
    """The language of the command's words: --lang, else the terminal's (LANG and the rest,
    as gettext reads them), else English."""
    chosen: str | None = getattr(args, "lang", None)
    return chosen or from_environment(os.environ)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="quizbot",
        description="A Telegram bot that trains media literacy.",
        epilog=OUTPUT_RULE,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="play the bundled quiz in the terminal (no token needed)")
    demo.add_argument("--quiz", help=f"quiz id (default: {DEFAULT_QUIZ_ID})")
    demo.add_argument("--player", help="local player name (default: demo)")
    _lang_option(
        demo,
        "the language of the demo's own words, kept for the player (default: the player's "
        "last choice, else the terminal's); quizzes stay in the language they were written in",
    )
    demo.set_defaults(handler=cmd_demo)

    run = sub.add_parser("run", help="serve Telegram by long polling")
    _lang_option(run)
    run.set_defaults(handler=cmd_run)

    hook = sub.add_parser("webhook", help="serve Telegram by webhook (one of several workers)")
    hook.add_argument("--url", help="public HTTPS URL Telegram posts to (QUIZBOT_WEBHOOK_URL)")
    hook.add_argument("--listen", metavar="HOST", help="address to listen on (127.0.0.1)")
    hook.add_argument("--port", metavar="N", type=int, help="port to listen on (8080)")
    hook.add_argument(
        "--secret",
        metavar="S",
        help="X-Telegram-Bot-Api-Secret-Token value (QUIZBOT_WEBHOOK_SECRET)",
    )
    hook.add_argument(
        "--path", metavar="P", help="local path of the webhook (default: the URL's path)"
    )
    _lang_option(hook)
    hook.set_defaults(handler=cmd_webhook)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="apply the migrations")
    _lang_option(upgrade)
    upgrade.set_defaults(handler=cmd_db_upgrade)

    quiz = sub.add_parser("quiz", help="draft, validate, import and list quizzes")
    quiz_sub = quiz.add_subparsers(dest="quiz_command", required=True, metavar="ACTION")
    validate = quiz_sub.add_parser(
        "validate", help="check quiz files; print every problem", epilog=OUTPUT_RULE
    )
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--strict", action="store_true", help=STRICT_HELP)
    _lang_option(validate, PROBLEMS_LANG_HELP)
    validate.set_defaults(handler=cmd_quiz_validate)
    imp = quiz_sub.add_parser(
        "import", help="validate, then import all-or-nothing", epilog=OUTPUT_RULE
    )
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--strict", action="store_true", help=STRICT_HELP)
    _lang_option(imp, PROBLEMS_LANG_HELP)
    imp.set_defaults(handler=cmd_quiz_import)
    listing = quiz_sub.add_parser("list", help="the quizzes with version and item count")
    listing.add_argument(
        "quiz", nargs="?", metavar="QUIZ-ID", help="list this quiz's versions with statistics"
    )
    _lang_option(listing)
    listing.set_defaults(handler=cmd_quiz_list)
    quiz_sub.add_parser("schema", help="print the JSON Schema of the quiz format").set_defaults(
        handler=cmd_quiz_schema
    )
    draft = quiz_sub.add_parser(
        "draft",
        help="make a draft quiz from an article (.txt or .html) for you to complete",
        description="Read an article (plain text, or a saved web page: nothing is fetched) "
        "and write a draft quiz: one item per passage worth asking about, with its skill, "
        'a question and the cue found; the options, explanation and verdict say "TODO" '
        "until you write them, and `quiz validate` lists each with its line. Exit 2 when "
        "the file is not an English article.",
    )
    draft.add_argument("article", metavar="ARTICLE", help="the article: a .txt or .html file")
    draft.add_argument(
        "--out",
        metavar="FILE",
        help="where to write the draft (default: ARTICLE's name with .draft.yaml; - for "
        "stdout); an existing file is never overwritten",
    )
    _lang_option(draft)
    draft.set_defaults(handler=cmd_quiz_draft)

    stats = sub.add_parser("stats", help="score summary, item analysis and discernment")
    _report_options(stats)
    stats.add_argument("--chart", metavar="FILE.png", help="also write the chart as a PNG")
    _lang_option(stats, "the language of the report's words (default: the terminal's)")
    stats.set_defaults(handler=cmd_stats)
    export = sub.add_parser("export", help="one CSV row per recorded answer")
    _report_options(export)
    export.add_argument(
        "--out", required=True, metavar="FILE.csv", help="where to write (- for stdout)"
    )
    _lang_option(export)
    export.set_defaults(handler=cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # Set once, so every sentence the command prints, its errors too, is in one language.
    with i18n.use(_language(args)):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
        configure_logging(settings)
        handler: Command = args.handler
        return asyncio.run(handler(settings, args))
    except UserFacingError as exc:
        print(exc, file=sys.stderr)
        return exc.code
    except ConfigError as exc:
        print(f"quizbot: {_config_error(exc)}", file=sys.stderr)
        return EXIT_CONFIG
    except QuizImportError as exc:
        for line in _problem_lines(exc):
            print(line, file=sys.stderr)
        return EXIT_BAD_INPUT
    except QuizbotError as exc:  # e.g. `quizbot demo --quiz` with a quiz that has no version
        print(f"quizbot: {describe(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SQLAlchemyError as exc:
        print(f"quizbot: {_database_error(exc)}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as exc:
        print(f"quizbot: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


def _config_error(error: ConfigError) -> str:
    """A configuration error in the command's language (a validator's reason stays as the
    validator says it)."""
    match error:
        case TokenMissingError():
            return _("TELEGRAM_BOT_TOKEN is not set; get one from @BotFather")
        case BadSettingError(name=name, detail=detail):
            return _("bad setting {name}: {detail}").format(name=name, detail=detail)
    return str(error)
