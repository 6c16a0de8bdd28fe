"""The Docker files are honest: every path they copy exists, every command they run is real.

No Docker engine runs here, so the image is never built in tests; instead the Dockerfile is
linted with hadolint (from the dev extra), its instructions are checked against the tree,
and the wheel it installs is built and run for real from a temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import build_parser
from bot.telegram.intake.http import webhook_path

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "docker-compose.yml"
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _final_stage() -> list[tuple[str, str]]:
    steps = _instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def _ignored(path: str) -> bool:
    patterns = [
        p.strip()
        for p in (REPO / ".dockerignore").read_text().splitlines()
        if p.strip() and not p.startswith("#")
    ]
    top = path.strip("/").split("/")[0]
    return any(top == p or Path(top).match(p) for p in patterns)


def _quizbot_commands(text: str) -> list[list[str]]:
    return [shlex.split(m) for m in re.findall(r"\bquizbot ((?:[a-z]+ ?)+)", text)]


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install -e '.[dev]' brings it)")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_copied_path_exists_and_reaches_the_build() -> None:
    copies = [args for word, args in _instructions() if word in {"COPY", "ADD"}]
    assert copies
    for args in copies:
        parts = [p for p in shlex.split(args) if not p.startswith("--")]
        if "--from=" in args:
            continue
        for source in parts[:-1]:
            assert (REPO / source).exists(), f"COPY {source}: no such file in the repository"
            assert not _ignored(source), f"COPY {source}: excluded by .dockerignore"


def test_the_image_is_multi_stage_slim_and_runs_as_a_numeric_non_root_user() -> None:
    steps = _instructions()
    bases = [args for word, args in steps if word == "FROM"]
    assert len(bases) >= 2, "multi-stage"
    assert all(re.match(r"python:3\.11-slim\b", b) for b in bases)
    final = _final_stage()
    users = [args for word, args in final if word == "USER"]
    assert users
    assert users[-1].split(":")[0] not in {"0", "root"}
    assert any(word == "HEALTHCHECK" and "/healthz" in args for word, args in final)
    # The final stage installs the wheel alone: nothing of the checkout but the entrypoint.
    copied = [shlex.split(args) for word, args in final if word == "COPY"]
    assert all("--from=build" in c or c[-1].endswith("quizbot-entrypoint") for c in copied)


def test_the_entrypoint_and_commands_are_real_quizbot_commands() -> None:
    final = _final_stage()
    entry = [args for word, args in final if word == "ENTRYPOINT"][-1]
    cmd = [args for word, args in final if word == "CMD"][-1]
    assert json.loads(entry) == ["quizbot-entrypoint"]
    copied = [args for word, args in final if word == "COPY" and "entrypoint" in args]
    assert copied
    assert copied[0].split()[-1].endswith("/quizbot-entrypoint")
    assert os.access(ENTRYPOINT, os.X_OK)
    script = ENTRYPOINT.read_text()
    assert script.startswith("#!/bin/sh")
    assert 'exec quizbot "$@"' in script
    parser = build_parser()
    for command in _quizbot_commands(script.replace('"$@"', "")):
        if command:
            parser.parse_args(command)
    parser.parse_args(json.loads(cmd))
    compose = yaml.safe_load(COMPOSE.read_text())
    parser.parse_args(compose["services"]["bot"]["command"])
    scripts = (REPO / "pyproject.toml").read_text()
    assert 'quizbot = "bot.cli:main"' in scripts


def test_compose_wires_postgres_the_workers_and_nginx() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert {"postgres", "bot", "nginx"} <= set(services)
    bot = services["bot"]
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["deploy"]["replicas"] >= 2
    for volume in services["nginx"]["volumes"]:
        source = volume.split(":")[0]
        assert (REPO / source).exists(), source
    nginx = (REPO / "docker" / "nginx.conf").read_text()
    example = (REPO / "docker" / "env.example").read_text()
    url = re.search(r"QUIZBOT_WEBHOOK_URL=(\S+)", example)
    assert url
    assert f"location = {webhook_path(url[1])} " in nginx
    assert "server bot:8080" in nginx
