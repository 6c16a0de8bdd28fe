"""Telegram updates as they arrive: checks on a webhook body, and text a database can hold.

Pure functions on plain values. An update is the JSON object Telegram sends; the inbox
stores it as it came, except for the characters a PostgreSQL text or jsonb value cannot
hold (NUL, and halves of a UTF-16 surrogate pair that Python's JSON reader lets through).
"""

from __future__ import annotations

import json
from typing import Any

# The stored update_id is a BIGINT. Telegram's ids are positive and far below this.
UPDATE_ID_MAX = 2**63 - 1
# Levels of objects and arrays. A real update nests about ten deep (a press carries its
# message, which carries its keyboard, rows and buttons); a body nested deeper is not
# from Telegram, and each level costs a frame in every reader and writer of the payload.
MAX_DEPTH = 32


class BadUpdateError(ValueError):
    """A webhook body that is not a Telegram update; the message says why."""


def parse_update(body: bytes) -> dict[str, Any]:
    """Read a webhook body as an update, or raise BadUpdateError."""
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        raise BadUpdateError("nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN and Infinity
        raise BadUpdateError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise BadUpdateError("not a JSON object")
    if depth(value) > MAX_DEPTH:
        raise BadUpdateError(f"nested more than {MAX_DEPTH} levels deep")
    if not valid_update_id(value.get("update_id")):
        raise BadUpdateError("no update_id between 0 and 2**63 - 1")
    return value


def _refuse_constant(name: str) -> Any:
    # Python's reader accepts NaN and Infinity; JSON (and PostgreSQL's jsonb) does not.
    raise ValueError(f"{name} is not JSON")


def valid_update_id(value: object) -> bool:
    """Whether a value can be an update_id: an integer in the range the inbox stores."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= UPDATE_ID_MAX


def depth(value: object) -> int:
    """Levels of nested objects and arrays (0 for a plain value); no recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def clean_text(text: str) -> str:
    """Drop NUL characters and replace lone surrogates with U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A pair of surrogates becomes the character it encodes; a lone half becomes U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def clean_payload(value: Any) -> Any:
    """The value with every string (keys included) cleaned; the same object if all were clean.

    Returning the very object when nothing changed lets a caller keep what it parsed from it.
    """
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        items = [
            (clean_text(k) if isinstance(k, str) else k, clean_payload(v))
            for k, v in value.items()
        ]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(items, value.items(), strict=True)):
            return value
        return dict(items)
    if isinstance(value, list):
        cleaned = [clean_payload(v) for v in value]
        if all(v is v0 for v, v0 in zip(cleaned, value, strict=True)):
            return value
        return cleaned
    return value


# Updates a user sends, which the per-user limit counts (domain/flood.py). Membership
# changes (a block, an unblock) are not counted: they are few, and must not be lost.
SENT_BY_USER = ("message", "edited_message", "callback_query")


def sender_of(payload: dict[str, Any]) -> int | None:
    """The id of the user who sent a message or pressed a button, or None."""
    for key in SENT_BY_USER:
        part = payload.get(key)
        if isinstance(part, dict):
            user = part.get("from")
            if isinstance(user, dict) and isinstance(user.get("id"), int):
                return int(user["id"])
            return None
    return None
