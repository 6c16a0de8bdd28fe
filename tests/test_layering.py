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


def _relative(path: Path) -> str:
    return path.relative_to(BOT).as_posix()


ADAPTERS = ("bot.telegram", "bot.console", "bot.cli", "telegram", "starlette", "uvicorn")


@pytest.mark.parametrize("path", _files("services"), ids=_relative)
def test_services_know_no_adapter(path: Path) -> None:
    """Use cases serve the chat and the terminal alike: they import neither."""
    bad = {name for name in _imports(path) if name.startswith(ADAPTERS)}
    assert not bad, f"{_relative(path)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", _files("db"), ids=_relative)
def test_the_database_layer_imports_no_layer_above_it(path: Path) -> None:
    bad = {
        name
        for name in _imports(path)
        if name.startswith(("bot.services", *ADAPTERS, "bot.runtime"))
    }
    assert not bad, f"{_relative(path)} imports {sorted(bad)}"


def test_the_top_level_holds_only_entry_points_and_configuration() -> None:
    """Everything else lives in a layer's package (docs/architecture.md)."""
    top = {path.stem for path in BOT.glob("*.py")}
    assert top <= {"__init__", "__main__", "cli", "config", "logging_setup", "paths", "runtime"}
    packages = {path.name for path in BOT.iterdir() if (path / "__init__.py").exists()}
    assert packages == {"console", "db", "domain", "services", "telegram"}


def _asks_the_dialect(path: Path) -> list[str]:
    """Imports of sqlalchemy.dialects and reads of `.dialect.name`, with their lines."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "name"
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "dialect"
        ):
            found.append(f"line {node.lineno}: .dialect.name")
            continue
        else:
            continue
        if any(
            name == "sqlalchemy.dialects" or name.startswith("sqlalchemy.dialects.")
            for name in names
        ):
            found.append(f"line {node.lineno}: imports sqlalchemy.dialects")
    return found


def _outside_db(path: Path) -> bool:
    # Migrations are frozen at their revision, so they keep their own dialect checks rather
    # than depend on db/dialect.py as it is today.
    return path.relative_to(BOT).parts[0] not in {"db", "migrations"}


@pytest.mark.parametrize(
    "path",
    [path for path in _files(".") if _outside_db(path)],
    ids=lambda p: str(p.relative_to(BOT)),
)
def test_only_db_asks_which_database(path: Path) -> None:
    """Services ask db/dialect.py; adapters ask `Runtime.shared_database`."""
    found = _asks_the_dialect(path)
    assert not found, f"{path.relative_to(BOT)} asks the dialect: {found}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """Names imported when the module is (not under TYPE_CHECKING, not inside functions)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import):
                found.update(alias.name for alias in inner.names)
            elif isinstance(inner, ast.ImportFrom) and inner.module and not inner.level:
                found.add(inner.module)
                found.update(f"{inner.module}.{alias.name}" for alias in inner.names)
    return found


def test_no_import_cycles() -> None:
    """Importing a module imports its packages first, so a package's __init__ counts too
    (except for the module's own packages, which are already being imported)."""
    modules = {_module_name(path): path for path in _files(".")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        parts = name.split(".")
        own_packages = {".".join(parts[:n]) for n in range(1, len(parts))}
        graph[name] = set()
        for imported in _runtime_imports(path):
            parts = imported.split(".")
            prefixes = {".".join(parts[:n]) for n in range(1, len(parts) + 1)}
            graph[name] |= {p for p in prefixes if p in modules and p != name} - own_packages
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = [*path[path.index(name) :], name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def _quizbot_errors() -> set[str]:
    from bot.domain import errors

    return {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.QuizbotError)
    }


def _sentence(node: ast.expr) -> bool:
    """A literal with words in it: a value passed on ("cohort") is one word."""
    parts = node.values if isinstance(node, ast.JoinedStr) else [node]
    return any(
        isinstance(p, ast.Constant) and isinstance(p.value, str) and " " in p.value.strip()
        for p in parts
    )


@pytest.mark.parametrize("path", _files("services") + _files("domain"), ids=lambda p: p.name)
def test_domain_errors_are_raised_with_values_not_sentences(path: Path) -> None:
    """The adapters word errors (telegram/error_text.py, console/error_text.py)."""
    names = _quizbot_errors()
    worded = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        func = node.exc.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        args = [*node.exc.args, *(k.value for k in node.exc.keywords)]
        if name in names and any(_sentence(a) for a in args):
            worded.append(f"line {node.lineno}: {name}")
    assert not worded, f"{path.name} words errors for users: {worded}"
