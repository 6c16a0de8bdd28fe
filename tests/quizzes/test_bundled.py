"""Every bundled quiz loads cleanly, and the article quiz covers what it must."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.config import BUNDLED_QUIZ_DIR, DEFAULT_QUIZ_ID
from bot.domain.quiz import ItemKind, Quiz, Verdict, normalise
from bot.domain.validation import validate_quiz, validate_skill_catalogue
from bot.services.quizzes import SKILLS_FILE, read_quiz_file

QUIZ_FILES = sorted(p for p in BUNDLED_QUIZ_DIR.glob("*.yaml") if p.name != SKILLS_FILE)
TAXONOMY = {
    "fact-vs-opinion", "sourcing", "vague-attribution", "lateral-reading",
    "numbers-and-currency", "internal-consistency", "headline-body", "hedging-vs-assertion",
    "insinuation-causation", "loaded-language", "precision", "image-context",
}  # fmt: skip


def _skills() -> set[str]:
    path = BUNDLED_QUIZ_DIR / SKILLS_FILE
    catalogue, problems = validate_skill_catalogue(path.read_bytes(), file=str(path))
    assert catalogue is not None, problems
    assert not [p for p in problems if p.severity == "error"]
    return {s.id for s in catalogue.skills}


def _load(path: Path) -> tuple[Quiz, str]:
    file = read_quiz_file(path)
    check = validate_quiz(
        file.data,
        file=file.name,
        skills=_skills(),
        read_source=file.read_source,
        today=dt.date(2026, 11, 28),
    )
    assert check.ok, "\n".join(str(p) for p in check.problems)
    assert check.quiz is not None
    assert check.source_text is not None
    return check.quiz, check.source_text


def test_skill_catalogue_is_the_taxonomy() -> None:
    assert _skills() == TAXONOMY


@pytest.mark.parametrize("path", QUIZ_FILES, ids=lambda p: p.name)
def test_every_passage_occurs_in_the_source(path: Path) -> None:
    quiz, source = _load(path)
    text = normalise(source)
    for item in quiz.items:
        assert normalise(item.passage) in text, item.id
        if item.kind is ItemKind.CONTRADICTION:
            for option in item.options:
                assert normalise(option.text) in text, (item.id, option.text)


def test_article_quiz_source_is_the_article_verbatim() -> None:
    _, source = _load(BUNDLED_QUIZ_DIR / f"{DEFAULT_QUIZ_ID}.yaml")
    assert source == (BUNDLED_QUIZ_DIR / "article.txt").read_text(encoding="utf-8")
    assert source.startswith("Alleged North Korean Arms in Hamas' Attack on Israel")
    assert "Photo: Ilan Assayag/JINI via Xinhua" in source


def test_article_quiz_covers_the_claim_inventory() -> None:
    quiz, _ = _load(BUNDLED_QUIZ_DIR / f"{DEFAULT_QUIZ_ID}.yaml")
    items = quiz.items
    assert len(items) >= 34
    covered = {c for item in items for c in item.claims}
    assert {f"C{n:02d}" for n in range(1, 35)} <= covered
    assert all(re.fullmatch(r"C\d\d", c) for c in covered)

    per_skill = Counter(item.skill for item in items)
    assert set(per_skill) == TAXONOMY
    assert min(per_skill.values()) >= 2

    kinds = Counter(item.kind for item in items)
    assert kinds[ItemKind.CONTRADICTION] >= 4
    assert kinds[ItemKind.MULTIPLE] >= 1
    assert kinds[ItemKind.TRUE_FALSE] >= 1

    verdicts = Counter(item.verdict for item in items)
    assert None not in verdicts
    assert verdicts[Verdict.SOUND] / len(items) >= 0.3

    assert all(item.checked is not None and item.references for item in items)
