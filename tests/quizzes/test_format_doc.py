"""docs/quiz-format.md stays true: its example validates, its skill list is the catalogue."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.config import BUNDLED_QUIZ_DIR
from bot.domain.quizfile.checks import validate_quiz
from bot.domain.quizfile.model import ItemKind, Verdict

DOC = Path(__file__).resolve().parents[2] / "docs" / "quiz-format.md"
SCHEMA = DOC.with_name("quiz.schema.json")


def _catalogue() -> set[str]:
    data = yaml.safe_load((BUNDLED_QUIZ_DIR / "skills.yaml").read_text(encoding="utf-8"))
    return {str(skill["id"]) for skill in data["skills"]}


def _example(heading: str = "## A complete example") -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(heading, 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the example's yaml block is missing"
    return match[1]


def test_the_example_validates_without_a_single_problem() -> None:
    check = validate_quiz(
        _example(),
        file="example.yaml",
        skills=_catalogue(),
        read_source=None,  # as in the chat: the source text is inline
        today=dt.date(2026, 3, 1),
    )
    assert check.problems == (), [str(p) for p in check.problems]
    assert check.quiz is not None
    assert {item.kind.value for item in check.quiz.items} >= {"single", "multiple", "true_false"}


def test_the_claims_example_validates_and_shows_what_a_verdict_means() -> None:
    check = validate_quiz(
        _example("### The claim list"),
        file="example.yaml",
        skills=_catalogue(),
        read_source=None,
        today=dt.date(2026, 3, 10),
    )
    assert check.problems == (), [str(p) for p in check.problems]
    quiz = check.quiz
    assert quiz is not None
    assert quiz.claims is not None
    # As the page says: two true/false items keyed on "False", one sound and one flawed.
    true_false = [item for item in quiz.items if item.kind is ItemKind.TRUE_FALSE]
    assert [(item.options[1].text, item.options[1].correct) for item in true_false] == [
        ("False", True),
        ("False", True),
    ]
    assert {item.verdict for item in true_false} == {Verdict.SOUND, Verdict.FLAWED}


def test_the_skill_list_is_the_catalogue() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Skills", 1)[1].split("##", 1)[0]
    listed = set(re.findall(r"`([a-z][a-z-]+)`", section)) - {"quizzes"}
    assert listed == _catalogue()


def _as_an_editor_reads(text: str) -> object:
    """The YAML as a YAML 1.2 editor sees it: dates stay text (PyYAML reads them as dates)."""

    def plain(node: object) -> object:
        if isinstance(node, dict):
            return {key: plain(value) for key, value in node.items()}
        if isinstance(node, list):
            return [plain(value) for value in node]
        return node.isoformat() if isinstance(node, dt.date) else node

    return plain(yaml.safe_load(text))


@pytest.mark.parametrize(
    "name", ["nk-arms-article.yaml", "the complete example", "the claims example"]
)
def test_the_committed_schema_accepts_the_bundled_quiz_and_the_examples(name: str) -> None:
    texts = {
        "the complete example": _example,
        "the claims example": lambda: _example("### The claim list"),
    }
    text = texts[name]() if name in texts else (BUNDLED_QUIZ_DIR / name).read_text("utf-8")
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    data = _as_an_editor_reads(text)
    assert not list(validator.iter_errors(data))
    assert isinstance(data, dict)
    if "claims" in data:
        # The schema checks claims as the validator does: a claim without its verdict fails.
        del data["claims"][0]["verdict"]
        assert list(validator.iter_errors(data))
