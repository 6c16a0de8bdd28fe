"""Every bundled quiz loads cleanly, and the article quiz covers what it must."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.config import BUNDLED_QUIZ_DIR, DEFAULT_QUIZ_ID
from bot.domain.quizfile.checks import validate_quiz, validate_skill_catalogue
from bot.domain.quizfile.model import Item, ItemKind, Judgement, Quiz, Verdict, normalise
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
    quiz, source = _load(BUNDLED_QUIZ_DIR / f"{DEFAULT_QUIZ_ID}.yaml")
    items = quiz.items
    assert len(items) >= 34
    # Every claim of the inventory is in the file's claim list, whole or in parts (C01a and
    # C01b) where a sound part and a flawed part need a verdict each; items name them all.
    assert quiz.claims is not None
    listed = [claim.id for claim in quiz.claims]
    assert all(re.fullmatch(r"C\d\d[a-z]?", c) for c in listed)
    assert {c[:3] for c in listed} == {f"C{n:02d}" for n in range(1, 35)}
    assert {c for item in items for c in item.claims} == set(listed)
    # Verbatim, not only as the validator matches (spaces and typographic quotes aside).
    assert all(claim.passage in source for claim in quiz.claims)

    per_skill = Counter(item.skill for item in items)
    assert set(per_skill) == TAXONOMY
    assert min(per_skill.values()) >= 2

    kinds = Counter(item.kind for item in items)
    # Only three pairs of passages in the article really cannot both hold (C04 against the
    # caption, C32 against C29, C33 against the headline's "Alleged"); the other inventory
    # pairs are tensions or labelling problems, asked about as such.
    assert kinds[ItemKind.CONTRADICTION] >= 3
    assert kinds[ItemKind.MULTIPLE] >= 1
    assert kinds[ItemKind.TRUE_FALSE] >= 1

    verdicts = Counter(item.verdict for item in items)
    # An item without a verdict asks for a move ("which source settles it?"), not a judgement.
    assert verdicts[None] <= 2
    assert verdicts[Verdict.SOUND] / len(items) >= 0.3

    assert all(item.checked is not None and item.references for item in items)


@pytest.mark.parametrize("path", QUIZ_FILES, ids=lambda p: p.name)
def test_bundled_quizzes_pass_strict(path: Path) -> None:
    """No warning at all: every item-writing check passes (what `--strict` requires)."""
    file = read_quiz_file(path)
    check = validate_quiz(
        file.data,
        file=file.name,
        skills=_skills(),
        read_source=file.read_source,
        today=dt.date(2026, 12, 6),
    ).strict()
    assert check.ok, "\n".join(str(p) for p in check.problems)


def _one_answer_items(quiz: Quiz) -> list[Item]:
    return [item for item in quiz.items if item.kind in (ItemKind.SINGLE, ItemKind.CONTRADICTION)]


def test_article_quiz_gives_a_guesser_no_cue() -> None:
    """Stricter than the linter: the figures a test-wise guesser would exploit."""
    quiz, _ = _load(BUNDLED_QUIZ_DIR / f"{DEFAULT_QUIZ_ID}.yaml")

    # The key is strictly the longest no more often than chance.
    compared = _one_answer_items(quiz)
    longest = 0
    for item in compared:
        (key,) = item.correct_indices
        sizes = [len(normalise(o.text)) for o in item.options]
        longest += sizes[key] > max(s for n, s in enumerate(sizes) if n != key)
    chance = sum(1 / len(item.options) for item in compared)
    assert longest <= chance, (longest, chance)

    # True/false keys near half and half.
    true_false = [item for item in quiz.items if item.kind is ItemKind.TRUE_FALSE]
    first = sum(item.options[0].correct for item in true_false)
    assert abs(first - len(true_false) / 2) <= 1, (first, len(true_false))

    # "Choose all" items with 1 to 4 right options, not one fixed count.
    counts = Counter(len(i.correct_indices) for i in quiz.items if i.kind is ItemKind.MULTIPLE)
    assert set(counts) <= {1, 2, 3, 4}
    assert len(counts) >= 3, counts

    # No wrong option reused in another item.
    seen: dict[str, str] = {}
    for item in quiz.items:
        if item.kind is ItemKind.TRUE_FALSE:
            continue
        for number, option in enumerate(item.options):
            text = normalise(option.text).casefold()
            if number not in item.correct_indices:
                assert text not in seen or seen[text] == item.id, (item.id, option.text)
                seen[text] = item.id


def test_article_quiz_measures_belief_and_doubt() -> None:
    quiz, _ = _load(BUNDLED_QUIZ_DIR / f"{DEFAULT_QUIZ_ID}.yaml")
    sound = [item for item in quiz.items if item.verdict is Verdict.SOUND]
    assert 0.28 <= len(sound) / len(quiz.items) <= 0.4
    # Every wrong option says what picking it means, and has feedback.
    for item in quiz.items:
        for number, option in enumerate(item.options):
            if number in item.correct_indices:
                continue
            assert (option.judgement is not None) is (item.verdict is not None), item.id
            if item.kind is not ItemKind.TRUE_FALSE:
                assert option.feedback, (item.id, option.text)
    # On sound items most wrong options are over-doubt, so they measure scepticism.
    judged = [
        option.judgement
        for item in sound
        for number, option in enumerate(item.options)
        if number not in item.correct_indices
    ]
    assert judged.count(Judgement.FLAWED) / len(judged) > 0.5


def test_article_quiz_references_name_outlet_and_date() -> None:
    quiz, _ = _load(BUNDLED_QUIZ_DIR / f"{DEFAULT_QUIZ_ID}.yaml")
    for item in quiz.items:
        for reference in item.references:
            assert reference.publisher, (item.id, reference.title)
            assert reference.date, (item.id, reference.title)


@pytest.mark.parametrize(
    "overstatement",
    [
        "never makes that distinction",  # C13 does separate motive from capability
        "Israel and the US dispute",  # the US position on Gaza is not established
        "over 1,100",  # the first counts (8-9 October) were about 700-900
        "ruled out",  # no evidence is not proof of absence
    ],
)
def test_corrected_overstatements_stay_out(overstatement: str) -> None:
    for path in [*QUIZ_FILES, BUNDLED_QUIZ_DIR / SKILLS_FILE]:
        assert overstatement not in path.read_text(encoding="utf-8"), path.name


TEST_FORMS = {
    "A": BUNDLED_QUIZ_DIR / "transfer-saudi-oil.yaml",
    "B": BUNDLED_QUIZ_DIR / "transfer-monarch-count.yaml",
}


def test_the_bundled_test_forms_are_parallel() -> None:
    """Two forms of one set, on different articles, alike in what they measure: the same
    skills, as many sound as flawed claims, and the same kinds of item."""
    forms = {name: _load(path) for name, path in TEST_FORMS.items()}
    quizzes = {name: quiz for name, (quiz, _) in forms.items()}
    assert {q.assessment.set for q in quizzes.values() if q.assessment} == {"transfer-2019"}
    assert {n: q.assessment.form for n, q in quizzes.items() if q.assessment} == {
        "A": "A",
        "B": "B",
    }
    assert forms["A"][1] != forms["B"][1]
    for quiz in quizzes.values():
        assert 8 <= len(quiz.items) <= 10
        verdicts = Counter(item.verdict for item in quiz.items)
        assert verdicts == {
            Verdict.SOUND: len(quiz.items) // 2,
            Verdict.FLAWED: len(quiz.items) // 2,
        }
    skills = [Counter(item.skill for item in q.items) for q in quizzes.values()]
    kinds = [Counter(item.kind for item in q.items) for q in quizzes.values()]
    assert skills[0] == skills[1]
    assert kinds[0] == kinds[1]


def test_the_bundled_test_forms_give_a_guesser_no_cue() -> None:
    """Across both forms, the key is strictly the longest option no more often than chance."""
    items = [item for path in TEST_FORMS.values() for item in _one_answer_items(_load(path)[0])]
    longest = 0
    for item in items:
        (key,) = item.correct_indices
        sizes = [len(normalise(o.text)) for o in item.options]
        longest += sizes[key] > max(s for n, s in enumerate(sizes) if n != key)
    chance = sum(1 / len(item.options) for item in items)
    assert longest <= chance, (longest, chance)
