"""`quizbot demo` as a subprocess: bad input, quit and resume, and a whole quiz by stdin."""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bot.config import BUNDLED_QUIZ_DIR, DEFAULT_QUIZ_ID
from tests.quiz_samples import contradiction_quiz_yaml

ROOT = Path(__file__).resolve().parents[2]
ANSWER_PROMPT = "\n> "
ROUND_PROMPT = "(q to quit): "


def _env(db: Path) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "QUIZBOT_LOG_LEVEL": "WARNING"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return env


def _run(
    db: Path, stdin: str, *args: str, lang: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`quizbot demo ARGS` with `stdin`; `lang` sets the terminal's LANG."""
    env = _env(db) if lang is None else {**_env(db), "LANG": lang}
    return subprocess.run(
        [sys.executable, "-m", "bot", "demo", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
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
    assert "Saved: 0 of" in result.stdout


@pytest.fixture
def bridge_db(tmp_path: Path) -> Path:
    """A database with the bundled quizzes and a one-item "find the contradiction" quiz."""
    db = tmp_path / "q.db"
    quiz = tmp_path / "bridge.yaml"
    quiz.write_text(contradiction_quiz_yaml(), encoding="utf-8")
    imported = subprocess.run(
        [sys.executable, "-m", "bot", "quiz", "import", str(quiz)],
        capture_output=True,
        text=True,
        env=_env(db),
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    return db


def test_an_unknown_quiz_is_one_line_with_the_quiz_ids_and_exit_2(bridge_db: Path) -> None:
    result = _run(bridge_db, "", "--quiz", "no-such-quiz")
    assert (result.returncode, result.stderr) == (
        2,
        "quizbot demo: There is no quiz 'no-such-quiz'. "
        f"The quiz ids are: bridge, {DEFAULT_QUIZ_ID}.\n",
    )


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_a_wrong_answer_shows_the_right_options_text(bridge_db: Path) -> None:
    """Contradiction passages come as written; a miss names the right one by its text."""
    result = _run(bridge_db, "1\n", "--quiz", "Bridge")
    assert result.returncode == 0, result.stderr
    shown = re.findall(r"^  (\d)\) (.*)$", result.stdout, re.MULTILINE)
    assert [text for _, text in shown] == [
        "Traffic on it has doubled since then",
        "It carries 40,000 cars a day",
        "The bridge opened in 1992",
        "Repairs cost 3 million euros last year",
    ]
    out = _flat(result.stdout)
    assert "✘ Not quite. You chose: 1) Traffic on it has doubled since then" in out
    assert "The answer: 3) The bridge opened in 1992" in out


def _resume_command(transcript: str) -> list[str]:
    found = re.findall(r"To continue, run: (.*)$", transcript, re.MULTILINE)
    assert found, transcript
    return shlex.split(found[-1])


def test_the_resume_hint_is_the_command_that_resumes(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    player = Player(db, "--quiz", DEFAULT_QUIZ_ID, "--player", "Ana B")
    player.read_until_prompt()
    player.send("1")
    player.read_until_prompt()
    player.send("q")
    assert player.close() == 0
    command = _resume_command(player.transcript)
    assert command[-5:] == ["demo", "--quiz", DEFAULT_QUIZ_ID, "--player", "Ana B"]

    again = subprocess.run(
        command, input="", capture_output=True, text=True, env=_env(db), cwd=ROOT, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert "Welcome back: 1 of" in again.stdout


@pytest.mark.parametrize("stdin", ["pipe", "terminal"])
def test_ctrl_c_saves_says_how_to_resume_and_exits_at_once(tmp_path: Path, stdin: str) -> None:
    db = tmp_path / "q.db"
    player = Player(db, "--player", "Bo", terminal=stdin == "terminal")
    player.read_until_prompt()
    player.send("1")
    player.read_until_prompt()
    player.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends; no Enter follows
    started = time.monotonic()
    code = player.proc.wait(timeout=15)
    assert time.monotonic() - started < 5
    player.read_until_prompt(timeout=5)
    errors = player.proc.stderr.read().decode() if player.proc.stderr else ""
    assert code == 130, errors
    assert "Traceback" not in errors
    assert "Fatal" not in errors
    stopped = [line for line in player.transcript.splitlines() if line.startswith("Stopped.")]
    assert len(stopped) == 1, player.transcript
    assert stopped[0].startswith("Stopped. Saved: 1 of ")
    assert _resume_command(stopped[0])[-3:] == ["demo", "--player", "Bo"]


class Player:
    """Drives the demo through its prompts, reading what it prints up to each prompt.

    `terminal`: the demo's input and output are a pseudo-terminal, as when a person runs it.
    """

    def __init__(self, db: Path, *args: str, terminal: bool = False) -> None:
        self._pty: int | None = None
        stdin: int = subprocess.PIPE
        stdout: int = subprocess.PIPE
        if terminal:
            self._pty, child = pty.openpty()
            stdin = stdout = child
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo", *args],
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            env=_env(db),
            cwd=ROOT,
        )
        if terminal:
            os.close(child)
        self.transcript = ""

    def read_until_prompt(self, timeout: float = 60) -> str:
        """Text printed since the last prompt; '' when the program has ended."""
        fd = self._pty if self._pty is not None else self.proc.stdout.fileno()  # type: ignore[union-attr]
        buffer = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # a pseudo-terminal whose program has ended
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            text = buffer.decode().replace("\r\n", "\n")
            if text.endswith((ANSWER_PROMPT, ROUND_PROMPT)):
                break
        text = buffer.decode().replace("\r\n", "\n")
        self.transcript += text
        return text

    def send(self, line: str) -> None:
        if self._pty is not None:
            os.write(self._pty, f"{line}\n".encode())
            return
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
    verdict = _flat(player.read_until_prompt())
    assert any(f") {_flat(text)}" in verdict for text in right[0]), verdict
    player.send("q")
    assert player.close() == 0
    assert f"Saved: 1 of {total} questions answered." in player.transcript

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


def test_without_lang_the_demo_speaks_the_terminals_language(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    khmer = _run(db, "q\n", lang="km_KH.UTF-8")
    assert khmer.returncode == 0, khmer.stderr
    assert "សំណួរទី 1 នៃ" in khmer.stdout
    # The terminal's language was not the player's choice: an English terminal gets English.
    assert "Question 1 of" in _run(db, "q\n").stdout
