"""Plain data records shared by the fake server, its control API and the HTTP client."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .spec import UploadedFile

SENDING_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "sendaudio",
        "sendvideo",
        "sendanimation",
        "sendvoice",
        "sendvideonote",
        "sendsticker",
        "sendmediagroup",
        "sendlocation",
        "sendvenue",
        "sendcontact",
        "sendpoll",
        "senddice",
        "copymessage",
        "copymessages",
        "forwardmessage",
        "forwardmessages",
    }
)


class WaitTimeout(AssertionError):
    """A wait helper gave up; the message says what was seen instead."""


@dataclass
class Call:
    """One request the bot made, with the answer the fake gave."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    response: dict[str, Any]
    status: int
    at: float
    injected: bool = False

    @property
    def ok(self) -> bool:
        """Whether Telegram answered with ok=true."""
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        """The result field of a successful answer."""
        return self.response.get("result")

    @property
    def description(self) -> str:
        """The error description of a failed answer ("" when it succeeded)."""
        return str(self.response.get("description", ""))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form used by the control API."""
        return {
            "method": self.method,
            "params": _jsonable(self.params),
            "files": {name: _file_dict(f) for name, f in self.files.items()},
            "response": self.response,
            "status": self.status,
            "at": self.at,
            "injected": self.injected,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Call:
        """Inverse of to_dict."""
        files = {name: _file_from_dict(f) for name, f in data.get("files", {}).items()}
        params = {
            k: _file_from_dict(v) if isinstance(v, dict) and "__file__" in v else v
            for k, v in data["params"].items()
        }
        return cls(
            data["method"],
            params,
            files,
            data["response"],
            data["status"],
            data["at"],
            data.get("injected", False),
        )


def _file_dict(f: UploadedFile) -> dict[str, Any]:
    return {
        "__file__": True,
        "filename": f.filename,
        "content_type": f.content_type,
        "content_b64": base64.b64encode(f.content).decode(),
    }


def _file_from_dict(data: dict[str, Any]) -> UploadedFile:
    return UploadedFile(
        data["filename"], base64.b64decode(data["content_b64"]), data["content_type"]
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        return _file_dict(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


@dataclass
class StoredFile:
    """A file known to the fake: uploaded by the bot or by a simulated user."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.content)


@dataclass
class ChatMessage:
    """A message as it currently appears in a private chat."""

    chat_id: int
    message_id: int
    from_bot: bool
    date: int
    sender: dict[str, Any]
    chat: dict[str, Any]
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    photo: list[dict[str, Any]] | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    deleted: bool = False
    revision: int = 0
    sent_text: str | None = None
    parse_mode: str | None = None
    previous_texts: list[str] = field(default_factory=list)

    @property
    def content(self) -> str:
        """Text or caption, whichever the message shows ("" when none)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """Rows of inline keyboard buttons (empty when there is no inline keyboard)."""
        if not self.reply_markup:
            return []
        return [list(row) for row in self.reply_markup.get("inline_keyboard", [])]

    @property
    def button_texts(self) -> list[list[str]]:
        """Rows of inline button labels."""
        return [[str(b.get("text", "")) for b in row] for row in self.buttons]

    def find_button(self, label: str) -> dict[str, Any]:
        """The inline button whose text, or failing that callback_data, equals label."""
        flat = [b for row in self.buttons for b in row]
        for key in ("text", "callback_data"):
            for button in flat:
                if button.get(key) == label:
                    return button
        raise LookupError(
            f"no button {label!r} on message {self.message_id}; buttons: {self.button_texts}"
        )

    def to_api(self) -> dict[str, Any]:
        """The Message object Telegram would return or put in an update."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
        }
        if self.reply_to_message_id is not None:
            data["reply_to_message"] = {
                "message_id": self.reply_to_message_id,
                "chat": self.chat,
                "date": self.date,
            }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.document is not None:
            data["document"] = self.document
        if self.photo is not None:
            data["photo"] = self.photo
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form used by the control API."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatMessage:
        """Inverse of to_dict."""
        return cls(**data)


MessagePredicate = Callable[[ChatMessage], bool]


def as_predicate(match: MessagePredicate | str | None) -> MessagePredicate:
    """Accept a callable, a substring of the text/caption, or None for any message."""
    if match is None:
        return lambda _m: True
    if isinstance(match, str):
        needle = match
        return lambda m: needle in m.content
    return match


@dataclass
class CallbackPress:
    """A callback query a simulated user made by pressing an inline button."""

    id: str
    update_id: int
    message_id: int
    data: str
    revision: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form used by the control API."""
        return asdict(self)
