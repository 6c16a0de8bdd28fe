"""Placeholders: the parts of a drafted quiz that only a person can write.

`quizbot quiz draft` writes "TODO: ..." where options, feedback, explanations, verdicts and
judgements belong. Each placeholder is an error at its line, so an unfinished draft is never
imported; the rest of the file is checked as usual meanwhile. A placeholder stands in for a
verdict or a judgement too, where YAML would otherwise report a value that is not one of
the allowed words, so those are left out of the copy that is checked.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Final

from bot.domain.quizfile.reader import Key, Path
from bot.domain.text import N_, Text, Value, say

PLACEHOLDER: Final = "TODO"
_PLACEHOLDER = re.compile(rf"^\s*{PLACEHOLDER}(?:$|[\s:.,-])")
# Values quoted from the article are the article's words, whatever they say.
_QUOTED: Final = frozenset({"source", "passage"})
# What may stand where a placeholder is (the YAML words stay as they are when translated).
_ALLOWED: Final = {
    "verdict": N_("sound or flawed"),
    "judgement": N_("sound, flawed or neither"),
}


def is_placeholder(value: object) -> bool:
    """Whether a value of the file is a placeholder still to be written."""
    return isinstance(value, str) and _PLACEHOLDER.match(value) is not None


@dataclass(frozen=True)
class Placeholders:
    """The placeholders of a quiz file and the copy of it that the other checks see."""

    found: dict[Path, str]  # each placeholder's path and text
    items: frozenset[int]  # indices of the items that hold at least one
    checked: dict[Key, object]


def placeholder_message(path: Path, value: str) -> Text:
    """What to write at `path` instead of the placeholder `value`, for the reader."""
    hint = value.strip()[len(PLACEHOLDER) :].lstrip(" :.,-")
    allowed = _ALLOWED.get(str(path[-1]))
    # The draft's hint is in the article's language (English): it is shown as written.
    what: Value = say(allowed) if allowed else hint[:100] or say(N_("your own words"))
    return say(N_("still to write ({what})"), what=what)


def find_placeholders(raw: dict[Key, object]) -> Placeholders:
    """Every placeholder of a parsed quiz file, and a copy to check without them."""
    found: dict[Path, str] = {}
    _walk(raw, (), found)
    checked = copy.deepcopy(raw) if found else raw
    for path in found:
        if str(path[-1]) in _ALLOWED:
            _drop(checked, path)
            if path[-1] == "verdict":
                # Judgements are read against the verdict: check them once it is written.
                _drop_judgements(checked, path[:-1])
    items = frozenset(p[1] for p in found if p[0] == "items" and isinstance(p[1], int))
    return Placeholders(found, items, checked)


def _walk(node: object, here: Path, found: dict[Path, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _QUOTED:
                continue
            _walk(value, (*here, key), found)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _walk(value, (*here, index), found)
    elif isinstance(node, str) and is_placeholder(node):
        found[here] = node


def _node(root: object, path: Path) -> object:
    node = root
    for key in path:
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return None
    return node


def _drop(root: object, path: Path) -> None:
    parent = _node(root, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def _drop_judgements(root: object, item: Path) -> None:
    options = _node(root, (*item, "options"))
    if isinstance(options, list):
        for option in options:
            if isinstance(option, dict):
                option.pop("judgement", None)
