"""`quizbot stats` and `quizbot export` as subprocesses on a small class, both backends."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import sys
from pathlib import Path

from bot.runtime import Runtime
from tests.reports_data import build_class

ROOT = Path(__file__).resolve().parents[2]


async def _quizbot(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "QUIZBOT_LOG_LEVEL": "WARNING"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_stats_and_export_in_the_terminal(
    runtime: Runtime, database_url: str, tmp_path: Path
) -> None:
    async with runtime.sessions() as session:
        built = await build_class(session)

    code, out, err = await _quizbot(
        database_url, "stats", "--quiz", "tiny", "--chart", str(tmp_path / "chart.png")
    )
    assert code == 0, err
    assert "attempts finished 10  (completion 83%)" in out
    assert "tiny        1      4        10   0.42" in out  # the alpha row
    assert "low discrimination" in out
    # Most missed, with n: C and D both 6 of 10 wrong (Wilson bound 0.31), then B 5 of 11.
    assert '1. tiny v1 c: 6 of 10 answers wrong (60%): "Passage C"' in out
    assert '3. tiny v1 b: 5 of 11 answers wrong (45%): "Passage B"' in out
    discernment = re.search(r"all learners in scope +first attempt +11 +(.*)", out)
    assert discernment is not None
    assert discernment[1].split() == ["0.29", "-0.09", "41%", "45%", "1"]  # d', c, over-
    # belief, over-doubt, misreadings
    assert "Secretname" not in out
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"

    target = tmp_path / "answers.csv"
    code, _out, err = await _quizbot(
        database_url, "export", "--quiz", "tiny", "--out", str(target)
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == built.answers
    assert list(rows[0])[-2:] == ["sitting_id", "followup"]
    assert f"exported {built.answers} answers" in err

    code, _out, err = await _quizbot(database_url, "stats", "--quiz", "nope")
    assert code == 1
    assert err.strip() == "quizbot stats: There is no quiz 'nope'."
    code, _out, err = await _quizbot(database_url, "export", "--days", "0", "--out", "-")
    assert code == 1
    assert "days must be a whole number" in err
    assert "Traceback" not in err


async def test_stats_in_khmer(runtime: Runtime, database_url: str, tmp_path: Path) -> None:
    async with runtime.sessions() as session:
        built = await build_class(session)
    chart = tmp_path / "chart.png"
    code, out, err = await _quizbot(
        database_url, "stats", "--quiz", "tiny", "--lang", "km", "--chart", str(chart)
    )
    assert code == 0, err
    assert out.startswith("ស្ថិតិ៖ tiny (អ្នករៀនទាំងអស់)")  # "Stats: tiny (all learners)"
    # The skills by their Khmer names, the flags and verdicts in Khmer words.
    assert "អ្នកណាជាអ្នកនិយាយ?" in out  # sourcing: "Who says so?"
    assert "Who says so?" not in out
    assert "កម្រិតបែងចែកទាប" in out  # low discrimination
    assert "low discrimination" not in out
    assert re.search(r"^tiny +1 +a +sourcing +មានចំណុចខ្វះខាត ", out, re.MULTILINE)  # flawed
    assert "អ្នករៀនទាំងអស់ក្នុងរបាយការណ៍នេះ" in out  # the discernment row of everyone
    assert "all learners in scope" not in out
    assert chart.read_bytes()[:4] == b"\x89PNG"
    assert err.strip() == f"បានសរសេរគំនូសតាងទៅ {chart}"  # "chart written to"
    assert "Glyph" not in err
    target = tmp_path / "answers.csv"
    code, _out, err = await _quizbot(
        database_url, "export", "--quiz", "tiny", "--out", str(target), "--lang", "km"
    )
    assert code == 0, err
    assert err.strip() == f"បាននាំចេញចម្លើយ {built.answers} ទៅ {target}"
    # The header stays as documented, whatever the language.
    assert target.read_text(encoding="utf-8").startswith("learner,cohort,quiz,")
    assert "attempts finished" not in out
    # "attempts finished 10 (completion 83%)", padded to the longest label as drawn
    assert re.search(r"^ការធ្វើបានបញ្ចប់ +10  \(អត្រាបញ្ចប់ 83%\)$", out, re.MULTILINE)
    code, _, err = await _quizbot(database_url, "stats", "--lang", "xx")
    assert code == 2
    assert "invalid choice" in err
