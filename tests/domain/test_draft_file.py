"""The draft quiz file: it keeps the article verbatim, and validates but for its TODOs."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.domain.draft.article import Article, locate_sentences
from bot.domain.draft.emit import draft_yaml, quiz_id
from bot.domain.draft.screening import screen_article
from bot.domain.errors import ArticleProblem
from bot.domain.quizfile.checks import validate_quiz
from bot.domain.quizfile.model import normalise
from bot.domain.quizfile.reader import parse_yaml
from bot.services.drafts import english_stop_words, propose_items, read_article
from tests.draft_samples import ARTICLE, complete

SKILLS = {
    "fact-vs-opinion", "sourcing", "vague-attribution", "lateral-reading",
    "numbers-and-currency", "internal-consistency", "headline-body", "hedging-vs-assertion",
    "insinuation-causation", "loaded-language", "precision", "image-context",
}  # fmt: skip
TODAY = dt.date(2026, 3, 10)


def _draft() -> str:
    article = read_article("flood.txt", ARTICLE.encode())
    return draft_yaml(article, propose_items(article), source_name="flood.txt")


def _lines(text: str, needle: str) -> list[int]:
    """Lines holding `needle` outside comments."""
    return [
        n
        for n, line in enumerate(text.splitlines(), start=1)
        if needle in line and not line.lstrip().startswith("#")
    ]


def test_every_placeholder_is_an_error_at_its_line_and_nothing_else_is() -> None:
    text = _draft()
    check = validate_quiz(text, file="d.yaml", skills=SKILLS, read_source=None, today=TODAY)
    assert not check.ok
    assert check.quiz is None  # cannot be imported
    assert [p.line for p in check.problems] == _lines(text, "TODO")
    assert all("still to write" in p.message for p in check.problems)
    verdict = next(p for p in check.problems if "verdict" in p.message)
    assert verdict.message.endswith("verdict: still to write (sound or flawed)")
    right = next(p for p in check.problems if "option 1, text" in p.message)
    assert "(write the right answer)" in right.message


def test_a_completed_draft_validates() -> None:
    check = validate_quiz(
        complete(_draft()), file="d.yaml", skills=SKILLS, read_source=None, today=TODAY
    )
    assert check.errors == ()
    assert check.quiz is not None


def test_a_placeholder_in_a_hand_written_quiz_is_reported_too() -> None:
    text = complete(_draft()).replace("verdict: flawed", "verdict: TODO", 1)
    check = validate_quiz(text, file="d.yaml", skills=SKILLS, read_source=None, today=TODAY)
    assert [(p.line, p.severity) for p in check.problems if p.severity == "error"] == [
        (_lines(text, "verdict: TODO")[0], "error")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Plain words.\nA second line: with a colon.\n\n  Indented line.\n# not a comment\n---\n",
        "  Leading spaces, \"quotes\", 'apostrophes', and a tab\there.\n\nÜnïcödé — “curly” ✓",
        "key: value\n- item\n{braces} [brackets] & *star !bang %percent @at `tick`",
    ],
)
def test_the_article_text_survives_the_file(text: str) -> None:
    pieces = [line for line in text.split("\n") if line.strip()]
    article = Article(text=text, title="T", sentences=locate_sentences(text, pieces))
    parsed = parse_yaml(draft_yaml(article, [], source_name="a.txt"))
    assert parsed.value is not None, parsed.problems
    source = parsed.value["source"]
    assert isinstance(source, dict)
    assert normalise(str(source["text"])) == normalise(text)
    expected = [line.rstrip() for line in text.rstrip("\n").split("\n")]
    assert str(source["text"]).split("\n") == expected


def test_quiz_ids_from_titles() -> None:
    assert quiz_id("Council approves flood wall!") == "council-approves-flood-wall"
    assert quiz_id("¿¡!?") == "draft-quiz"
    assert len(quiz_id("word " * 40)) <= 50


FOREIGN = {
    "German": "Der Stadtrat hat am Montag beschlossen, eine Mauer am Fluss zu bauen. Die Kosten "
    "liegen bei zwölf Millionen Euro, sagte die Bürgermeisterin. Experten meinen, dass die Mauer "
    "eine größere Flut nicht aufhalten kann. ",
    "French": "Le conseil municipal a voté lundi pour construire un mur le long du fleuve. Le "
    "mur coûtera douze millions d'euros, a déclaré la maire. Selon des experts, le mur ne "
    "pourra pas arrêter une crue plus forte. ",
    "Spanish": "El ayuntamiento votó el lunes para construir un muro a lo largo del río. El "
    "muro costará doce millones de euros, dijo la alcaldesa. Los expertos dicen que el muro "
    "no podrá detener una inundación mayor. ",
    "Russian": "Городской совет в понедельник проголосовал за строительство стены вдоль реки. "
    "Стена обойдется в двенадцать миллионов евро, сказала мэр. ",
}


@pytest.mark.parametrize("language", sorted(FOREIGN))
def test_another_language_is_refused(language: str) -> None:
    assert screen_article(FOREIGN[language] * 3, english_stop_words()) is (
        ArticleProblem.NOT_ENGLISH
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", ArticleProblem.EMPTY),
        (" \n\t\n", ArticleProblem.EMPTY),
        ("apple banana cherry " * 40, ArticleProblem.NOT_PROSE),
        ("\n".join(f"word{n}" for n in range(200)), ArticleProblem.NOT_PROSE),
        (Path("bot/quizzes/skills.yaml").read_text(encoding="utf-8"), ArticleProblem.DATA),
        (
            '{"title": "x",\n "items": [1, 2, 3],\n "text": "The council met."\n}',
            ArticleProblem.DATA,
        ),
        ("The council met. It voted. Then it went home.", ArticleProblem.TOO_SHORT),
        ("The council met on Monday and voted. " * 3000, ArticleProblem.TOO_LONG),
    ],
)
def test_what_is_not_an_article(text: str, problem: ArticleProblem) -> None:
    assert screen_article(text, english_stop_words()) is problem


def test_english_articles_pass() -> None:
    for path in ("bot/quizzes/article.txt",):
        assert screen_article(Path(path).read_text(encoding="utf-8"), english_stop_words()) is None
    assert screen_article(ARTICLE, english_stop_words()) is None
    assert re.search("TODO", ARTICLE) is None
