"""Safe YAML parsing that keeps the line number of every value.

Quizzes are written by hand, so every problem must point at a line. `parse_yaml` builds the
same plain values as `yaml.safe_load` (dict, list, str, int, float, bool, None, date,
datetime, bytes) from the parser's events and records, for each path such as
``("items", 3, "options", 1, "text")``, the line of its key (or of its list entry) and the
line where its value starts.

It refuses what a quiz never needs and an attacker could abuse: anchors and aliases (the
"billion laughs" bomb), custom tags, more than one document, too many or too deeply nested
nodes, and input over the size limit, which is checked before anything is parsed.

Over 400 lines on purpose: the event walk, the limits it enforces and the messages for what
it refuses share the parser's state; split, each part would need the others' internals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, cast

import yaml
from yaml.error import MarkedYAMLError
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from bot.domain.limits import QUIZ_FILE_MAX_BYTES
from bot.domain.quizfile.colons import COLON_PROBLEM, ColonScan, colon_messages, find_colons
from bot.domain.text import N_, Text, say

Key = str | int
Path = tuple[Key, ...]

MAX_NODES: Final = 200_000
MAX_DEPTH: Final = 32

ALIAS_MESSAGE: Final = N_("anchors and aliases (&name, *name) are not supported")
TAB_INDENT_MESSAGE: Final = N_("tabs are not allowed for indentation; use spaces")
TAB_MESSAGE: Final = N_("a tab is not allowed here; use spaces")
EMPTY_MESSAGE: Final = N_("the file is empty")
MAPPING_MESSAGE: Final = N_("the file must be a YAML mapping (lines of 'key: value')")

# The C parser (libyaml) is ten times faster than the pure-Python one, which matters for a
# 1 MB file; both produce the same events and marks.
_Loader: type[yaml.CSafeLoader] | type[yaml.SafeLoader] = (
    yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
)

_Resolve = Callable[[type[ScalarNode], str, tuple[bool, bool]], str]

_YAML_TAG = "tag:yaml.org,2002:"
_STR_TAG = _YAML_TAG + "str"
_MAP_TAG = _YAML_TAG + "map"
_SEQ_TAG = _YAML_TAG + "seq"
_MERGE_TAG = _YAML_TAG + "merge"
_VALUE_TAG = _YAML_TAG + "value"
_SCALAR_TAGS = frozenset(
    _YAML_TAG + name for name in ("null", "bool", "int", "float", "binary", "timestamp", "str")
)

# Line breaks as YAML counts them, so our line numbers agree with the parser's marks.
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
# Characters YAML does not accept in a stream (the set PyYAML's reader rejects).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_BOM = "\ufeff"


@dataclass(frozen=True)
class YamlProblem:
    """A problem found while reading the YAML, at a 1-based line."""

    line: int
    wording: Text

    @property
    def message(self) -> str:
        """The problem in English."""
        return str(self.wording)


@dataclass(frozen=True)
class ParsedYaml:
    """The plain value of a YAML document with the lines of its parts.

    `value` is None when the file could not be read at all (see `problems`); otherwise it is a
    dict, and `problems` lists what was wrong but could be worked around (duplicate keys keep
    their first value, unsupported tags keep their text).
    """

    value: dict[Key, object] | None
    problems: tuple[YamlProblem, ...]
    key_lines: Mapping[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int:
        """Line of the key (or list entry) at `path`, else of its nearest existing parent."""
        return _nearest(self.key_lines, path)


def parse_yaml(
    data: str | bytes,
    *,
    top_level_message: str = MAPPING_MESSAGE,
    max_bytes: int = QUIZ_FILE_MAX_BYTES,
    max_nodes: int = MAX_NODES,
) -> ParsedYaml:
    """Parse one YAML document whose top level must be a mapping, keeping line numbers.

    `top_level_message` is a template marked with `N_`: the problem when the file is not a
    mapping."""
    size = _size_in_bytes(data)
    if size > max_bytes:
        return _fail(1, too_big_message(size, max_bytes))
    text_or_problem = _decode(data)
    if isinstance(text_or_problem, YamlProblem):
        return ParsedYaml(None, (text_or_problem,))
    text = _json_tabs_to_spaces(text_or_problem)
    if not text.strip():
        return _fail(1, say(EMPTY_MESSAGE))
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        return ParsedYaml(None, (_bad_character(text, bad.start()),))

    builder = _Builder(max_nodes)
    try:
        value = builder.document(text)
    except _Refused as refused:
        return ParsedYaml(None, (*builder.problems, refused.problem))
    except MarkedYAMLError as error:
        first = _syntax_problem(error, text)
        scan = find_colons(text, _Loader)
        if scan.colons:  # the usual slip, often on many lines: report them all at once
            other = () if COLON_PROBLEM in (error.problem or "") else (first,)
            return ParsedYaml(None, (*other, *_with_colons(text, scan, max_nodes)))
        return ParsedYaml(None, (*builder.problems, first))
    except yaml.YAMLError as error:  # a reader error without a mark: report it plainly
        return ParsedYaml(None, (*builder.problems, _yaml_error(error)))

    if value is _NO_DOCUMENT or value is None:
        return _fail(1, say(EMPTY_MESSAGE))
    if not isinstance(value, dict):
        return ParsedYaml(
            None, (*builder.problems, YamlProblem(builder.root_line, say(top_level_message)))
        )
    return ParsedYaml(value, tuple(builder.problems), builder.key_lines)


def _with_colons(text: str, scan: ColonScan, max_nodes: int) -> tuple[YamlProblem, ...]:
    """Every unquoted ': ', and what else a parse finds once they are taken out."""
    found = [YamlProblem(line, message) for line, message in colon_messages(text, scan, _Loader)]
    builder = _Builder(max_nodes)
    try:
        builder.document(scan.repaired)
    except _Refused as refused:
        return (*found, *builder.problems, refused.problem)
    except MarkedYAMLError as error:
        return (*found, *builder.problems, _syntax_problem(error, scan.repaired))
    except yaml.YAMLError as error:
        return (*found, *builder.problems, _yaml_error(error))
    return (*found, *builder.problems)


def _yaml_error(error: yaml.YAMLError) -> YamlProblem:
    # The parser's own English says what it could not read.
    return YamlProblem(1, say(N_("YAML error: {error}"), error=str(error)))


def too_big_message(size: int, max_bytes: int = QUIZ_FILE_MAX_BYTES) -> Text:
    """The problem reported for a file over the size limit."""
    return say(
        N_("the file is {size} bytes; the limit is {limit}"),
        size=f"{size:,}",
        limit=_megabytes(max_bytes),
    )


def _nearest(lines: Mapping[Path, int], path: Path) -> int:
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return 1


def _fail(line: int, message: Text) -> ParsedYaml:
    return ParsedYaml(None, (YamlProblem(line, message),))


def _megabytes(size: int) -> Text:
    if size >= 1_000_000:
        return say(N_("{size} MB"), size=f"{size / 1_000_000:g}")
    return say(N_("{size} bytes"), size=f"{size:,}")


def _size_in_bytes(data: str | bytes) -> int:
    if isinstance(data, bytes):
        return len(data)
    # Count in slices so that a huge string is never encoded in one piece.
    step = 1 << 16
    return sum(
        len(data[start : start + step].encode("utf-8", "surrogatepass"))
        for start in range(0, len(data), step)
    )


def _decode(data: str | bytes) -> str | YamlProblem:
    if isinstance(data, str):
        return data.removeprefix(_BOM)
    try:
        return data.decode("utf-8").removeprefix(_BOM)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        if b"\x00" in data[: error.start]:
            return _binary_problem(data.count(b"\n", 0, data.index(b"\x00")) + 1)
        return _not_utf8(line)


def _not_utf8(line: int) -> YamlProblem:
    return YamlProblem(
        line, say(N_("the file is not UTF-8 text (bad byte at line {line})"), line=line)
    )


def _binary_problem(line: int) -> YamlProblem:
    return YamlProblem(
        line, say(N_("the file is binary data, not text (NUL byte at line {line})"), line=line)
    )


def _bad_character(text: str, index: int) -> YamlProblem:
    line = _line_at(text, index)
    char = text[index]
    if char == "\x00":
        return _binary_problem(line)
    if 0xD800 <= ord(char) <= 0xDFFF:
        return _not_utf8(line)
    return YamlProblem(
        line,
        say(
            N_("the file contains a control character ({code}) that YAML does not allow"),
            code=f"U+{ord(char):04X}",
        ),
    )


def _line_at(text: str, index: int) -> int:
    return len(_LINE_BREAK.findall(text, 0, index)) + 1


def _json_tabs_to_spaces(text: str) -> str:
    """Let tab-indented JSON through: YAML forbids tabs there, JSON only has them as spaces."""
    if "\t" not in text or text.lstrip()[:1] not in ("{", "["):
        return text
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return text
    # Valid JSON cannot hold a raw tab inside a string, so every tab is whitespace.
    return text.replace("\t", " ")


def _syntax_problem(error: MarkedYAMLError, text: str) -> YamlProblem:
    mark = error.problem_mark or error.context_mark
    if error.context_mark is not None and "expected ':'" in (error.problem or ""):
        mark = error.context_mark  # the line without a colon, not the one after it
    lines = _LINE_BREAK.split(text)
    if text and _LINE_BREAK.match(text[-1]):
        lines.pop()  # the empty "line" after the final line break
    line = min(max((mark.line + 1) if mark else 1, 1), max(len(lines), 1))
    source_line = lines[line - 1] if lines else ""
    column = mark.column if mark and mark.line + 1 == line else len(source_line)
    problem = error.problem or "invalid YAML"

    indent = source_line[: len(source_line) - len(source_line.lstrip(" \t"))]
    if source_line[column : column + 1] == "\t":
        return YamlProblem(line, say(TAB_INDENT_MESSAGE if column < len(indent) else TAB_MESSAGE))
    if "\t" in indent:  # a tab in the indentation misleads the parser into other errors
        return YamlProblem(line, say(TAB_INDENT_MESSAGE))
    opened = _unclosed_quote_line(lines[:line])
    hint = (
        say(N_(" (check the quote opened at line {line}: is it closed?)"), line=opened)
        if opened is not None and opened != line
        else _hint(error, problem)
    )
    # The parser's words (English) name the fault; the hint says what to do about it.
    return YamlProblem(
        line, say(N_("YAML syntax error: {problem}{hint}"), problem=problem, hint=hint)
    )


# A value that starts with a quote: after "key: ", "- " or at the start of a line.
_QUOTED_START = re.compile(r"""^\s*(?:-\s+)?(?:[^\s"'#][^#]*?:\s+)?(["'])(.*)$""")


def _unclosed_quote_line(lines: list[str]) -> int | None:
    """The last line whose quoted value does not close on it: the usual cause of odd errors."""
    for number in range(len(lines), 0, -1):
        match = _QUOTED_START.match(lines[number - 1])
        if match is None:
            continue
        quote, rest = match.groups()
        # Drop escapes ('' in single quotes, \x in double quotes) before looking for the end.
        rest = rest.replace("''", "") if quote == "'" else re.sub(r"\\.", "", rest)
        if quote not in rest:
            return number
    return None


def _hint(error: MarkedYAMLError, problem: str) -> Text | str:
    context = error.context or ""
    opened = error.context_mark.line + 1 if error.context_mark else None
    if "mapping values are not allowed" in problem:
        return say(N_(" (put a value that contains ': ' in quotes, or check the indentation)"))
    if "quoted scalar" in context and opened is not None:
        return say(N_(" (the quote opened at line {line} is never closed)"), line=opened)
    if "flow sequence" in context and opened is not None:
        return say(N_(" (the '[' at line {line} is never closed)"), line=opened)
    if "flow mapping" in context and opened is not None:
        return say(N_(" (the '{{' at line {line} is never closed)"), line=opened)
    if "could not find expected ':'" in problem:
        return say(N_(" (this line is not 'key: value'; a long text must be indented or quoted)"))
    if any(
        clue in problem
        for clue in ("block end", "expected key", "'-' indicator", "document start")
    ):
        return say(N_(" (check the indentation: it must line up with the lines above)"))
    if "cannot start any token" in problem:
        return say(N_(" (put a value that starts with this character in quotes)"))
    return ""


class _Refused(Exception):
    """Stops parsing at something we do not read at all."""

    def __init__(self, line: int, message: Text) -> None:
        super().__init__(str(message))
        self.problem = YamlProblem(line, message)


class _NoDocument:
    pass


_NO_DOCUMENT: Final = _NoDocument()


def _line(event: Event | None) -> int:
    mark = event.start_mark if event is not None else None
    return mark.line + 1 if mark is not None else 1


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag


class _Builder:
    """Builds plain values from parser events, recording lines as it goes."""

    loader: yaml.CSafeLoader | yaml.SafeLoader

    def __init__(self, max_nodes: int) -> None:
        self.max_nodes = max_nodes
        self.nodes = 0
        self.root_line = 1
        self.problems: list[YamlProblem] = []
        self.key_lines: dict[Path, int] = {}
        # Plain scalars repeat (skill ids, kinds, true/false): resolve each text once.
        self.resolved: dict[str, str] = {}

    def document(self, text: str) -> object:
        """The value of the only document in `text`, or _NO_DOCUMENT."""
        loader = self.loader = _Loader(text)
        try:
            loader.get_event()  # StreamStartEvent
            if loader.check_event(StreamEndEvent):
                return _NO_DOCUMENT
            loader.get_event()  # DocumentStartEvent
            self.root_line = _line(loader.peek_event())
            value = self.node((), 0, record=True)
            loader.get_event()  # DocumentEndEvent
            if loader.check_event(DocumentStartEvent):
                second = _line(loader.peek_event())
                raise _Refused(
                    second,
                    say(
                        N_(
                            "the file holds more than one YAML document (another starts at "
                            "line {line}); remove the '---' line"
                        ),
                        line=second,
                    ),
                )
            return value
        finally:
            loader.dispose()

    def node(self, path: Path, depth: int, *, record: bool) -> object:
        event = self.loader.get_event()
        line = _line(event)
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise _Refused(
                line,
                say(N_("the file has more than {count} YAML values"), count=f"{self.max_nodes:,}"),
            )
        if isinstance(event, AliasEvent) or (
            isinstance(event, NodeEvent) and event.anchor is not None
        ):
            raise _Refused(line, say(ALIAS_MESSAGE))
        if isinstance(event, ScalarEvent):
            return self.scalar(event, line)
        if isinstance(event, CollectionStartEvent):
            if depth >= MAX_DEPTH:
                raise _Refused(
                    line,
                    say(N_("the file is nested more than {depth} levels deep"), depth=MAX_DEPTH),
                )
            tag = event.tag
            if isinstance(event, SequenceStartEvent):
                if tag not in (None, "!", _SEQ_TAG):
                    self.problems.append(_unsupported_tag(line, tag))
                return self.sequence(path, depth, record=record)
            if isinstance(event, MappingStartEvent):
                if tag not in (None, "!", _MAP_TAG):
                    self.problems.append(_unsupported_tag(line, tag))
                return self.mapping(path, depth, record=record)
        # Stream and document events cannot appear here in a well-formed event stream.
        raise _Refused(
            line,
            say(N_("YAML syntax error: {problem}{hint}"), problem="unexpected structure", hint=""),
        )

    def sequence(self, path: Path, depth: int, *, record: bool) -> list[object]:
        loader = self.loader
        result: list[object] = []
        while not loader.check_event(SequenceEndEvent):
            entry = (*path, len(result))
            if record:
                self.key_lines[entry] = _line(loader.peek_event())
            result.append(self.node(entry, depth + 1, record=record))
        loader.get_event()
        return result

    def mapping(self, path: Path, depth: int, *, record: bool) -> dict[Key, object]:
        loader = self.loader
        result: dict[Key, object] = {}
        first_lines: dict[object, int] = {}
        while not loader.check_event(MappingEndEvent):
            key_line = _line(loader.peek_event())
            key = self.node(path, depth + 1, record=False)
            usable = True
            if isinstance(key, list | dict):
                self.problems.append(
                    YamlProblem(
                        key_line,
                        say(N_("a key must be a plain word or text, not a list or mapping")),
                    )
                )
                usable = False
            elif key in first_lines:
                self.problems.append(
                    YamlProblem(
                        key_line,
                        say(
                            N_("duplicate key {key} (first at line {line})"),
                            key=_show_key(key),
                            line=first_lines[key],
                        ),
                    )
                )
                usable = False  # keep the first value: that is the one the message points to
            else:
                first_lines[key] = key_line
            entry = (*path, key if isinstance(key, str | int) else str(key))
            keep = record and usable
            if keep:
                self.key_lines[entry] = key_line
            value = self.node(entry, depth + 1, record=keep)
            if usable:
                result[_as_key(key)] = value
        loader.get_event()
        return result

    def scalar(self, event: ScalarEvent, line: int) -> object:
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return event.value  # quoted or block text: always a string
            tag = self.resolved.get(event.value)
            if tag is None:
                resolve = cast(_Resolve, self.loader.resolve)
                tag = self.resolved[event.value] = resolve(ScalarNode, event.value, (True, False))
        if tag == _STR_TAG:
            return event.value  # what the str constructor would return, minus its overhead
        if tag == _MERGE_TAG:
            self.problems.append(YamlProblem(line, say(N_("merge keys ('<<') are not supported"))))
            return event.value
        if tag == _VALUE_TAG:  # a lone '=' : safe_load fails on it, but it is only text
            return event.value
        if tag not in _SCALAR_TAGS:
            self.problems.append(_unsupported_tag(line, tag))
            return event.value
        node = ScalarNode(tag, event.value, None, None, event.style)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError) as error:
            self.problems.append(YamlProblem(line, _scalar_error(tag, event.value, error)))
            return event.value


def _unsupported_tag(line: int, tag: str) -> YamlProblem:
    return YamlProblem(line, say(N_("the tag '{tag}' is not supported"), tag=_tag_name(tag)))


def _scalar_error(tag: str, value: str, error: Exception) -> Text:
    # The reason in brackets is the parser's or Python's own English.
    if tag == _YAML_TAG + "timestamp":
        return say(N_("'{value}' is not a valid date ({reason})"), value=value, reason=str(error))
    reason = error.problem if isinstance(error, MarkedYAMLError) and error.problem else error
    return say(
        N_("'{value}' is not a valid {tag} value ({reason})"),
        value=value[:40],
        tag=_tag_name(tag),
        reason=str(reason),
    )


def _as_key(key: object) -> Key:
    # Keep str and int keys as safe_load would; other hashable scalars (dates, floats, None)
    # become text, which the models then report as unknown fields.
    return key if isinstance(key, str | int) else str(key)


def _show_key(key: object) -> str:
    return repr(key) if isinstance(key, str) else f"'{key}'"


__all__ = [
    "ALIAS_MESSAGE",
    "EMPTY_MESSAGE",
    "MAPPING_MESSAGE",
    "MAX_DEPTH",
    "MAX_NODES",
    "TAB_INDENT_MESSAGE",
    "Key",
    "ParsedYaml",
    "Path",
    "YamlProblem",
    "parse_yaml",
    "too_big_message",
]
