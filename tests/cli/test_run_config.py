"""Configuration errors: one clear line and exit code 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _quizbot(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "QUIZBOT_"))
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_run_without_a_token_exits_2_with_one_line(tmp_path: Path) -> None:
    result = _quizbot("run", DATABASE_URL=f"sqlite:///{tmp_path / 'q.db'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "quizbot: TELEGRAM_BOT_TOKEN is not set; get one from @BotFather"
    ]


def test_a_bad_setting_exits_2_and_names_it(tmp_path: Path) -> None:
    result = _quizbot("quiz", "list", QUIZBOT_ADMIN_IDS="alice,bob")
    assert result.returncode == 2
    assert "QUIZBOT_ADMIN_IDS" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_command_is_a_usage_error() -> None:
    result = _quizbot("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
