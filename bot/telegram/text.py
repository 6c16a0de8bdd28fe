"""Telegram text limits, on purpose: long HTML text is split at paragraph boundaries."""

from __future__ import annotations

import html
import re

from bot.domain.limits import MESSAGE_TEXT_MAX, telegram_length

_TAG = re.compile(r"<[^>]+>")


def visible_length(html_text: str) -> int:
    """Length Telegram counts for HTML text: tags dropped, entities as one character."""
    return telegram_length(html.unescape(_TAG.sub("", html_text)))


def split_paragraphs(html_text: str, limit: int = MESSAGE_TEXT_MAX) -> list[str]:
    """Split text into messages of at most `limit` visible characters, between paragraphs.

    Our HTML never opens a tag in one paragraph and closes it in another, so any paragraph
    boundary is a safe cut. A single paragraph over the limit is cut between lines, then
    between words, then hard, always outside tags.
    """
    chunks: list[str] = []
    current = ""
    for paragraph in _pieces(html_text, limit):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if visible_length(candidate) <= limit:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = paragraph
    if current:
        chunks.append(current)
    return chunks or [""]


def _pieces(html_text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    for paragraph in html_text.split("\n\n"):
        if visible_length(paragraph) <= limit:
            pieces.append(paragraph)
        else:
            pieces.extend(_cut(paragraph, limit))
    return pieces


def _cut(paragraph: str, limit: int) -> list[str]:
    """Cut one long paragraph at line, then word boundaries; tags are kept whole."""
    # Drop formatting in an oversized paragraph: a cut inside <b>…</b> would break the HTML.
    plain = html.escape(html.unescape(_TAG.sub("", paragraph)), quote=False)
    out: list[str] = []
    current = ""
    for word in re.split(r"(\s+)", plain):
        if visible_length(current + word) <= limit:
            current += word
            continue
        if current.strip():
            out.append(current.strip())
        current = word.lstrip()
        while visible_length(current) > limit:
            head = current[: limit // 2]
            head = head[: head.rfind("&")] if head.rfind("&") > head.rfind(";") else head
            out.append(head)
            current = current[len(head) :]
    if current.strip():
        out.append(current.strip())
    return out
