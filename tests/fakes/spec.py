"""Bot API method table loaded from tests/data/telegram-bot-api.json, used to check calls."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_SPEC_PATH = Path(__file__).resolve().parent.parent / "data" / "telegram-bot-api.json"

_PRIMITIVES = {"String", "Integer", "Boolean", "Float"}


class SpecError(Exception):
    """A parameter that Telegram would refuse; the message is the full error description."""


@dataclass(frozen=True)
class UploadedFile:
    """A file that arrived as a multipart part."""

    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of a Bot API method."""

    name: str
    types: tuple[str, ...]
    required: bool

    @property
    def accepts_file(self) -> bool:
        """Whether an upload may be sent for this parameter."""
        return "InputFile" in self.types

    @property
    def is_json(self) -> bool:
        """Whether the value is an object or array that form bodies carry JSON-encoded."""
        return any(t not in _PRIMITIVES and t != "InputFile" for t in self.types)


@dataclass(frozen=True)
class MethodSpec:
    """One Bot API method with its parameters."""

    name: str
    fields: dict[str, FieldSpec]


class BotApiSpec:
    """The Bot API methods and types, looked up case-insensitively like Telegram does."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = str(data.get("version", ""))
        self.methods: dict[str, MethodSpec] = {}
        for name, method in data["methods"].items():
            fields = {
                f["name"]: FieldSpec(f["name"], tuple(f["types"]), bool(f["required"]))
                for f in method.get("fields", [])
            }
            self.methods[name.lower()] = MethodSpec(name, fields)
        self.types: dict[str, Any] = data.get("types", {})

    @classmethod
    def load(cls, path: Path = DEFAULT_SPEC_PATH) -> BotApiSpec:
        """Read the spec from a JSON file (cached per path)."""
        return _load_cached(str(path))

    def method(self, name: str) -> MethodSpec | None:
        """Find a method by name, ignoring case."""
        return self.methods.get(name.lower())

    def type_fields(self, type_name: str) -> set[str]:
        """Names of the fields of an API type, empty if unknown."""
        return {f["name"] for f in self.types.get(type_name, {}).get("fields", [])}


@cache
def _load_cached(path: str) -> BotApiSpec:
    return BotApiSpec(json.loads(Path(path).read_text(encoding="utf-8")))


def coerce_params(
    method: MethodSpec, raw: dict[str, Any], files: dict[str, UploadedFile]
) -> dict[str, Any]:
    """Check presence and unknown names, then turn raw values into typed ones."""
    unknown = sorted(set(raw) - set(method.fields))
    if unknown:
        # Telegram silently ignores unknown parameters; the fake is stricter so typos surface.
        raise SpecError(f'Bad Request: unknown parameter "{unknown[0]}" for method {method.name}')
    params: dict[str, Any] = {}
    for name, value in raw.items():
        params[name] = _coerce(method.fields[name], value, files)
    for field in method.fields.values():
        if field.required and field.name not in params and field.name not in files:
            raise SpecError(f"Bad Request: {_missing_description(method.name, field.name)}")
    return params


def _missing_description(method: str, field: str) -> str:
    if field == "text" and method.lower() in {"sendmessage", "editmessagetext"}:
        return "message text is empty"
    return f"{field} is empty"


def _coerce(field: FieldSpec, value: Any, files: dict[str, UploadedFile]) -> Any:
    types = field.types
    if isinstance(value, UploadedFile):
        if not field.accepts_file:
            raise SpecError(f'Bad Request: parameter "{field.name}" can\'t be a file')
        return value
    if field.accepts_file and isinstance(value, str) and value.startswith("attach://"):
        attached = files.get(value.removeprefix("attach://"))
        if attached is None:
            raise SpecError(f"Bad Request: file {value} not found in the request")
        return attached
    if field.is_json and isinstance(value, str) and not set(types) & {"String", "Integer"}:
        try:
            return json.loads(value)
        except ValueError:
            raise SpecError(f"Bad Request: can't parse {field.name} JSON object") from None
    if types == ("Integer", "String"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value)
        return int(text) if _is_int(text) else text
    if types == ("Integer",):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _is_int(value):
            return int(value)
        raise SpecError(f'Bad Request: field "{field.name}" must be of type Integer')
    if types == ("Float",):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise SpecError(f'Bad Request: field "{field.name}" must be of type Float') from None
    if types == ("Boolean",):
        if isinstance(value, bool):
            return value
        lowered = str(value).lower()
        if lowered in {"true", "1"}:
            return True
        if lowered in {"false", "0", ""}:
            return False
        raise SpecError(f'Bad Request: field "{field.name}" must be of type Boolean')
    if isinstance(value, dict | list):
        return value
    return str(value) if not isinstance(value, str) else value


def _is_int(text: str) -> bool:
    body = text[1:] if text.startswith("-") else text
    return body.isdigit() and body.isascii()
