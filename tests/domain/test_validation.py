"""Quiz and skill-file validation: every kind of problem, each at its exact line."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
import time
from collections.abc import Callable

import pytest
import yaml

from bot.domain import limits
from bot.domain.quizfile import reader
from bot.domain.quizfile.checks import (
    QUIZ_TOP_LEVEL,
    QuizCheck,
    validate_quiz,
    validate_skill_catalogue,
)
from bot.domain.quizfile.messages import Problem
from bot.domain.quizfile.reader import ALIAS_MESSAGE, TAB_INDENT_MESSAGE, parse_yaml
from bot.domain.quizfile.schema import JSON_SCHEMA_DIALECT, quiz_json_schema

TODAY = dt.date(2026, 3, 2)
SKILLS = frozenset({"sourcing", "contradiction", "framing"})

# Line numbers in the tests below refer to this listing; `line_of` finds them by content.
VALID = textwrap.dedent(
    """\
    id: demo
    title: Demo quiz
    source:
      title: Alleged North Korean Arms in Hamas' Attack on Israel
      text: |
        North Korea has long offered weapons to Hamas. In 2009, Thai
        authorities captured 35 tonnes of North Korea's arms. Israel’s Iron Dome is
        the world's most advanced air defence system. In 2014, a report claimed that
        there had been an arms deal agreement between Hamas and Israel. North Korea
        has been accused of aiming to export arms to foreign countries. Hamas denied it.
    items:
      - id: c01
        skill: sourcing
        verdict: sound
        passage: "In 2009, Thai authorities captured 35 tonnes of North Korea's arms."
        question: Does the passage say who made the seizure?
        options:
          - text: "Yes: officials of Thailand"
            correct: true
          - text: "No: it is unsourced"
            feedback: Look again at who captured the arms.
            judgement: flawed
        explanation: It names the Thai authorities, who can be checked.
        checked: 2026-01-15
      - id: c02
        kind: contradiction
        skill: contradiction
        verdict: flawed
        passage: "North Korea has long offered weapons to Hamas."
        question: Which passage conflicts with this one?
        options:
          - text: "an arms deal agreement between Hamas and Israel"
            correct: true
          - text: "Israel’s Iron Dome is the world's most advanced air defence system"
            feedback: Iron Dome is another topic; it says nothing about arms deals.
            judgement: neither
          - text: "Hamas denied it."
            feedback: A denial fits the claim that the arms were offered.
            judgement: sound
        explanation: The article says the deal was with North Korea, not Israel.
    """
)


# The wrong option of item c01, with its feedback and judgement.
WRONG_OPTION = """- text: "No: it is unsourced"
        feedback: Look again at who captured the arms.
        judgement: flawed"""

# The `text: |` block of the source, to swap for `text_file`.
INLINE_TEXT = VALID[VALID.index("  text: |") : VALID.index("items:")]


def check(text: str | bytes, *, read_source: Callable[[str], str] | None = None) -> QuizCheck:
    """Validate `text` as demo.yaml with the usual skills and date."""
    return validate_quiz(
        text, file="demo.yaml", skills=SKILLS, read_source=read_source, today=TODAY
    )


def mutate(old: str, new: str, text: str = VALID) -> str:
    """Replace the one occurrence of `old` in the listing (failing loudly if it is not there)."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, marker: str, nth: int = 1) -> int:
    """The 1-based line of the `nth` line of `text` that contains `marker`."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if marker in line]
    return found[nth - 1]


def only(result: QuizCheck, severity: str = "error") -> Problem:
    """The one problem of the given severity."""
    problems = [p for p in result.problems if p.severity == severity]
    assert len(problems) == 1, [str(p) for p in result.problems]
    return problems[0]


def messages(result: QuizCheck) -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in result.problems]


# --- a valid quiz ----------------------------------------------------------------------------


def test_valid_quiz_has_no_problems_and_is_returned() -> None:
    result = check(VALID)
    assert result.problems == ()
    assert result.ok
    assert result.quiz is not None
    assert [item.id for item in result.quiz.items] == ["c01", "c02"]
    assert result.source_text is not None
    assert result.source_text.startswith("North Korea has long")


def test_valid_quiz_as_bytes_with_bom() -> None:
    result = check(b"\xef\xbb\xbf" + VALID.encode())
    assert result.ok, [str(p) for p in result.problems]


def test_quiz_is_withheld_when_there_is_an_error() -> None:
    result = check(mutate("skill: sourcing", "skill: nosuchskill"))
    assert not result.ok
    assert result.quiz is None
    assert result.source_text is None


def test_warnings_do_not_block() -> None:
    result = check(mutate("checked: 2026-01-15", "checked: 2024-01-15"))
    assert result.ok
    assert result.quiz is not None
    assert len(result.warnings) == 1
    assert result.errors == ()


# --- Problem ---------------------------------------------------------------------------------


def test_problem_str_follows_file_line_message() -> None:
    assert str(Problem("q.yaml", 7, "boom")) == "q.yaml:7: boom"
    assert str(Problem("q.yaml", 7, "hmm", "warning")) == "q.yaml:7: warning: hmm"


def test_problems_are_sorted_by_line_then_message() -> None:
    text = mutate("skill: contradiction", "skill: zzz")
    text = mutate("skill: sourcing", "skill: aaa", text)
    text = mutate('    passage: "North Korea has long', '    pasage: "North Korea has long', text)
    result = check(text)
    keys = [(p.line, p.message) for p in result.problems]
    assert keys == sorted(keys)
    assert len(result.problems) >= 3


# --- reading the YAML ------------------------------------------------------------------------


def test_syntax_error_is_reported_at_its_line() -> None:
    text = mutate(
        "question: Does the passage say who made the seizure?",
        "question: Seizure: who made it?",
    )
    problem = only(check(text))
    assert problem.line == line_of(text, "Seizure: who")
    assert problem.message.endswith('quote the value: question: "Seizure: who made it?"')


def test_unclosed_quote_names_the_line_where_it_opened() -> None:
    text = mutate('- text: "No: it is unsourced"', '- text: "No: it is unsourced')
    problem = only(check(text))
    assert f"opened at line {line_of(text, 'No: it is unsourced')}" in problem.message


@pytest.fixture(params=["libyaml", "python"])
def yaml_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with both the C and the pure-Python YAML parser."""
    if request.param == "libyaml":
        if not yaml.__with_libyaml__:
            pytest.skip("PyYAML was built without libyaml")
        monkeypatch.setattr(reader, "_Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(reader, "_Loader", yaml.SafeLoader)
    return str(request.param)


@pytest.mark.usefixtures("yaml_backend")
def test_tab_indentation_gets_a_clear_message() -> None:
    text = mutate("    explanation: It names", "\texplanation: It names")
    problem = only(check(text))
    assert problem.line == line_of(text, "explanation: It names")
    assert problem.message == TAB_INDENT_MESSAGE


@pytest.mark.usefixtures("yaml_backend")
def test_tab_inside_a_nested_mapping() -> None:
    text = "id: x\nsource:\n  title: t\n\ttext: y\n"
    problem = only(check(text))
    assert (problem.line, problem.message) == (4, TAB_INDENT_MESSAGE)


@pytest.mark.usefixtures("yaml_backend")
def test_syntax_error_line_is_within_the_file() -> None:
    problem = only(check("id: x\ntitle: [unclosed\n"))
    assert problem.line == 2
    assert "never closed" in problem.message


def test_duplicate_key_is_reported_with_the_first_line() -> None:
    text = mutate(
        "    explanation: It names the Thai",
        "    question: Who seized the arms?\n    explanation: It names the Thai",
    )
    first = line_of(text, "question: Does the passage")
    problem = only(check(text))
    assert problem.line == line_of(text, "question: Who seized")
    assert problem.message == f"duplicate key 'question' (first at line {first})"


def test_billion_laughs_is_refused_fast() -> None:
    lines = ['lol0: &lol0 "lol"'] + [
        f"lol{n}: &lol{n} [" + ", ".join([f"*lol{n - 1}"] * 10) + "]" for n in range(1, 10)
    ]
    bomb = "\n".join(lines) + "\n"
    started = time.perf_counter()
    result = check(bomb)
    assert time.perf_counter() - started < 1.0
    problem = only(result)
    assert (problem.line, problem.message) == (1, ALIAS_MESSAGE)


def test_alias_alone_is_refused_at_its_line() -> None:
    text = mutate("    explanation: It names", "    explanation: *why\n    x: It names")
    problem = only(check(text))
    assert (problem.line, problem.message) == (line_of(text, "*why"), ALIAS_MESSAGE)


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n", "---\n...\n"])
def test_empty_file(text: str) -> None:
    problem = only(check(text))
    assert (problem.line, problem.message) == (1, "the file is empty")


def test_json_file_is_accepted() -> None:
    as_json = json.dumps(yaml.safe_load(VALID), indent=2, default=str, ensure_ascii=False)
    assert check(as_json).ok
    with_tabs = json.dumps(yaml.safe_load(VALID), indent="\t", default=str)
    assert check(with_tabs).ok


def test_json_file_problems_have_line_numbers() -> None:
    data = yaml.safe_load(VALID)
    data["items"][1]["qestion"] = "x"
    as_json = json.dumps(data, indent=2, default=str, ensure_ascii=False)
    problem = only(check(as_json))
    assert problem.line == line_of(as_json, '"qestion"')
    assert "did you mean 'question'?" in problem.message


def test_non_utf8_bytes_report_their_line() -> None:
    data = VALID.encode().replace(b"Demo quiz", b"Demo quiz \xe9t\xe9")
    problem = only(check(data))
    assert (problem.line, problem.message) == (
        2,
        "the file is not UTF-8 text (bad byte at line 2)",
    )


def test_nul_bytes_are_binary_junk() -> None:
    data = b"id: demo\n" + bytes(range(256)) * 4
    problem = only(check(data))
    assert problem.line == 2
    assert "binary" in problem.message


def test_control_character_is_refused() -> None:
    problem = only(check("id: demo\ntitle: bell\x07\n"))
    assert problem.line == 2
    assert "U+0007" in problem.message


def test_file_over_one_megabyte_is_refused_before_parsing() -> None:
    data = VALID.encode() + b"#" * limits.QUIZ_FILE_MAX_BYTES
    problem = only(check(data))
    assert problem.line == 1
    assert problem.message == f"the file is {len(data):,} bytes; the limit is 1 MB"


def test_text_over_one_megabyte_is_refused() -> None:
    problem = only(check("é" * (limits.QUIZ_FILE_MAX_BYTES // 2 + 1)))
    assert problem.message.endswith("the limit is 1 MB")


@pytest.mark.parametrize(
    "text", ["- id: a\n- id: b\n", "just some words\n", "42\n", '["a", "b"]\n']
)
def test_top_level_must_be_a_mapping(text: str) -> None:
    problem = only(check(text))
    assert (problem.line, problem.message) == (1, QUIZ_TOP_LEVEL)


def test_several_documents_are_refused() -> None:
    text = VALID + "---\nid: other\n"
    problem = only(check(text))
    assert problem.line == line_of(text, "---")
    assert "more than one YAML document" in problem.message


def test_custom_tags_are_refused() -> None:
    text = mutate("title: Demo quiz", "title: !!python/object:os.system Demo")
    problem = only(check(text))
    assert problem.line == 2
    assert "the tag '!!python/object:os.system' is not supported" in problem.message


def test_impossible_date_is_reported() -> None:
    text = mutate("checked: 2026-01-15", "checked: 2026-02-30")
    messages_ = [p.message for p in check(text).errors]
    assert any("'2026-02-30' is not a valid date" in m for m in messages_)
    assert {p.line for p in check(text).errors} == {line_of(text, "2026-02-30")}


def test_deep_nesting_is_refused() -> None:
    result = check("id: " + "[" * 5000 + "]" * 5000 + "\n")
    assert not result.ok
    assert result.problems[0].line == 1


# --- the shape of the file (pydantic errors) --------------------------------------------------


def test_unknown_field_suggests_the_right_name() -> None:
    text = mutate("    question: Which passage", "    qestion: Which passage")
    result = check(text)
    problem = next(p for p in result.errors if "unknown field" in p.message)
    assert problem.line == line_of(text, "qestion")
    assert problem.message == (
        "unknown field 'qestion' in item 2 ('c02') (did you mean 'question'?)"
    )


def test_a_misspelt_field_is_reported_once_not_also_as_missing() -> None:
    text = mutate("    question: Which passage", "    questoin: Which passage")
    assert messages(check(text)) == [
        (
            line_of(text, "questoin"),
            "unknown field 'questoin' in item 2 ('c02') (did you mean 'question'?)",
        )
    ]


def test_a_field_missing_beside_an_unrelated_unknown_one_is_still_missing() -> None:
    text = mutate("    question: Which passage", "    colour: Which passage")
    found = messages(check(text))
    assert (line_of(text, "- id: c02"), "item 2 ('c02'): missing field 'question'") in found
    assert any(message.startswith("unknown field 'colour'") for _, message in found)


def test_unknown_field_does_not_hide_the_items_other_problems() -> None:
    text = mutate("    question: Which passage", "    qestion: Which passage")
    text = mutate("skill: contradiction", "skill: contradictoin", text)
    lines = {p.line for p in check(text).errors}
    assert line_of(text, "contradictoin") in lines


def test_unknown_top_level_field() -> None:
    text = mutate("title: Demo quiz", "titel: Demo quiz")
    result = check(text)
    assert (2, "unknown field 'titel' at the top level (did you mean 'title'?)") in messages(
        result
    )
    assert (1, "missing field 'title'") not in messages(result)


def test_missing_field_is_reported_at_the_item() -> None:
    text = mutate("    question: Which passage conflicts with this one?\n", "")
    problem = only(check(text))
    assert problem.line == line_of(text, "- id: c02")
    assert problem.message == "item 2 ('c02'): missing field 'question'"


def test_missing_fields_are_listed_together() -> None:
    text = VALID + "  - id: c03\n    passage: x\n"
    problem = only(check(text))
    assert problem.line == line_of(text, "- id: c03")
    assert problem.message == (
        "item 3 ('c03'): missing fields 'skill', 'question', 'options' and 'explanation'"
    )


def test_wrong_enum_lists_the_allowed_values() -> None:
    text = mutate("kind: contradiction", "kind: contradicton")
    problem = only(check(text))
    assert problem.line == line_of(text, "kind: contradicton")
    assert problem.message == (
        "item 2 ('c02'): 'kind' must be one of: single, true_false, multiple, contradiction; "
        "got 'contradicton' (did you mean 'contradiction'?)"
    )


def test_too_few_options() -> None:
    text = mutate(f"      {WRONG_OPTION}\n", "")
    problem = only(check(text))
    assert problem.line == line_of(text, "options:")
    assert problem.message == "item 1 ('c01'): an item needs 2 to 8 options; this one has 1"


def test_too_many_options() -> None:
    extra = "".join(f"      - text: extra {n}\n" for n in range(7))
    text = mutate("    explanation: It names", extra + "    explanation: It names")
    problem = only(check(text))
    assert problem.line == line_of(text, "options:")
    assert problem.message.endswith("an item needs 2 to 8 options; this one has 9")


def test_unquoted_yes_gets_a_quoting_hint() -> None:
    text = mutate('- text: "Yes: officials of Thailand"', "- text: yes")
    problem = only(check(text))
    assert problem.line == line_of(text, "- text: yes")
    assert problem.message.startswith("item 1 ('c01'), option 1: 'text' must be text")
    assert "put it in quotes" in problem.message


def test_unquoted_number_gets_a_quoting_hint() -> None:
    text = mutate('- text: "No: it is unsourced"', "- text: 1948")
    problem = only(check(text))
    assert "the number 1948" in problem.message


def test_option_written_as_plain_text() -> None:
    text = mutate(WRONG_OPTION, "- No, unsourced")
    problem = only(check(text))
    assert problem.line == line_of(text, "- No, unsourced")
    assert problem.message == (
        "item 1 ('c01'), option 2: write the option as '- text: No, unsourced', "
        "not '- No, unsourced'"
    )


def test_bad_item_id_pattern() -> None:
    text = mutate("- id: c01", "- id: c 01")
    problem = only(check(text))
    assert problem.line == line_of(text, "c 01")
    assert "'id' must be 1 to 40 letters" in problem.message


def test_empty_required_text() -> None:
    text = mutate(
        "    explanation: It names the Thai authorities, who can be checked.", "    explanation:"
    )
    problem = only(check(text))
    assert problem.line == line_of(text, "explanation:")
    assert problem.message == "item 1 ('c01'): 'explanation' is empty"


# --- cross checks ----------------------------------------------------------------------------


def test_duplicate_item_ids() -> None:
    text = mutate("- id: c02", "- id: c01")
    problem = only(check(text))
    assert problem.line == line_of(text, "- id: c01", nth=2)
    assert (
        problem.message == f"duplicate item id 'c01' (first at line {line_of(text, '- id: c01')})"
    )


def test_no_correct_option() -> None:
    text = mutate('        correct: true\n      - text: "No:', '      - text: "No:')
    problem = only(check(text))
    assert problem.line == line_of(text, "options:")
    assert problem.message == "item 1 ('c01'): no option is marked 'correct: true'"


def test_two_correct_options_in_a_single_item() -> None:
    text = mutate(WRONG_OPTION, '- text: "No: it is unsourced"\n        correct: true')
    problem = only(check(text))
    assert problem.line == line_of(text, "correct: true", nth=2)
    assert problem.message.startswith(
        "item 1 ('c01'): a 'single' item has exactly one correct option; this one has 2"
    )


def test_two_correct_options_are_fine_in_a_multiple_item() -> None:
    text = mutate(WRONG_OPTION, '- text: "No: it is unsourced"\n        correct: true')
    text = mutate("    skill: sourcing\n", "    skill: sourcing\n    kind: multiple\n", text)
    assert check(text).ok


def test_true_false_needs_two_options() -> None:
    text = mutate("    skill: sourcing\n", "    skill: sourcing\n    kind: true_false\n")
    text = mutate(
        "    explanation: It names", "      - text: Maybe\n    explanation: It names", text
    )
    problem = only(check(text))
    assert problem.line == line_of(text, "options:")
    assert problem.message == (
        "item 1 ('c01'): a 'true_false' item needs exactly 2 options; this one has 3"
    )


def test_unknown_skill_suggests_a_known_one() -> None:
    text = mutate("skill: sourcing", "skill: sourcng")
    problem = only(check(text))
    assert problem.line == line_of(text, "sourcng")
    assert problem.message == (
        "item 1 ('c01'): unknown skill 'sourcng' (did you mean 'sourcing'?); "
        "known skills: contradiction, framing, sourcing"
    )


def test_passage_not_found_says_where_it_differs() -> None:
    text = mutate("Thai authorities captured 35", "Thai authorities seized 35")
    problem = only(check(text))
    assert problem.line == line_of(text, 'passage: "In 2009')
    assert problem.message == (
        "item 1 ('c01'): passage not found in the source text (the first 26 characters "
        "match; it differs from: 'seized 35 tonnes of North Korea's arms.')"
    )


def test_passage_differing_in_capitals_gets_a_hint() -> None:
    text = mutate("Thai authorities captured", "thai Authorities captured")
    problem = only(check(text))
    assert "capital letters" in problem.message


def test_passage_with_other_whitespace_and_typographic_quotes_is_found() -> None:
    passage = "In  2009,\\tThai authorities captured 35 tonnes of North Korea\u2019s arms."
    text = mutate(
        'passage: "In 2009, Thai authorities captured 35 tonnes of North Korea\'s arms."',
        f'passage: "{passage}"',
    )
    result = check(text)
    assert result.ok, [str(p) for p in result.problems]


def test_ambiguous_passage_warns() -> None:
    text = mutate(
        'passage: "North Korea has long offered weapons to Hamas."', "passage: North Korea"
    )
    problem = only(check(text), "warning")
    assert problem.line == line_of(text, "passage: North Korea")
    assert "occurs more than once" in problem.message
    assert check(text).ok


def test_contradiction_option_must_quote_the_source() -> None:
    text = mutate(
        '"an arms deal agreement between Hamas and Israel"', '"an arms deal with Israel"'
    )
    problem = only(check(text))
    assert problem.line == line_of(text, "an arms deal with Israel")
    assert problem.message.startswith("item 2 ('c02'), option 1: not found in the source text")
    assert "(the first 13 characters match; it differs from: 'with Israel')" in problem.message


def test_contradiction_option_may_not_repeat_the_passage() -> None:
    text = mutate(
        '- text: "Israel’s Iron Dome is the world\'s most advanced air defence system"',
        '- text: "North Korea has long offered  weapons to Hamas."',
    )
    problem = only(check(text))
    assert problem.line == line_of(text, "offered  weapons")
    assert problem.message.startswith("item 2 ('c02'), option 2: repeats the item's passage")


def test_source_text_file_is_read_through_the_callable() -> None:
    source: str = yaml.safe_load(VALID)["source"]["text"]
    text = mutate(INLINE_TEXT, "  text_file: article.txt\n")
    asked: list[str] = []

    def read_source(name: str) -> str:
        asked.append(name)
        return source

    result = check(text, read_source=read_source)
    assert result.ok, [str(p) for p in result.problems]
    assert asked == ["article.txt"]
    assert result.source_text == source


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (FileNotFoundError(2, "No such file or directory"), "no text file at 'article.txt'"),
        (PermissionError(13, "Permission denied"), "'article.txt': Permission denied"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "is not UTF-8 text"),
        (ValueError("article.txt is over 1 MB"), "article.txt is over 1 MB"),
    ],
)
def test_source_text_file_errors_point_at_text_file(error: Exception, expected: str) -> None:
    text = mutate(INLINE_TEXT, "  text_file: article.txt\n")

    def read_source(name: str) -> str:
        raise error

    problem = only(check(text, read_source=read_source))
    assert problem.line == line_of(text, "text_file:")
    assert expected in problem.message


def test_missing_text_file_names_the_path_tried_from_the_quiz_file() -> None:
    text = mutate(INLINE_TEXT, "  text_file: texts/article.txt\n")

    def read_source(name: str) -> str:
        raise FileNotFoundError(2, "No such file or directory")

    result = validate_quiz(
        text, file="quizzes/week3/demo.yaml", skills=SKILLS, read_source=read_source, today=TODAY
    )
    problem = only(result)
    assert problem.line == line_of(text, "text_file:")
    assert problem.message == (
        "source: no text file at 'quizzes/week3/texts/article.txt' "
        "('text_file: texts/article.txt' is read from the quiz file's folder)"
    )


def test_source_text_file_without_a_reader() -> None:
    text = mutate(INLINE_TEXT, "  text_file: article.txt\n")
    problem = only(check(text))
    assert problem.line == line_of(text, "text_file:")


def test_source_text_file_may_not_leave_the_folder() -> None:
    text = mutate(INLINE_TEXT, "  text_file: ../secret\n")
    problem = only(check(text, read_source=lambda name: pytest.fail("must not be read")))
    assert "relative to the quiz file" in problem.message


def test_source_needs_exactly_one_text() -> None:
    both = mutate("  title: Alleged", "  text_file: article.txt\n  title: Alleged")
    problem = only(check(both, read_source=lambda name: "x"))
    assert (problem.line, problem.message) == (
        line_of(both, "source:"),
        "source: give either 'text' or 'text_file', not both",
    )
    neither = mutate(INLINE_TEXT, "")
    problem = only(check(neither))
    assert problem.line == line_of(neither, "source:")
    assert "source text is missing" in problem.message


def test_item_message_too_long_for_telegram() -> None:
    long_question = "Why? " * 300  # 1500 characters: over QUESTION_MAX as well
    text = mutate(
        "question: Which passage conflicts with this one?", f"question: {long_question.strip()}"
    )
    long_options = "".join(f"      - text: {chr(65 + n) * 590}\n" for n in range(5))
    text = mutate(
        "    explanation: The article says",
        long_options + "    explanation: The article says",
        text,
    )
    result = check(text)
    too_long = [p for p in result.errors if "Telegram message" in p.message]
    assert len(too_long) == 1
    assert too_long[0].line == line_of(text, "- id: c02")
    assert too_long[0].message.startswith("item 2 ('c02') would need ")
    assert too_long[0].message.endswith(
        "characters in one Telegram message; the limit is 4096: "
        "shorten the passage, question or options"
    )
    assert any("the question is 1499 characters" in p.message for p in result.errors)


def test_feedback_message_too_long_for_telegram() -> None:
    feedback = "Because. " * 500
    text = mutate(
        WRONG_OPTION, f'- text: "No: it is unsourced"\n        feedback: "{feedback.strip()}"'
    )
    problem = only(check(text))
    assert problem.line == line_of(text, "explanation: It names")
    assert "in its feedback message; the limit is 4096" in problem.message


def test_option_too_long() -> None:
    text = mutate('- text: "No: it is unsourced"', f"- text: {'x' * 301}")
    problem = only(check(text))
    assert problem.line == line_of(text, "x" * 301)
    assert (
        problem.message == "item 1 ('c01'), option 2: the text is 301 characters; the limit is 300"
    )


def test_option_over_a_poll_option_warns() -> None:
    text = mutate('- text: "No: it is unsourced"', f"- text: {'x' * 101}")
    problem = only(check(text), "warning")
    assert problem.line == line_of(text, "x" * 101)
    assert "Telegram poll" in problem.message


# --- warnings --------------------------------------------------------------------------------


def test_old_checked_date_warns() -> None:
    text = mutate("checked: 2026-01-15", "checked: 2025-01-02")
    problem = only(check(text), "warning")
    assert problem.line == line_of(text, "checked:")
    assert problem.message == (
        "item 1 ('c01'): facts checked on 2025-01-02, over a year ago: check them again, "
        "since facts and figures can change"
    )
    assert "death" not in problem.message  # neutral, whatever the quiz is about


def test_references_without_checked_date_warn() -> None:
    text = mutate("    checked: 2026-01-15\n", "    references:\n      - title: Reuters\n")
    problem = only(check(text), "warning")
    assert problem.line == line_of(text, "references:")
    assert "no 'checked' date" in problem.message


def test_identical_options_warn() -> None:
    text = mutate('- text: "No: it is unsourced"', '- text: "yes:  officials of   Thailand"')
    problem = only(check(text), "warning")
    assert problem.line == line_of(text, "yes:  officials")
    assert problem.message == "item 1 ('c01'): options 1 and 2 have the same text"


def test_quiz_without_a_sound_item_warns() -> None:
    text = mutate("verdict: sound", "verdict: flawed")
    problem = only(check(text), "warning")
    assert problem.line == line_of(text, "items:")
    assert problem.message.startswith("no item has 'sound' as its right answer")


# --- everything at once ----------------------------------------------------------------------


def test_several_problems_are_all_reported() -> None:
    text = textwrap.dedent(
        """\
        id: demo
        title: Demo quiz
        source:
          title: An article
          text: The sky is blue. Grass is green.
        items:
          - id: a1
            skill: sourcng
            passage: The sky is red.
            question: What colour?
            options:
              - text: Blue
              - text: Red
            explanation: Look up.
          - id: a1
            skill: framing
            verdict: sound
            passage: Grass is green.
            question: Is it?
            options:
              - text: "True"
                correct: true
              - text: "False"
                correct: true
            explanation: Look down.
            checked: 2020-01-01
          - id: a3
            skill: framing
            pasage: Grass is green.
            question: Q
            options: [{text: A, correct: true}, {text: B}]
            explanation: E
        """
    )
    result = check(text)
    assert messages(result) == [
        (
            8,
            "item 1 ('a1'): unknown skill 'sourcng' (did you mean 'sourcing'?); "
            "known skills: contradiction, framing, sourcing",
        ),
        (
            9,
            "item 1 ('a1'): passage not found in the source text (the first 11 characters "
            "match; it differs from: 'red.')",
        ),
        (11, "item 1 ('a1'): no option is marked 'correct: true'"),
        (15, "duplicate item id 'a1' (first at line 7)"),
        (
            24,
            "item 2 ('a1'): a 'single' item has exactly one correct option; this one has 2 "
            "(use kind: multiple for several)",
        ),
        (
            26,
            "item 2 ('a1'): facts checked on 2020-01-01, over a year ago: check them again, "
            "since facts and figures can change",
        ),
        (29, "unknown field 'pasage' in item 3 ('a3') (did you mean 'passage'?)"),
        (
            31,
            "item 3 ('a3'), option 2: a wrong option with no 'feedback'; say why a reader "
            "might pick it and what the passage shows (formative feedback: Shute 2008) "
            "[no-feedback]",
        ),
    ]
    assert [p.severity for p in result.problems].count("warning") == 2


# --- the skill catalogue ---------------------------------------------------------------------

CATALOGUE = textwrap.dedent(
    """\
    skills:
      - id: sourcing
        name: Sourcing
        definition: Asking who says so and how they know.
        lesson: Look for a named source you could check.
      - id: framing
        name: Framing
        definition: Noticing how words steer a reader.
        lesson: Ask which words were chosen, and which were not.
    """
)


def test_valid_catalogue() -> None:
    catalogue, problems = validate_skill_catalogue(CATALOGUE, file="skills.yaml")
    assert problems == ()
    assert catalogue is not None
    assert [s.id for s in catalogue.skills] == ["sourcing", "framing"]


def test_catalogue_duplicate_skill_id() -> None:
    text = mutate("- id: framing", "- id: sourcing", CATALOGUE)
    catalogue, problems = validate_skill_catalogue(text, file="skills.yaml")
    assert catalogue is None
    assert [(p.line, p.message) for p in problems] == [
        (6, "duplicate skill id 'sourcing' (first at line 2)")
    ]


def test_catalogue_lesson_length() -> None:
    long_text = mutate("Ask which words were chosen, and which were not.", "x" * 1001, CATALOGUE)
    catalogue, problems = validate_skill_catalogue(long_text, file="skills.yaml")
    assert catalogue is None
    assert [(p.line, p.severity) for p in problems] == [(9, "error")]
    assert "the lesson is 1001 characters; the limit is 1000" in problems[0].message

    longish = mutate("Ask which words were chosen, and which were not.", "x" * 801, CATALOGUE)
    catalogue, problems = validate_skill_catalogue(longish, file="skills.yaml")
    assert catalogue is not None
    assert [(p.line, p.severity) for p in problems] == [(9, "warning")]
    assert "lessons are read on a phone" in problems[0].message


def test_catalogue_shape_errors_have_lines() -> None:
    text = mutate("    definition: Noticing", "    defintion: Noticing", CATALOGUE)
    _, problems = validate_skill_catalogue(text, file="skills.yaml")
    assert [(p.line, p.message) for p in problems] == [
        (8, "unknown field 'defintion' in skill 2 ('framing') (did you mean 'definition'?)"),
    ]


def test_catalogue_must_be_a_mapping() -> None:
    _, problems = validate_skill_catalogue("- a\n", file="skills.yaml")
    assert [p.message for p in problems] == [
        "the file must be a YAML mapping with a 'skills' list"
    ]


# --- the JSON schema -------------------------------------------------------------------------


def test_quiz_json_schema() -> None:
    schema = quiz_json_schema()
    assert next(iter(schema)) == "$schema"
    assert schema["$schema"] == JSON_SCHEMA_DIALECT
    assert schema["title"] == "Quiz"
    assert schema["description"]
    assert set(schema["required"]) >= {"id", "title", "source", "items"}
    assert "Item" in schema["$defs"]
    json.dumps(schema)  # serialisable as is


# --- the parser and the limits on their own ---------------------------------------------------


def test_parse_yaml_records_key_and_value_lines() -> None:
    parsed = parse_yaml(
        "id: x\nitems:\n  - id: a\n    options:\n"
        "      - text: |\n          A\n        correct: true\n"
    )
    assert parsed.problems == ()
    assert parsed.value == {
        "id": "x",
        "items": [{"id": "a", "options": [{"text": "A\n", "correct": True}]}],
    }
    assert parsed.line_of(("items", 0)) == 3
    assert parsed.line_of(("items", 0, "options", 0, "text")) == 5
    assert parsed.line_of(("items", 0, "options", 0, "correct")) == 7
    # A missing path falls back to its nearest parent.
    assert parsed.line_of(("items", 0, "options", 0, "feedback")) == 5
    assert parsed.line_of(("nope", 3)) == 1


def test_parse_yaml_builds_values_as_safe_load_does() -> None:
    text = "a: 2025-01-02\nb: 0x1F\nc: 1.5\nd: ~\ne: 'yes'\nf: yes\ng: [1, two]\n"
    parsed = parse_yaml(text)
    assert parsed.value == yaml.safe_load(text)


def test_parse_yaml_duplicate_key_keeps_the_first_value() -> None:
    parsed = parse_yaml("a: 1\nb:\n  c: 2\n  c: 3\n")
    assert parsed.value == {"a": 1, "b": {"c": 2}}
    assert [(p.line, p.message) for p in parsed.problems] == [
        (4, "duplicate key 'c' (first at line 3)")
    ]


def test_parse_yaml_caps_the_number_of_values() -> None:
    parsed = parse_yaml("a: [" + ", ".join(["1"] * 50) + "]\n", max_nodes=20)
    assert parsed.value is None
    assert "more than 20 YAML values" in parsed.problems[0].message


def test_message_length_estimates_follow_the_layout() -> None:
    asked = limits.item_message_length("P", "Q?", ["one", "two"])
    layout = "«P»\n\nQ?\n\nA) one\nB) two\n"
    assert asked == len(layout) + 1 + limits.ITEM_FOOTER_MAX
    # A "choose all" item also carries the line that says how to answer it.
    multiple = limits.item_message_length("P", "Q?", ["one", "two"], multiple=True)
    assert multiple == asked + 2 + limits.MULTIPLE_HINT_MAX
    answered = limits.feedback_message_length("P", "E", "F")
    assert answered == limits.VERDICT_LINE_MAX + len("\n\nF\n\nE\n\n«P»")
    assert limits.telegram_length("a😀") == 3
