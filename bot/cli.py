"""The `quizbot` command line (CONTRACT.md): exit 0 done, 1 bad input, 2 usage or config."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.clock import utc_now
from bot.config import DEFAULT_QUIZ_ID, ConfigError, Settings, load_settings
from bot.domain.errors import QuizImportError
from bot.domain.validation import quiz_json_schema, validate_skill_catalogue
from bot.logging_setup import configure_logging
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
    return UserFacingError(f"database error: {detail}", EXIT_CONFIG)


async def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.console.demo import ConsoleDemo

    async with open_runtime(settings) as runtime:
        demo = ConsoleDemo(runtime, slug=args.quiz or DEFAULT_QUIZ_ID, player=args.player)
        return await demo.play()


async def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    async with open_runtime(settings, bundled=False):
        print("database schema is up to date")
    return EXIT_OK


def _catalogue_skills(settings: Settings) -> set[str]:
    path = settings.quiz_dir / "skills.yaml"
    catalogue, problems = validate_skill_catalogue(path.read_bytes(), file=str(path))
    if catalogue is None:
        raise UserFacingError("\n".join(str(p) for p in problems), EXIT_BAD_INPUT)
    return {s.id for s in catalogue.skills}


async def cmd_quiz_validate(settings: Settings, args: argparse.Namespace) -> int:
    from bot.domain.validation import validate_quiz

    skills = _catalogue_skills(settings)
    failed = False
    for name in args.files:
        file = _read(name)
        check = validate_quiz(
            file.data,
            file=file.name,
            skills=skills,
            read_source=file.read_source,
            today=utc_now().date(),
        )
        for problem in check.problems:
            print(problem)
        if not check.ok:
            failed = True
        elif check.quiz is not None:
            print(f"{file.name}: ok, quiz '{check.quiz.id}' with {len(check.quiz.items)} items")
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _read(name: str) -> Any:
    from bot.services.quizzes import read_quiz_file

    path = Path(name)
    try:
        return read_quiz_file(path)
    except FileNotFoundError:
        raise UserFacingError(f"{name}:1: no such file", EXIT_BAD_INPUT) from None
    except IsADirectoryError:
        raise UserFacingError(f"{name}:1: is a folder, not a quiz file", EXIT_BAD_INPUT) from None
    except OSError as exc:
        raise UserFacingError(f"{name}:1: cannot read: {exc.strerror}", EXIT_BAD_INPUT) from None


async def cmd_quiz_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.quizzes import import_quizzes

    files = [_read(name) for name in args.files]
    async with open_runtime(settings) as runtime, runtime.sessions() as session:
        try:
            outcomes = await import_quizzes(session, files, now=runtime.clock())
        except QuizImportError as exc:
            for problem in exc.problems:
                print(problem)
            print(f"nothing imported: {len(exc.problems)} problem(s)", file=sys.stderr)
            return EXIT_BAD_INPUT
    for outcome in outcomes:
        for warning in outcome.warnings:
            print(warning)
        if outcome.unchanged:
            print(f"quiz {outcome.slug} version {outcome.version}: already up to date")
        else:
            print(
                f"imported quiz {outcome.slug} version {outcome.version}: "
                f"{outcome.item_count} items, skills {', '.join(outcome.skills)}"
            )
    return EXIT_OK


async def cmd_quiz_list(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.quizzes import list_quizzes

    async with open_runtime(settings) as runtime, runtime.sessions() as session:
        listings = await list_quizzes(session)
    print(f"{'id':<28} {'version':>7} {'items':>5}  title")
    for q in listings:
        print(f"{q.slug:<28} {q.version:>7} {q.item_count:>5}  {q.title}")
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


Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="quizbot", description="A Telegram bot that trains media literacy."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="play the bundled quiz in the terminal (no token needed)")
    demo.add_argument("--quiz", help=f"quiz id (default: {DEFAULT_QUIZ_ID})")
    demo.add_argument("--player", default="demo", help="local player name (default: demo)")
    demo.set_defaults(handler=cmd_demo)

    run = sub.add_parser("run", help="serve Telegram by long polling")
    run.set_defaults(handler=cmd_run)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply the migrations").set_defaults(handler=cmd_db_upgrade)

    quiz = sub.add_parser("quiz", help="validate, import and list quizzes")
    quiz_sub = quiz.add_subparsers(dest="quiz_command", required=True, metavar="ACTION")
    validate = quiz_sub.add_parser("validate", help="check quiz files; print every problem")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(handler=cmd_quiz_validate)
    imp = quiz_sub.add_parser("import", help="validate, then import all-or-nothing")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.set_defaults(handler=cmd_quiz_import)
    quiz_sub.add_parser("list", help="the quizzes with version and item count").set_defaults(
        handler=cmd_quiz_list
    )
    quiz_sub.add_parser("schema", help="print the JSON Schema of the quiz format").set_defaults(
        handler=cmd_quiz_schema
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings)
        handler: Command = args.handler
        return asyncio.run(handler(settings, args))
    except UserFacingError as exc:
        print(exc, file=sys.stderr)
        return exc.code
    except ConfigError as exc:
        print(f"quizbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except QuizImportError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    except SQLAlchemyError as exc:
        print(f"quizbot: {_database_error(exc)}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as exc:
        print(f"quizbot: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
