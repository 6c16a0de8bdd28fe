"""Problems at their lines, and pydantic's errors worded for the people who write quizzes.

`Report` collects the problems of one file, each placed at the line of a path in it; it turns
the models' validation errors into messages such as "unknown field 'qestion' in item 2 ('c02')
(did you mean 'question'?)".
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Final, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.domain.quizfile.model import (
    CLAIM_ID_PATTERN,
    ITEM_ID_PATTERN,
    MAX_OPTIONS,
    MIN_OPTIONS,
    SLUG_PATTERN,
)
from bot.domain.quizfile.reader import Key, ParsedYaml, Path

Severity = Literal["error", "warning"]

_ENTRY_NAMES: Final = {
    "items": "item",
    "options": "option",
    "references": "reference",
    "skills": "skill",
    "claims": "claim",
}
_STARTS = "starting with a letter or digit"
_PATTERN_HELP: Final = {
    ITEM_ID_PATTERN: f"must be 1 to 40 letters, digits, '-' or '_', {_STARTS}",
    SLUG_PATTERN: f"must be lower-case letters, digits and hyphens, {_STARTS}",
    CLAIM_ID_PATTERN: f"must be 1 to 20 letters, digits, '.', '-' or '_', {_STARTS}",
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$": "must be a language code such as 'en' or 'pt-BR'",
}
_EXCERPT: Final = 40


@dataclass(frozen=True)
class Problem:
    """One problem in a file, at a 1-based line."""

    file: str
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        """Render as ``FILE:LINE: message``, the format editors and CI logs link to."""
        marker = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {marker}{self.message}"


def as_errors(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """The problems with every warning made an error, as `--strict` asks."""
    return tuple(replace(p, severity="error") for p in problems)


class Report:
    """Collects problems for one file, placing each at the line of a path."""

    def __init__(self, file: str, parsed: ParsedYaml) -> None:
        self.file = file
        self.parsed = parsed
        self.raw: object = parsed.value
        self.problems: list[Problem] = [Problem(file, p.line, p.message) for p in parsed.problems]
        # Paths whose only problem is that they are still to be written (placeholders.py).
        self.hidden: frozenset[Path] = frozenset()

    def error(self, path: Path, message: str) -> None:
        if path not in self.hidden:
            self.problems.append(Problem(self.file, self.parsed.line_of(path), message))

    def warning(self, path: Path, message: str) -> None:
        if path not in self.hidden:
            self.problems.append(Problem(self.file, self.parsed.line_of(path), message, "warning"))

    def placeholder(self, path: Path, message: str) -> None:
        """Report a part still to be written, the one problem shown at its path."""
        self.problems.append(Problem(self.file, self.parsed.line_of(path), message))

    def sorted(self) -> tuple[Problem, ...]:
        unique = dict.fromkeys(self.problems)
        return tuple(sorted(unique, key=lambda p: (p.line, p.message, p.severity)))

    def describe(self, path: Path) -> str:
        """Name the part of the file at `path` for a reader: "item 3 ('c04-x'), option 2"."""
        parts: list[str] = []
        node = self.raw
        for position, part in enumerate(path):
            node = _child(node, part)
            if isinstance(part, int):
                previous = path[position - 1] if position else ""
                name = _ENTRY_NAMES.get(str(previous), "entry")
                ident = node.get("id") if isinstance(node, dict) else None
                shown = (
                    f" ('{ident}')"
                    if isinstance(ident, str) and name in ("item", "skill", "claim")
                    else ""
                )
                parts.append(f"{name} {part + 1}{shown}")
            elif position + 1 == len(path) or not isinstance(path[position + 1], int):
                parts.append(part)
        return ", ".join(parts)

    def model(self, model: type[BaseModel], raw: dict[Key, object]) -> Any:
        """Validate `raw` against `model`, reporting every error; None when invalid."""
        try:
            return model.model_validate(raw)
        except ValidationError as error:
            self._translate(model, error.errors())
            return None

    def _translate(self, model: type[BaseModel], errors: Iterable[ErrorDetails]) -> None:
        errors = list(errors)
        misspelt = _misspelt_fields(model, errors)
        missing: dict[Path, list[str]] = {}
        for error in errors:
            loc: Path = tuple(error["loc"])
            if error["type"] == "missing" and loc and isinstance(loc[-1], str):
                # "unknown field 'questoin' (did you mean 'question'?)" says it already.
                if loc not in misspelt:
                    missing.setdefault(loc[:-1], []).append(loc[-1])
                continue
            self.error(loc, self._message(model, loc, error))
        for parent, fields in missing.items():
            label = self.describe(parent)
            prefix = f"{label}: " if label else ""
            names = _join_names(fields)
            plural = "s" if len(fields) > 1 else ""
            self.error(parent, f"{prefix}missing field{plural} {names}")

    def _message(self, model: type[BaseModel], loc: Path, error: ErrorDetails) -> str:
        kind = error["type"]
        value = error.get("input")
        ctx = error.get("ctx") or {}
        if kind == "invalid_key":
            label = self.describe(loc[:-1])
            where = f"in {label}" if label else "at the top level"
            return (
                f"the key {_show(value)} {where} is not a field name: field names are words "
                "(YAML reads yes/no/on/off as true/false and digits as numbers)"
            )
        field = loc[-1] if loc and isinstance(loc[-1], str) else None
        label = self.describe(loc[:-1] if field is not None else loc)
        prefix = f"{label}: " if label else ""

        if kind == "extra_forbidden":
            where = f"in {label}" if label else "at the top level"
            allowed = _fields_of(model, loc[:-1])
            hint = did_you_mean(str(field), allowed)
            if not hint and allowed:
                hint = f" (the fields here are: {', '.join(allowed)})"
            return f"unknown field '{field}' {where}{hint}"
        if field is None:  # the entry itself is wrong, e.g. an option written as plain text
            return _entry_message(label, loc, value)
        subject = f"{prefix}'{field}'"
        if kind in ("too_short", "too_long"):
            return prefix + _length_message(field, value, ctx)
        if kind == "enum":
            allowed = _enum_values(model, loc) or [str(ctx.get("expected", ""))]
            return (
                f"{subject} must be one of: {', '.join(allowed)}; got {_show(value)}"
                f"{did_you_mean(str(value), allowed)}"
            )
        if kind == "string_type":
            return f"{subject} {_string_detail(value)}"
        if kind == "string_too_short":
            return f"{subject} is empty"
        if kind == "string_pattern_mismatch":
            pattern = str(ctx.get("pattern", ""))
            help_text = _PATTERN_HELP.get(pattern, f"must match the pattern {pattern}")
            return f"{subject} {help_text}; got {_show(value)}"
        if kind in ("bool_type", "bool_parsing"):
            return f"{subject} must be true or false; got {_show(value)}"
        if kind.startswith("date") or kind.startswith("datetime"):
            return f"{subject} must be a date such as 2025-01-31; got {_show(value)}"
        if kind == "list_type":
            return f"{subject} must be a list (lines that start with '- '); got {_show(value)}"
        if kind in ("model_type", "model_attributes_type", "dict_type"):
            return f"{subject} must be a mapping of 'key: value' lines; got {_show(value)}"
        return f"{subject}: {error['msg']}"


def _child(node: object, part: Key) -> object:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _entry_message(label: str, loc: Path, value: object) -> str:
    container = loc[-2] if len(loc) >= 2 else None
    if container == "options" and isinstance(value, str | int | float | bool):
        shown = excerpt(str(value))
        return f"{label}: write the option as '- text: {shown}', not '- {shown}'"
    return f"{label} must be a mapping of 'key: value' lines; got {_show(value)}"


def _length_message(field: str, value: object, ctx: dict[str, Any]) -> str:
    count = len(value) if isinstance(value, list) else ctx.get("actual_length")
    if field == "options":
        return f"an item needs {MIN_OPTIONS} to {MAX_OPTIONS} options; this one has {count}"
    if field == "items":
        return "the quiz needs at least one item"
    if field == "skills":
        return "the catalogue needs at least one skill"
    if field == "claims":
        return "the claim list is empty; list at least one claim, or remove 'claims:'"
    if "min_length" in ctx:
        return f"'{field}' needs at least {ctx['min_length']} entries; it has {count}"
    return f"'{field}' may have at most {ctx.get('max_length')} entries; it has {count}"


def _string_detail(value: object) -> str:
    if value is None:
        return "is empty"
    if isinstance(value, bool):
        read_as = f"the boolean {str(value).lower()} (from yes/no/on/off/true/false)"
    elif isinstance(value, int | float):
        read_as = f"the number {value}"
    elif isinstance(value, dt.date):
        read_as = f"the date {value.isoformat()}"
    elif isinstance(value, list):
        return "must be text, not a list"
    elif isinstance(value, dict):
        return "must be text, not a mapping (is there a ': ' in it? then put it in quotes)"
    else:
        return f"must be text; got {_show(value)}"
    return f"must be text, but YAML reads this value as {read_as}: put it in quotes"


def _join_names(names: Sequence[str]) -> str:
    quoted = [f"'{name}'" for name in names]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _closest(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A " (did you mean 'x'?)" hint naming the closest choice, or nothing."""
    close = _closest(word, choices)
    return f" (did you mean '{close}'?)" if close else ""


def _misspelt_fields(model: type[BaseModel], errors: Sequence[ErrorDetails]) -> set[Path]:
    """The paths of missing fields that an unknown field beside them is a misspelling of."""
    misspelt: set[Path] = set()
    for error in errors:
        loc: Path = tuple(error["loc"])
        if error["type"] != "extra_forbidden" or not loc:
            continue
        meant = _closest(str(loc[-1]), _fields_of(model, loc[:-1]))
        if meant is not None:
            misspelt.add((*loc[:-1], meant))
    return misspelt


def _show(value: object) -> str:
    if isinstance(value, str):
        return f"'{excerpt(value)}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, dt.date):
        return value.isoformat()
    return excerpt(repr(value))


def excerpt(text: str, size: int = _EXCERPT) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


# --- walking the models ----------------------------------------------------------------------


def _strip_optional(annotation: object) -> object:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _annotation_at(model: type[BaseModel], path: Path) -> object:
    annotation: object = model
    for part in path:
        annotation = _strip_optional(annotation)
        if isinstance(part, int):
            if get_origin(annotation) is not list:
                return None
            annotation = get_args(annotation)[0]
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(part)
            if info is None:
                return None
            annotation = info.annotation
        else:
            return None
    return _strip_optional(annotation)


def _fields_of(model: type[BaseModel], path: Path) -> list[str]:
    annotation = _annotation_at(model, path)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _enum_values(model: type[BaseModel], path: Path) -> list[str]:
    annotation = _annotation_at(model, path)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(member.value) for member in annotation]
    return []
