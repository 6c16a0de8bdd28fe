"""The wheel runs anywhere: built from the sources, installed into a fresh virtual environment
in a temporary folder, `quizbot` plays the bundled quiz, upgrades its database and lists the
quizzes, with no checkout anywhere near it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, stdin: str = "") -> str:
    result = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the quizbot wheel; its bin folder."""
    root = tmp_path_factory.mktemp("wheel")
    # Build from a copy of what the sdist holds, so the checkout gets no build/ folder.
    source = root / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(
        REPO / "bot", source / "bot", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    dist = root / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(dist), str(source)],
        cwd=root,
    )  # fmt: skip
    (wheel,) = dist.glob("quizbot-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=root)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    # The dependencies come from this environment's site-packages (a plain path entry: its
    # own .pth files, such as the editable install of the checkout, are not processed);
    # quizbot itself only from the wheel.
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(_run([str(bin_dir / "python"), "-c", purelib], cwd=root).strip())
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         str(wheel)],
        cwd=root,
    )  # fmt: skip
    return bin_dir


def _env(folder: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QUIZBOT_", "DATABASE_", "PYTHON", "TELEGRAM_", "VIRTUAL_ENV"))
    }
    env["QUIZBOT_LOG_LEVEL"] = "WARNING"
    env["HOME"] = str(folder)
    return env


def test_the_package_comes_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    where = _run(
        [str(installed / "python"), "-c", "import bot, bot.paths as p; print(bot.__file__); "
         "print(p.package_folder('migrations')); print(p.package_folder('quizzes'))"],
        cwd=tmp_path,
        env=_env(tmp_path),
    ).split()  # fmt: skip
    venv = installed.parent
    assert all(Path(line).is_relative_to(venv) for line in where), where
    assert not any(Path(line).is_relative_to(REPO) for line in where), where


def test_quizbot_plays_the_demo_from_any_folder(installed: Path, tmp_path: Path) -> None:
    folder = tmp_path / "somewhere" / "else"
    folder.mkdir(parents=True)
    env = _env(folder)
    # Default DATABASE_URL: quizbot.db in the working folder, migrated on first use.
    played = _run([str(installed / "quizbot"), "demo"], cwd=folder, env=env, stdin="1\n1\nq\n")
    assert "Question 1 of" in played
    assert "Saved: 2 of" in played
    assert (folder / "quizbot.db").exists()
    assert "up to date" in _run([str(installed / "quizbot"), "db", "upgrade"], folder, env)
    listed = _run([str(installed / "quizbot"), "quiz", "list"], folder, env)
    assert "nk-arms-article" in listed


def test_the_wheel_speaks_khmer(installed: Path, tmp_path: Path) -> None:
    """The compiled catalogs ship in the wheel: the demo speaks Khmer from it."""
    env = _env(tmp_path)
    played = _run(
        [str(installed / "quizbot"), "demo", "--lang", "km"], cwd=tmp_path, env=env, stdin="q\n"
    )
    assert "សំណួរទី 1 នៃ" in played
    assert "Question 1 of" not in played


def test_the_wheel_draws_the_chart_in_khmer(installed: Path, tmp_path: Path) -> None:
    """The Khmer font ships in the wheel: the chart finds it and misses no glyph."""
    env = _env(tmp_path)
    chart = tmp_path / "chart.png"
    _run([str(installed / "quizbot"), "db", "upgrade"], tmp_path, env)
    result = subprocess.run(
        [str(installed / "quizbot"), "stats", "--lang", "km", "--chart", str(chart)],
        cwd=tmp_path, env={**env, "PYTHONWARNINGS": "error"}, capture_output=True, text=True,
        check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ស្ថិតិ៖")
    assert "Glyph" not in result.stderr
    assert "findfont" not in result.stderr
    font = _run(
        [str(installed / "python"), "-c", "import bot.paths as p; "
         "print(p.package_folder('fonts') / 'NotoSansKhmer.ttf')"],
        cwd=tmp_path, env=env,
    ).strip()  # fmt: skip
    assert Path(font).is_file()
    assert Path(font).is_relative_to(installed.parent)
