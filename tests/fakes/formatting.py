"""Entity parsing like Telegram's: HTML, MarkdownV2 and legacy Markdown to text plus entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

HTML_TAGS = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# Telegram trims these from both ends of a message after parsing entities.
_TRIMMED = " \t\r\n\u00a0\u200b\u200c\u200d\u2060\ufeff"


class EntityParseError(Exception):
    """Text that Telegram refuses with "can't parse entities"."""


@dataclass
class ParsedText:
    """Message text as the user sees it, with entity offsets in UTF-16 code units."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def length(self) -> int:
        """Length as Telegram counts it (UTF-16 code units)."""
        return utf16_len(self.text)


def utf16_len(text: str) -> int:
    """Number of UTF-16 code units, the unit of Telegram offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def parse_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> ParsedText:
    """Apply parse_mode (or explicit entities) and trim the result like Telegram."""
    if entities is not None:
        parsed = ParsedText(text, [dict(e) for e in entities])
    elif not parse_mode:
        parsed = ParsedText(text)
    else:
        mode = parse_mode.lower()
        if mode == "html":
            parsed = _parse_html(text)
        elif mode == "markdownv2":
            parsed = _parse_markdown_v2(text)
        elif mode == "markdown":
            parsed = _parse_markdown(text)
        else:
            raise EntityParseError("Bad Request: unsupported parse_mode")
    return _trim(parsed)


def _trim(parsed: ParsedText) -> ParsedText:
    text = parsed.text
    stripped_left = text.lstrip(_TRIMMED)
    shift = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip(_TRIMMED)
    total = utf16_len(result)
    entities = []
    for entity in parsed.entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(result, entities)


class _Builder:
    """Accumulates output text and tracks the UTF-16 position."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.pos += utf16_len(chunk)

    def text(self) -> str:
        return "".join(self.parts)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _error(detail: str) -> EntityParseError:
    return EntityParseError(f"Bad Request: can't parse entities: {detail}")


def _decode_html_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode &name; or &#N; at i, returning the character and the consumed length."""
    end = text.find(";", i + 1, i + 12)
    if end == -1:
        return None
    body = text[i + 1 : end]
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body], end - i + 1
    try:
        if body.startswith(("#x", "#X")):
            return chr(int(body[2:], 16)), end - i + 1
        if body.startswith("#") and body[1:].isdigit():
            return chr(int(body[1:])), end - i + 1
    except (ValueError, OverflowError):
        return None
    return None


def _unescape_html(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&" and (decoded := _decode_html_entity(value, i)):
            out.append(decoded[0])
            i += decoded[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


@dataclass
class _OpenTag:
    name: str
    start: int
    attrs: dict[str, str]


def _parse_html(text: str) -> ParsedText:
    out = _Builder()
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_html_entity(text, i)
            if decoded:
                out.add(decoded[0])
                i += decoded[1]
                continue
            out.add(char)
            i += 1
            continue
        if char != "<":
            out.add(char)
            i += 1
            continue
        begin = i
        if i + 1 < n and text[i + 1] == "/":
            end = text.find(">", i)
            if end == -1:
                raise _error(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise _error(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            if name != stack[-1].name:
                raise _error(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{stack[-1].name}>", found "</{name}>"'
                )
            entity = _close_tag(stack.pop(), out.pos, stack)
            if entity is not None:
                entities.append(entity)
            i = end + 1
            continue
        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise _error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        name = text[i + 1 : j].lower()
        if name not in HTML_TAGS:
            raise _error(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, begin)}'
            )
        attrs, i = _parse_attributes(text, j, begin)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _error('Tag "span" must have class "tg-spoiler"')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise _error('Tag "tg-emoji" must have attribute "emoji-id" with a custom emoji id')
        stack.append(_OpenTag(name, out.pos, attrs))
    if stack:
        raise _error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText(out.text(), entities)


def _parse_attributes(text: str, i: int, begin: int) -> tuple[dict[str, str], int]:
    """Parse attributes from i up to and including '>' and return them with the next index."""
    attrs: dict[str, str] = {}
    n = len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise _error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] == ">":
            return attrs, i + 1
        start = i
        while i < n and not text[i].isspace() and text[i] not in "=>":
            i += 1
        name = text[start:i].lower()
        if not name:
            raise _error(
                f"Empty attribute name in the tag at byte offset {_byte_offset(text, begin)}"
            )
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] == "=":
            i += 1
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                raise _error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if text[i] in "'\"":
                quote = text[i]
                end = text.find(quote, i + 1)
                if end == -1:
                    raise _error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                value = text[i + 1 : end]
                i = end + 1
            else:
                start = i
                while i < n and not text[i].isspace() and text[i] != ">":
                    i += 1
                value = text[start:i]
            attrs[name] = _unescape_html(value)
        else:
            attrs[name] = ""


def _close_tag(tag: _OpenTag, end: int, stack: list[_OpenTag]) -> dict[str, Any] | None:
    length = end - tag.start
    if length <= 0:
        return None
    kind = HTML_TAGS[tag.name]
    entity: dict[str, Any] = {"type": kind, "offset": tag.start, "length": length}
    if tag.name == "a":
        href = tag.attrs.get("href", "")
        if href.startswith("tg://user?id="):
            entity = {**entity, "type": "text_mention", "user": {"id": int(href[13:] or 0)}}
        elif href:
            entity["url"] = href
        else:
            return None
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    elif tag.name == "code":
        language = tag.attrs.get("class", "")
        if stack and stack[-1].name == "pre" and language.startswith("language-"):
            stack[-1].attrs["language"] = language.removeprefix("language-")
    elif tag.name == "pre" and tag.attrs.get("language"):
        entity["language"] = tag.attrs["language"]
    return entity


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_MDV2_OPEN = {"*": "bold", "_": "italic", "~": "strikethrough"}


@dataclass
class _MdEntity:
    kind: str
    start: int
    byte_offset: int
    extra: dict[str, Any] = field(default_factory=dict)


def _parse_markdown_v2(text: str) -> ParsedText:
    out = _Builder()
    stack: list[_MdEntity] = []
    entities: list[dict[str, Any]] = []
    quote_start: int | None = None
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        at_line_start = i == 0 or text[i - 1] == "\n"
        in_code = bool(stack) and stack[-1].kind in {"code", "pre"}
        if char == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        if at_line_start and not in_code:
            if char == ">" or text.startswith("**>", i):
                if quote_start is None:
                    quote_start = out.pos
                i += 3 if char == "*" else 1
                continue
            if quote_start is not None:
                _add_quote(entities, quote_start, out.pos)
                quote_start = None
        if char not in _MDV2_RESERVED or (in_code and char != "`"):
            out.add(char)
            i += 1
            continue
        top = stack[-1] if stack else None
        closing = _mdv2_closes(top, text, i)
        if top is not None and closing:
            stack.pop()
            i += closing
            if top.kind == "text_link" or top.kind == "custom_emoji":
                url, i = _mdv2_link_target(text, i, top)
                key = "url" if top.kind == "text_link" else "custom_emoji_id"
                top.extra[key] = url.removeprefix("tg://emoji?id=")
            if out.pos > top.start:
                entities.append(
                    {"type": top.kind, "offset": top.start, "length": out.pos - top.start}
                    | top.extra
                )
            continue
        byte_offset = _byte_offset(text, i)
        if char == "_" and text.startswith("__", i):
            stack.append(_MdEntity("underline", out.pos, byte_offset))
            i += 2
        elif char in _MDV2_OPEN:
            stack.append(_MdEntity(_MDV2_OPEN[char], out.pos, byte_offset))
            i += 1
        elif char == "|" and text.startswith("||", i):
            stack.append(_MdEntity("spoiler", out.pos, byte_offset))
            i += 2
        elif char == "[":
            stack.append(_MdEntity("text_link", out.pos, byte_offset))
            i += 1
        elif char == "!" and text.startswith("![", i):
            stack.append(_MdEntity("custom_emoji", out.pos, byte_offset))
            i += 2
        elif char == "`" and text.startswith("```", i):
            newline = text.find("\n", i + 3)
            language = text[i + 3 : newline] if newline != -1 else ""
            is_language = bool(language) and not set(language) & set(" `")
            extra = {"language": language} if is_language else {}
            i = newline + 1 if is_language or (newline != -1 and not language) else i + 3
            stack.append(_MdEntity("pre", out.pos, byte_offset, extra))
        elif char == "`":
            stack.append(_MdEntity("code", out.pos, byte_offset))
            i += 1
        else:
            raise _error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
    if stack:
        top = stack[-1]
        raise _error(
            f"Can't find end of {_MDV2_NAMES[top.kind]} entity at byte offset {top.byte_offset}"
        )
    if quote_start is not None:
        _add_quote(entities, quote_start, out.pos)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText(out.text(), entities)


def _add_quote(entities: list[dict[str, Any]], start: int, end: int) -> None:
    if end > start:
        entities.append({"type": "blockquote", "offset": start, "length": end - start})


def _mdv2_closes(top: _MdEntity | None, text: str, i: int) -> int:
    """How many characters close the innermost entity at i (0 if it does not close)."""
    if top is None:
        return 0
    kind, char = top.kind, text[i]
    if kind == "pre":
        return 3 if text.startswith("```", i) else 0
    if kind == "code":
        return 1 if char == "`" else 0
    if kind == "underline":
        return 2 if text.startswith("__", i) else 0
    if kind == "italic":
        return 1 if char == "_" else 0
    if kind == "spoiler":
        return 2 if text.startswith("||", i) else 0
    if kind in {"text_link", "custom_emoji"}:
        return 1 if char == "]" else 0
    return 1 if {"bold": "*", "strikethrough": "~"}[kind] == char else 0


def _mdv2_link_target(text: str, i: int, top: _MdEntity) -> tuple[str, int]:
    if i >= len(text) or text[i] != "(":
        if top.kind == "custom_emoji":
            raise _error("Custom emoji entity must contain a tg://emoji URL")
        return "", i
    url: list[str] = []
    j = i + 1
    while j < len(text) and text[j] != ")":
        if text[j] == "\\" and j + 1 < len(text):
            j += 1
        url.append(text[j])
        j += 1
    if j >= len(text):
        raise _error(f"Can't find end of a URL at byte offset {_byte_offset(text, i + 1)}")
    return "".join(url), j + 1


_MD_OPEN = {"*": "bold", "_": "italic", "`": "code"}


def _unclosed_markdown(text: str, begin: int) -> EntityParseError:
    offset = _byte_offset(text, begin)
    return _error(f"Can't find end of the entity starting at byte offset {offset}")


def _parse_markdown(text: str) -> ParsedText:
    out = _Builder()
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if char not in "_*`[":
            out.add(char)
            i += 1
            continue
        begin = i
        start = out.pos
        if char == "[":
            end = text.find("]", i + 1)
            if end == -1:
                raise _unclosed_markdown(text, begin)
            label = text[i + 1 : end]
            out.add(label)
            i = end + 1
            match = re.match(r"\(([^)]*)\)", text[i:])
            if match:
                i += match.end()
                if label:
                    entities.append(
                        {
                            "type": "text_link",
                            "offset": start,
                            "length": utf16_len(label),
                            "url": match.group(1),
                        }
                    )
            continue
        token = "```" if text.startswith("```", i) else char
        end = text.find(token, i + len(token))
        if end == -1:
            raise _unclosed_markdown(text, begin)
        inner = text[i + len(token) : end]
        kind = "pre" if token == "```" else _MD_OPEN[char]
        extra: dict[str, Any] = {}
        if kind == "pre" and "\n" in inner:
            first, rest = inner.split("\n", 1)
            if first and " " not in first:
                extra["language"] = first
                inner = rest
        out.add(inner)
        if inner:
            entities.append({"type": kind, "offset": start, "length": utf16_len(inner)} | extra)
        i = end + len(token)
    return ParsedText(out.text(), entities)
