"""Where the project's data files (migrations, bundled quizzes) are found."""

from __future__ import annotations

from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent


def project_file(name: str) -> Path:
    """A top-level project folder: next to the package (a checkout) or in the working folder.

    An installed wheel holds only the package, so deployments (the Docker image) run from a
    folder that has migrations/ and quizzes/ beside it.
    """
    beside = _REPO_ROOT / name
    if beside.exists():
        return beside
    return Path.cwd() / name
