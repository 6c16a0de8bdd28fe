"""A quiz file's problems in every language: each template renders with its values, and the
problems of broken and fuzzed files come out whole in Khmer, at the same lines as in English."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from hypothesis import HealthCheck, given, settings

from bot.console import i18n
from bot.domain.languages import LANGUAGES
from bot.domain.quizfile.checks import (
    QuizCheck,
    SourceRefused,
    validate_quiz,
    validate_skill_catalogue,
)
from bot.domain.quizfile.messages import Problem
from bot.domain.text import Text, joined, say, verbatim
from scripts import catalogs
from tests.domain.test_validation_fuzz import QUIZ, SOURCE, mutated_quiz
from tests.quiz_samples import broken_quiz_yaml, colon_quiz_yaml, quiz_yaml

DOMAIN = Path(catalogs.ROOT) / "bot" / "domain"
TODAY = dt.date(2026, 3, 2)
_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}")
_WORDS = re.compile(r"[a-z]{2}")


def _domain_templates() -> list[tuple[str, str | None]]:
    """Every template marked in the domain: (singular, plural or None)."""
    found = []
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(DOMAIN), keywords=catalogs.KEYWORDS
    ):
        forms = (message,) if isinstance(message, str) else tuple(message)
        found.append((forms[0], forms[1] if len(forms) > 1 else None))
    return found


TEMPLATES = _domain_templates()


def test_the_domain_has_templates() -> None:
    # The extractor sees the domain's marks (babel.cfg names the folder for `make locale`).
    singulars = {template for template, _ in TEMPLATES}
    assert "unknown field '{field}' {where}{hint}" in singulars
    assert ("missing field {names}", "missing fields {names}") in TEMPLATES
    assert len(TEMPLATES) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_renders_with_its_values(language: str) -> None:
    """Each template, with a value for each of its placeholders, in every language and count;
    in Khmer, every one with words in it reads differently from the English."""
    untranslated = []
    for template, plural in TEMPLATES:
        names = set(_PLACEHOLDER.findall(template + (plural or "")))
        values = tuple((name, f"<{name}>") for name in sorted(names))
        for count in (1, 2):
            text = Text(template, values, plural, count)
            with i18n.use(language):
                rendered = i18n.render(text)
            for name in names:
                assert f"<{name}>" in rendered, (template, rendered)
            words = _PLACEHOLDER.sub("", template)
            if language != "en" and _WORDS.search(words) and rendered == str(text):
                untranslated.append(template)
    assert untranslated == []


def test_nested_texts_render_in_the_same_language() -> None:
    label = joined([say("item {number} ('{id}')", number=3, id="c04"), "options"])
    problem = say("{place}: {problem}", place=label, problem=say("the file is empty"))
    assert str(problem) == "item 3 ('c04'), options: the file is empty"
    with i18n.use("km"):
        assert i18n.render(problem) == "សំណួរទី 3 ('c04'), options៖ ឯកសារនៅទទេ"
    # Words from outside (a library's message) are shown as they are, braces and all.
    with i18n.use("km"):
        assert i18n.render(verbatim("a {b} c")) == "a {b} c"
    assert str(joined([])) == ""


def _templates_in(text: Text) -> Iterator[str]:
    yield text.template
    for _name, value in text.values:
        if isinstance(value, Text):
            yield from _templates_in(value)


KHMER = catalogs.read("km")
KHMER_IDS = {m.id if isinstance(m.id, str) else m.id[0] for m in KHMER if m.id}


def _assert_khmer(problems: tuple[Problem, ...], file: str) -> None:
    """Each problem renders in Khmer at its line, from templates the catalog translates."""
    for problem in problems:
        for template in _templates_in(problem.located()):
            # Glue ("{p0}, {p1}", "{words}") has no words to translate.
            if _WORDS.search(_PLACEHOLDER.sub("", template)):
                assert template in KHMER_IDS, template
        with i18n.use("km"):
            rendered = i18n.render(problem.located())
        assert rendered.startswith(f"{file}:{problem.line}: "), rendered
        if problem.severity == "warning":
            assert rendered.startswith(f"{file}:{problem.line}: ការព្រមាន៖ ")


def _check(text: str | bytes) -> QuizCheck:
    return validate_quiz(
        text, file="q.yaml", skills={"sourcing"}, read_source=lambda _: SOURCE, today=TODAY
    )


BAD_FILES: dict[str, str | bytes] = {
    "broken": broken_quiz_yaml(),
    "colons": colon_quiz_yaml(),
    "tabs": "id: x\nitems:\n\t- id: a\n",
    "binary": b"id: x\n\x00\x01",
    "not utf-8": b"id: x\ntitle: \xff\n",
    "empty": "",
    "list": "- a\n- b\n",
    "aliases": "id: &a x\ntitle: *a\n",
    "two documents": "id: x\n---\nid: y\n",
    "tags": "id: !!python/name:os.system x\ntitle: !custom y\n",
    "duplicate keys": quiz_yaml().replace("title: Bike", "title: A\ntitle: Bike"),
    "unclosed quote": quiz_yaml().replace('passage: "according', 'passage: "according\n  x'),
    "wrong types": (
        "id: Not A Slug\ntitle: [a]\nlanguage: english\n2: x\nyes: y\n"
        "source: {title: 2020-01-01, text: a, text_file: b}\n"
        "items:\n  - id: a\n    kind: singel\n    skill: sourcin\n    verdict: maybe\n"
        "    passage: nothing like it\n    question: {a: b}\n    options: [plain, 3]\n"
        "    checked: 12\n    qestion: q\n"
    ),
    "placeholders": quiz_yaml()
    .replace("verdict: sound", "verdict: TODO")
    .replace("explanation: The minutes", "explanation: TODO why\n    x_explanation: The"),
    "fuzz seed": QUIZ,
    "stale and repeated": QUIZ.replace("2026-01-15", "2020-01-15").replace(
        '"It names who found the arms"', '"Nothing at all"'
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_the_problems_of_bad_files_render_in_khmer(name: str) -> None:
    check = _check(BAD_FILES[name])
    assert check.problems or name == "fuzz seed"
    _assert_khmer(check.problems, "q.yaml")


def test_a_broken_skill_catalogue_renders_in_khmer() -> None:
    text = "skills:\n  - id: a\n    name: A\n  - id: a\n    lesson: " + "x" * 3000 + "\n"
    _catalogue, problems = validate_skill_catalogue(text, file="skills.yaml")
    assert problems
    _assert_khmer(problems, "skills.yaml")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutated_quiz())
def test_the_problems_of_fuzzed_files_render_in_khmer(text: str) -> None:
    _assert_khmer(_check(text).problems, "q.yaml")


def test_a_refused_text_file_says_why_in_khmer() -> None:
    text = quiz_yaml().replace("  text: |\n", "  text_file: article.txt\n")
    text = "".join(line for line in text.splitlines(True) if not line.startswith("    The city"))

    def read_source(name: str) -> str:
        raise SourceRefused.too_big(name)

    check = validate_quiz(
        text, file="q.yaml", skills={"sourcing"}, read_source=read_source, today=TODAY
    )
    problem = next(p for p in check.problems if p.message.startswith("source:"))
    assert (
        problem.message
        == "source: cannot read the text file 'article.txt': article.txt is over 1 MB"
    )
    with i18n.use("km"):
        assert i18n.render(problem.text) == (
            "source៖ មិនអាចអានឯកសារអត្ថបទ 'article.txt' បានទេ៖ article.txt មានទំហំលើសពី 1 MB"
        )
