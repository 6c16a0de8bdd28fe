"""`quizbot demo` leaves test forms alone: they are not in its list of quizzes, and naming one
says where it is taken."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.config import DEFAULT_QUIZ_ID
from tests.assessment_support import FORM_FILES
from tests.cli.test_demo import ROOT, _env, _run


def test_the_demo_does_not_offer_test_forms(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    imported = subprocess.run(
        [sys.executable, "-m", "bot", "quiz", "import", *map(str, FORM_FILES)],
        capture_output=True,
        text=True,
        env=_env(db),
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    unknown = _run(db, "", "--quiz", "no-such-quiz")
    assert (unknown.returncode, unknown.stderr) == (
        2,
        f"quizbot demo: There is no quiz 'no-such-quiz'. The quiz ids are: {DEFAULT_QUIZ_ID}.\n",
    )
    form = _run(db, "", "--quiz", "placeholder-form-a")
    assert (form.returncode, form.stderr) == (
        2,
        "quizbot demo: 'placeholder-form-a' is a test form: learners take it through a "
        "cohort's tests in the chat, not in the demo.\n",
    )
    listed = subprocess.run(
        [sys.executable, "-m", "bot", "quiz", "list"],
        capture_output=True,
        text=True,
        env=_env(db),
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert "(test form A of the set placeholder)" in listed.stdout
