"""The command line's own sentences in Khmer (--lang km, or the terminal's LANG), and the same
commands in English as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.console.columns import width
from tests.cli.test_quiz_cli import Cli, quizbot  # noqa: F401
from tests.cli.test_run_config import _quizbot as _bare
from tests.draft_samples import HTML


def test_db_upgrade_and_quiz_list_in_khmer(tmp_path: Path, quizbot: Cli) -> None:  # noqa: F811
    db = tmp_path / "q.db"
    upgraded = quizbot(db, "db", "upgrade", "--lang", "km")
    assert (upgraded.returncode, upgraded.stdout) == (0, "រចនាសម្ព័ន្ធមូលដ្ឋានទិន្នន័យទាន់សម័យហើយ\n")
    assert quizbot(db, "db", "upgrade").stdout == "database schema is up to date\n"

    listing = quizbot(db, "quiz", "list", "--lang", "km")
    assert listing.returncode == 0
    head, *rows = listing.stdout.splitlines()
    assert head.split() == ["លេខសម្គាល់", "កំណែ", "សំណួរ", "ចំណងជើង"]
    # The title starts in the same column on every line, as a terminal draws Khmer.
    row = next(r for r in rows if r.startswith("nk-arms-article "))
    assert width(head[: head.index("ចំណងជើង")]) == row.index(row.split()[3])
    english = quizbot(db, "quiz", "list").stdout.splitlines()
    assert english[0] == f"{'id':<28} {'version':>7} {'items':>5}  title"

    versions = quizbot(db, "quiz", "list", "nk-arms-article", "--lang", "km")
    assert versions.returncode == 0
    assert versions.stdout.splitlines()[0].endswith("(សាធារណៈ)")  # public
    assert "imported" not in versions.stdout
    unknown = quizbot(db, "quiz", "list", "no-such", "--lang", "km")
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "គ្មានកម្រងសំណួរ 'no-such' ទេ")


def test_draft_in_khmer(tmp_path: Path, quizbot: Cli) -> None:  # noqa: F811
    article = tmp_path / "flood.html"
    article.write_text(HTML, encoding="utf-8")
    result = quizbot(tmp_path / "q.db", "quiz", "draft", str(article), "--lang", "km")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"បានសរសេរ {tmp_path / 'flood.draft.yaml'}៖ សំណួរ 4 ត្រូវបំពេញ")
    again = quizbot(tmp_path / "q.db", "quiz", "draft", str(article), "--lang", "km")
    assert again.returncode == 2
    assert "មានរួចហើយ" in again.stderr  # "exists"


@pytest.mark.parametrize(
    ("args", "env", "khmer"),
    [
        (["run"], {}, "quizbot: មិនទាន់កំណត់ TELEGRAM_BOT_TOKEN ទេ; សូមយកមួយពី @BotFather"),
        (["quiz", "list"], {"QUIZBOT_ADMIN_IDS": "alice"}, "quizbot: ការកំណត់ QUIZBOT_ADMIN_IDS"),
        (
            ["webhook", "--secret", "x" * 40],
            {"TELEGRAM_BOT_TOKEN": "123:abc"},
            "សូមផ្ដល់ --url (ឬកំណត់ QUIZBOT_WEBHOOK_URL)",
        ),
    ],
)
def test_configuration_errors_in_khmer_from_the_terminals_language(
    tmp_path: Path, args: list[str], env: dict[str, str], khmer: str
) -> None:
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'q.db'}"}
    result = _bare(*args, **database, **env, LANG="km_KH.UTF-8")
    assert result.returncode == 2
    assert khmer in result.stderr
    assert "Traceback" not in result.stderr
