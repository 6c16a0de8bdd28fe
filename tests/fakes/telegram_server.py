"""A fake Telegram Bot API server for end-to-end tests of the real python-telegram-bot stack.

Run standalone with ``python -m tests.fakes.telegram_server --port N --token T``; tests in
another process then drive simulated users through ``FakeServerClient`` (see control.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import hashlib
import inspect
import itertools
import json
import math
import mimetypes
import re
import signal
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from . import control
from .faults import SERVER_ERROR_TEXT, Fault, FaultRegistry
from .formatting import EntityParseError, ParsedText, parse_text
from .models import (
    SENDING_METHODS,
    Call,
    CallbackPress,
    ChatMessage,
    MessagePredicate,
    StoredFile,
    WaitTimeout,
    as_predicate,
)
from .spec import DEFAULT_SPEC_PATH, BotApiSpec, SpecError, UploadedFile, coerce_params

T = TypeVar("T")

DEFAULT_TOKEN = "123456:TEST-TOKEN"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_BOT_COMMAND_IN_TEXT = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_INLINE_BUTTON_ACTIONS = {
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
}
_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_SCOPE_TYPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}
# Without allowed_updates Telegram sends every update type except these.
_OPT_IN_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_BODY_KEY = web.RequestKey("fake_body", tuple)
_RECORDED_KEY = web.RequestKey("fake_recorded", bool)

CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """An error answer: HTTP status, Telegram description and optional parameters."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class ChatState:
    """One private chat between the bot and a simulated user."""

    chat: dict[str, Any]
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None
    actions: list[str] = field(default_factory=list)


@dataclass
class PendingCallback:
    """A callback query waiting for answerCallbackQuery."""

    press: CallbackPress
    created: float
    answer: dict[str, Any] | None = None


@dataclass
class WebhookState:
    """What setWebhook registered, plus delivery errors for getWebhookInfo."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class WebhookDelivery:
    """One POST of an update to the registered webhook."""

    update_id: int
    status: int
    at: float
    error: str | None = None


@dataclass
class _Poller:
    event: asyncio.Event
    conflict: bool = False


class FakeTelegramServer:
    """In-process fake of api.telegram.org for one bot token."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "quizbot_test_bot",
        *,
        bot_first_name: str = "Quiz Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        strict_rate_limits: bool = False,
        callback_query_timeout: float = 15.0,
        webhook_auto_delivery: bool = True,
        spec_path: Path = DEFAULT_SPEC_PATH,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.bot_id = int(token.split(":", 1)[0])
        self.host = host
        self.port = port
        self.strict_rate_limits = strict_rate_limits
        self.callback_query_timeout = callback_query_timeout
        self.webhook_auto_delivery = webhook_auto_delivery
        self.spec = BotApiSpec.load(spec_path)
        self.url = ""
        self.calls: list[Call] = []
        self.rejected: list[Call] = []
        self.faults = FaultRegistry()
        self.blocked: set[int] = set()
        self.files: dict[str, StoredFile] = {}
        self.chats: dict[int, ChatState] = {}
        self.users: dict[int, FakeUser] = {}
        self.update_history: dict[int, dict[str, Any]] = {}
        self.filtered_updates: list[dict[str, Any]] = []
        self.webhook: WebhookState | None = None
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.logged_out = False
        self.revision = 0
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._pending: list[dict[str, Any]] = []
        self._redeliveries: list[dict[str, Any]] = []
        self._allowed_updates: list[str] | None = None
        self._next_update_id = 1
        self._query_ids = itertools.count(4_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._callbacks: dict[str, PendingCallback] = {}
        self._poller: _Poller | None = None
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._webhook_wakeup = asyncio.Event()
        self._webhook_task: asyncio.Task[None] | None = None
        self._send_times: deque[float] = deque()
        self._chat_send_times: dict[int, float] = {}
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._handlers: dict[str, Callable[..., Any]] = {
            "getMe": self._get_me,
            "logOut": self._log_out,
            "close": self._close,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "setMyDescription": self._set_bot_text("description"),
            "getMyDescription": self._get_bot_text("description"),
            "setMyShortDescription": self._set_bot_text("short_description"),
            "getMyShortDescription": self._get_bot_text("short_description"),
            "setMyName": self._set_bot_text("name"),
            "getMyName": self._get_bot_text("name"),
            "getChat": self._get_chat,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
        }

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> FakeTelegramServer:
        """Bind to host:port (a free port when 0) and set self.url."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        control.register(app, self)
        # Cancel handlers whose client went away, so abandoned long polls do not linger.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])
        self.url = f"http://{self.host}:{self.port}"
        self._closing.clear()
        return self

    async def stop(self) -> None:
        """Wake long polls, stop webhook delivery and shut the HTTP server down."""
        self._closing.set()
        if self._poller is not None:
            self._poller.event.set()
        await self._stop_webhook_task()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegramServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def api_base_url(self) -> str:
        """Value for ApplicationBuilder.base_url."""
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        """Value for ApplicationBuilder.base_file_url."""
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------ test-side API

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        is_premium: bool = False,
    ) -> FakeUser:
        """The simulated user with this id, created (with a chat) on first use."""
        existing = self.users.get(user_id)
        if existing is not None:
            return existing
        user = FakeUser(self, user_id, first_name, last_name, username, language_code, is_premium)
        self.users[user_id] = user
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat["last_name"] = last_name
        if username:
            chat["username"] = username
        self.chats[user_id] = ChatState(chat)
        return user

    def calls_of(self, method: str) -> list[Call]:
        """Recorded calls of one method (name case-insensitive)."""
        wanted = method.lower()
        return [c for c in self.calls if c.method.lower() == wanted]

    def chat_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[ChatMessage]:
        """All messages of a chat (both sides) in order."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.messages.values() if include_deleted or not m.deleted]

    def enqueue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (an update_id is assigned when missing) and return it."""
        update = self._with_update_id(update)
        allowed = self.webhook.allowed_updates if self.webhook else self._allowed_updates
        if not _is_allowed(update, allowed):
            self.filtered_updates.append(update)
            return update
        self._pending.append(update)
        self._pending.sort(key=lambda u: u["update_id"])
        self._wake_consumers()
        return update

    def redeliver(self, update_id: int) -> dict[str, Any]:
        """Deliver an update once more, as Telegram does when a confirmation was lost."""
        update = copy.deepcopy(self.update_history[update_id])
        self._redeliveries.append(update)
        self._wake_consumers()
        return update

    @property
    def is_polling(self) -> bool:
        """Whether a getUpdates long poll is waiting right now."""
        return self._poller is not None

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates Telegram still holds (not yet confirmed by offset)."""
        return list(self._redeliveries) + list(self._pending)

    def block(self, chat_id: int, *, notify: bool = False) -> None:
        """The user blocks the bot: sends fail with 403 until unblock()."""
        self.blocked.add(chat_id)
        if notify:
            self._enqueue_member_update(chat_id, "member", "kicked")

    def unblock(self, chat_id: int, *, notify: bool = False) -> None:
        """The user unblocks the bot."""
        self.blocked.discard(chat_id)
        if notify:
            self._enqueue_member_update(chat_id, "kicked", "member")

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]] | None:
        """Commands stored by setMyCommands for a scope (None when never set)."""
        return self._commands.get(_scope_key(scope, language_code))

    def file_content(self, file: str | ChatMessage) -> bytes:
        """Bytes of a stored file, by file_id or from a message with a document/photo."""
        if isinstance(file, ChatMessage):
            if file.document is not None:
                file = str(file.document["file_id"])
            elif file.photo:
                file = str(file.photo[-1]["file_id"])
            else:
                raise LookupError(f"message {file.message_id} has no file")
        return self.files[file].content

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """What answerCallbackQuery said for a query, None while unanswered."""
        pending = self._callbacks.get(query_id)
        return pending.answer if pending else None

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        chat_id: int | None = None,
    ) -> list[Call]:
        """Wait until at least count calls of method were made (optionally for one chat)."""

        def check() -> list[Call] | None:
            found = [
                c
                for c in self.calls_of(method)
                if chat_id is None or str(c.params.get("chat_id")) == str(chat_id)
            ]
            return found if len(found) >= count else None

        return await self.wait_until(
            check,
            timeout,
            lambda: (
                f"expected {count} {method} call(s); calls: "
                + ", ".join(f"{c.method}:{c.status}" for c in self.calls)
            ),
        )

    async def wait_until(
        self,
        check: Callable[[], T | None],
        timeout: float,  # noqa: ASYNC109
        describe: Callable[[], str],
    ) -> T:
        """Re-run check on every state change until it returns something truthy, or time out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise WaitTimeout(f"timed out after {timeout}s: {describe()}")
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def deliver_to_webhook(self, update: dict[str, Any]) -> int:
        """POST an update to the registered webhook with its secret; return the HTTP status."""
        if self.webhook is None:
            raise RuntimeError("no webhook is set; the bot has to call setWebhook first")
        update = self._with_update_id(update)
        status, error = await self._post_to_webhook(update)
        if error is not None:
            raise ConnectionError(error)
        return status

    def reset_calls(self) -> None:
        """Forget recorded calls and rejections."""
        self.calls.clear()
        self.rejected.clear()

    # ----------------------------------------------------------------- internals

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _bump(self) -> int:
        self.revision += 1
        return self.revision

    def _with_update_id(self, update: dict[str, Any]) -> dict[str, Any]:
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        self.update_history[update["update_id"]] = update
        return update

    def _wake_consumers(self) -> None:
        if self._poller is not None:
            self._poller.event.set()
        self._webhook_wakeup.set()
        self._notify()

    def _enqueue_member_update(self, chat_id: int, old: str, new: str) -> None:
        chat = self.chats[chat_id].chat
        user = self.users[chat_id].info
        bot = self._bot_user()
        self.enqueue_update(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": user,
                    "date": int(time.time()),
                    "old_chat_member": {"status": old, "user": bot}
                    | ({"until_date": 0} if old == "kicked" else {}),
                    "new_chat_member": {"status": new, "user": bot}
                    | ({"until_date": 0} if new == "kicked" else {}),
                }
            }
        )

    def _new_message(self, chat: ChatState, *, from_bot: bool, **fields: Any) -> ChatMessage:
        message = ChatMessage(
            chat_id=int(chat.chat["id"]),
            message_id=chat.next_message_id,
            from_bot=from_bot,
            date=int(time.time()),
            sender=self._bot_user() if from_bot else self.users[int(chat.chat["id"])].info,
            chat=chat.chat,
            revision=self._bump(),
            **fields,
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        self._notify()
        return message

    def _store_file(
        self, content: bytes, file_name: str | None, mime_type: str | None, folder: str
    ) -> StoredFile:
        number = next(self._file_ids)
        prefix = {"photos": "AgACAgIAAxk", "documents": "BQACAgIAAxk"}.get(folder, "CAACAgIAAxk")
        suffix = Path(file_name).suffix if file_name else (".jpg" if folder == "photos" else "")
        stored = StoredFile(
            file_id=f"{prefix}-fake-{number}",
            file_unique_id=hashlib.sha256(content).hexdigest()[:16],
            file_path=f"{folder}/file_{number}{suffix}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    # -------------------------------------------------------------- HTTP layer

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._dispatch(request)
        except asyncio.CancelledError:
            # The client hung up (timeout or shutdown) before getting an answer.
            if not request.get(_RECORDED_KEY):
                method = request.match_info["method"]
                spec = self.spec.method(method)
                name = spec.name if spec is not None else method
                params, files = request.get(_BODY_KEY, ({}, {}))
                call = Call(name, params, files, {}, 499, time.monotonic(), injected=True)
                self.calls.append(call)
                self._notify()
            raise

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        spec = self.spec.method(request.match_info["method"])
        method = spec.name if spec is not None else request.match_info["method"]
        try:
            raw, files = await _read_body(request)
        except ValueError as exc:
            return self._finish(
                method, {}, {}, ApiError(400, f"Bad Request: {exc}"), request=request
            )
        request[_BODY_KEY] = (raw, files)
        if not _TOKEN_RE.match(token):
            return self._finish(method, raw, files, ApiError(404, "Not Found"), request=request)
        if token != self.token or self.logged_out:
            return self._finish(method, raw, files, ApiError(401, "Unauthorized"), request=request)
        if spec is None:
            return self._finish(
                method, raw, files, ApiError(404, "Not Found: method not found"), request=request
            )

        fault = self.faults.take(method, raw.get("chat_id"))
        if fault is not None:
            injected = await self._apply_fault_before(fault, request)
            if injected is not None:
                return self._finish(method, raw, files, injected, injected=True, request=request)
        chat_id = raw.get("chat_id")
        if chat_id is not None and _as_int(chat_id) in self.blocked:
            error = ApiError(403, "Forbidden: bot was blocked by the user")
            return self._finish(method, raw, files, error, injected=True, request=request)

        for name, upload in files.items():
            if name in spec.fields and name not in raw:
                raw[name] = upload
        params: dict[str, Any] = raw
        try:
            params = coerce_params(spec, raw, files)
            request[_BODY_KEY] = (params, files)
            self._check_rate(method, params.get("chat_id"))
            handler = self._handlers.get(method)
            if handler is None:
                raise _bad(f"method {method} is not supported by the fake Telegram server")
            outcome = handler(params)
            result = await outcome if inspect.isawaitable(outcome) else outcome
        except SpecError as exc:
            return self._finish(method, params, files, ApiError(400, str(exc)), request=request)
        except ApiError as exc:
            return self._finish(method, params, files, exc, request=request)
        response = self._finish(method, params, files, result, request=request)
        if fault is not None and fault.when == "after":
            await self._apply_fault_after(fault, request)
        return response

    async def _apply_fault_before(self, fault: Fault, request: web.Request) -> ApiError | None:
        seconds = fault.params.get("seconds", 1)
        if fault.kind == "retry_after":
            return ApiError(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )
        if fault.kind == "server_error":
            status = int(fault.params.get("status", 500))
            return ApiError(status, SERVER_ERROR_TEXT[status])
        if fault.kind == "blocked":
            return ApiError(403, "Forbidden: bot was blocked by the user")
        if fault.when == "before":
            if fault.kind == "delay":
                await self._sleep(float(seconds))
            elif fault.kind == "drop":
                return ApiError(0, "connection dropped")
        return None

    async def _apply_fault_after(self, fault: Fault, request: web.Request) -> None:
        if fault.kind == "delay":
            await self._sleep(float(fault.params.get("seconds", 1)))
        elif fault.kind == "drop":
            _drop_connection(request)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    def _finish(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, UploadedFile],
        outcome: Any,
        *,
        request: web.BaseRequest,
        injected: bool = False,
    ) -> web.StreamResponse:
        if isinstance(outcome, ApiError):
            status = outcome.status
            body: dict[str, Any] = {
                "ok": False,
                "error_code": status,
                "description": outcome.description,
            }
            if outcome.parameters:
                body["parameters"] = outcome.parameters
        else:
            status, body = 200, {"ok": True, "result": outcome}
            if method == "setWebhook":
                body["description"] = (
                    "Webhook was set" if params.get("url") else "Webhook was deleted"
                )
            elif method == "deleteWebhook":
                body["description"] = "Webhook was deleted"
        gone = _client_gone(request)
        request[_RECORDED_KEY] = True
        call = Call(
            method,
            params,
            files,
            body,
            499 if gone and status == 409 else status,
            time.monotonic(),
            injected=injected or status == 0,
        )
        self.calls.append(call)
        if 400 <= call.status < 499 and not call.injected:
            self.rejected.append(call)
        self._notify()
        if status == 0:
            _drop_connection(request)
            return web.Response(status=204)
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.content,
                    content_type=stored.mime_type or "application/octet-stream",
                )
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    def _check_rate(self, method: str, chat_id: Any) -> None:
        if not self.strict_rate_limits or method.lower() not in SENDING_METHODS:
            return
        now = asyncio.get_running_loop().time()
        while self._send_times and now - self._send_times[0] >= 1.0:
            self._send_times.popleft()
        wait = 0.0
        if len(self._send_times) >= 30:
            wait = 1.0 - (now - self._send_times[0])
        key = _as_int(chat_id)
        if key is not None and key in self._chat_send_times:
            wait = max(wait, 1.0 - (now - self._chat_send_times[key]))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )
        self._send_times.append(now)
        if key is not None:
            self._chat_send_times[key] = now

    # ------------------------------------------------------------ bot & updates

    def _get_me(self, _p: dict[str, Any]) -> dict[str, Any]:
        return self._bot_user() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _log_out(self, _p: dict[str, Any]) -> bool:
        self.logged_out = True
        return True

    def _close(self, _p: dict[str, Any]) -> bool:
        return True

    async def _get_updates(self, p: dict[str, Any]) -> list[Any]:
        if self.webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        if p.get("allowed_updates") is not None:
            self._allowed_updates = list(p["allowed_updates"]) or None
        self._confirm(p.get("offset"))
        limit = min(max(int(p.get("limit", 100)), 1), 100)
        timeout = max(int(p.get("timeout", 0)), 0)
        if self._poller is not None:
            self._poller.conflict = True
            self._poller.event.set()
        poller = _Poller(asyncio.Event())
        self._poller = poller
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                if poller.conflict:
                    raise ApiError(409, CONFLICT_OTHER_POLL)
                if self.webhook is not None:
                    raise ApiError(409, CONFLICT_WEBHOOK)
                batch = self._take_batch(limit)
                remaining = deadline - loop.time()
                if batch or remaining <= 0 or self._closing.is_set():
                    return batch
                poller.event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poller.event.wait(), remaining)
        finally:
            if self._poller is poller:
                self._poller = None

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

    def _take_batch(self, limit: int) -> list[dict[str, Any]]:
        batch = self._redeliveries[:limit]
        del self._redeliveries[: len(batch)]
        return batch + self._pending[: limit - len(batch)]

    def _set_webhook(self, p: dict[str, Any]) -> bool:
        url = str(p.get("url", ""))
        if not url:
            return self._delete_webhook(p)
        parsed = _split_url(url)
        if parsed is None:
            raise _bad("bad webhook: Failed to resolve host: Name or service not known")
        scheme, host, port = parsed
        if host not in _LOCAL_HOSTS:
            # Local http endpoints are allowed so PTB's own webhook server can be tested.
            if scheme != "https":
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            if port not in {80, 88, 443, 8443}:
                raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = p.get("secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise _bad("secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self._pending.clear()
        allowed = p.get("allowed_updates")
        self.webhook = WebhookState(
            url=url,
            secret_token=secret,
            max_connections=int(p.get("max_connections", 40)),
            allowed_updates=list(allowed) if allowed else None,
            ip_address=p.get("ip_address"),
        )
        if self._poller is not None:
            self._poller.event.set()
        if self.webhook_auto_delivery and self._webhook_task is None:
            self._webhook_task = asyncio.create_task(self._webhook_loop())
        self._webhook_wakeup.set()
        return True

    def _delete_webhook(self, p: dict[str, Any]) -> bool:
        self.webhook = None
        if p.get("drop_pending_updates"):
            self._pending.clear()
        self._webhook_wakeup.set()
        return True

    def _get_webhook_info(self, _p: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            info["ip_address"] = self.webhook.ip_address or "127.0.0.1"
            if self.webhook.allowed_updates:
                info["allowed_updates"] = self.webhook.allowed_updates
            if self.webhook.last_error_date is not None:
                info["last_error_date"] = self.webhook.last_error_date
                info["last_error_message"] = self.webhook.last_error_message
        return info

    async def _webhook_loop(self) -> None:
        backoff = 0.05
        while not self._closing.is_set() and self.webhook is not None:
            if not self._pending and not self._redeliveries:
                self._webhook_wakeup.clear()
                await self._webhook_wakeup.wait()
                continue
            from_redelivery = bool(self._redeliveries)
            update = self._redeliveries[0] if from_redelivery else self._pending[0]
            status, error = await self._post_to_webhook(update)
            if 200 <= status < 300:
                queue = self._redeliveries if from_redelivery else self._pending
                if queue and queue[0] is update:
                    queue.pop(0)
                backoff = 0.05
                continue
            if self.webhook is not None:
                self.webhook.last_error_date = int(time.time())
                self.webhook.last_error_message = (
                    error or f"Wrong response from the webhook: {status}"
                )
            await self._sleep(backoff)
            backoff = min(backoff * 2, 1.0)
        self._webhook_task = None

    async def _post_to_webhook(self, update: dict[str, Any]) -> tuple[int, str | None]:
        assert self.webhook is not None
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        headers = {"Content-Type": "application/json"}
        if self.webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook.secret_token
        status, error = 0, None
        try:
            async with self._session.post(
                self.webhook.url, data=json.dumps(update), headers=headers
            ) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"Connection failed: {exc!r}"
        self.webhook_deliveries.append(
            WebhookDelivery(int(update["update_id"]), status, time.monotonic(), error)
        )
        self._notify()
        return status, error

    async def _stop_webhook_task(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # ---------------------------------------------------------- commands & misc

    def _set_my_commands(self, p: dict[str, Any]) -> bool:
        commands = p["commands"]
        if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.match(name):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._checked_scope_key(p)
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self._commands.get(self._checked_scope_key(p), []))

    def _delete_my_commands(self, p: dict[str, Any]) -> bool:
        self._commands.pop(self._checked_scope_key(p), None)
        return True

    def _checked_scope_key(self, p: dict[str, Any]) -> tuple[str, str]:
        scope = p.get("scope")
        if scope is not None:
            if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
                raise _bad("can't parse BotCommandScope JSON object")
            if scope["type"] in {"chat", "chat_administrators", "chat_member"}:
                self._chat(scope.get("chat_id"))
        language_code = str(p.get("language_code", ""))
        # "A two-letter ISO 639-1 language code", or empty for every language.
        if language_code and not re.fullmatch(r"[a-z]{2}", language_code):
            raise _bad("LANGUAGE_CODE_INVALID")
        return _scope_key(scope, language_code)

    def _set_chat_menu_button(self, p: dict[str, Any]) -> bool:
        chat_id = p.get("chat_id")
        if chat_id is not None:
            self._chat(chat_id)
        button = p.get("menu_button", {"type": "default"})
        if not isinstance(button, dict) or button.get("type") not in {
            "default",
            "commands",
            "web_app",
        }:
            raise _bad("can't parse menu button JSON object")
        self.menu_buttons[_as_int(chat_id)] = button
        return True

    def _get_chat_menu_button(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.menu_buttons.get(_as_int(p.get("chat_id")), {"type": "default"})

    def _set_bot_text(self, kind: str) -> Callable[[dict[str, Any]], bool]:
        def handler(p: dict[str, Any]) -> bool:
            self.bot_texts[(kind, str(p.get("language_code", "")))] = str(p.get(kind, ""))
            return True

        return handler

    def _get_bot_text(self, kind: str) -> Callable[[dict[str, Any]], dict[str, str]]:
        def handler(p: dict[str, Any]) -> dict[str, str]:
            language = str(p.get("language_code", ""))
            text = self.bot_texts.get((kind, language)) or self.bot_texts.get((kind, ""))
            if kind == "name" and not text:
                text = self.bot_first_name
            return {kind: text or ""}

        return handler

    def _get_chat(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p["chat_id"]).chat
        return chat | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    # ------------------------------------------------------------- messaging

    def _chat(self, chat_id: Any) -> ChatState:
        key = _as_int(chat_id)
        if key is None and isinstance(chat_id, str) and chat_id.startswith("@"):
            for user in self.users.values():
                if user.username and user.username.lower() == chat_id[1:].lower():
                    key = user.user_id
        chat = self.chats.get(key) if key is not None else None
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _parse_text(self, p: dict[str, Any]) -> ParsedText:
        try:
            parsed = parse_text(str(p.get("text", "")), p.get("parse_mode"), p.get("entities"))
        except EntityParseError as exc:
            raise ApiError(400, str(exc)) from None
        if not parsed.text:
            raise _bad("message text is empty")
        if parsed.length > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        return parsed

    def _parse_caption(self, p: dict[str, Any]) -> ParsedText | None:
        if p.get("caption") is None:
            return None
        try:
            parsed = parse_text(str(p["caption"]), p.get("parse_mode"), p.get("caption_entities"))
        except EntityParseError as exc:
            raise ApiError(400, str(exc)) from None
        if parsed.length > MAX_CAPTION_LENGTH:
            raise _bad("message caption is too long")
        return parsed if parsed.text else None

    def _markup(self, chat: ChatState, markup: Any, *, inline_only: bool = False) -> Any:
        """Validate reply_markup; return the inline keyboard to attach (or None)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _check_inline_keyboard(markup["inline_keyboard"])
            return markup
        if inline_only:
            raise _bad("can't parse inline keyboard markup JSON object")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad(
                    'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
                )
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        elif not markup.get("force_reply"):
            raise _bad("can't parse reply keyboard markup JSON object")
        return None

    def _reply_to(self, chat: ChatState, p: dict[str, Any]) -> int | None:
        reply = p.get("reply_parameters")
        if not isinstance(reply, dict) or "message_id" not in reply:
            return None
        target = chat.messages.get(int(reply["message_id"]))
        if target is None or target.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise _bad("message to be replied not found")
        return target.message_id

    def _send_message(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p["chat_id"])
        parsed = self._parse_text(p)
        markup = self._markup(chat, p.get("reply_markup"))
        message = self._new_message(
            chat,
            from_bot=True,
            text=parsed.text,
            entities=parsed.entities,
            reply_markup=markup,
            reply_to_message_id=self._reply_to(chat, p),
            sent_text=str(p["text"]),
            parse_mode=p.get("parse_mode"),
        )
        return message.to_api()

    def _upload(self, p: dict[str, Any], name: str, folder: str) -> StoredFile:
        value = p[name]
        if isinstance(value, UploadedFile):
            if not value.content:
                raise _bad("file must be non-empty")
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.filename)[0] or "application/octet-stream"
            return self._store_file(value.content, value.filename, mime, folder)
        text = str(value)
        if text in self.files:
            return self.files[text]
        if text.startswith(("http://", "https://")):
            # The fake does not fetch URLs; it remembers them as empty files.
            stored = self._store_file(b"", Path(text).name or None, None, folder)
            stored.url = text
            return stored
        raise _bad("wrong file identifier/HTTP URL specified")

    def _send_document(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p["chat_id"])
        caption = self._parse_caption(p)
        markup = self._markup(chat, p.get("reply_markup"))
        stored = self._upload(p, "document", "documents")
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        message = self._new_message(
            chat,
            from_bot=True,
            document=document,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else [],
            reply_markup=markup,
            reply_to_message_id=self._reply_to(chat, p),
        )
        return message.to_api()

    def _send_photo(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p["chat_id"])
        caption = self._parse_caption(p)
        markup = self._markup(chat, p.get("reply_markup"))
        stored = self._upload(p, "photo", "photos")
        if stored.url is None:
            size = _image_size(stored.content)
            if size is None:
                raise _bad("IMAGE_PROCESS_FAILED")
        else:
            size = (800, 600)
        photo = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.size,
                "width": size[0],
                "height": size[1],
            }
        ]
        message = self._new_message(
            chat,
            from_bot=True,
            photo=photo,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else [],
            reply_markup=markup,
            reply_to_message_id=self._reply_to(chat, p),
        )
        return message.to_api()

    def _send_chat_action(self, p: dict[str, Any]) -> bool:
        chat = self._chat(p["chat_id"])
        if p["action"] not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        chat.actions.append(str(p["action"]))
        return True

    def _editable(self, p: dict[str, Any]) -> tuple[ChatState, ChatMessage]:
        if p.get("inline_message_id") is not None:
            raise _bad("MESSAGE_ID_INVALID")
        if p.get("chat_id") is None or p.get("message_id") is None:
            raise _bad("message identifier is not specified")
        chat = self._chat(p["chat_id"])
        message = chat.messages.get(int(p["message_id"]))
        if message is None or message.deleted:
            raise _bad("message to edit not found")
        if not message.from_bot:
            raise _bad("message can't be edited")
        return chat, message

    def _apply_edit(self, message: ChatMessage, **changes: Any) -> dict[str, Any]:
        message.previous_texts.append(message.content)
        for name, value in changes.items():
            setattr(message, name, value)
        message.edit_date = int(time.time())
        message.revision = self._bump()
        self._notify()
        return message.to_api()

    def _edit_message_text(self, p: dict[str, Any]) -> dict[str, Any]:
        chat, message = self._editable(p)
        if p.get("text") is None:
            raise _bad("message text is empty")
        parsed = self._parse_text(p)
        markup = self._markup(chat, p.get("reply_markup"), inline_only=True)
        if message.text is None:
            raise _bad("there is no text in the message to edit")
        if (parsed.text, parsed.entities, markup) == (
            message.text,
            message.entities,
            message.reply_markup,
        ):
            raise ApiError(400, NOT_MODIFIED)
        return self._apply_edit(
            message,
            text=parsed.text,
            entities=parsed.entities,
            reply_markup=markup,
            sent_text=str(p["text"]),
            parse_mode=p.get("parse_mode"),
        )

    def _edit_message_caption(self, p: dict[str, Any]) -> dict[str, Any]:
        chat, message = self._editable(p)
        caption = self._parse_caption(p)
        markup = self._markup(chat, p.get("reply_markup"), inline_only=True)
        if message.text is not None:
            raise _bad("there is no caption in the message to edit")
        new_text = caption.text if caption else None
        new_entities = caption.entities if caption else []
        if (new_text, new_entities, markup) == (
            message.caption,
            message.caption_entities,
            message.reply_markup,
        ):
            raise ApiError(400, NOT_MODIFIED)
        return self._apply_edit(
            message, caption=new_text, caption_entities=new_entities, reply_markup=markup
        )

    def _edit_message_reply_markup(self, p: dict[str, Any]) -> dict[str, Any]:
        chat, message = self._editable(p)
        markup = self._markup(chat, p.get("reply_markup"), inline_only=True)
        if markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        return self._apply_edit(message, reply_markup=markup)

    def _delete_message(self, p: dict[str, Any]) -> bool:
        chat = self._chat(p["chat_id"])
        message = chat.messages.get(int(p["message_id"]))
        if message is None or message.deleted:
            raise _bad("message to delete not found")
        message.deleted = True
        message.revision = self._bump()
        self._notify()
        return True

    def _delete_messages(self, p: dict[str, Any]) -> bool:
        chat = self._chat(p["chat_id"])
        ids = p["message_ids"]
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("message_ids must contain 1-100 message identifiers")
        for message_id in ids:
            message = chat.messages.get(int(message_id))
            if message is not None and not message.deleted:
                message.deleted = True
                message.revision = self._bump()
        self._notify()
        return True

    def _answer_callback_query(self, p: dict[str, Any]) -> bool:
        pending = self._callbacks.get(str(p["callback_query_id"]))
        now = asyncio.get_running_loop().time()
        if (
            pending is None
            or pending.answer is not None
            or now - pending.created > self.callback_query_timeout
        ):
            raise ApiError(400, QUERY_TOO_OLD)
        text = p.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        pending.answer = {
            "text": text,
            "show_alert": bool(p.get("show_alert", False)),
            "url": p.get("url"),
            "cache_time": p.get("cache_time"),
        }
        self._notify()
        return True

    def _get_file(self, p: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(p["file_id"]))
        if stored is None:
            raise _bad("invalid file_id")
        if stored.size > MAX_DOWNLOAD_SIZE:
            raise _bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    # ------------------------------------------------------- simulated users

    def _user_update(self, message: ChatMessage) -> dict[str, Any]:
        return self.enqueue_update({"message": message.to_api()})

    def _press(self, user: FakeUser, message_id: int, data: str) -> CallbackPress:
        chat = self.chats[user.user_id]
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise LookupError(f"message {message_id} is not in the chat with {user.user_id}")
        query_id = str(next(self._query_ids))
        update = self.enqueue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.info,
                    "message": message.to_api(),
                    "chat_instance": str(-(10**18) - user.user_id),
                    "data": data,
                }
            }
        )
        press = CallbackPress(query_id, update["update_id"], message_id, data, self.revision)
        self._callbacks[query_id] = PendingCallback(press, asyncio.get_running_loop().time())
        return press


class FakeUser:
    """A simulated Telegram user chatting privately with the bot."""

    def __init__(
        self,
        server: FakeTelegramServer,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        is_premium: bool,
    ) -> None:
        self.server = server
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.is_premium = is_premium
        self._mark = server.revision

    @property
    def chat_id(self) -> int:
        """Private chats have the user's id."""
        return self.user_id

    @property
    def info(self) -> dict[str, Any]:
        """The User object Telegram puts in updates."""
        data: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        if self.is_premium:
            data["is_premium"] = True
        return data

    @property
    def chat(self) -> ChatState:
        """The chat state (messages, reply keyboard, chat actions)."""
        return self.server.chats[self.user_id]

    def mark(self) -> int:
        """Make wait_for_message look only at bot messages sent or edited from now on."""
        self._mark = self.server.revision
        return self._mark

    def send_text(self, text: str, *, reply_to: int | ChatMessage | None = None) -> ChatMessage:
        """Send a text message; "/cmd" words become bot_command entities."""
        self.mark()
        entities = [
            {
                "type": "bot_command",
                "offset": _utf16_index(text, m.start()),
                "length": _utf16_index(text, m.end()) - _utf16_index(text, m.start()),
            }
            for m in _BOT_COMMAND_IN_TEXT.finditer(text)
        ]
        reply_id = reply_to.message_id if isinstance(reply_to, ChatMessage) else reply_to
        message = self.server._new_message(
            self.chat,
            from_bot=False,
            text=text,
            entities=entities,
            reply_to_message_id=reply_id,
        )
        self.server._user_update(message)
        return message

    def send_document(
        self,
        filename: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        *,
        caption: str | None = None,
    ) -> ChatMessage:
        """Upload a document; the bot can getFile and download it."""
        self.mark()
        stored = self.server._store_file(content, filename, mime_type, "documents")
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": stored.size,
        }
        message = self.server._new_message(
            self.chat, from_bot=False, document=document, caption=caption
        )
        self.server._user_update(message)
        return message

    def press(self, message: ChatMessage | int, button: str) -> CallbackPress:
        """Press an inline button of a bot message, found by its text or callback_data."""
        current = self._current(message)
        found = current.find_button(button)
        if "callback_data" not in found:
            raise LookupError(f"button {button!r} has no callback_data: {found}")
        self.mark()
        return self.server._press(self, current.message_id, str(found["callback_data"]))

    def press_data(self, message: ChatMessage | int, data: str) -> CallbackPress:
        """Send a callback query with arbitrary data, as a forged client could."""
        message_id = message.message_id if isinstance(message, ChatMessage) else message
        self.mark()
        return self.server._press(self, message_id, data)

    def _current(self, message: ChatMessage | int) -> ChatMessage:
        message_id = message.message_id if isinstance(message, ChatMessage) else message
        current = self.chat.messages.get(message_id)
        if current is None or current.deleted or not current.from_bot:
            raise LookupError(f"no visible bot message {message_id} in chat {self.user_id}")
        return current

    def messages(self, *, include_deleted: bool = False) -> list[ChatMessage]:
        """Bot messages in this chat, oldest first, in their current state."""
        return [
            m
            for m in self.server.chat_messages(self.user_id, include_deleted=include_deleted)
            if m.from_bot
        ]

    def history(self) -> list[ChatMessage]:
        """Every visible message of the chat, from both sides."""
        return self.server.chat_messages(self.user_id)

    def last_message(self) -> ChatMessage | None:
        """The newest visible bot message."""
        messages = self.messages()
        return messages[-1] if messages else None

    def download(self, file: str | ChatMessage) -> bytes:
        """Bytes of a file the bot sent (by message or file_id)."""
        return self.server.file_content(file)

    def block_bot(self, *, notify: bool = False) -> None:
        """Block the bot: its sends to this user fail with 403."""
        self.server.block(self.user_id, notify=notify)

    def unblock_bot(self, *, notify: bool = False) -> None:
        """Unblock the bot."""
        self.server.unblock(self.user_id, notify=notify)

    async def wait_for_message(
        self,
        match: MessagePredicate | str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since: int | None = None,
    ) -> ChatMessage:
        """Wait for a bot message sent or edited after the last action that matches."""
        predicate = as_predicate(match)
        baseline = self._mark if since is None else since

        def check() -> ChatMessage | None:
            fresh = [m for m in self.messages() if m.revision > baseline and predicate(m)]
            return min(fresh, key=lambda m: m.revision) if fresh else None

        return await self.server.wait_until(
            check,
            timeout,
            lambda: (
                f"no matching bot message for user {self.user_id}; chat: "
                + repr([(m.message_id, m.content[:80]) for m in self.messages()])
            ),
        )

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until the bot made count calls of method for this chat."""
        return await self.server.wait_for_calls(method, count, timeout, chat_id=self.user_id)

    async def wait_for_answer(self, press: CallbackPress, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait until the bot answered the callback query of press."""
        return await self.server.wait_until(
            lambda: self.server.callback_answer(press.id),
            timeout,
            lambda: f"callback query {press.id} ({press.data!r}) was not answered",
        )


# ------------------------------------------------------------------- helpers


async def _read_body(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if not request.body_exists:
        return raw, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ValueError("can't parse JSON encoded request body") from None
        if not isinstance(body, dict):
            raise ValueError("JSON body must be an object")
        raw.update(body)
        return raw, files
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = UploadedFile(value.filename, value.file.read(), value.content_type or "")
        else:
            raw[name] = value if isinstance(value, str) else bytes(value).decode()
    return raw, files


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    count = 0
    for row in rows:
        for button in row:
            count += 1
            if not isinstance(button, dict):
                raise _bad(
                    "can't parse inline keyboard button: InlineKeyboardButton should be an Object"
                )
            if not isinstance(button.get("text"), str):
                raise _bad(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if not _INLINE_BUTTON_ACTIONS & set(button):
                raise _bad(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise _bad("BUTTON_DATA_INVALID")
            if "url" in button and not str(button["url"]).strip():
                raise _bad("BUTTON_URL_INVALID")
    if count > 100:
        raise _bad("reply markup is too long")


def _as_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    return None


def _scope_key(scope: dict[str, Any] | None, language_code: str) -> tuple[str, str]:
    return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code


def _is_allowed(update: dict[str, Any], allowed: list[str] | None) -> bool:
    kinds = [k for k in update if k != "update_id"]
    if not kinds:
        return True
    if allowed:
        return kinds[0] in allowed
    return kinds[0] not in _OPT_IN_UPDATES


def _split_url(url: str) -> tuple[str, str, int] | None:
    match = re.match(r"^(https?)://(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?", url)
    if match is None:
        return None
    scheme, host = match.group(1), match.group(2).strip("[]")
    port = int(match.group(3)) if match.group(3) else (443 if scheme == "https" else 80)
    return scheme, host, port


def _utf16_index(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def _image_size(content: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG; None when it is not an image."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    if content[:6] in {b"GIF87a", b"GIF89a"} and len(content) >= 10:
        width, height = struct.unpack("<HH", content[6:10])
        return int(width), int(height)
    if content.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(content):
            if content[i] != 0xFF:
                i += 1
                continue
            marker = content[i + 1]
            length = struct.unpack(">H", content[i + 2 : i + 4])[0]
            if marker in {0xC0, 0xC1, 0xC2}:
                height, width = struct.unpack(">HH", content[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
        return (1, 1)
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return (1, 1)
    return None


def _client_gone(request: web.BaseRequest) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _drop_connection(request: web.BaseRequest) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


# --------------------------------------------------------- standalone process


async def _serve(args: argparse.Namespace) -> None:
    server = FakeTelegramServer(
        args.token,
        args.bot_username,
        host=args.host,
        port=args.port,
        strict_rate_limits=args.strict_rate_limits,
    )
    await server.start()
    print(f"FAKE_TELEGRAM_URL={server.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: serve the fake until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server for tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="quizbot_test_bot")
    parser.add_argument("--strict-rate-limits", action="store_true")
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
