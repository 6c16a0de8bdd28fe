"""The quiz file's claim list: ids items refer to, passages, verdicts, claims no item uses."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable

from bot.domain.quizfile.checks import QuizCheck, validate_quiz
from bot.domain.quizfile.model import Verdict

TODAY = dt.date(2026, 3, 2)
SKILLS = frozenset({"sourcing", "numbers-and-currency"})
SOURCE = (
    "The old stone bridge reopened on Tuesday after two years of repairs, the county roads "
    "office said. The work cost about 3 million euros."
)

# Line numbers in the tests below refer to this listing; `line_of` finds them by content.
QUIZ = textwrap.dedent(
    f"""\
    id: bridge
    title: The old bridge
    source:
      title: Old bridge reopens
      text: {SOURCE}
    claims:
      - id: C1
        passage: the county roads office said
        verdict: sound
        note: A named office; its notices are public.
      - id: C2
        passage: The work cost about 3 million euros.
        verdict: sound
        note: The final account is 2.86 million euros; "about 3 million" rounds it.
    items:
      - id: office
        skill: sourcing
        claims: [C1]
        verdict: sound
        passage: the county roads office said
        question: Does the passage say who gave the news?
        options:
          - text: "Yes: a named public body"
            correct: true
          - text: "No: it names nobody"
            feedback: Read the end of the first sentence.
            judgement: flawed
        explanation: The roads office is named, and its notices can be checked.
      - id: cost
        kind: true_false
        skill: numbers-and-currency
        claims: [C2]
        verdict: sound
        passage: The work cost about 3 million euros.
        question: "True or false: the article overstates the cost."
        options:
          - text: "True"
            judgement: flawed
          - text: "False"
            correct: true
        explanation: The final account is 2.86 million euros, which "about 3 million" rounds.
    """
)


def check(text: str, *, read_source: Callable[[str], str] | None = None) -> QuizCheck:
    return validate_quiz(text, file="q.yaml", skills=SKILLS, read_source=read_source, today=TODAY)


def mutate(old: str, new: str, text: str = QUIZ) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, marker: str, nth: int = 1) -> int:
    found = [n for n, line in enumerate(text.splitlines(), start=1) if marker in line]
    return found[nth - 1]


def messages(result: QuizCheck) -> list[tuple[int, str, str]]:
    return [(p.line, p.severity, p.message) for p in result.problems]


def test_a_quiz_with_a_claim_list_is_valid() -> None:
    result = check(QUIZ)
    assert result.problems == (), [str(p) for p in result.problems]
    assert result.quiz is not None
    assert result.quiz.claims is not None
    assert [(c.id, c.verdict) for c in result.quiz.claims] == [
        ("C1", Verdict.SOUND),
        ("C2", Verdict.SOUND),
    ]


def _without_claim_list(text: str) -> str:
    return text[: text.index("claims:\n")] + text[text.index("items:\n") :]


def test_without_a_claim_list_item_claims_are_not_checked() -> None:
    text = _without_claim_list(QUIZ)
    assert "note:" not in text
    result = check(text.replace("claims: [C1]", "claims: [C99]"))
    assert result.problems == (), [str(p) for p in result.problems]
    assert result.quiz is not None
    assert result.quiz.claims is None


def test_an_unknown_claim_id_is_an_error_with_a_hint() -> None:
    text = mutate("claims: [C2]", "claims: [C3]")
    text = mutate("  - id: C2\n", "  - id: Cost2\n", text)
    text = mutate("claims: [C1]", "claims: [C1, Cost]", text)
    assert messages(check(text)) == [
        (
            line_of(text, "- id: Cost2"),
            "warning",
            "claim 2 ('Cost2'): no item refers to this claim; name it in an item's 'claims' "
            "or remove it [unused-claim]",
        ),
        (
            line_of(text, "claims: [C1, Cost]"),
            "error",
            "item 1 ('office'): unknown claim 'Cost' (did you mean 'Cost2'?); every claim an "
            "item names must be in the file's claim list",
        ),
        (
            line_of(text, "claims: [C3]"),
            "error",
            "item 2 ('cost'): unknown claim 'C3'; every claim an item names must be in the "
            "file's claim list",
        ),
    ]


def test_an_unknown_claim_id_in_a_list_written_over_lines_points_at_its_line() -> None:
    text = mutate("    claims: [C2]\n", "    claims:\n      - C2\n      - C7\n")
    (problem,) = check(text).problems
    assert problem.line == line_of(text, "- C7")
    assert problem.message.startswith("item 2 ('cost'): unknown claim 'C7'")


def test_duplicate_claim_ids_are_errors() -> None:
    text = mutate("  - id: C2\n", "  - id: C1\n")
    text = mutate("claims: [C2]", "claims: [C1]", text)
    assert messages(check(text)) == [
        (line_of(text, "- id: C1", 2), "error", "duplicate claim id 'C1' (first at line 7)")
    ]


def test_an_item_that_disagrees_with_its_only_claim_gets_a_warning() -> None:
    text = mutate(
        "    verdict: sound\n    note: The final", "    verdict: flawed\n    note: The final"
    )
    result = check(text)
    assert result.ok
    assert messages(result) == [
        (
            line_of(text, "verdict: sound", 3),
            "warning",
            "item 2 ('cost'): its verdict is 'sound', but its only claim, 'C2', is 'flawed' in "
            "the claim list; if the item asks about another side of the passage, list that "
            "side as a claim of its own [claim-verdict]",
        )
    ]


def test_an_item_with_several_claims_is_not_compared() -> None:
    text = mutate(
        "    verdict: sound\n    note: The final", "    verdict: flawed\n    note: The final"
    )
    text = mutate("claims: [C2]", "claims: [C2, C1]", text)
    assert check(text).problems == ()


def test_an_item_without_a_verdict_is_not_compared() -> None:
    text = mutate(
        "    verdict: sound\n    note: The final", "    verdict: flawed\n    note: The final"
    )
    text = mutate("    claims: [C2]\n    verdict: sound\n", "    claims: [C2]\n", text)
    text = mutate(
        '      - text: "True"\n        judgement: flawed\n',
        '      - text: "True"\n',
        text,
    )
    assert check(text).problems == ()


def test_a_claim_passage_must_be_in_the_source_text() -> None:
    text = mutate(
        "passage: The work cost about 3 million euros.\n    verdict",
        "passage: The work cost about 4 million euros.\n    verdict",
    )
    assert messages(check(text)) == [
        (
            line_of(text, "about 4 million"),
            "error",
            "claim 2 ('C2'): passage not found in the source text (the first 20 characters "
            "match; it differs from: '4 million euros.')",
        )
    ]


def test_a_claim_passage_is_checked_against_a_text_file_too() -> None:
    text = mutate(f"  text: {SOURCE}\n", "  text_file: bridge.txt\n")
    assert check(text, read_source=lambda name: SOURCE).problems == ()
    moved = check(text, read_source=lambda name: SOURCE.replace("county", "city"))
    assert any(
        p.message.startswith("claim 1 ('C1'): passage not found") for p in moved.problems
    ), [str(p) for p in moved.problems]


def test_a_claim_needs_every_field() -> None:
    text = mutate("    note: A named office; its notices are public.\n", "")
    text = mutate(
        "    verdict: sound\n    note: The final", "    verdict: true\n    note: The final", text
    )
    assert messages(check(text)) == [
        (line_of(text, "- id: C1"), "error", "claim 1 ('C1'): missing field 'note'"),
        (
            line_of(text, "verdict: true"),
            "error",
            "claim 2 ('C2'): 'verdict' must be one of: sound, flawed; got True",
        ),
    ]


def test_a_misspelt_claim_field_is_reported_once() -> None:
    text = mutate("    note: A named office", "    nots: A named office")
    assert messages(check(text)) == [
        (
            line_of(text, "nots:"),
            "error",
            "unknown field 'nots' in claim 1 ('C1') (did you mean 'note'?)",
        )
    ]


def test_an_empty_claim_list_is_an_error() -> None:
    text = _without_claim_list(QUIZ).replace("items:\n", "claims: []\nitems:\n")
    text = text.replace("    claims: [C1]\n", "").replace("    claims: [C2]\n", "")
    assert messages(check(text)) == [
        (
            line_of(text, "claims: []"),
            "error",
            "the claim list is empty; list at least one claim, or remove 'claims:'",
        )
    ]
