"""`quizbot quiz draft`: from an article to an imported quiz, and every bad file refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_quiz_cli import Cli, quizbot  # noqa: F401
from tests.domain.test_draft_file import FOREIGN
from tests.draft_samples import ARTICLE, HTML, complete
from tests.services.test_drafts import NAV_ONLY, PNG


def _todo_lines(text: str) -> list[int]:
    return [
        n
        for n, line in enumerate(text.splitlines(), start=1)
        if "TODO" in line and not line.lstrip().startswith("#")
    ]


def test_from_an_article_to_an_imported_quiz(tmp_path: Path, quizbot: Cli) -> None:  # noqa: F811
    db = tmp_path / "q.db"
    article = tmp_path / "flood.html"
    article.write_text(HTML, encoding="utf-8")

    result = quizbot(db, "quiz", "draft", str(article))
    assert result.returncode == 0, result.stderr
    draft = tmp_path / "flood.draft.yaml"
    assert result.stdout.startswith(f"wrote {draft}: 4 items to complete")
    text = draft.read_text(encoding="utf-8")

    # Every TODO is named with its line; nothing else is wrong.
    result = quizbot(db, "quiz", "validate", str(draft))
    assert result.returncode == 1
    assert result.stdout == ""
    problems = result.stderr.splitlines()
    assert [int(p.split(":")[1]) for p in problems] == _todo_lines(text)
    assert all(p.startswith(f"{draft}:") and "still to write" in p for p in problems)

    # An unfinished draft is never imported.
    result = quizbot(db, "quiz", "import", str(draft))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        *problems,
        f"nothing imported: {len(problems)} problem(s)",
    ]
    listing = quizbot(db, "quiz", "list").stdout
    assert "council-approves-flood-wall" not in listing

    draft.write_text(complete(text), encoding="utf-8")
    result = quizbot(db, "quiz", "validate", str(draft))
    assert result.returncode == 0, result.stdout
    assert f"{draft}: ok, quiz 'city-council-approves-flood-wall-after-storm' with 4 items" in (
        result.stdout
    )
    result = quizbot(db, "quiz", "import", str(draft))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "imported quiz city-council-approves-flood-wall-after-storm version 1: 4 items" in (
        result.stdout
    )


def test_the_draft_to_stdout_and_never_over_a_file(tmp_path: Path, quizbot: Cli) -> None:  # noqa: F811
    db = tmp_path / "q.db"
    article = tmp_path / "flood.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    result = quizbot(db, "quiz", "draft", str(article), "--out", "-")
    assert result.returncode == 0
    assert result.stdout.startswith("# A draft quiz made by `quizbot quiz draft` from flood.txt.")
    assert result.stderr.startswith("draft quiz: 4 items to complete")
    assert not (tmp_path / "flood.draft.yaml").exists()

    mine = tmp_path / "mine.yaml"
    mine.write_text("half written", encoding="utf-8")
    result = quizbot(db, "quiz", "draft", str(article), "--out", str(mine))
    assert result.returncode == 2
    assert result.stderr == f"{mine} exists; delete it or give another name with --out\n"
    assert mine.read_text(encoding="utf-8") == "half written"


BAD = [
    ("empty.txt", b"", "The file is empty."),
    ("picture.txt", PNG, "The file is not text"),
    ("page.html", NAV_ONLY.encode(), "I found no article in this web page."),
    ("words.txt", b"apple\nbanana\ncherry\n" * 40, "This is not an article: it has hardly"),
    ("quiz.txt", Path("tests/data/draft/nk-arms-article.teaching-points.yaml").read_bytes(),
     "This is not an article: it looks like data or code"),
    ("german.txt", (FOREIGN["German"] * 3).encode(), "The article does not seem to be in"),
    ("big.txt", b"The council met on Monday. " * 40_000, "The file is 1.1 MB; an article may"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_file_gets_one_line_and_exit_2(
    tmp_path: Path,
    quizbot: Cli,  # noqa: F811
    name: str,
    data: bytes,
    message: str,
) -> None:
    article = tmp_path / name
    article.write_bytes(data)
    result = quizbot(tmp_path / "q.db", "quiz", "draft", str(article))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"{article}: {message}")
    assert result.stderr.endswith("No draft was written.\n")
    assert result.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing written or stored


def test_a_missing_article(tmp_path: Path, quizbot: Cli) -> None:  # noqa: F811
    result = quizbot(tmp_path / "q.db", "quiz", "draft", str(tmp_path / "nope.txt"))
    assert (result.returncode, result.stderr) == (2, f"{tmp_path / 'nope.txt'}: no such file\n")
