"""Grading and option order: pure functions on plain values."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection

from bot.domain.errors import ChoiceProblem, InvalidChoiceError
from bot.domain.quizfile.model import ItemKind

LETTERS = "ABCDEFGH"


def option_order(seed: int, item_key: str, count: int) -> list[int]:
    """Return the display order of an item's options for one attempt.

    Derived from the attempt's seed and the item's key with a stable hash, so the order is
    the same after a restart and on every machine (Python's `hash` is salted per process).
    """
    digest = hashlib.sha256(f"{seed}:{item_key}".encode()).digest()
    order = list(range(count))
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(order)
    return order


# True/false reads best as written; a contradiction's options are passages of the source,
# which an explanation may call "the first passage" and which read best in the source's order.
_FILE_ORDER = frozenset({ItemKind.TRUE_FALSE, ItemKind.CONTRADICTION})


def keeps_file_order(kind: ItemKind | str) -> bool:
    """Whether an item's options are shown in the order the author wrote them."""
    return ItemKind(kind) in _FILE_ORDER


def check_choice(kind: ItemKind | str, option_count: int, chosen: Collection[int]) -> None:
    """Raise InvalidChoiceError unless `chosen` is a possible answer to the item."""
    if not chosen:
        raise InvalidChoiceError(ChoiceProblem.NONE_CHOSEN)
    if any(not 0 <= i < option_count for i in chosen):
        raise InvalidChoiceError(ChoiceProblem.NO_SUCH_OPTION)
    if ItemKind(kind) is not ItemKind.MULTIPLE and len(set(chosen)) != 1:
        raise InvalidChoiceError(ChoiceProblem.NOT_ONE)


def grade(correct: Collection[int], chosen: Collection[int]) -> bool:
    """An answer is right when it picks exactly the correct options."""
    return set(correct) == set(chosen)


def is_round_end(answered: int, total: int, round_size: int) -> bool:
    """A round ends after every `round_size` answers and at the end of the quiz."""
    return answered == total or answered % round_size == 0
