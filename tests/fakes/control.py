"""HTTP control API (/_control/...) over a fake server, and a client for other processes."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from types import EllipsisType, TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from aiohttp import web

from .models import Call, CallbackPress, ChatMessage, MessagePredicate, WaitTimeout, as_predicate

if TYPE_CHECKING:
    from .telegram_server import FakeTelegramServer

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def register(app: web.Application, server: FakeTelegramServer) -> None:
    """Add the /_control routes for server to app."""
    routes = _Routes(server)
    add = app.router.add_route
    add("POST", "/_control/users/{user_id}", routes.create_user)
    add("POST", "/_control/users/{user_id}/text", routes.send_text)
    add("POST", "/_control/users/{user_id}/document", routes.send_document)
    add("POST", "/_control/users/{user_id}/press", routes.press)
    add("POST", "/_control/users/{user_id}/press_data", routes.press_data)
    add("POST", "/_control/users/{user_id}/mark", routes.mark)
    add("POST", "/_control/chats/{chat_id}/block", routes.block)
    add("DELETE", "/_control/chats/{chat_id}/block", routes.unblock)
    add("GET", "/_control/chats/{chat_id}/messages", routes.messages)
    add("GET", "/_control/calls", routes.calls)
    add("DELETE", "/_control/calls", routes.reset_calls)
    add("GET", "/_control/rejected", routes.rejected)
    add("GET", "/_control/callbacks/{query_id}", routes.callback_answer)
    add("GET", "/_control/files/{file_id}", routes.file)
    add("POST", "/_control/updates", routes.enqueue)
    add("POST", "/_control/updates/{update_id}/redeliver", routes.redeliver)
    add("POST", "/_control/faults", routes.add_fault)
    add("DELETE", "/_control/faults", routes.clear_faults)
    add("GET", "/_control/commands", routes.commands)
    add("GET", "/_control/state", routes.state)
    add("POST", "/_control/webhook/deliver", routes.deliver)


def _guarded(handler: Handler) -> Handler:
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (LookupError, RuntimeError) as exc:
            return web.json_response({"error": str(exc)}, status=404)
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)

    return wrapper


class _Routes:
    """Handlers of the control API; thin wrappers over the in-process server."""

    def __init__(self, server: FakeTelegramServer) -> None:
        self.server = server
        for name in dir(self):
            if not name.startswith("_") and name != "server":
                setattr(self, name, _guarded(getattr(self, name)))

    def _user(self, request: web.Request) -> Any:
        user_id = int(request.match_info["user_id"])
        if user_id not in self.server.users:
            raise LookupError(f"unknown user {user_id}; POST /_control/users/{user_id} first")
        return self.server.users[user_id]

    async def create_user(self, request: web.Request) -> web.Response:
        body = await _json(request)
        user = self.server.user(
            int(request.match_info["user_id"]),
            body.get("first_name", "Test"),
            last_name=body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code", "en"),
            is_premium=bool(body.get("is_premium", False)),
        )
        return web.json_response({"user": user.info, "mark": user.mark()})

    async def send_text(self, request: web.Request) -> web.Response:
        body = await _json(request)
        user = self._user(request)
        message = user.send_text(body["text"], reply_to=body.get("reply_to"))
        return web.json_response({"message": message.to_dict(), "mark": user._mark})

    async def send_document(self, request: web.Request) -> web.Response:
        body = await _json(request)
        user = self._user(request)
        message = user.send_document(
            body["filename"],
            base64.b64decode(body["content_b64"]),
            body.get("mime_type", "application/octet-stream"),
            caption=body.get("caption"),
        )
        return web.json_response({"message": message.to_dict(), "mark": user._mark})

    async def press(self, request: web.Request) -> web.Response:
        body = await _json(request)
        user = self._user(request)
        press = user.press(int(body["message_id"]), body["button"])
        return web.json_response({"press": press.to_dict(), "mark": user._mark})

    async def press_data(self, request: web.Request) -> web.Response:
        body = await _json(request)
        user = self._user(request)
        press = user.press_data(int(body["message_id"]), body["data"])
        return web.json_response({"press": press.to_dict(), "mark": user._mark})

    async def mark(self, request: web.Request) -> web.Response:
        return web.json_response({"mark": self._user(request).mark()})

    async def block(self, request: web.Request) -> web.Response:
        body = await _json(request)
        self.server.block(int(request.match_info["chat_id"]), notify=bool(body.get("notify")))
        return web.json_response({"ok": True})

    async def unblock(self, request: web.Request) -> web.Response:
        notify = request.query.get("notify") == "1"
        self.server.unblock(int(request.match_info["chat_id"]), notify=notify)
        return web.json_response({"ok": True})

    async def messages(self, request: web.Request) -> web.Response:
        messages = self.server.chat_messages(
            int(request.match_info["chat_id"]),
            include_deleted=request.query.get("include_deleted") == "1",
        )
        return web.json_response(
            {"messages": [m.to_dict() for m in messages], "revision": self.server.revision}
        )

    async def calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        calls = self.server.calls_of(method) if method else self.server.calls
        since = int(request.query.get("since", 0))
        return web.json_response({"calls": [c.to_dict() for c in calls[since:]]})

    async def reset_calls(self, request: web.Request) -> web.Response:
        self.server.reset_calls()
        return web.json_response({"ok": True})

    async def rejected(self, request: web.Request) -> web.Response:
        return web.json_response({"calls": [c.to_dict() for c in self.server.rejected]})

    async def callback_answer(self, request: web.Request) -> web.Response:
        answer = self.server.callback_answer(request.match_info["query_id"])
        return web.json_response({"answer": answer})

    async def file(self, request: web.Request) -> web.Response:
        return web.Response(body=self.server.file_content(request.match_info["file_id"]))

    async def enqueue(self, request: web.Request) -> web.Response:
        body = await _json(request)
        return web.json_response({"update": self.server.enqueue_update(body["update"])})

    async def redeliver(self, request: web.Request) -> web.Response:
        update = self.server.redeliver(int(request.match_info["update_id"]))
        return web.json_response({"update": update})

    async def add_fault(self, request: web.Request) -> web.Response:
        body = await _json(request)
        times = body.get("times", ...)
        fault = self.server.faults.add(
            body["method"], body["kind"], times, **body.get("params", {})
        )
        return web.json_response({"fault": fault.to_dict()})

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.server.faults.clear(request.query.get("method"))
        return web.json_response({"ok": True})

    async def commands(self, request: web.Request) -> web.Response:
        scope = request.query.get("scope")
        commands = self.server.my_commands(
            json.loads(scope) if scope else None, request.query.get("language_code", "")
        )
        return web.json_response({"commands": commands})

    async def state(self, request: web.Request) -> web.Response:
        server = self.server
        webhook = None
        if server.webhook is not None:
            webhook = {"url": server.webhook.url, "secret_token": server.webhook.secret_token}
        return web.json_response(
            {
                "revision": server.revision,
                "pending_updates": server.pending_updates,
                "webhook": webhook,
                "blocked": sorted(server.blocked),
                "calls": len(server.calls),
                "rejected": len(server.rejected),
            }
        )

    async def deliver(self, request: web.Request) -> web.Response:
        body = await _json(request)
        status = await self.server.deliver_to_webhook(body["update"])
        return web.json_response({"status": status})


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("the control API expects a JSON object")
    return body


class FakeServerClient:
    """Drives a fake server running in another process through its control API."""

    def __init__(self, url: str, *, poll_interval: float = 0.02) -> None:
        self.url = url.rstrip("/")
        self.poll_interval = poll_interval
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FakeServerClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(self, verb: str, path: str, body: Any = None, **query: Any) -> Any:
        """Call the control API and return the decoded JSON answer."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        params = {k: str(v) for k, v in query.items() if v is not None}
        async with self._session.request(
            verb, f"{self.url}/_control{path}", json=body, params=params
        ) as response:
            if response.content_type != "application/json":
                if response.status >= 400:
                    raise RuntimeError(f"{verb} {path}: HTTP {response.status}")
                return await response.read()
            data = await response.json()
            if response.status == 404:
                raise LookupError(data.get("error"))
            if response.status >= 400:
                raise ValueError(data.get("error"))
            return data

    async def user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        is_premium: bool = False,
    ) -> RemoteUser:
        """Create (or fetch) a simulated user on the server."""
        body = {
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
            "is_premium": is_premium,
        }
        data = await self.request("POST", f"/users/{user_id}", body)
        return RemoteUser(self, user_id, data["user"], data["mark"])

    async def calls(self, method: str | None = None) -> list[Call]:
        """All recorded calls, or those of one method."""
        data = await self.request("GET", "/calls", method=method)
        return [Call.from_dict(c) for c in data["calls"]]

    async def calls_of(self, method: str) -> list[Call]:
        """Recorded calls of one method."""
        return await self.calls(method)

    async def rejected(self) -> list[Call]:
        """Calls Telegram would have rejected."""
        data = await self.request("GET", "/rejected")
        return [Call.from_dict(c) for c in data["calls"]]

    async def reset_calls(self) -> None:
        """Forget recorded calls."""
        await self.request("DELETE", "/calls")

    async def add_fault(
        self, method: str, kind: str, times: int | EllipsisType | None = ..., **params: Any
    ) -> dict[str, Any]:
        """Same as server.faults.add."""
        body: dict[str, Any] = {"method": method, "kind": kind, "params": params}
        if times is not ...:
            body["times"] = times
        return dict((await self.request("POST", "/faults", body))["fault"])

    async def clear_faults(self, method: str | None = None) -> None:
        """Remove fault rules (all, or one method's)."""
        await self.request("DELETE", "/faults", method=method)

    async def block(self, chat_id: int, *, notify: bool = False) -> None:
        """The user blocks the bot."""
        await self.request("POST", f"/chats/{chat_id}/block", {"notify": notify})

    async def unblock(self, chat_id: int, *, notify: bool = False) -> None:
        """The user unblocks the bot."""
        await self.request("DELETE", f"/chats/{chat_id}/block", notify="1" if notify else None)

    async def chat_messages(
        self, chat_id: int, *, include_deleted: bool = False
    ) -> list[ChatMessage]:
        """All messages of a chat (both sides)."""
        data = await self.request(
            "GET", f"/chats/{chat_id}/messages", include_deleted="1" if include_deleted else None
        )
        return [ChatMessage.from_dict(m) for m in data["messages"]]

    async def enqueue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update."""
        return dict((await self.request("POST", "/updates", {"update": update}))["update"])

    async def redeliver(self, update_id: int) -> dict[str, Any]:
        """Deliver an update once more."""
        return dict((await self.request("POST", f"/updates/{update_id}/redeliver"))["update"])

    async def deliver_to_webhook(self, update: dict[str, Any]) -> int:
        """POST an update to the registered webhook; return the HTTP status."""
        data = await self.request("POST", "/webhook/deliver", {"update": update})
        return int(data["status"])

    async def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]] | None:
        """Commands stored for a scope."""
        data = await self.request(
            "GET",
            "/commands",
            scope=json.dumps(scope) if scope else None,
            language_code=language_code,
        )
        commands: list[dict[str, Any]] | None = data["commands"]
        return commands

    async def state(self) -> dict[str, Any]:
        """Revision, pending updates, webhook and counters."""
        return dict(await self.request("GET", "/state"))

    async def file_content(self, file_id: str) -> bytes:
        """Bytes of a stored file."""
        return bytes(await self.request("GET", f"/files/{file_id}"))

    async def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """What answerCallbackQuery said, None while unanswered."""
        answer: dict[str, Any] | None = (await self.request("GET", f"/callbacks/{query_id}"))[
            "answer"
        ]
        return answer

    async def wait_until(
        self,
        check: Callable[[], Awaitable[T | None]],
        timeout: float,  # noqa: ASYNC109
        describe: Callable[[], str],
    ) -> T:
        """Poll check until it returns something truthy, or time out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = await check()
            if result:
                return result
            if loop.time() >= deadline:
                raise WaitTimeout(f"timed out after {timeout}s: {describe()}")
            await asyncio.sleep(self.poll_interval)

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        chat_id: int | None = None,
    ) -> list[Call]:
        """Wait until at least count calls of method were made."""

        async def check() -> list[Call] | None:
            found = [
                c
                for c in await self.calls(method)
                if chat_id is None or str(c.params.get("chat_id")) == str(chat_id)
            ]
            return found if len(found) >= count else None

        return await self.wait_until(check, timeout, lambda: f"expected {count} {method} call(s)")


class RemoteUser:
    """A simulated user on a fake server in another process (async twin of FakeUser)."""

    def __init__(
        self, client: FakeServerClient, user_id: int, info: dict[str, Any], mark: int
    ) -> None:
        self.client = client
        self.user_id = user_id
        self.info = info
        self._mark = mark

    @property
    def chat_id(self) -> int:
        """Private chats have the user's id."""
        return self.user_id

    async def mark(self) -> int:
        """Make wait_for_message look only at bot messages sent or edited from now on."""
        self._mark = int(
            (await self.client.request("POST", f"/users/{self.user_id}/mark"))["mark"]
        )
        return self._mark

    async def send_text(
        self, text: str, *, reply_to: int | ChatMessage | None = None
    ) -> ChatMessage:
        """Send a text message."""
        reply_id = reply_to.message_id if isinstance(reply_to, ChatMessage) else reply_to
        data = await self.client.request(
            "POST", f"/users/{self.user_id}/text", {"text": text, "reply_to": reply_id}
        )
        self._mark = data["mark"]
        return ChatMessage.from_dict(data["message"])

    async def send_document(
        self,
        filename: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        *,
        caption: str | None = None,
    ) -> ChatMessage:
        """Upload a document."""
        body = {
            "filename": filename,
            "content_b64": base64.b64encode(content).decode(),
            "mime_type": mime_type,
            "caption": caption,
        }
        data = await self.client.request("POST", f"/users/{self.user_id}/document", body)
        self._mark = data["mark"]
        return ChatMessage.from_dict(data["message"])

    async def press(self, message: ChatMessage | int, button: str) -> CallbackPress:
        """Press an inline button by text or callback_data."""
        message_id = message.message_id if isinstance(message, ChatMessage) else message
        data = await self.client.request(
            "POST", f"/users/{self.user_id}/press", {"message_id": message_id, "button": button}
        )
        self._mark = data["mark"]
        return CallbackPress(**data["press"])

    async def press_data(self, message: ChatMessage | int, data: str) -> CallbackPress:
        """Send a callback query with arbitrary data."""
        message_id = message.message_id if isinstance(message, ChatMessage) else message
        answer = await self.client.request(
            "POST", f"/users/{self.user_id}/press_data", {"message_id": message_id, "data": data}
        )
        self._mark = answer["mark"]
        return CallbackPress(**answer["press"])

    async def messages(self, *, include_deleted: bool = False) -> list[ChatMessage]:
        """Bot messages in this chat, oldest first."""
        messages = await self.client.chat_messages(self.user_id, include_deleted=include_deleted)
        return [m for m in messages if m.from_bot]

    async def history(self) -> list[ChatMessage]:
        """Every visible message of the chat, from both sides."""
        return await self.client.chat_messages(self.user_id)

    async def last_message(self) -> ChatMessage | None:
        """The newest visible bot message."""
        messages = await self.messages()
        return messages[-1] if messages else None

    async def download(self, file: str | ChatMessage) -> bytes:
        """Bytes of a file the bot sent."""
        if isinstance(file, ChatMessage):
            if file.document is not None:
                file = str(file.document["file_id"])
            elif file.photo:
                file = str(file.photo[-1]["file_id"])
            else:
                raise LookupError(f"message {file.message_id} has no file")
        return await self.client.file_content(file)

    async def block_bot(self, *, notify: bool = False) -> None:
        """Block the bot."""
        await self.client.block(self.user_id, notify=notify)

    async def unblock_bot(self, *, notify: bool = False) -> None:
        """Unblock the bot."""
        await self.client.unblock(self.user_id, notify=notify)

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

        async def check() -> ChatMessage | None:
            fresh = [m for m in await self.messages() if m.revision > baseline and predicate(m)]
            return min(fresh, key=lambda m: m.revision) if fresh else None

        return await self.client.wait_until(
            check, timeout, lambda: f"no matching bot message for user {self.user_id}"
        )

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until the bot made count calls of method for this chat."""
        return await self.client.wait_for_calls(method, count, timeout, chat_id=self.user_id)

    async def wait_for_answer(self, press: CallbackPress, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait until the bot answered the callback query of press."""
        return await self.client.wait_until(
            lambda: self.client.callback_answer(press.id),
            timeout,
            lambda: f"callback query {press.id} was not answered",
        )
