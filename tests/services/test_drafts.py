"""Drafting from article files: text and HTML, every kind of bad file, and no network."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from bot.domain.errors import ArticleProblem, ArticleRejectedError
from bot.services.drafts import ARTICLE_MAX_BYTES, draft_quiz, is_html, read_article
from tests.domain.test_draft_file import FOREIGN
from tests.draft_samples import ARTICLE, HTML

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256))
NAV_ONLY = (
    "<!DOCTYPE html><html><head><title>Riverside Echo</title></head><body>"
    "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
    "<footer>Copyright Riverside Echo</footer></body></html>"
)


def test_a_text_article_keeps_its_text_and_headline() -> None:
    article = read_article("flood.txt", ARTICLE.encode())
    assert article.text == ARTICLE.strip()
    assert article.title == "City council approves flood wall after storm, residents furious"
    assert article.sentences[0].headline
    assert all(article.text[s.start : s.end] == s.text for s in article.sentences)


def test_an_html_page_is_reduced_to_its_article_and_metadata() -> None:
    article = read_article("flood.html", HTML.encode())
    assert article.title == "City council approves flood wall after storm, residents furious"
    assert (article.publisher, article.author, article.date) == (
        "Riverside Echo",
        "Jo Banks",
        "2026-03-03",
    )
    assert "Experts say the wall may not stop a larger flood." in article.text
    assert "Home" not in article.text  # the menu
    assert "Related articles" not in article.text  # the footer
    draft = draft_quiz("flood.html", HTML.encode())
    assert draft.file_name == "flood.draft.yaml"
    assert 'publisher: "Riverside Echo"' in draft.text


def test_html_is_told_by_name_or_by_its_start() -> None:
    assert is_html("page.HTM", b"anything")
    assert is_html("saved", b"  <!doctype html><html></html>")
    assert not is_html("notes.txt", b"<html>")
    assert not is_html("notes", b"The <html> tag starts a page.")


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("empty.txt", b"", ArticleProblem.EMPTY),
        ("blank.txt", b" \n\n ", ArticleProblem.EMPTY),
        ("picture.txt", PNG, ArticleProblem.BINARY),
        ("latin1.txt", "Café crème".encode("latin-1") * 30, ArticleProblem.BINARY),
        ("page.html", NAV_ONLY.encode(), ArticleProblem.NO_ARTICLE_IN_PAGE),
        (
            "link.html",
            b"https://echo.example.org/news/flood-wall",
            ArticleProblem.NO_ARTICLE_IN_PAGE,
        ),
        ("words.txt", b"apple\nbanana\ncherry\n" * 40, ArticleProblem.NOT_PROSE),
        # The quiz file's first 30,000 characters: data, and under the size limit.
        (
            "quiz.txt",
            Path("bot/quizzes/nk-arms-article.yaml").read_bytes()[:30_000],
            ArticleProblem.DATA,
        ),
        ("german.txt", (FOREIGN["German"] * 3).encode(), ArticleProblem.NOT_ENGLISH),
        ("short.txt", b"The council met. It voted. It went home.", ArticleProblem.TOO_SHORT),
    ],
)
def test_what_cannot_be_drafted(name: str, data: bytes, problem: ArticleProblem) -> None:
    with pytest.raises(ArticleRejectedError) as raised:
        draft_quiz(name, data)
    assert raised.value.problem is problem


def test_a_file_over_the_limit_is_not_read() -> None:
    with pytest.raises(ArticleRejectedError) as raised:
        draft_quiz("big.txt", b"", size=ARTICLE_MAX_BYTES + 1)
    assert (raised.value.problem, raised.value.size) == (
        ArticleProblem.TOO_BIG,
        ARTICLE_MAX_BYTES + 1,
    )
    with pytest.raises(ArticleRejectedError):
        draft_quiz("big.txt", b"The council met. " * 70_000)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse every connection and name lookup, and note each attempt."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[:2]))
        raise OSError("the draft must not use the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_drafting_makes_no_network_call(no_network: list[str]) -> None:
    """Pages full of links, a canonical URL, images and a bare URL: nothing is fetched."""
    draft_quiz("flood.html", HTML.encode())
    draft_quiz("flood.txt", ARTICLE.encode())
    for page in (NAV_ONLY.encode(), b"https://echo.example.org/news/flood-wall"):
        with pytest.raises(ArticleRejectedError):
            draft_quiz("page.html", page)
    assert no_network == []
