"""Domain errors: the adapters turn each into a short message for the user."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.domain.quizfile.messages import Problem


class QuizbotError(Exception):
    """Base of the errors a user can cause; the message is safe to show."""


class InvalidInputError(QuizbotError):
    """What the user typed cannot be used (a missing or too long argument)."""


class InvalidChoiceError(QuizbotError):
    """The chosen options are not a possible answer to the item."""


class NotFoundError(QuizbotError):
    """A quiz, attempt or item does not exist (or is not visible to this user)."""


class NotYourAttemptError(QuizbotError):
    """Someone pressed a button of another learner's attempt."""


class StaleItemError(QuizbotError):
    """The item is not the one being asked (an old message, or already answered)."""


class AlreadyAnsweredError(QuizbotError):
    """The item was answered already in this attempt; the first answer stands."""


class AttemptFinishedError(QuizbotError):
    """The attempt is over."""


class QuizImportError(QuizbotError):
    """A quiz file has problems; nothing was imported.

    `problems` are ``FILE:LINE: message`` lines for terminals; `located` holds the same
    problems with their parts apart, for adapters that show them another way (the chat).
    """

    def __init__(self, problems: list[str], located: Sequence[Problem] = ()) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing imported")
        self.problems = problems
        self.located = tuple(located)


class InvalidSettingError(QuizbotError):
    """A learner's setting (a time zone, a window) is not one the bot accepts."""
