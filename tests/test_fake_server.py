"""The fake Telegram server behaves like the Bot API for the real python-telegram-bot."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes import FakeServerClient, FakeTelegramServer, WaitTimeout

PROJECT_ROOT = Path(__file__).resolve().parent.parent
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    """One row of callback buttons."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in buttons]])


@contextlib.asynccontextmanager
async def polling_app(
    server: FakeTelegramServer, *handlers: Any
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A real PTB Application polling the fake server."""
    app = (
        Application.builder()
        .token(server.token)
        .base_url(server.api_base_url)
        .base_file_url(server.file_base_url)
        .build()
    )
    for handler in handlers:
        app.add_handler(handler)

    async def collect_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        context.bot_data.setdefault("errors", []).append(context.error)

    app.add_error_handler(collect_error)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


@contextlib.asynccontextmanager
async def plain_bot(server: FakeTelegramServer, token: str | None = None) -> AsyncIterator[Bot]:
    """An initialised PTB Bot talking to the fake server."""
    bot = Bot(
        token or server.token,
        base_url=server.api_base_url,
        base_file_url=server.file_base_url,
    )
    async with bot:
        yield bot


async def raw_call(
    server: FakeTelegramServer, method: str, token: str | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    """POST form parameters straight to the fake, bypassing PTB's checks."""
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.url}/bot{token or server.token}/{method}", data=form) as response,
    ):
        return response.status, await response.json()


def png_bytes(width: int = 3, height: int = 2) -> bytes:
    """A tiny valid PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------- PTB round trip


async def test_start_reply_and_button_press_with_real_ptb(
    fake_telegram: FakeTelegramServer,
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            f"<b>Welcome</b>, args={context.args}",
            parse_mode="HTML",
            reply_markup=keyboard(("Play", "play:1"), ("Help", "help")),
        )

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Let's go")
        await query.edit_message_text(f"You chose {query.data}")

    ana = fake_telegram.user(1001, "Ana", language_code="pt")
    async with polling_app(
        fake_telegram, CommandHandler("start", start), CallbackQueryHandler(on_button)
    ):
        ana.send_text("/start ref_42")
        welcome = await ana.wait_for_message("Welcome", timeout=3)
        assert welcome.text == "Welcome, args=['ref_42']"
        assert welcome.entities == [{"type": "bold", "offset": 0, "length": 7}]
        assert welcome.button_texts == [["Play", "Help"]]

        press = ana.press(welcome, "Play")
        edited = await ana.wait_for_message("You chose", timeout=3)
        assert await ana.wait_for_answer(press) == {
            "text": "Let's go",
            "show_alert": False,
            "url": None,
            "cache_time": None,
        }

    assert edited.message_id == welcome.message_id
    assert edited.text == "You chose play:1"
    assert edited.reply_markup is None  # editMessageText without markup drops the keyboard
    assert edited.previous_texts == ["Welcome, args=['ref_42']"]
    assert [m.message_id for m in ana.messages()] == [welcome.message_id]
    methods = [c.method for c in fake_telegram.calls if c.method != "getUpdates"]
    assert methods == [
        "getMe",
        "deleteWebhook",
        "sendMessage",
        "answerCallbackQuery",
        "editMessageText",
    ]
    send = fake_telegram.calls_of("sendMessage")[0]
    assert send.params["chat_id"] == 1001
    assert send.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "play:1"
    assert fake_telegram.rejected == []


async def test_message_update_shape(fake_telegram: FakeTelegramServer) -> None:
    ana = fake_telegram.user(7, "Ana", username="ana_b", language_code="en")
    ana.send_text("hi /help@quizbot_test_bot now")
    status, body = await raw_call(fake_telegram, "getUpdates")
    assert status == 200
    [update] = body["result"]
    update_obj = Update.de_json(update, None)
    assert update_obj.message is not None
    assert update_obj.message.from_user is not None
    assert update_obj.message.from_user.username == "ana_b"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 3, "length": 22}]
    assert update["message"]["chat"] == {
        "id": 7,
        "type": "private",
        "first_name": "Ana",
        "username": "ana_b",
    }


# ------------------------------------------------------------------- limits


async def test_text_length_counts_parsed_text(fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.user(1, "Ana")
    async with plain_bot(fake_telegram) as bot:
        await bot.send_message(1, "x" * 4096)
        # Tags and entities do not count: 4096 visible characters are fine.
        await bot.send_message(1, "<b>" + "&lt;" * 4096 + "</b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(1, "x" * 4097)
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(1, "<i>" + "&amp;" * 4097 + "</i>", parse_mode="HTML")
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(1, "  \n ")
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(1, "<b></b>", parse_mode="HTML")
    assert [c.description for c in fake_telegram.rejected] == [
        "Bad Request: message is too long",
        "Bad Request: message is too long",
        "Bad Request: message text is empty",
        "Bad Request: message text is empty",
    ]
    assert fake_telegram.chat_messages(1)[1].text == "<" * 4096


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ('<span class="big">x</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_malformed_html_is_rejected(
    fake_telegram: FakeTelegramServer, text: str, error: str
) -> None:
    fake_telegram.user(1, "Ana")
    status, body = await raw_call(
        fake_telegram, "sendMessage", chat_id=1, text=text, parse_mode="HTML"
    )
    assert status == 400
    assert body["description"] == f"Bad Request: can't parse entities: {error}"
    assert len(fake_telegram.rejected) == 1


async def test_supported_html_and_markdown(fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.user(1, "Ana")
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike>"
        '<del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler>'
        '<a href="https://example.org/?a=1&amp;b=2">link</a><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>quote</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> &quot;&#65;&#x42;&nbsp;'
    )
    async with plain_bot(fake_telegram) as bot:
        sent = await bot.send_message(1, html, parse_mode="HTML")
        assert sent.text is not None
        assert sent.text.endswith('👍 "AB&nbsp;')
        types = [e.type for e in sent.entities]
        assert "text_link" in types
        assert "expandable_blockquote" in types
        link = next(e for e in sent.entities if e.type == "text_link")
        assert link.url == "https://example.org/?a=1&b=2"
        pre = next(e for e in sent.entities if e.type == "pre")
        assert pre.language == "python"
        md = await bot.send_message(
            1, r"*bold* _it_ __u__ ~s~ ||sp|| `c` [l](https://x.org) 1\.5", parse_mode="MarkdownV2"
        )
        assert md.text == "bold it u s sp c l 1.5"
        with pytest.raises(BadRequest, match=r"character '\.' is reserved"):
            await bot.send_message(1, "Score: 1.5", parse_mode="MarkdownV2")
        with pytest.raises(BadRequest, match="can't find end of bold entity at byte offset 0"):
            await bot.send_message(1, "*open", parse_mode="MarkdownV2")
        legacy = await bot.send_message(1, "*b* _i_ `c`", parse_mode="Markdown")
        assert legacy.text == "b i c"


async def test_caption_limit(fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.user(1, "Ana")
    async with plain_bot(fake_telegram) as bot:
        await bot.send_document(1, b"a,b\n", filename="a.csv", caption="c" * 1024)
        with pytest.raises(BadRequest, match="Message caption is too long"):
            await bot.send_document(1, b"a,b\n", filename="a.csv", caption="c" * 1025)


async def test_callback_data_must_be_1_to_64_bytes(fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.user(1, "Ana")
    async with plain_bot(fake_telegram) as bot:
        await bot.send_message(1, "ok", reply_markup=keyboard(("A", "é" * 32)))  # 64 bytes
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(1, "bad", reply_markup=keyboard(("A", "é" * 32 + "x")))
    status, body = await raw_call(
        fake_telegram,
        "sendMessage",
        chat_id=1,
        text="t",
        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": ""}]]},
    )
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    status, body = await raw_call(
        fake_telegram,
        "sendMessage",
        chat_id=1,
        text="t",
        reply_markup={"inline_keyboard": [[{"text": "plain"}]]},
    )
    assert status == 400
    assert "Text buttons are unallowed in the inline keyboard" in body["description"]
    assert len(fake_telegram.rejected) == 3


async def test_edit_not_modified_and_missing(fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.user(1, "Ana")
    markup = keyboard(("Next", "next"))
    async with plain_bot(fake_telegram) as bot:
        sent = await bot.send_message(1, "<b>Q1</b>", parse_mode="HTML", reply_markup=markup)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text(
                "<b>Q1</b>", 1, sent.message_id, parse_mode="HTML", reply_markup=markup
            )
        # Same words without bold is a different content.
        await bot.edit_message_text("Q1", 1, sent.message_id, reply_markup=markup)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_reply_markup(1, sent.message_id, reply_markup=markup)
        await bot.edit_message_reply_markup(1, sent.message_id, reply_markup=None)
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_text("x", 1, 999)
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(424242, "hello?")
        await bot.delete_message(1, sent.message_id)
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_text("gone", 1, sent.message_id)
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await bot.delete_message(1, sent.message_id)
    assert fake_telegram.rejected[0].description == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    assert fake_telegram.user(1).messages() == []
    [deleted] = fake_telegram.user(1).messages(include_deleted=True)
    assert deleted.deleted
    assert deleted.text == "Q1"
    assert deleted.reply_markup is None


async def test_reply_keyboard_and_reply_parameters(fake_telegram: FakeTelegramServer) -> None:
    from telegram import ReplyKeyboardMarkup, ReplyKeyboardRemove, ReplyParameters

    ana = fake_telegram.user(1, "Ana")
    asked = ana.send_text("question?")
    async with plain_bot(fake_telegram) as bot:
        sent = await bot.send_message(
            1,
            "Pick a level",
            reply_markup=ReplyKeyboardMarkup([["Easy", "Hard"]]),
            reply_parameters=ReplyParameters(asked.message_id),
        )
        assert sent.reply_markup is None  # only inline keyboards are echoed back
        assert sent.reply_to_message is not None
        assert sent.reply_to_message.message_id == asked.message_id
        assert ana.chat.reply_keyboard is not None
        assert ana.chat.reply_keyboard["keyboard"] == [[{"text": "Easy"}, {"text": "Hard"}]]
        with pytest.raises(BadRequest, match="Message to be replied not found"):
            await bot.send_message(1, "x", reply_parameters=ReplyParameters(999))
        await bot.send_message(1, "Bye", reply_markup=ReplyKeyboardRemove())
    assert ana.chat.reply_keyboard is None
    assert [m.message_id for m in ana.history()] == [1, 2, 3]


async def test_spec_checks(fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.user(1, "Ana")
    status, body = await raw_call(fake_telegram, "sendMesage", chat_id=1, text="hi")
    assert (status, body) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )
    status, body = await raw_call(fake_telegram, "sendMessage", chat_id=1, txt="hi")
    assert status == 400
    assert body["description"] == 'Bad Request: unknown parameter "txt" for method sendMessage'
    status, body = await raw_call(fake_telegram, "sendMessage", text="hi")
    assert (status, body["description"]) == (400, "Bad Request: chat_id is empty")
    status, body = await raw_call(fake_telegram, "SENDMESSAGE", chat_id="1", text="hi")
    assert status == 200
    assert body["result"]["text"] == "hi"
    status, body = await raw_call(fake_telegram, "getMe", token="123456:WRONG")
    assert (status, body["description"]) == (401, "Unauthorized")
    assert [c.method for c in fake_telegram.rejected] == [
        "sendMesage",
        "sendMessage",
        "sendMessage",
        "getMe",
    ]


async def test_json_body_is_accepted(fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.user(1, "Ana")
    payload = {
        "chat_id": 1,
        "text": "json",
        "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{fake_telegram.api_base_url}{fake_telegram.token}/sendMessage", json=payload
        ) as response,
    ):
        body = await response.json()
    assert body["ok"]
    assert body["result"]["reply_markup"] == payload["reply_markup"]


async def test_wrong_token_makes_ptb_raise_invalid_token(
    fake_telegram: FakeTelegramServer,
) -> None:
    with pytest.raises(InvalidToken):
        async with plain_bot(fake_telegram, token="999:NOT-THE-TOKEN"):
            pass


async def test_answer_callback_query_rules(fake_telegram: FakeTelegramServer) -> None:
    ana = fake_telegram.user(1, "Ana")
    async with plain_bot(fake_telegram) as bot:
        sent = await bot.send_message(1, "Q", reply_markup=keyboard(("A", "a")))
        first = ana.press(ana.last_message() or sent.message_id, "a")
        with pytest.raises(BadRequest, match="Message_too_long"):
            await bot.answer_callback_query(first.id, text="x" * 201)
        await bot.answer_callback_query(first.id, text="x" * 200, show_alert=True)
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query(first.id)
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query("123")
        fake_telegram.callback_query_timeout = 0.0
        late = ana.press_data(sent.message_id, "forged:999")
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query(late.id)
    assert fake_telegram.callback_answer(first.id) == {
        "text": "x" * 200,
        "show_alert": True,
        "url": None,
        "cache_time": None,
    }
    with pytest.raises(LookupError, match="no button"):
        ana.press(sent.message_id, "B")


async def test_set_my_commands_per_scope(fake_telegram: FakeTelegramServer) -> None:
    from telegram import BotCommand, BotCommandScopeAllPrivateChats

    async with plain_bot(fake_telegram) as bot:
        await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("quiz", "Quiz")])
        await bot.set_my_commands(
            [BotCommand("start", "Começar")],
            scope=BotCommandScopeAllPrivateChats(),
            language_code="pt",
        )
        assert [c.command for c in await bot.get_my_commands()] == ["start", "quiz"]
        assert await bot.get_my_commands(language_code="pt") == ()
        with pytest.raises(BadRequest, match="Bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Start", "x")])
        with pytest.raises(BadRequest, match="Bot_command_invalid"):
            await bot.set_my_commands([BotCommand("a" * 33, "x")])
        with pytest.raises(BadRequest, match="Bot_command_description_invalid"):
            await bot.set_my_commands([BotCommand("ok", "d" * 257)])
        with pytest.raises(BadRequest, match="Bot_commands_too_much"):
            await bot.set_my_commands([BotCommand(f"c{i}", "d") for i in range(101)])
        await bot.delete_my_commands()
        assert await bot.get_my_commands() == ()
        await bot.set_chat_menu_button()
    assert fake_telegram.my_commands() is None
    assert fake_telegram.my_commands({"type": "all_private_chats"}, "pt") == [
        {"command": "start", "description": "Começar"}
    ]


# ----------------------------------------------------------------- faults


async def test_retry_after_then_success(
    fake_telegram: FakeTelegramServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB warns on every RetryAfter unless timedelta periods are opted into.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake_telegram.user(1, "Ana")
    fake_telegram.faults.add("sendMessage", "retry_after", seconds=3)
    async with plain_bot(fake_telegram) as bot:
        with pytest.raises(RetryAfter, match=r"Retry in 0:00:03"):
            await bot.send_message(1, "first")
        await bot.send_message(1, "second")
    first, second = fake_telegram.calls_of("sendMessage")
    assert first.status == 429
    assert first.injected
    assert first.response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert second.ok
    assert fake_telegram.rejected == []
    assert [m.text for m in fake_telegram.chat_messages(1)] == ["second"]


async def test_server_errors_and_blocking(fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.user(1, "Ana")
    fake_telegram.user(2, "Bea")
    fake_telegram.faults.add("sendMessage", "server_error", status=500)
    fake_telegram.faults.add("sendMessage", "server_error", status=502)
    async with plain_bot(fake_telegram) as bot:
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(1, "a")
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(1, "b")
        fake_telegram.block(2)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(2, "c")
        await bot.send_message(1, "d")
        fake_telegram.unblock(2)
        await bot.send_message(2, "e")
        rule = fake_telegram.faults.add("*", "blocked", chat_id=1)
        for _ in range(2):
            with pytest.raises(Forbidden):
                await bot.send_chat_action(1, "typing")
        fake_telegram.faults.remove(rule)
        await bot.send_chat_action(1, "typing")
    assert fake_telegram.user(1).chat.actions == ["typing"]
    assert fake_telegram.rejected == []


async def test_dropped_connection_and_lost_response(fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.user(1, "Ana")
    fake_telegram.faults.add("sendMessage", "drop")
    fake_telegram.faults.add("sendMessage", "drop", when="after")
    async with plain_bot(fake_telegram) as bot:
        with pytest.raises(NetworkError):
            await bot.send_message(1, "never arrives")
        with pytest.raises(NetworkError):
            await bot.send_message(1, "arrives, answer lost")
    # The second message reached the chat although the bot saw an error: a retry would duplicate.
    assert [m.text for m in fake_telegram.chat_messages(1)] == ["arrives, answer lost"]


async def test_delay_fault(fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.user(1, "Ana")
    fake_telegram.faults.add("sendMessage", "delay", seconds=0.3)
    async with plain_bot(fake_telegram) as bot:
        started = time.monotonic()
        await bot.send_message(1, "slow")
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        await bot.send_message(1, "fast")
        assert time.monotonic() - started < 0.3


async def test_strict_rate_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeTelegramServer(strict_rate_limits=True) as server:
        server.user(1, "Ana")
        server.user(2, "Bea")
        async with plain_bot(server) as bot:
            await bot.send_message(1, "one")
            await bot.send_message(2, "other chat is fine")
            with pytest.raises(RetryAfter, match=r"Retry in 0:00:01"):
                await bot.send_message(1, "too soon")
            await bot.edit_message_text("edits are not counted", 1, 1)
    assert [c.status for c in server.rejected] == [429]


# ---------------------------------------------------------------- updates


async def test_get_updates_offset_semantics(fake_telegram: FakeTelegramServer) -> None:
    ana = fake_telegram.user(1, "Ana")
    for word in ("a", "b", "c", "d"):
        ana.send_text(word)
    ids = [u["update_id"] for u in fake_telegram.pending_updates]
    assert ids == sorted(ids)
    assert len(set(ids)) == 4

    async def fetch(**params: Any) -> list[int]:
        status, body = await raw_call(fake_telegram, "getUpdates", **params)
        assert status == 200, body
        return [u["update_id"] for u in body["result"]]

    assert await fetch() == ids  # nothing is confirmed without an offset
    assert await fetch(limit=2) == ids[:2]
    assert await fetch(offset=ids[1]) == ids[1:]  # confirms ids[0]
    assert await fetch() == ids[1:]
    assert await fetch(offset=-1) == ids[-1:]  # forget all but the last one
    assert await fetch() == ids[-1:]
    assert await fetch(offset=ids[-1] + 1) == []
    assert fake_telegram.pending_updates == []


async def test_long_poll_wakes_up_on_new_update(fake_telegram: FakeTelegramServer) -> None:
    ana = fake_telegram.user(1, "Ana")
    started = time.monotonic()
    poll = asyncio.create_task(raw_call(fake_telegram, "getUpdates", timeout=10))
    await fake_telegram.wait_until(lambda: fake_telegram.is_polling, 2, str)
    ana.send_text("ping")
    status, body = await poll
    assert status == 200
    assert body["result"][0]["message"]["text"] == "ping"
    assert time.monotonic() - started < 1.5
    started = time.monotonic()
    status, body = await raw_call(
        fake_telegram, "getUpdates", timeout=1, offset=body["result"][0]["update_id"] + 1
    )
    assert body["result"] == []
    assert time.monotonic() - started >= 0.9


async def test_second_get_updates_terminates_the_first(fake_telegram: FakeTelegramServer) -> None:
    first = asyncio.create_task(raw_call(fake_telegram, "getUpdates", timeout=10))
    await fake_telegram.wait_until(lambda: fake_telegram.is_polling, 2, str)
    second = asyncio.create_task(raw_call(fake_telegram, "getUpdates", timeout=0))
    assert await first == (
        409,
        {
            "ok": False,
            "error_code": 409,
            "description": "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running",
        },
    )
    assert (await second)[0] == 200
    async with plain_bot(fake_telegram) as bot:
        waiting = asyncio.create_task(bot.get_updates(timeout=10))
        await fake_telegram.wait_until(lambda: fake_telegram.is_polling, 2, str)
        await raw_call(fake_telegram, "getUpdates")
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await waiting


async def test_webhook_blocks_get_updates(fake_telegram: FakeTelegramServer) -> None:
    async with plain_bot(fake_telegram) as bot:
        assert await bot.set_webhook("https://bot.example.org/hook", secret_token="s3cr3t")
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            await bot.get_updates()
        info = await bot.get_webhook_info()
        assert info.url == "https://bot.example.org/hook"
        with pytest.raises(BadRequest, match="an https url must be provided"):
            await bot.set_webhook("http://bot.example.org/hook")
        assert await bot.delete_webhook()
        assert await bot.get_updates() == ()
        assert (await bot.get_webhook_info()).url == ""
    assert fake_telegram.rejected[0].description == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )


async def test_redelivered_update_reaches_the_bot_twice(fake_telegram: FakeTelegramServer) -> None:
    seen: list[int] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"got {len(seen)}")

    ana = fake_telegram.user(1, "Ana")
    async with polling_app(fake_telegram, MessageHandler(filters.TEXT, record)):
        ana.send_text("answer B")
        await ana.wait_for_message("got 1", timeout=3)
        fake_telegram.redeliver(seen[0])
        await ana.wait_for_message("got 2", timeout=3)
    assert seen[0] == seen[1]


async def test_wait_for_message_times_out_with_context(fake_telegram: FakeTelegramServer) -> None:
    ana = fake_telegram.user(1, "Ana")
    with pytest.raises(WaitTimeout, match="no matching bot message for user 1"):
        await ana.wait_for_message("never", timeout=0.05)


# ------------------------------------------------------------------ files


async def test_document_upload_get_file_and_download(fake_telegram: FakeTelegramServer) -> None:
    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        assert message.document is not None
        file = await message.document.get_file()
        content = bytes(await file.download_as_bytearray())
        await message.reply_document(
            content.upper(), filename="echo.csv", caption="<i>done</i>", parse_mode="HTML"
        )

    ana = fake_telegram.user(1, "Ana")
    async with polling_app(fake_telegram, MessageHandler(filters.Document.ALL, on_document)):
        ana.send_document("answers.csv", b"q,a\n1,b\n", "text/csv")
        reply = await ana.wait_for_message(lambda m: m.document is not None, timeout=3)
    assert reply.caption == "done"
    assert reply.caption_entities[0]["type"] == "italic"
    assert reply.document is not None
    assert reply.document["file_name"] == "echo.csv"
    assert reply.document["mime_type"] == "text/csv"
    assert ana.download(reply) == b"Q,A\n1,B\n"
    [upload] = fake_telegram.calls_of("sendDocument")
    assert upload.files["document"].filename == "echo.csv"
    assert [c.method for c in fake_telegram.calls if c.method == "getFile"] == ["getFile"]
    assert fake_telegram.rejected == []


async def test_send_photo(fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.user(1, "Ana")
    async with plain_bot(fake_telegram) as bot:
        sent = await bot.send_photo(1, png_bytes(3, 2), caption="chart")
        assert (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
        again = await bot.send_photo(1, sent.photo[-1].file_id)
        assert again.photo[-1].file_unique_id == sent.photo[-1].file_unique_id
        with pytest.raises(BadRequest, match="Image_process_failed"):
            await bot.send_photo(1, b"not an image")
        file = await bot.get_file(sent.photo[-1].file_id)
        assert bytes(await file.download_as_bytearray()) == png_bytes(3, 2)
        with pytest.raises(BadRequest, match="Invalid file_id"):
            await bot.get_file("nope")


# ---------------------------------------------------------------- webhooks


async def test_webhook_delivery_with_secret(fake_telegram: FakeTelegramServer) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        received.append((secret, await request.json()))
        return web.Response(status=200 if secret == "s3cr3t" else 403)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        fake_telegram.webhook_auto_delivery = False
        async with plain_bot(fake_telegram) as bot:
            await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t")
        status = await fake_telegram.deliver_to_webhook({"message": {"text": "raw"}})
        assert status == 200
        assert received[0][0] == "s3cr3t"
        assert "update_id" in received[0][1]
        assert fake_telegram.webhook is not None
        fake_telegram.webhook.secret_token = "wrong"
        assert await fake_telegram.deliver_to_webhook({"message": {}}) == 403
    finally:
        await runner.cleanup()


async def test_ptb_webhook_server_receives_auto_delivered_updates(
    fake_telegram: FakeTelegramServer,
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("hello via webhook")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = (
        Application.builder()
        .token(fake_telegram.token)
        .base_url(fake_telegram.api_base_url)
        .base_file_url(fake_telegram.file_base_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    ana = fake_telegram.user(1, "Ana")
    await app.initialize()
    await app.start()
    assert app.updater is not None
    try:
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="tg",
            webhook_url=f"http://127.0.0.1:{port}/tg",
            secret_token="hook-secret",
        )
        ana.send_text("/start")
        await ana.wait_for_message("hello via webhook", timeout=3)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert fake_telegram.webhook_deliveries[0].status == 200
    assert fake_telegram.calls_of("setWebhook")[0].params["secret_token"] == "hook-secret"


# ----------------------------------------------------- control API & process


async def test_control_client_drives_users_over_http(fake_telegram: FakeTelegramServer) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Pick", reply_markup=keyboard(("A", "ans:a")))

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)

    async with (
        polling_app(
            fake_telegram, CommandHandler("start", start), CallbackQueryHandler(on_button)
        ) as app,
        FakeServerClient(fake_telegram.url) as client,
    ):
        bea = await client.user(2002, "Bea", language_code="de")
        await bea.send_text("/start")
        pick = await bea.wait_for_message("Pick", timeout=3)
        press = await bea.press(pick, "A")
        await bea.wait_for_answer(press, timeout=3)
        cleared = await bea.wait_for_message(lambda m: m.reply_markup is None, timeout=3)
        assert cleared.message_id == pick.message_id
        assert [c.params["chat_id"] for c in await client.calls_of("sendMessage")] == [2002]
        assert await client.rejected() == []
        await client.add_fault("sendMessage", "retry_after", seconds=5)
        assert len(fake_telegram.faults) == 1
        await client.clear_faults()
        assert len(fake_telegram.faults) == 0
        await client.block(2002)
        assert (await client.state())["blocked"] == [2002]
        await client.unblock(2002)
        upload = await bea.send_document("a.csv", b"x,y", "text/csv", caption="mine")
        assert upload.document is not None
        assert await client.file_content(upload.document["file_id"]) == b"x,y"
        # A stale button: the handler's edit is refused because nothing changes.
        forged = await bea.press_data(pick, "ans:zzz")
        await bea.wait_for_answer(forged, timeout=3)
        await bea.wait_for_calls("editMessageReplyMarkup", 2, timeout=3)
        [refused] = await client.rejected()
        assert refused.description.startswith("Bad Request: message is not modified")
        await fake_telegram.wait_until(lambda: app.bot_data.get("errors"), 2, str)
        [error] = app.bot_data["errors"]
        assert isinstance(error, BadRequest)
        with pytest.raises(LookupError, match="unknown user"):
            await client.request("POST", "/users/1/text", {"text": "who?"})


async def test_standalone_process(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.telegram_server",
        "--port",
        "0",
        "--token",
        "42:PROCESS",
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 5)
        url = line.decode().strip().removeprefix("FAKE_TELEGRAM_URL=")
        assert url.startswith("http://127.0.0.1:")
        async with FakeServerClient(url) as client:
            cid = await client.user(5, "Cid")
            bot = Bot("42:PROCESS", base_url=f"{url}/bot", base_file_url=f"{url}/file/bot")
            async with bot:
                await bot.send_message(5, "from another process")
            message = await cid.wait_for_message("another process", timeout=2)
            assert message.from_bot
            assert [c.method for c in await client.calls()] == ["getMe", "sendMessage"]
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 5)
    assert process.returncode == 0


# ------------------------------------------------------------------ guard


async def test_real_telegram_is_blocked(request: pytest.FixtureRequest) -> None:
    attempts: list[str] = request.getfixturevalue("block_real_telegram")
    bot = Bot("123456:TEST-TOKEN")
    with pytest.raises(NetworkError):
        async with bot:
            pass
    assert attempts
    assert "api.telegram.org" in attempts[0]
    attempts.clear()  # the attempt was expected; do not fail the test at teardown
