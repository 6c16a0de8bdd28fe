"""Checks of quiz and skill files that report every problem with its line number.

Instructors write quizzes by hand; one run must list everything to fix, each as
``FILE:LINE: message``. The models (`model.py`) check the shape of the file, `messages.py`
words their errors; this module adds the checks that need the whole file: passages found in
the source, ids, skills, answers, Telegram limits, the claim list (`claim_checks.py`), and the
item-writing checks of `lint.py`.

Nothing here reads files: callers pass the text and a `read_source` callable.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.domain import limits
from bot.domain.quizfile.claim_checks import check_claims
from bot.domain.quizfile.item_checks import ItemChecker
from bot.domain.quizfile.lint import Finding, lint_items
from bot.domain.quizfile.messages import Problem, Report, as_errors, placed
from bot.domain.quizfile.model import (
    Item,
    Quiz,
    SkillCatalogue,
    Verdict,
)
from bot.domain.quizfile.placeholders import find_placeholders, placeholder_message
from bot.domain.quizfile.reader import Key, Path, parse_yaml
from bot.domain.text import N_, Text, say

QUIZ_TOP_LEVEL: Final = N_("the file must be a YAML mapping with id, title, source, items")
CATALOGUE_TOP_LEVEL: Final = N_("the file must be a YAML mapping with a 'skills' list")


@dataclass(frozen=True)
class QuizCheck:
    """The result of checking one quiz file.

    `quiz` and `source_text` are set only when there is no error, so a caller cannot load a
    quiz that failed its checks by mistake; warnings never block.
    """

    quiz: Quiz | None
    source_text: str | None
    problems: tuple[Problem, ...]
    # Line of the quiz's `id`, where problems about the quiz as a whole (ownership) point.
    id_line: int = 1

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that block the quiz."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems worth a look that do not block the quiz."""
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """Whether the quiz has no errors (it may have warnings)."""
        return not self.errors

    def strict(self) -> QuizCheck:
        """The same check with every warning an error, as `--strict` asks."""
        if not self.warnings:
            return self
        problems = as_errors(self.problems)
        return QuizCheck(None, None, problems, self.id_line)


def validate_quiz(
    data: str | bytes,
    *,
    file: str,
    skills: Collection[str],
    read_source: Callable[[str], str] | None,
    today: dt.date,
) -> QuizCheck:
    """Check a quiz file and report every problem with its line."""
    parsed = parse_yaml(data, top_level_message=QUIZ_TOP_LEVEL)
    report = Report(file, parsed)
    if parsed.value is None:
        return QuizCheck(None, None, report.sorted())
    # A draft's "TODO" parts are errors at their lines; everything else is checked as usual.
    todo = find_placeholders(parsed.value)
    report.hidden = frozenset(todo.found)
    for path, value in todo.found.items():
        report.placeholder(path, placed(report.describe(path), placeholder_message(path, value)))
    raw = todo.checked

    quiz = report.model(Quiz, raw)
    # A valid quiz has its items checked already; otherwise check them one by one.
    items = list(enumerate(quiz.items)) if quiz is not None else _valid_items(raw.get("items"))
    source_text = _source_text(raw.get("source"), read_source, report)

    _check_item_ids(raw.get("items"), report)
    checker = ItemChecker(report, frozenset(skills), source_text, today)
    for index, item in items:
        checker.check(index, item)
    check_claims(raw.get("claims"), raw.get("items"), report, checker.passages)
    # Item-writing checks judge options and feedback, which an unfinished item lacks.
    _report_findings(lint_items([(i, it) for i, it in items if i not in todo.items]), report)
    if not todo.found and _lacks_sound_item(raw.get("items")):
        report.warning(
            ("items",),
            say(
                N_(
                    "no item has 'sound' as its right answer; a quiz where everything is "
                    "flawed trains suspicion, not discernment"
                )
            ),
        )

    problems = report.sorted()
    id_line = parsed.line_of(("id",))
    if quiz is None or any(p.severity == "error" for p in problems):
        return QuizCheck(None, None, problems, id_line)
    return QuizCheck(quiz, source_text, problems, id_line)


def validate_skill_catalogue(
    data: str | bytes, *, file: str
) -> tuple[SkillCatalogue | None, tuple[Problem, ...]]:
    """Check the skill catalogue file and report every problem with its line."""
    parsed = parse_yaml(data, top_level_message=CATALOGUE_TOP_LEVEL)
    report = Report(file, parsed)
    if parsed.value is None:
        return None, report.sorted()
    raw = parsed.value

    catalogue = report.model(SkillCatalogue, raw)
    skills = raw.get("skills")
    if isinstance(skills, list):
        first_lines: dict[str, int] = {}
        for index, skill in enumerate(skills):
            if not isinstance(skill, dict):
                continue
            label = report.entry(("skills", index))
            skill_id = skill.get("id")
            if isinstance(skill_id, str):
                line = parsed.line_of(("skills", index, "id"))
                if skill_id in first_lines:
                    report.error(
                        ("skills", index, "id"),
                        say(
                            N_("duplicate skill id '{id}' (first at line {line})"),
                            id=skill_id,
                            line=first_lines[skill_id],
                        ),
                    )
                else:
                    first_lines[skill_id] = line
            lesson = skill.get("lesson")
            if isinstance(lesson, str):
                _check_lesson(lesson.strip(), ("skills", index, "lesson"), label, report)
            translations = skill.get("translations")
            for language, words in (translations or {}).items():
                lesson = words.get("lesson") if isinstance(words, dict) else None
                if isinstance(lesson, str):
                    where = ("skills", index, "translations", language, "lesson")
                    # No words, so no catalog entry: the template stays as it is.
                    in_language = Text(
                        "{place} ({language})", (("place", label), ("language", language))
                    )
                    _check_lesson(lesson.strip(), where, in_language, report)

    problems = report.sorted()
    if catalogue is None or any(p.severity == "error" for p in problems):
        return None, problems
    return catalogue, problems


# --- quiz checks -----------------------------------------------------------------------------


def _valid_items(raw_items: object) -> list[tuple[int, Item]]:
    """Items that pass the model on their own, so one bad item hides no cross-checks.

    An item whose only faults are misspelt field names is checked as if they were spelt
    right (unknown fields dropped), so a typo does not hide the item's other problems.
    """
    if not isinstance(raw_items, list):
        return []
    valid: list[tuple[int, Item]] = []
    for index, raw_item in enumerate(raw_items):
        if not isinstance(raw_item, dict):
            continue
        try:
            valid.append((index, Item.model_validate(raw_item)))
        except ValidationError as error:
            repaired = _respelt(raw_item, error.errors())
            # Errors are reported, with their lines, by the whole-quiz validation.
            if repaired is not None:
                with contextlib.suppress(ValidationError):
                    valid.append((index, Item.model_validate(repaired)))
    return valid


def _respelt(raw: dict[Any, Any], errors: Sequence[ErrorDetails]) -> object | None:
    """`raw` with unknown fields renamed to a close missing one, or dropped; None if no help."""
    if any(e["type"] not in ("extra_forbidden", "missing") for e in errors):
        return None
    unknown = [tuple(e["loc"]) for e in errors if e["type"] == "extra_forbidden"]
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    if not unknown:
        return None
    renames: dict[tuple[Key, ...], str] = {}
    for loc in unknown:
        parent, name = loc[:-1], str(loc[-1])
        candidates = [str(m[-1]) for m in missing if m[:-1] == parent]
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        if close:
            renames[loc] = close[0]
            missing.discard((*parent, close[0]))
    if missing:
        return None  # a field is really missing: the item cannot be checked further
    return _rekeyed(raw, (), renames, set(unknown))


def _rekeyed(node: object, here: Path, renames: dict[Path, str], unknown: set[Path]) -> object:
    if isinstance(node, dict):
        result: dict[object, object] = {}
        for key, value in node.items():
            path = (*here, key)
            if path in renames:
                result[renames[path]] = _rekeyed(value, path, renames, unknown)
            elif path not in unknown:
                result[key] = _rekeyed(value, path, renames, unknown)
        return result
    if isinstance(node, list):
        return [_rekeyed(value, (*here, i), renames, unknown) for i, value in enumerate(node)]
    return node


def _report_findings(findings: Iterable[Finding], report: Report) -> None:
    """Report item-writing findings as warnings, each named by its check."""
    for finding in findings:
        message = finding.message
        if finding.item is not None:
            about: Path = ("items", finding.item)
            if finding.option is not None:
                about += ("options", finding.option)
            message = placed(report.describe(about), message)
        # The check's name stays as it is: docs/quiz-format.md explains each one by it.
        report.warning(
            finding.path, say(N_("{problem} [{check}]"), problem=message, check=finding.code)
        )


def _lacks_sound_item(raw_items: object) -> bool:
    # Read the raw verdicts: an item that fails other checks still counts as intended.
    if not isinstance(raw_items, list) or not raw_items:
        return False
    return not any(
        isinstance(item, dict) and item.get("verdict") == Verdict.SOUND.value for item in raw_items
    )


def _check_item_ids(raw_items: object, report: Report) -> None:
    if not isinstance(raw_items, list):
        return
    first_lines: dict[str, int] = {}
    for index, raw_item in enumerate(raw_items):
        item_id = raw_item.get("id") if isinstance(raw_item, dict) else None
        if not isinstance(item_id, str):
            continue
        path: Path = ("items", index, "id")
        if item_id in first_lines:
            report.error(
                path,
                say(
                    N_("duplicate item id '{id}' (first at line {line})"),
                    id=item_id,
                    line=first_lines[item_id],
                ),
            )
        else:
            first_lines[item_id] = report.parsed.line_of(path)


class SourceRefused(ValueError):
    """`read_source` will not read the text file; `reason` says why, for the reader."""

    def __init__(self, reason: Text) -> None:
        super().__init__(str(reason))
        self.reason = reason

    @classmethod
    def outside_folder(cls, name: str) -> SourceRefused:
        """The path leads out of the quiz's folder (through a link, say)."""
        return cls(say(N_("text_file must be inside the quiz's folder: {name}"), name=name))

    @classmethod
    def too_big(cls, name: str) -> SourceRefused:
        """The text file is over the size limit of a quiz file."""
        return cls(say(N_("{name} is over 1 MB"), name=name))


_UNSAFE_PATH = re.compile(r"^(?:[/\\]|[A-Za-z]:)|(?:^|[/\\])\.\.(?:[/\\]|$)")


def _source_text(
    raw_source: object, read_source: Callable[[str], str] | None, report: Report
) -> str | None:
    """The source text, inline or read through `read_source`; None (reported) when missing."""
    if not isinstance(raw_source, dict):
        return None  # the model reports a missing or malformed source
    text = raw_source.get("text")
    text_file = raw_source.get("text_file")
    if text is not None and text_file is not None:
        report.error(("source",), say(N_("source: give either 'text' or 'text_file', not both")))
        return None
    if text is None and text_file is None:
        report.error(
            ("source",),
            say(N_("source: the source text is missing: add 'text' (inline) or 'text_file'")),
        )
        return None
    if text is None:
        if not isinstance(text_file, str) or not text_file.strip():
            return None  # the model reports the wrong type
        text = _read_text_file(text_file.strip(), read_source, report)
        if text is None:
            return None
    if not isinstance(text, str):
        return None
    if not text.strip():
        report.error(
            ("source", "text" if "text" in raw_source else "text_file"),
            say(N_("source: the source text is empty")),
        )
        return None
    return text


def _read_text_file(
    name: str, read_source: Callable[[str], str] | None, report: Report
) -> str | None:
    path: Path = ("source", "text_file")
    if _UNSAFE_PATH.search(name):
        report.error(
            path,
            say(
                N_(
                    "source: 'text_file' must be a path relative to the quiz file, inside its "
                    "folder; got '{name}'"
                ),
                name=name,
            ),
        )
        return None
    if read_source is None:
        report.error(
            path,
            say(
                N_(
                    "source: 'text_file' cannot be read from a file sent in the chat; put the "
                    "source text inline under source.text (as 'text: |' followed by the "
                    "indented text)"
                )
            ),
        )
        return None
    # The path as the instructor would type it: from where they named the quiz file.
    tried = str(PurePath(report.file).parent / name)
    try:
        return read_source(name).removeprefix("\ufeff")
    except UnicodeDecodeError:
        report.error(path, say(N_("source: the text file '{file}' is not UTF-8 text"), file=tried))
    except FileNotFoundError:
        report.error(
            path,
            say(
                N_(
                    "source: no text file at '{file}' ('text_file: {name}' is read from the "
                    "quiz file's folder)"
                ),
                file=tried,
                name=name,
            ),
        )
    except OSError as error:
        # The system's own words for why (English): "Permission denied".
        reason = error.strerror or str(error) or type(error).__name__
        report.error(path, _unreadable(tried, reason))
    except SourceRefused as refused:
        report.error(path, _unreadable(tried, refused.reason))
    except ValueError as error:
        report.error(path, _unreadable(tried, str(error)))
    return None


def _unreadable(file: str, reason: Text | str) -> Text:
    return say(
        N_("source: cannot read the text file '{file}': {reason}"), file=file, reason=reason
    )


def _check_lesson(lesson: str, path: Path, label: Text, report: Report) -> None:
    size = len(lesson)
    if size > limits.LESSON_MAX:
        report.error(
            path,
            placed(
                label,
                say(
                    N_(
                        "the lesson is {size} characters; the limit is {limit} "
                        "(lessons are read on a phone)"
                    ),
                    size=size,
                    limit=limits.LESSON_MAX,
                ),
            ),
        )
    elif size > limits.LESSON_COMFORTABLE:
        report.warning(
            path,
            placed(
                label,
                say(
                    N_(
                        "the lesson is {size} characters; keep it under {limit}: lessons are "
                        "read on a phone"
                    ),
                    size=size,
                    limit=limits.LESSON_COMFORTABLE,
                ),
            ),
        )
