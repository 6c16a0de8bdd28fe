"""Item-writing checks: each warns at the line of what to fix, and none fails on odd items."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.quizfile.checks import QuizCheck, validate_quiz
from bot.domain.quizfile.lint import lint_items
from bot.domain.quizfile.messages import Problem
from bot.domain.quizfile.model import Item, ItemKind, Option

TODAY = dt.date(2026, 12, 6)
SOURCE = (
    "The council approved a bike lane on Monday, according to its minutes. Critics say the "
    "lane will ruin local shops. The mayor said deaths fell by half. Unsurprisingly, the "
    "shops were quiet. The lane surprised drivers."
)


def quiz(*items: str) -> str:
    """A quiz file with the given items (each a YAML block indented for `items:`)."""
    head = textwrap.dedent(
        f"""\
        id: lint
        title: Lint
        source:
          title: Bike lane
          text: "{SOURCE}"
        items:
        """
    )
    return head + "".join(textwrap.indent(textwrap.dedent(item), "  ") for item in items)


def item(
    item_id: str,
    options: str,
    *,
    kind: str = "single",
    verdict: str | None = "sound",
    passage: str = "Critics say the lane will ruin local shops.",
    question: str = "What is missing here?",
) -> str:
    verdict_line = f"verdict: {verdict}\n" if verdict else ""
    return (
        f"- id: {item_id}\n  kind: {kind}\n  skill: sourcing\n  "
        + verdict_line.replace("\n", "\n  ")
        + f"passage: {passage}\n  question: {question}\n  options:\n"
        + textwrap.indent(textwrap.dedent(options), "    ")
        + "  explanation: Because.\n"
    )


def check(text: str) -> QuizCheck:
    return validate_quiz(text, file="q.yaml", skills={"sourcing"}, read_source=None, today=TODAY)


def found(result: QuizCheck, code: str) -> list[Problem]:
    return [p for p in result.problems if p.message.endswith(f"[{code}]")]


def line_of(text: str, marker: str, nth: int = 1) -> int:
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if marker in line]
    return hits[nth - 1]


def plain(text: str, *, correct: bool = False, judgement: str = "sound") -> str:
    """One option with feedback and a judgement, so only the check under test fires."""
    if correct:
        return f"- text: {text}\n  correct: true\n"
    return f"- text: {text}\n  feedback: Look again.\n  judgement: {judgement}\n"


CLEAN = item(
    "clean",
    plain("Who they are", correct=True)
    + plain("What day the vote was")
    + plain("How wide the road is"),
)


def test_a_clean_item_has_no_warning() -> None:
    result = check(quiz(CLEAN))
    assert result.problems == ()


def test_key_length_warns_at_the_options() -> None:
    text = quiz(
        item(
            "long",
            plain("The names of the critics and of any shop owners they speak for", correct=True)
            + plain("The day")
            + plain("The road"),
        )
    )
    (problem,) = found(check(text), "key-length")
    assert problem.line == line_of(text, "options:")
    assert problem.severity == "warning"
    assert problem.message.startswith("item 1 ('long'): the right option is 62 characters")


def test_a_short_key_beside_short_options_is_no_cue() -> None:
    text = quiz(item("yesno", plain("Yes, they do", correct=True) + plain("No")))
    assert found(check(text), "key-length") == []


def test_key_longest_share_lists_the_items() -> None:
    blocks = [
        item(
            f"i{n}",
            plain(f"The critics' names, case {n}", correct=True)
            + plain("Day of vote")
            + plain("Road width"),
        )
        for n in range(6)
    ]
    text = quiz(*blocks)
    (problem,) = found(check(text), "key-longest-share")
    assert problem.line == line_of(text, "- id: i0")
    assert "longest in 6 of 6 one-answer items, where chance would give about 2" in problem.message
    assert "i0, i1, i2, i3, i4, i5" in problem.message


def test_key_longest_at_chance_is_fine() -> None:
    blocks = [
        item(
            f"i{n}",
            plain("Critics" if n % 3 else "The critics' names here", correct=True)
            + plain("The day of the vote")
            + plain("How wide the road is"),
        )
        for n in range(9)
    ]
    assert found(check(quiz(*blocks)), "key-longest-share") == []


def test_hedged_key_among_absolutes() -> None:
    text = quiz(
        item(
            "hedge",
            plain("They may be shop owners, partly", correct=True)
            + plain("Nobody at all has spoken")
            + plain("Every shop has closed"),
        )
    )
    (problem,) = found(check(text), "hedged-key")
    assert problem.line == line_of(text, "options:")


def test_a_negated_absolute_is_a_hedge() -> None:
    text = quiz(
        item(
            "negated",
            plain("Reported, but not proven", correct=True)
            + plain("North Korea admitted it")
            + plain("Nobody reported weapons"),
        )
    )
    assert len(found(check(text), "hedged-key")) == 1


def test_a_hedged_distractor_removes_the_cue() -> None:
    text = quiz(
        item(
            "mixed",
            plain("They may be shop owners", correct=True)
            + plain("Nobody has spoken")
            + plain("Perhaps the mayor"),
        )
    )
    assert found(check(text), "hedged-key") == []


def test_word_cue_names_the_word_and_the_line() -> None:
    text = quiz(
        item(
            "clang",
            plain("It was no surprise", correct=True)
            + plain("The vote was on Monday")
            + plain("The mayor gave a figure"),
            passage="Unsurprisingly, the shops were quiet.",
        )
    )
    (problem,) = found(check(text), "word-cue")
    assert problem.line == line_of(text, "It was no surprise")
    assert "only the right option repeats 'surpris'" in problem.message


def test_a_shared_word_in_a_distractor_removes_the_cue() -> None:
    text = quiz(
        item(
            "shared",
            plain("It was no surprise", correct=True)
            + plain("A surprise to the mayor")
            + plain("The vote was on Monday"),
            passage="Unsurprisingly, the shops were quiet.",
        )
    )
    assert found(check(text), "word-cue") == []


def test_reused_option_warns_at_each_place() -> None:
    shared = plain("The council decided it")
    blocks = [
        item(f"r{n}", plain(f"Option {n}", correct=True) + shared + plain(f"Other {n}"))
        for n in range(3)
    ]
    text = quiz(*blocks)
    problems = found(check(text), "reused-option")
    assert [p.line for p in problems] == [
        line_of(text, "The council decided it", n) for n in (1, 2, 3)
    ]
    assert problems[0].message.startswith(
        "item 1 ('r0'), option 2: the same text is an option in 3"
    )


def test_two_uses_are_not_yet_many() -> None:
    shared = plain("The council decided it")
    blocks = [item(f"r{n}", plain(f"Option {n}", correct=True) + shared) for n in range(2)]
    assert found(check(quiz(*blocks)), "reused-option") == []


def multiple(item_id: str, correct: int) -> str:
    options = "".join(
        plain(f"Part {n} of {item_id}", correct=n < correct) for n in range(correct + 1)
    )
    return item(item_id, options, kind="multiple")


def test_choose_all_items_with_one_count() -> None:
    text = quiz(multiple("m1", 3), multiple("m2", 3), multiple("m3", 3))
    (problem,) = found(check(text), "choose-all-count")
    assert problem.line == line_of(text, "- id: m1")
    assert "every 'choose all' item has exactly 3 right options (m1, m2, m3)" in problem.message


def test_choose_all_items_with_varied_counts() -> None:
    text = quiz(multiple("m1", 3), multiple("m2", 1), multiple("m3", 3))
    assert found(check(text), "choose-all-count") == []


def true_false(item_id: str, *, true_keyed: bool) -> str:
    options = (
        plain('"True"', correct=True) + '- text: "False"\n  judgement: flawed\n'
        if true_keyed
        else '- text: "True"\n  judgement: sound\n' + plain('"False"', correct=True)
    )
    return item(item_id, options, kind="true_false")


def test_true_false_keys_far_from_half() -> None:
    text = quiz(*(true_false(f"t{n}", true_keyed=n != 3) for n in range(4)))
    (problem,) = found(check(text), "true-false-balance")
    assert problem.line == line_of(text, "- id: t0")
    assert problem.message.startswith("3 of 4 true/false items have the first option ('True')")


def test_true_false_keys_near_half() -> None:
    text = quiz(*(true_false(f"t{n}", true_keyed=n % 2 == 0) for n in range(4)))
    assert found(check(text), "true-false-balance") == []


def test_wrong_option_without_feedback() -> None:
    text = quiz(
        item(
            "nofb",
            plain("Who the critics are", correct=True)
            + "- text: When the vote was\n  judgement: neither\n"
            + plain("How wide the road is"),
        )
    )
    (problem,) = found(check(text), "no-feedback")
    assert problem.line == line_of(text, "When the vote was")
    assert problem.message.startswith("item 1 ('nofb'), option 2: a wrong option with no")


def test_true_false_needs_no_feedback_on_the_wrong_option() -> None:
    assert found(check(quiz(true_false("t", true_keyed=True))), "no-feedback") == []


def test_wrong_option_without_judgement() -> None:
    text = quiz(
        item(
            "nojudge",
            plain("Who the critics are", correct=True)
            + "- text: When the vote was\n  feedback: Look again.\n"
            + plain("How wide the road is"),
        )
    )
    (problem,) = found(check(text), "no-judgement")
    assert problem.line == line_of(text, "When the vote was")


def test_no_judgement_needed_without_a_verdict() -> None:
    text = quiz(
        item(
            "noverdict",
            plain("Who the critics are", correct=True)
            + "- text: When the vote was\n  feedback: Look again.\n",
            verdict=None,
        )
    )
    assert found(check(text), "no-judgement") == []


@pytest.mark.parametrize("text", ["All of the above", "None of these", "both of the above"])
def test_of_the_above(text: str) -> None:
    quiz_text = quiz(
        item(
            "above",
            plain("Who the critics are", correct=True) + plain(text) + plain("The road"),
        )
    )
    (problem,) = found(check(quiz_text), "of-the-above")
    assert problem.line == line_of(quiz_text, text)


def test_strict_turns_warnings_into_errors_and_withholds_the_quiz() -> None:
    text = quiz(
        item("nofb", plain("Who they are", correct=True) + "- text: When\n  judgement: neither\n")
    )
    result = check(text)
    assert result.ok
    assert result.quiz is not None
    strict = result.strict()
    assert not strict.ok
    assert strict.quiz is None
    assert [p.severity for p in strict.problems] == ["error"]
    assert check(quiz(CLEAN)).strict().quiz is not None


def test_a_judgement_needs_a_verdict_and_the_key_takes_the_verdict() -> None:
    text = quiz(
        item(
            "bad",
            "- text: Who\n  correct: true\n  judgement: sound\n" + plain("When"),
            verdict="flawed",
        ),
        item("none", plain("Who", correct=True) + plain("When"), verdict=None),
    )
    errors = {p.line: p.message for p in check(text).errors}
    assert errors == {
        line_of(text, "judgement: sound", 1): (
            "item 1 ('bad'), option 1: a correct option's judgement is the item's verdict "
            "('flawed'), not 'sound'"
        ),
        line_of(text, "judgement: sound", 3): (
            "item 2 ('none'), option 2: 'judgement' needs the item's 'verdict' (sound or "
            "flawed): add one, or remove the judgement"
        ),
    }


# --- odd items -------------------------------------------------------------------------------


def odd(kind: ItemKind, options: list[Option]) -> Item:
    """An item built without validation, as no file could make it: the checks must cope."""
    return Item.model_construct(
        id="odd",
        kind=kind,
        skill="sourcing",
        claims=[],
        verdict=None,
        passage="p",
        question="q",
        options=options,
        explanation="e",
        references=[],
        checked=None,
    )


@pytest.mark.parametrize("kind", list(ItemKind))
@pytest.mark.parametrize(
    "options",
    [
        [],
        [Option(text="only", correct=True)],
        [Option(text="only")],
        [Option(text="x" * 100_000, correct=True), Option(text="y" * 100_000)],
        [Option(text="ក្រុមហ៊ុន", correct=True), Option(text="ការពិត"), Option(text="😀")],
        [Option(text="a", correct=True), Option(text="b", correct=True)],
    ],
)
def test_odd_items_never_crash(kind: ItemKind, options: list[Option]) -> None:
    findings = lint_items([(0, odd(kind, options))] * 7)
    assert all(f.code for f in findings)


_texts = st.text(min_size=1, max_size=80)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(ItemKind)),
            st.lists(st.tuples(_texts, st.booleans()), min_size=0, max_size=9),
            _texts,
        ),
        max_size=12,
    )
)
def test_any_items_lint_without_crashing(
    raw: list[tuple[ItemKind, list[tuple[str, bool]], str]],
) -> None:
    items = []
    for index, (kind, options, passage) in enumerate(raw):
        built = odd(kind, [Option.model_construct(text=t, correct=c) for t, c in options])
        items.append((index, built.model_copy(update={"passage": passage})))
    for finding in lint_items(items):
        assert finding.path[0] == "items"
        assert finding.item is None or 0 <= finding.item < len(raw)
