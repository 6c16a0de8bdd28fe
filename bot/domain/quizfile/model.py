"""The quiz format: pydantic models of one quiz file and of the skill catalogue.

These models describe the *shape* of a file. Checks that need the whole file (passages in
the source, duplicate ids, known skills, Telegram limits) live in `checks.py`, which
reports every problem with its line number.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
)

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
ITEM_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"
CLAIM_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
ClaimId = Annotated[str, StringConstraints(pattern=CLAIM_ID_PATTERN)]


def _date_as_text(value: object) -> object:
    # YAML reads 2026-02-02 as a date; a free-form date field takes it as written.
    return value.isoformat() if isinstance(value, dt.date) else value


FreeDate = Annotated[str | None, BeforeValidator(_date_as_text)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

MIN_OPTIONS = 2
MAX_OPTIONS = 8


class _Strict(BaseModel):
    """Base for file models: unknown fields are errors, so typos are caught."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemKind(StrEnum):
    """How an item is answered."""

    SINGLE = "single"  # one correct option
    TRUE_FALSE = "true_false"  # exactly two options, "True"/"False" style
    MULTIPLE = "multiple"  # choose all that apply: one or more correct options
    CONTRADICTION = "contradiction"  # options are source passages; one conflicts


class Verdict(StrEnum):
    """Whether an item's right answer finds the claim sound or flawed.

    Reports use it to measure discernment (hits and false alarms), not only scores.
    """

    SOUND = "sound"
    FLAWED = "flawed"


class Judgement(StrEnum):
    """What a learner who picks an option believes about the item's claim.

    Discernment is measured from these, not from right and wrong: a wrong answer on a sound
    claim may be over-doubt (judged it flawed) or a misreading (neither), and only the first
    is a false alarm.
    """

    SOUND = "sound"  # the claim holds
    FLAWED = "flawed"  # the claim is unsourced, inconsistent or wrong
    NEITHER = "neither"  # a misreading: says nothing about whether the claim holds


class Option(_Strict):
    """One answer option."""

    text: Text = Field(description="What the learner reads; for contradiction items a passage.")
    correct: bool = Field(default=False, description="Marks a right answer.")
    feedback: Text | None = Field(
        default=None, description="Shown when the learner picks this option."
    )
    judgement: Judgement | None = Field(
        default=None,
        description="For items with a verdict: what a learner who picks this option believes "
        "about the claim: 'sound' (it holds), 'flawed' (it does not) or 'neither' (a "
        "misreading). A correct option's judgement is the item's verdict.",
    )

    @model_serializer(mode="wrap")
    def _omit_unset_judgement(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, object]:
        # Files written before judgements existed keep their content hash, so re-importing
        # an unchanged quiz does not make a new version.
        data: dict[str, object] = handler(self)
        if data.get("judgement") is None:
            data.pop("judgement", None)
        return data


class Reference(_Strict):
    """A source behind an explanation."""

    title: Text
    publisher: Text | None = None
    date: FreeDate = Field(default=None, description="Publication date, free form.")
    url: Text | None = None


class Item(_Strict):
    """One question about one passage of the source."""

    id: Annotated[str, StringConstraints(pattern=ITEM_ID_PATTERN)] = Field(
        description="Stable id, unique in the quiz; answers are tracked by it across versions."
    )
    kind: ItemKind = ItemKind.SINGLE
    skill: Slug = Field(description="Id of a skill in quizzes/skills.yaml.")
    claims: list[ClaimId] = Field(
        default_factory=list,
        description="Ids of the claims of the source this item covers; with a claim list in "
        "the file, each must be one of its ids.",
    )
    verdict: Verdict | None = Field(
        default=None,
        description="'sound' when the right answer finds the claim sound, sourced or "
        "consistent; 'flawed' when it does not. About the claim, not about which option is "
        "'True'. Used for discernment reports.",
    )
    passage: Text = Field(description="Exact quote from the source text (whitespace may vary).")
    question: Text
    options: list[Option] = Field(min_length=MIN_OPTIONS, max_length=MAX_OPTIONS)
    explanation: Text
    references: list[Reference] = Field(default_factory=list)
    checked: dt.date | None = Field(
        default=None, description="When the facts in the explanation were last checked."
    )

    @property
    def correct_indices(self) -> frozenset[int]:
        """Indices (file order) of the correct options."""
        return frozenset(i for i, o in enumerate(self.options) if o.correct)


class Source(_Strict):
    """The text a quiz is drawn from."""

    title: Text
    publisher: Text | None = None
    date: FreeDate = Field(default=None, description="Publication date, free form.")
    url: Text | None = None
    author: Text | None = None
    text: str | None = Field(default=None, description="The full source text, inline.")
    text_file: Text | None = Field(
        default=None, description="Path of a UTF-8 file with the source text, next to the quiz."
    )
    license: Text | None = None


class FormName(StrEnum):
    """One of the two parallel forms of an assessment set."""

    A = "A"
    B = "B"


class Assessment(_Strict):
    """Marks a quiz as one form of a pre-, post- and delayed test (docs/reports.md).

    A form is taken through a cohort's tests only: its answers get no feedback until the
    form is finished, change no skill's memory model, plan no follow-up, and /quiz does not
    offer it.
    """

    set: Slug = Field(description="Id of the assessment set; its two forms share it.")
    form: FormName = Field(description="'A' or 'B': the two parallel forms of the set.")


class Claim(_Strict):
    """One claim of the source: its words, whether it holds, and why."""

    id: ClaimId = Field(description="The id items name in their 'claims' list (C01).")
    passage: Text = Field(description="The claim's words: an exact quote of the source text.")
    verdict: Verdict = Field(
        description="'sound' when a reader who believes the passage as written is right to; "
        "'flawed' when it is unsourced, inconsistent or wrong in a way that changes what a "
        "reader believes. The same meaning as an item's verdict."
    )
    note: Text = Field(description="Why: how the claim is sourced and what is known about it.")


class Quiz(_Strict):
    """One quiz file."""

    id: Slug = Field(description="Quiz id: lower-case letters, digits and hyphens.")
    title: Text
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")] = "en"
    description: Text | None = None
    assessment: Assessment | None = Field(
        default=None,
        description="Makes the quiz one form of a cohort's pre-, post- and delayed test "
        "(set and form A or B) instead of a training quiz.",
    )
    source: Source
    claims: list[Claim] | None = Field(
        default=None,
        min_length=1,
        description="The claims of the source that items refer to by id (optional).",
    )
    items: list[Item] = Field(min_length=1)

    @model_serializer(mode="wrap")
    def _omit_absent_parts(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, object]:
        # A file without a claim list or an assessment keeps the content hash it had before
        # files could hold them, so re-importing it does not make a new version.
        data: dict[str, object] = handler(self)
        for part in ("claims", "assessment"):
            if data.get(part) is None:
                data.pop(part, None)
        return data


class Skill(_Strict):
    """One skill of the catalogue, with the lesson sent as a follow-up."""

    id: Slug
    name: Text
    definition: Text
    lesson: Text


class SkillCatalogue(_Strict):
    """The file quizzes/skills.yaml."""

    skills: list[Skill] = Field(min_length=1)


def option_judgements(
    verdict: Verdict | str | None, options: Sequence[tuple[bool, Judgement | str | None]]
) -> tuple[Judgement, ...] | None:
    """Each option's judgement from (correct, judgement as written) pairs.

    A correct option judges as the verdict says. A wrong option without a judgement of its
    own judges the opposite: the reading reports made before options carried judgements,
    kept so that their figures do not change.
    """
    if verdict is None:
        return None
    key = Judgement(Verdict(verdict).value)
    opposite = Judgement.FLAWED if key is Judgement.SOUND else Judgement.SOUND
    return tuple(
        key if correct else Judgement(written) if written is not None else opposite
        for correct, written in options
    )


_WS = re.compile(r"\s+")
# Curly, low (German) and reversed quotes all count as the straight ones.
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
    }
)


def normalise(text: str) -> str:
    """Collapse whitespace and straighten typographic quotes, for passage matching."""
    return _WS.sub(" ", text.translate(_QUOTES)).strip()
