"""The layers of DESIGN.md: domain/ stays pure, adapters do not reach into the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _files(folder: str) -> list[Path]:
    return sorted((BOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _files("domain"), ids=lambda p: p.name)
def test_domain_imports_neither_telegram_nor_sqlalchemy(path: Path) -> None:
    bad = {
        name
        for name in _imports(path)
        if name.split(".")[0] in {"telegram", "sqlalchemy", "alembic", "asyncpg", "aiosqlite"}
        or name.startswith(("bot.db", "bot.services", "bot.telegram", "bot.console"))
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize(
    "path", _files("telegram") + _files("console"), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_adapters_do_not_touch_the_database(path: Path) -> None:
    bad = {
        name
        for name in _imports(path)
        if name.split(".")[0] == "sqlalchemy" or name.startswith("bot.db")
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"
