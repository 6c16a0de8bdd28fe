"""`quizbot demo` as a subprocess: bad input, quit and resume, and a whole quiz by stdin."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import yaml

from bot.config import BUNDLED_QUIZ_DIR, DEFAULT_QUIZ_ID

ROOT = Path(__file__).resolve().parents[2]
ANSWER_PROMPT = "\n> "
ROUND_PROMPT = "(q to quit): "


def _env(db: Path) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "QUIZBOT_LOG_LEVEL": "WARNING"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return env


def _run(db: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "demo", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(db),
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_bad_input_gets_a_hint_and_end_of_input_exits_cleanly(tmp_path: Path) -> None:
    result = _run(tmp_path / "q.db", "banana\n99\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    hints = re.findall(
        r"Type (?:a number from 1 to \d|the numbers of all).*or q to quit\.", result.stdout
    )
    assert len(hints) == 2
    assert "Saved." in result.stdout


def test_an_unknown_quiz_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--quiz", "no-such-quiz"],
        input="",
        capture_output=True,
        text=True,
        env=_env(tmp_path / "q.db"),
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stderr.strip()) == (
        1,
        "quizbot: There is no quiz 'no-such-quiz'.",
    )


class Player:
    """Drives the demo through its prompts, reading what it prints up to each prompt."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(db),
            cwd=ROOT,
        )
        self.transcript = ""

    def read_until_prompt(self, timeout: float = 60) -> str:
        """Text printed since the last prompt; '' when the program has ended."""
        assert self.proc.stdout is not None
        buffer = b""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buffer += chunk
            text = buffer.decode()
            if text.endswith((ANSWER_PROMPT, ROUND_PROMPT)):
                break
        text = buffer.decode()
        self.transcript += text
        return text

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{line}\n".encode())
        self.proc.stdin.flush()

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.transcript += self.proc.stdout.read().decode() if self.proc.stdout else ""
        return self.proc.wait(timeout=60)


def _right_answers() -> list[list[str]]:
    """Per item in quiz order, the texts of its right options, from the quiz file."""
    data = yaml.safe_load((BUNDLED_QUIZ_DIR / f"{DEFAULT_QUIZ_ID}.yaml").read_text("utf-8"))
    return [[o["text"] for o in item["options"] if o.get("correct")] for item in data["items"]]


def _numbers_for(screen: str, right: list[list[str]], *, wrong: bool = False) -> str:
    block = screen.rsplit("── Question ", 1)[1]
    number = int(block.split(" ", 1)[0])
    options: dict[int, str] = {}
    current: int | None = None
    for line in block.split("\n")[1:]:
        match = re.match(r"^  (\d)\) (.*)$", line)
        if match:
            current = int(match[1])
            options[current] = match[2]
        elif current is not None and line.startswith("  "):
            options[current] += " " + line.strip()
    wanted = [" ".join(t.split()) for t in right[number - 1]]
    picks = [n for n, text in options.items() if " ".join(text.split()) in wanted]
    assert len(picks) == len(wanted), (number, options)
    if wrong:
        picks = [next(n for n in options if n not in picks)]
    return " ".join(map(str, picks))


def test_quit_resume_and_finish_with_the_score(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    right = _right_answers()
    total = len(right)

    # First sitting: miss one item, then quit.
    player = Player(db)
    screen = player.read_until_prompt()
    assert f"Question 1 of {total}" in screen
    player.send(_numbers_for(screen, right, wrong=True))
    player.read_until_prompt()
    player.send("q")
    assert player.close() == 0
    assert "Saved." in player.transcript

    # Second sitting resumes at question 2 and answers everything else right.
    player = Player(db)
    while True:
        screen = player.read_until_prompt()
        if not screen:
            break
        if screen.endswith(ROUND_PROMPT):
            player.send("")
        elif screen.endswith(ANSWER_PROMPT):
            player.send(_numbers_for(screen, right))
        else:
            break
    assert player.close() == 0
    transcript = player.transcript
    assert "Welcome back: 1 of" in transcript
    assert f"Finished: {total - 1} of {total} right" in transcript
    assert "Score per skill:" in transcript
    assert "Traceback" not in transcript


def test_lang_plays_the_demo_in_khmer_and_the_player_keeps_it(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    khmer = _run(db, "banana\n1\nq\n", "--lang", "km")
    assert khmer.returncode == 0, khmer.stderr
    assert "សំណួរទី 1 នៃ" in khmer.stdout
    assert "ឬ q ដើម្បីចេញ។" in khmer.stdout  # the hint after "banana"
    assert "Question 1 of" not in khmer.stdout
    # The next run of the same player stays in Khmer until --lang says otherwise.
    again = _run(db, "q\n")
    assert "សូមស្វាគមន៍ការត្រឡប់មកវិញ" in again.stdout
    english = _run(db, "q\n", "--lang", "en")
    assert "Welcome back" in english.stdout
    refused = _run(db, "", "--lang", "xx")
    assert refused.returncode == 2
    assert "invalid choice" in refused.stderr
    assert "Traceback" not in refused.stderr
