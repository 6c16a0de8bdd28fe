"""Problems at their lines, and pydantic's errors worded for the people who write quizzes.

`Report` collects the problems of one file, each placed at the line of a path in it; it turns
the models' validation errors into messages such as "unknown field 'qestion' in item 2 ('c02')
(did you mean 'question'?)". Each message is a `Text` (bot/domain/text.py): English here, and
rendered in the reader's language by the adapters.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
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
from bot.domain.text import ENGLISH, N_, NN_, Catalog, Text, Value, joined, say, say_n, verbatim

Severity = Literal["error", "warning"]

# An entry of a list named by its number, and by its id where it has one.
_ENTRY_NAMES: Final = {
    "items": (N_("item {number}"), N_("item {number} ('{id}')")),
    "options": (N_("option {number}"), None),
    "references": (N_("reference {number}"), None),
    "skills": (N_("skill {number}"), N_("skill {number} ('{id}')")),
    "claims": (N_("claim {number}"), N_("claim {number} ('{id}')")),
}
_ENTRY: Final = N_("entry {number}")
_PATTERN_HELP: Final = {
    ITEM_ID_PATTERN: N_(
        "must be 1 to 40 letters, digits, '-' or '_', starting with a letter or digit"
    ),
    SLUG_PATTERN: N_(
        "must be lower-case letters, digits and hyphens, starting with a letter or digit"
    ),
    CLAIM_ID_PATTERN: N_(
        "must be 1 to 20 letters, digits, '.', '-' or '_', starting with a letter or digit"
    ),
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$": N_("must be a language code such as 'en' or 'pt-BR'"),
}
_EXCERPT: Final = 40


@dataclass(frozen=True)
class Problem:
    """One problem in a file, at a 1-based line.

    `wording` is the problem's text (plain words are taken as they are); `message` is its
    English, `render` the whole problem in a catalog's language.
    """

    file: str
    line: int
    wording: Text | str
    severity: Severity = "error"

    @property
    def text(self) -> Text:
        """The problem's words, to render in a reader's language."""
        wording = self.wording
        return wording if isinstance(wording, Text) else verbatim(wording)

    @functools.cached_property
    def message(self) -> str:
        """The problem in English."""
        return str(self.wording)

    def located(self) -> Text:
        """The problem as ``FILE:LINE: message``, the format editors and CI logs link to."""
        template = (
            N_("{file}:{line}: warning: {problem}")
            if self.severity == "warning"
            else N_("{file}:{line}: {problem}")
        )
        return say(template, file=self.file, line=self.line, problem=self.text)

    def render(self, catalog: Catalog = ENGLISH) -> str:
        """The problem as ``FILE:LINE: message`` in the language of `catalog`."""
        return self.located().render(catalog)

    def __str__(self) -> str:
        """Render as ``FILE:LINE: message`` in English."""
        return self.render()


def as_errors(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """The problems with every warning made an error, as `--strict` asks."""
    return tuple(replace(p, severity="error") for p in problems)


class Report:
    """Collects problems for one file, placing each at the line of a path."""

    def __init__(self, file: str, parsed: ParsedYaml) -> None:
        self.file = file
        self.parsed = parsed
        self.raw: object = parsed.value
        self.problems: list[Problem] = [Problem(file, p.line, p.wording) for p in parsed.problems]
        # Paths whose only problem is that they are still to be written (placeholders.py).
        self.hidden: frozenset[Path] = frozenset()

    def error(self, path: Path, message: Text) -> None:
        if path not in self.hidden:
            self.problems.append(Problem(self.file, self.parsed.line_of(path), message))

    def warning(self, path: Path, message: Text) -> None:
        if path not in self.hidden:
            self.problems.append(Problem(self.file, self.parsed.line_of(path), message, "warning"))

    def placeholder(self, path: Path, message: Text) -> None:
        """Report a part still to be written, the one problem shown at its path."""
        self.problems.append(Problem(self.file, self.parsed.line_of(path), message))

    def sorted(self) -> tuple[Problem, ...]:
        # The same problem found twice (in English, at the same line) is reported once.
        unique = {(p.file, p.line, p.message, p.severity): p for p in reversed(self.problems)}
        return tuple(sorted(unique.values(), key=lambda p: (p.line, p.message, p.severity)))

    def describe(self, path: Path) -> Text | None:
        """Name the part of the file at `path` for a reader: "item 3 ('c04-x'), option 2";
        None for the file as a whole."""
        parts: list[Value] = []
        node = self.raw
        for position, part in enumerate(path):
            node = _child(node, part)
            if isinstance(part, int):
                previous = path[position - 1] if position else ""
                plain, with_id = _ENTRY_NAMES.get(str(previous), (_ENTRY, None))
                ident = node.get("id") if isinstance(node, dict) else None
                if with_id is not None and isinstance(ident, str):
                    parts.append(say(with_id, number=part + 1, id=ident))
                else:
                    parts.append(say(plain, number=part + 1))
            elif position + 1 == len(path) or not isinstance(path[position + 1], int):
                parts.append(part)
        return joined(parts) if parts else None

    def entry(self, path: Path) -> Text:
        """Name an entry of a list (an item, a skill, a claim) for a reader."""
        label = self.describe(path)
        if label is None:
            raise ValueError("an entry has a path")
        return label

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
            names = _join_names(fields)
            missing_text = say_n(
                NN_("missing field {names}", "missing fields {names}"), len(fields), names=names
            )
            self.error(parent, placed(self.describe(parent), missing_text))

    def _message(self, model: type[BaseModel], loc: Path, error: ErrorDetails) -> Text:
        kind = error["type"]
        value = error.get("input")
        if kind == "invalid_key":
            return say(
                N_(
                    "the key {key} {where} is not a field name: field names are words "
                    "(YAML reads yes/no/on/off as true/false and digits as numbers)"
                ),
                key=_show(value),
                where=_where(self.describe(loc[:-1])),
            )
        field = loc[-1] if loc and isinstance(loc[-1], str) else None
        label = self.describe(loc[:-1] if field is not None else loc)

        if kind == "extra_forbidden":
            allowed = _fields_of(model, loc[:-1])
            hint = did_you_mean(str(field), allowed)
            if not hint and allowed:
                hint = say(N_(" (the fields here are: {fields})"), fields=", ".join(allowed))
            return say(
                N_("unknown field '{field}' {where}{hint}"),
                field=str(field),
                where=_where(label),
                hint=hint,
            )
        if field is None:  # the entry itself is wrong, e.g. an option written as plain text
            return _entry_message(label, loc, value)
        return placed(label, self._field_message(model, loc, field, error))

    def _field_message(
        self, model: type[BaseModel], loc: Path, field: str, error: ErrorDetails
    ) -> Text:
        kind = error["type"]
        value = error.get("input")
        ctx = error.get("ctx") or {}
        if kind in ("too_short", "too_long"):
            return _length_message(field, value, ctx)
        if kind == "enum":
            allowed = _enum_values(model, loc) or [str(ctx.get("expected", ""))]
            return say(
                N_("'{field}' must be one of: {allowed}; got {value}{hint}"),
                field=field,
                allowed=", ".join(allowed),
                value=_show(value),
                hint=did_you_mean(str(value), allowed),
            )
        if kind == "string_type":
            return _string_detail(field, value)
        if kind == "string_too_short":
            return say(N_("'{field}' is empty"), field=field)
        if kind == "string_pattern_mismatch":
            pattern = str(ctx.get("pattern", ""))
            rule = _PATTERN_HELP.get(pattern)
            return say(
                N_("'{field}' {rule}; got {value}"),
                field=field,
                rule=say(rule)
                if rule is not None
                else say(N_("must match the pattern {pattern}"), pattern=pattern),
                value=_show(value),
            )
        if kind in ("bool_type", "bool_parsing"):
            template = N_("'{field}' must be true or false; got {value}")
        elif kind.startswith("date") or kind.startswith("datetime"):
            template = N_("'{field}' must be a date such as 2025-01-31; got {value}")
        elif kind == "list_type":
            template = N_("'{field}' must be a list (lines that start with '- '); got {value}")
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            template = N_("'{field}' must be a mapping of 'key: value' lines; got {value}")
        else:
            # A check the messages do not word yet: pydantic's own English says what it is.
            return say(N_("'{field}': {reason}"), field=field, reason=error["msg"])
        return say(template, field=field, value=_show(value))


def placed(label: Text | None, problem: Text) -> Text:
    """`problem` after the part of the file it is about: "item 3 ('c04'): ..."."""
    if label is None:
        return problem
    return say(N_("{place}: {problem}"), place=label, problem=problem)


def _where(label: Text | None) -> Text:
    if label is None:
        return say(N_("at the top level"))
    return say(N_("in {place}"), place=label)


def _child(node: object, part: Key) -> object:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _entry_message(label: Text | None, loc: Path, value: object) -> Text:
    container = loc[-2] if len(loc) >= 2 else None
    if label is not None and container == "options" and isinstance(value, str | int | float):
        shown = excerpt(str(value))
        return placed(
            label, say(N_("write the option as '- text: {text}', not '- {text}'"), text=shown)
        )
    return say(
        N_("{place} must be a mapping of 'key: value' lines; got {value}"),
        place=label if label is not None else say(N_("the file")),
        value=_show(value),
    )


def _length_message(field: str, value: object, ctx: dict[str, Any]) -> Text:
    found = len(value) if isinstance(value, list) else ctx.get("actual_length")
    count = found if isinstance(found, int) else str(found)
    if field == "options":
        return say(
            N_("an item needs {low} to {high} options; this one has {count}"),
            low=MIN_OPTIONS,
            high=MAX_OPTIONS,
            count=count,
        )
    if field == "items":
        return say(N_("the quiz needs at least one item"))
    if field == "skills":
        return say(N_("the catalogue needs at least one skill"))
    if field == "claims":
        return say(N_("the claim list is empty; list at least one claim, or remove 'claims:'"))
    if "min_length" in ctx:
        return say(
            N_("'{field}' needs at least {low} entries; it has {count}"),
            field=field,
            low=str(ctx["min_length"]),
            count=count,
        )
    return say(
        N_("'{field}' may have at most {high} entries; it has {count}"),
        field=field,
        high=str(ctx.get("max_length")),
        count=count,
    )


def _string_detail(field: str, value: object) -> Text:
    if value is None:
        return say(N_("'{field}' is empty"), field=field)
    if isinstance(value, bool):
        read_as = say(
            N_("the boolean {value} (from yes/no/on/off/true/false)"), value=str(value).lower()
        )
    elif isinstance(value, int | float):
        read_as = say(N_("the number {value}"), value=str(value))
    elif isinstance(value, dt.date):
        read_as = say(N_("the date {value}"), value=value.isoformat())
    elif isinstance(value, list):
        return say(N_("'{field}' must be text, not a list"), field=field)
    elif isinstance(value, dict):
        return say(
            N_(
                "'{field}' must be text, not a mapping "
                "(is there a ': ' in it? then put it in quotes)"
            ),
            field=field,
        )
    else:
        return say(N_("'{field}' must be text; got {value}"), field=field, value=_show(value))
    return say(
        N_("'{field}' must be text, but YAML reads this value as {read_as}: put it in quotes"),
        field=field,
        read_as=read_as,
    )


def _join_names(names: Sequence[str]) -> Value:
    quoted = [f"'{name}'" for name in names]
    if len(quoted) == 1:
        return quoted[0]
    return say(N_("{names} and {last}"), names=", ".join(quoted[:-1]), last=quoted[-1])


def _closest(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> Value:
    """A " (did you mean 'x'?)" hint naming the closest choice, or nothing."""
    close = _closest(word, choices)
    return say(N_(" (did you mean '{word}'?)"), word=close) if close else ""


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


def _show(value: object) -> Value:
    if isinstance(value, str):
        return f"'{excerpt(value)}'"
    if isinstance(value, dict):
        return say(N_("a mapping"))
    if isinstance(value, list):
        return say(N_("a list"))
    if value is None:
        return say(N_("nothing"))
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
