"""`quizbot quiz validate|import|list|schema` on a SQLite file.

Most cases call `bot.cli.main` in this process (a subprocess costs seconds of imports);
the database failures run as real subprocesses, to see exactly what an operator sees.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.db import sqlite_inline
from bot.domain.quizfile.schema import quiz_json_schema
from tests.quiz_samples import (
    COLON_SLIPS,
    broken_quiz_yaml,
    colon_quiz_yaml,
    line_of,
    quiz_yaml,
)

ROOT = Path(__file__).resolve().parents[2]


def _quizbot(
    db: Path, *args: str, cwd: Path | None = None, lang: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "QUIZBOT_LOG_LEVEL": "WARNING"}
    if lang is not None:
        env["LANG"] = lang
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


class Cli:
    """Runs `quizbot` in this process against one database."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, db: Path, *args: str) -> Run:
        self.monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return Run(code, out, err)


@pytest.fixture
def quizbot(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("QUIZBOT_LOG_LEVEL", "WARNING")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    # The command configures logging for a process of its own; give pytest its own back.
    loggers = [logging.getLogger(name) for name in ("", "httpx", "alembic")]
    saved = [(lg, lg.handlers[:], lg.level) for lg in loggers]
    try:
        yield Cli(capsys, monkeypatch)
    finally:
        for lg, handlers, level in saved:
            lg.handlers[:] = handlers
            lg.setLevel(level)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_good_and_broken_files(tmp_path: Path, quizbot: Cli) -> None:
    good = _write(tmp_path, "good.yaml", quiz_yaml())
    result = quizbot(tmp_path / "q.db", "quiz", "validate", str(good))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{good}: ok, quiz 'bike-lane' with 2 items" in result.stdout

    text = broken_quiz_yaml()
    bad = _write(tmp_path, "bad.yaml", text)
    result = quizbot(tmp_path / "q.db", "quiz", "validate", str(good), str(bad))
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith(f"{bad}:")]
    assert [int(p.split(":")[1]) for p in problems] == [
        line_of(text, "skill: sourcin"),
        line_of(text, "secret minutes"),
        line_of(text, "- id: q2"),
    ]
    assert "passage not found in the source text" in problems[1]
    # validate does not touch the database.
    assert not (tmp_path / "q.db").exists()


def test_problems_go_to_stderr_and_results_to_stdout(tmp_path: Path, quizbot: Cli) -> None:
    """One rule for `quiz validate` and `quiz import`, the one `quizbot --help` states."""
    good = _write(tmp_path, "good.yaml", quiz_yaml())
    lax = _write(
        tmp_path, "lax.yaml", quiz_yaml("lax").replace("        feedback: Look at", "        # ")
    )
    bad = _write(tmp_path, "bad.yaml", broken_quiz_yaml())
    db = tmp_path / "q.db"

    result = quizbot(db, "quiz", "validate", str(good), str(lax), str(bad))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{good}: ok, quiz 'bike-lane' with 2 items",
        f"{lax}: ok, quiz 'lax' with 2 items",
    ]
    problems = result.stderr.splitlines()
    assert problems
    assert all(line.startswith((f"{lax}:", f"{bad}:")) for line in problems)
    assert any(": warning: " in line for line in problems)

    refused = quizbot(db, "quiz", "import", str(good), str(bad))
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr.splitlines()[-1] == "nothing imported: 3 problem(s)"

    imported = quizbot(db, "quiz", "import", str(lax))
    assert imported.returncode == 0
    assert imported.stdout.splitlines() == [
        "imported quiz lax version 1: 2 items, skills sourcing, vague-attribution"
    ]
    assert [line.split(": warning: ")[0] for line in imported.stderr.splitlines()] == [
        f"{lax}:{line_of(lax.read_text(encoding='utf-8'), 'No: it gives no source')}"
    ]

    missing = tmp_path / "week3" / "quiz.yaml"
    missing.parent.mkdir()
    text = quiz_yaml("week3").replace("  text: |\n", "  text_file: texts/article.txt\n")
    text = "".join(line for line in text.splitlines(True) if not line.startswith("    The city"))
    missing.write_text(text, encoding="utf-8")
    result = quizbot(db, "quiz", "validate", str(missing))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"{missing}:{line_of(text, 'text_file')}: source: no text file at "
        f"'{tmp_path / 'week3' / 'texts' / 'article.txt'}' ('text_file: texts/article.txt' is "
        "read from the quiz file's folder)"
    ]


def test_validate_and_import_speak_khmer_with_lang(tmp_path: Path, quizbot: Cli) -> None:
    """Every problem in Khmer at its line; ids, field names and check names as written."""
    good = _write(tmp_path, "good.yaml", quiz_yaml())
    lax_text = quiz_yaml("lax").replace("        feedback: Look at", "        # ")
    lax = _write(tmp_path, "lax.yaml", lax_text)
    text = broken_quiz_yaml()
    bad = _write(tmp_path, "bad.yaml", text)
    db = tmp_path / "q.db"

    result = quizbot(db, "quiz", "validate", "--lang", "km", str(good), str(lax), str(bad))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{good}: ត្រឹមត្រូវ កម្រងសំណួរ 'bike-lane' មានសំណួរ 2",
        f"{lax}: ត្រឹមត្រូវ កម្រងសំណួរ 'lax' មានសំណួរ 2",
    ]
    warning = line_of(lax_text, "No: it gives no source")
    assert result.stderr.splitlines()[0] == (
        f"{lax}:{warning}: ការព្រមាន៖ សំណួរទី 1 ('q1'), ជម្រើសទី 2៖ ជម្រើសខុសដែលគ្មាន "
        "'feedback' (មតិត្រឡប់); សូមប្រាប់ថាហេតុអ្វីអ្នកអានអាចរើសវា និងអត្ថបទដកស្រង់បង្ហាញអ្វី "
        "(មតិត្រឡប់ដែលជួយឲ្យរៀន៖ Shute 2008) [no-feedback]"
    )
    problems = [line for line in result.stderr.splitlines() if line.startswith(f"{bad}:")]
    assert [int(p.split(":")[1]) for p in problems] == [
        line_of(text, "skill: sourcin"),
        line_of(text, "secret minutes"),
        line_of(text, "- id: q2"),
    ]
    assert problems[2] == f"{bad}:{line_of(text, '- id: q2')}: សំណួរទី 2 ('q2')៖ ខ្វះវាល 'question'"
    assert "passage" not in result.stderr

    refused = quizbot(db, "quiz", "import", "--lang", "km", str(good), str(bad))
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr.splitlines()[-1] == "មិនបាននាំចូលអ្វីទេ៖ មានបញ្ហា 3"
    imported = quizbot(db, "quiz", "import", "--lang", "km", str(lax))
    assert imported.stdout.splitlines() == [
        "បាននាំចូលកម្រងសំណួរ lax កំណែ 1៖ សំណួរ 2, ជំនាញ sourcing, vague-attribution"
    ]
    assert imported.stderr.startswith(f"{lax}:{warning}: ការព្រមាន៖ សំណួរទី 1 ('q1')")
    again = quizbot(db, "quiz", "import", "--lang", "km", str(lax))
    assert again.stdout.splitlines() == ["កម្រងសំណួរ lax កំណែ 1៖ ទាន់សម័យរួចហើយ"]
    # The same commands in English, as before.
    assert "nothing imported: 3 problem(s)" in quizbot(db, "quiz", "import", str(bad)).stderr


def test_validate_speaks_the_terminals_language(tmp_path: Path) -> None:
    text = broken_quiz_yaml()
    bad = _write(tmp_path, "bad.yaml", text)
    line = line_of(text, "- id: q2")
    khmer = _quizbot(tmp_path / "q.db", "quiz", "validate", str(bad), lang="km_KH.UTF-8")
    assert khmer.returncode == 1
    assert f"{bad}:{line}: សំណួរទី 2 ('q2')៖ ខ្វះវាល 'question'" in khmer.stderr.splitlines()
    english = _quizbot(tmp_path / "q.db", "quiz", "validate", str(bad), lang="C.UTF-8")
    assert f"{bad}:{line}: item 2 ('q2'): missing field 'question'" in english.stderr


def test_help_states_where_problems_and_results_go() -> None:
    text = " ".join(build_parser().format_help().split())
    assert "Problems (FILE:LINE: message, errors and warnings) go to stderr" in text
    assert "results (ok lines, what was imported, reports) to stdout" in text


def test_validate_and_import_report_every_unquoted_colon_at_once(
    tmp_path: Path, quizbot: Cli
) -> None:
    text = colon_quiz_yaml()
    path = _write(tmp_path, "colons.yaml", text)
    expected = sorted(line_of(text, marker) for marker in COLON_SLIPS)
    for command in ("validate", "import"):
        result = quizbot(tmp_path / "q.db", "quiz", command, str(path))
        assert result.returncode == 1, command
        problems = [line for line in result.stderr.splitlines() if line.startswith(f"{path}:")]
        assert [int(line.split(":")[1]) for line in problems] == expected, (command, problems)
        assert all("quote" in line for line in problems)
    assert result.stderr.splitlines()[-1] == "nothing imported: 5 problem(s)"


def test_strict_fails_on_an_item_writing_warning(tmp_path: Path, quizbot: Cli) -> None:
    text = quiz_yaml().replace("        feedback: Look at the end of the sentence.\n", "")
    assert text != quiz_yaml()
    path = _write(tmp_path, "lax.yaml", text)
    line = line_of(text, "No: it gives no source")
    lenient = quizbot(tmp_path / "q.db", "quiz", "validate", str(path))
    assert lenient.returncode == 0
    assert f"{path}:{line}: warning: item 1 ('q1'), option 2: a wrong option with no " in (
        lenient.stderr
    )
    strict = quizbot(tmp_path / "q.db", "quiz", "validate", "--strict", str(path))
    assert strict.returncode == 1
    assert f"{path}:{line}: item 1 ('q1'), option 2: a wrong option with no " in strict.stderr
    assert "[no-feedback]" in strict.stderr
    assert "ok, quiz" not in strict.stdout
    refused = quizbot(tmp_path / "q.db", "quiz", "import", "--strict", str(path))
    assert refused.returncode == 1
    assert "nothing imported: 1 problem(s)" in refused.stderr
    assert quizbot(tmp_path / "q.db", "quiz", "import", str(path)).returncode == 0


def test_bundled_folder_is_clean_under_strict(tmp_path: Path, quizbot: Cli) -> None:
    """`quizbot quiz validate --strict quizzes/*.yaml`: the quizzes and the skill catalogue."""
    files = sorted(str(p) for p in (ROOT / "quizzes").glob("*.yaml"))
    result = quizbot(tmp_path / "q.db", "quiz", "validate", "--strict", *files)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "warning" not in result.stdout
    assert "skills.yaml: ok, skill catalogue with 12 skills" in result.stdout

    broken = _write(tmp_path, "skills.yaml", "skills:\n  - id: x\n    name: X\n")
    result = quizbot(tmp_path / "q.db", "quiz", "validate", str(broken))
    assert result.returncode == 1
    assert f"{broken}:2: skill 1 ('x'): missing fields" in result.stderr


def test_validate_missing_file_and_the_bundled_quiz(tmp_path: Path, quizbot: Cli) -> None:
    result = quizbot(tmp_path / "q.db", "quiz", "validate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"{tmp_path / 'nope.yaml'}:1: no such file"
    bundled = ROOT / "quizzes" / "nk-arms-article.yaml"
    assert quizbot(tmp_path / "q.db", "quiz", "validate", str(bundled)).returncode == 0


def test_import_is_all_or_nothing_and_versions(tmp_path: Path, quizbot: Cli) -> None:
    db = tmp_path / "q.db"
    good = _write(tmp_path, "good.yaml", quiz_yaml("good-quiz"))
    bad = _write(tmp_path, "bad.yaml", broken_quiz_yaml("bad-quiz"))
    result = quizbot(db, "quiz", "import", str(good), str(bad))
    assert result.returncode == 1
    assert result.stdout == ""
    *problems, verdict = result.stderr.splitlines()
    assert all(line.startswith(f"{bad}:") for line in problems)
    assert verdict == "nothing imported: 3 problem(s)"
    listing = quizbot(db, "quiz", "list")
    assert "good-quiz" not in listing.stdout

    result = quizbot(db, "quiz", "import", str(good))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "imported quiz good-quiz version 1: 2 items, skills sourcing, vague-attribution"
    )
    result = quizbot(db, "quiz", "import", str(good))
    assert result.stdout.strip() == "quiz good-quiz version 1: already up to date"

    good.write_text(quiz_yaml("good-quiz", extra_item=True), encoding="utf-8")
    result = quizbot(db, "quiz", "import", str(good))
    assert result.returncode == 0
    assert result.stdout.startswith("imported quiz good-quiz version 2: 3 items")

    listing = quizbot(db, "quiz", "list")
    assert listing.returncode == 0
    rows = {line.split()[0]: line.split() for line in listing.stdout.splitlines()[1:]}
    assert rows["good-quiz"][1:3] == ["2", "3"]
    assert rows["nk-arms-article"][1] == "1"

    versions = quizbot(db, "quiz", "list", "good-quiz")
    assert versions.returncode == 0
    lines = versions.stdout.splitlines()
    assert lines[0] == "good-quiz: Bike lane news (public)"
    assert [line.split()[0] for line in lines[2:]] == ["1", "2"]
    unknown = quizbot(db, "quiz", "list", "no-such-quiz")
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "there is no quiz 'no-such-quiz'")


def test_import_reads_text_file_beside_the_quiz(tmp_path: Path, quizbot: Cli) -> None:
    folder = tmp_path / "quizzes"
    folder.mkdir()
    text = quiz_yaml("beside").replace("  text: |\n", "  text_file: source.txt\n")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("    The city"))
    path = _write(folder, "beside.yaml", text + "\n")
    source = quiz_yaml().split("text: |\n", 1)[1].split("items:", 1)[0]
    _write(folder, "source.txt", " ".join(source.split()))
    result = quizbot(tmp_path / "q.db", "quiz", "import", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_is_json_and_the_committed_copy_is_current(tmp_path: Path, quizbot: Cli) -> None:
    result = quizbot(tmp_path / "q.db", "quiz", "schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema == quiz_json_schema()
    committed = json.loads((ROOT / "docs" / "quiz.schema.json").read_text(encoding="utf-8"))
    assert committed == schema, "regenerate: quizbot quiz schema > docs/quiz.schema.json"


def test_corrupt_database_is_one_clear_line(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    db.write_bytes(os.urandom(8192))
    good = _write(tmp_path, "good.yaml", quiz_yaml())
    result = _quizbot(db, "quiz", "import", str(good))
    assert result.returncode == 2
    assert result.stderr.strip() == "quizbot: database error: file is not a database"


def test_locked_database_is_one_clear_line(
    tmp_path: Path, quizbot: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "LOCK_WAIT_SECONDS", 0.5)  # not the 10 s of production
    db = tmp_path / "q.db"
    assert quizbot(db, "db", "upgrade").returncode == 0
    good = _write(tmp_path, "good.yaml", quiz_yaml())
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        result = quizbot(db, "quiz", "import", str(good))  # waits out the busy timeout
    finally:
        holder.close()
    assert result.returncode == 2
    assert result.stderr.strip() == "quizbot: database error: database is locked"
    # Nothing was half-imported: once the lock is gone the import goes through in full.
    result = quizbot(db, "quiz", "import", str(good))
    assert result.stdout.startswith("imported quiz bike-lane version 1: 2 items")


def test_fifty_megabytes_are_refused_without_reading_them(tmp_path: Path, quizbot: Cli) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as file:
        file.truncate(50_000_000)  # sparse: nothing is written, nothing need be read
    for command in ("validate", "import"):
        result = quizbot(tmp_path / "q.db", "quiz", command, str(huge))
        assert result.returncode == 1
        assert result.stderr.splitlines()[0] == (
            f"{huge}:1: the file is 50,000,000 bytes; the limit is 1 MB"
        )
