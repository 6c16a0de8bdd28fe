"""Draft a quiz from an article file: read it, reduce HTML to the article, split sentences,
find the cues, write the draft quiz file (docs/drafting.md).

Nothing is stored and nothing is fetched: the article comes as bytes (a file in a terminal,
a document in the chat), an HTML page is parsed as the text it is, and its links are never
followed. The lexicons are the ones their packages ship (VADER's ratings, jusText's stop
words), read once.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bot.domain.draft.article import Article, headline_of, locate_sentences, word_count
from bot.domain.draft.emit import draft_yaml
from bot.domain.draft.screening import MAX_CHARACTERS, MIN_WORDS, screen_article
from bot.domain.draft.skeletons import Skeleton, build_skeletons
from bot.domain.errors import ArticleProblem, ArticleRejectedError

ARTICLE_MAX_BYTES: Final = 1_000_000
TEXT_SUFFIXES: Final = (".txt", ".text")
HTML_SUFFIXES: Final = (".html", ".htm")
ARTICLE_SUFFIXES: Final = TEXT_SUFFIXES + HTML_SUFFIXES

_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")


@dataclass(frozen=True)
class Draft:
    """A draft quiz file and what went into it."""

    file_name: str  # a name for the draft: the article's, ending in .draft.yaml
    text: str  # the draft quiz file (YAML)
    title: str
    words: int
    items: int


@functools.cache
def vader_lexicon() -> Mapping[str, float]:
    """VADER's word ratings (-4 to +4), from the file the vaderSentiment package ships."""
    lexicon: dict[str, float] = {}
    data = importlib.resources.files("vaderSentiment").joinpath("vader_lexicon.txt")
    for line in data.read_text(encoding="utf-8").splitlines():
        word, _, rest = line.partition("\t")
        rating = rest.partition("\t")[0]
        try:
            lexicon[word] = float(rating)
        except ValueError:
            continue
    return lexicon


@functools.cache
def english_stop_words() -> frozenset[str]:
    """The English stop words of jusText, the list trafilatura itself uses."""
    import justext

    return frozenset(justext.get_stoplist("English"))


def is_html(name: str, data: bytes) -> bool:
    """Whether the file is an HTML page: by its name, or by how it starts."""
    suffix = Path(name).suffix.lower()
    if suffix in HTML_SUFFIXES:
        return True
    return suffix not in TEXT_SUFFIXES and _HTML_START.match(data[:2048]) is not None


def draft_file_name(name: str) -> str:
    """The draft's file name: the article's stem with .draft.yaml."""
    stem = Path(name).name
    for suffix in ARTICLE_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return f"{stem or 'article'}.draft.yaml"


def draft_quiz(name: str, data: bytes, *, size: int | None = None) -> Draft:
    """Make the draft quiz of an article file; raise ArticleRejectedError when it is none.

    `size` is the file's size when it is known before reading (a file too big is then not
    read at all, and `data` is empty).
    """
    article = read_article(name, data, size=size)
    skeletons = propose_items(article)
    source_name = Path(name).name
    return Draft(
        file_name=draft_file_name(source_name),
        text=draft_yaml(article, skeletons, source_name=source_name),
        title=article.title,
        words=article.words,
        items=len(skeletons),
    )


def propose_items(article: Article) -> list[Skeleton]:
    """The article's item skeletons, read with the published lexicons."""
    return build_skeletons(article, vader_lexicon(), english_stop_words())


def read_article(name: str, data: bytes, *, size: int | None = None) -> Article:
    """The article in a file (text or HTML), split into sentences, or ArticleRejectedError."""
    size = len(data) if size is None else size
    if size > ARTICLE_MAX_BYTES:
        raise ArticleRejectedError(ArticleProblem.TOO_BIG, size, ARTICLE_MAX_BYTES)
    if not data.strip():
        raise ArticleRejectedError(ArticleProblem.EMPTY)
    if b"\x00" in data:
        raise ArticleRejectedError(ArticleProblem.BINARY)
    if is_html(name, data):
        return _from_html(data)
    return _from_text(_decode(data))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ArticleRejectedError(ArticleProblem.BINARY) from None


def _tidy(text: str) -> str:
    """The text with its line breaks made plain and the characters YAML cannot hold removed.

    Words and punctuation are kept as they are; passages match however spaces and line
    breaks fall, so this changes no passage.
    """
    text = _LINE_BREAKS.sub("\n", text).expandtabs(4)
    text = _CONTROL.sub("", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _from_text(text: str) -> Article:
    text = _tidy(text)
    _screen(text)
    headline = headline_of(text)
    return _article(text, title=headline or _first_words(text), headline=headline)


def _from_html(data: bytes) -> Article:
    # Imported here: trafilatura and lxml take a second to import, and only HTML needs them.
    import trafilatura
    from trafilatura.settings import Document
    from trafilatura.utils import decode_file

    # The page is parsed from the bytes sent; trafilatura is given no URL, so it fetches
    # nothing (tests/services/test_drafts.py runs it with sockets refused).
    tree = trafilatura.load_html(decode_file(data))
    if tree is None:
        raise ArticleRejectedError(ArticleProblem.NO_ARTICLE_IN_PAGE)
    document = trafilatura.bare_extraction(
        tree, with_metadata=True, include_comments=False, include_tables=False, favor_recall=True
    )
    # One paragraph a line, as trafilatura gives them: a blank line between keeps the
    # sentence splitter from running a heading into the paragraph under it.
    lines = (document.text or "").splitlines() if isinstance(document, Document) else []
    body = _tidy("\n\n".join(line.strip() for line in lines if line.strip()))
    if not isinstance(document, Document) or word_count(body) < MIN_WORDS:
        raise ArticleRejectedError(ArticleProblem.NO_ARTICLE_IN_PAGE)
    title = _tidy(document.title or "")
    # The headline is part of what learners judge: it heads the text when the page's body
    # does not repeat it.
    text = body if not title or body.startswith(title) else f"{title}\n\n{body}"
    _screen(text)
    return _article(
        text,
        title=title or _first_words(body),
        headline=title or None,
        publisher=document.sitename,
        author=document.author,
        date=document.date,
        url=document.url,
    )


def _screen(text: str) -> None:
    problem = screen_article(text, english_stop_words())
    if problem is ArticleProblem.TOO_LONG:
        raise ArticleRejectedError(problem, len(text), MAX_CHARACTERS)
    if problem is ArticleProblem.TOO_SHORT:
        raise ArticleRejectedError(problem, word_count(text), MIN_WORDS)
    if problem is not None:
        raise ArticleRejectedError(problem)


def _first_words(text: str) -> str:
    words = text.split()
    return " ".join(words[:8]) + (" …" if len(words) > 8 else "")


def _article(text: str, *, title: str, headline: str | None, **metadata: str | None) -> Article:
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        # A paragraph at a time: a headline or a caption without a full stop stays alone.
        pieces += segmenter.segment(paragraph) if paragraph.strip() else []
    sentences = locate_sentences(text, pieces, headline=headline)
    return Article(text=text, title=title, sentences=sentences, **metadata)
