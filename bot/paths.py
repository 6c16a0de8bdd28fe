"""Where the data files shipped inside the package (migrations, bundled quizzes) are."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def package_folder(name: str) -> Path:
    """A folder shipped inside the `bot` package, as a path on disk.

    The same in a checkout, an editable install and an installed wheel, whatever the working
    folder: nothing is looked up relative to it. Alembic and the quiz loader need real paths,
    so a zipped package (which would not have them) is refused with a clear message.
    """
    folder = resources.files("bot") / name
    if not isinstance(folder, Path):
        raise RuntimeError(f"bot/{name} must be on disk; install quizbot unzipped")
    return folder
