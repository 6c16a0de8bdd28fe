"""Webhook bodies and update text, on plain values."""

from __future__ import annotations

import json

import pytest

from bot.domain.updates import (
    MAX_DEPTH,
    BadUpdateError,
    clean_payload,
    clean_text,
    depth,
    parse_update,
    sender_of,
    valid_update_id,
)


def test_a_telegram_update_parses() -> None:
    body = json.dumps({"update_id": 7, "message": {"chat": {"id": 1}, "text": "hi"}}).encode()
    assert parse_update(body)["update_id"] == 7


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe{", "not JSON"),
        (b'{"update_id": 1, "x": NaN}', "not JSON"),
        (b'{"update_id": 1, "x": -Infinity}', "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"update_id": 1, "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested"),
        (b'{"update_id": 1, "x": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}", "nested"),
        (b"{}", "update_id"),
        (b'{"update_id": 9223372036854775808}', "update_id"),
        (b'{"update_id": -5}', "update_id"),
        (b'{"update_id": false}', "update_id"),
        (b'{"update_id": 2.0}', "update_id"),
    ],
)
def test_what_is_not_an_update_is_refused_with_a_reason(body: bytes, why: str) -> None:
    with pytest.raises(BadUpdateError, match=why):
        parse_update(body)


def test_update_ids_and_depth() -> None:
    assert valid_update_id(0)
    assert valid_update_id(2**63 - 1)
    assert not valid_update_id(2**63)
    assert not valid_update_id(True)
    assert not valid_update_id("1")
    assert depth(5) == 0
    assert depth({"a": [1, {"b": []}]}) == 4
    nested: list[object] = []
    for _ in range(5_000):  # deeper than Python's recursion limit: counted without recursion
        nested = [nested]
    assert depth(nested) == 5_001


def test_text_loses_nul_and_lone_surrogates_only() -> None:
    assert clean_text("E\x00ve") == "Eve"
    assert clean_text("a\ud800b") == "a\ufffdb"
    assert clean_text("\udc00") == "\ufffd"
    assert clean_text("\ud83d\ude00") == "😀", "a pair is the character it encodes"
    assert clean_text("Ана 😀") == "Ана 😀"
    plain = "plain text"
    assert clean_text(plain) is plain


def test_a_clean_payload_is_the_same_object() -> None:
    payload = {"update_id": 1, "message": {"from": {"first_name": "Ana"}, "entities": [{}]}}
    assert clean_payload(payload) is payload


def test_a_dirty_payload_is_copied_clean_keys_included() -> None:
    payload = {
        "update_id": 1,
        "message": {"from": {"first_name": "E\x00ve"}, "text": "x\ud800", "k\x00": [1, "\x00"]},
    }
    cleaned = clean_payload(payload)
    assert cleaned == {
        "update_id": 1,
        "message": {"from": {"first_name": "Eve"}, "text": "x\ufffd", "k": [1, ""]},
    }
    assert payload["message"]["from"]["first_name"] == "E\x00ve", "the original is untouched"
    json.dumps(cleaned).encode("utf-8")  # now any JSON column can hold it


def test_the_sender_of_messages_and_presses_only() -> None:
    user = {"id": 42, "is_bot": False, "first_name": "Ana"}
    assert sender_of({"update_id": 1, "message": {"from": user}}) == 42
    assert sender_of({"update_id": 1, "edited_message": {"from": user}}) == 42
    assert sender_of({"update_id": 1, "callback_query": {"id": "q", "from": user}}) == 42
    assert sender_of({"update_id": 1, "my_chat_member": {"from": user}}) is None
    assert sender_of({"update_id": 1, "message": {"chat": {"id": 1}}}) is None
