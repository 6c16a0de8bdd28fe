"""Real databases for tests: a SQLite file, and a PostgreSQL database made per test.

Each backend is migrated once per test session into a template (a file for SQLite, a
template database for PostgreSQL); every test gets a fresh copy, so tests never share rows.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from bot.config import BUNDLED_QUIZ_DIR, DEFAULT_QUIZ_ID
from bot.db.engine import make_engine
from bot.db.migrate import upgrade_database


def _training_quizzes() -> Path:
    """A copy of the bundled folder without the bundled test forms, for this test process.

    Most tests expect the one training quiz, and the tests of pre- and post-tests bring
    forms of their own (tests/data/assessment); tests/quizzes checks the whole bundled
    folder. A copy, not links: a quiz's text file must be inside the quiz's own folder.
    """
    folder = Path(tempfile.mkdtemp(prefix="quizbot-training-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for name in (f"{DEFAULT_QUIZ_ID}.yaml", "article.txt", "skills.yaml"):
        shutil.copy(BUNDLED_QUIZ_DIR / name, folder / name)
    return folder


TRAINING_QUIZ_DIR = _training_quizzes()

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_HOST = os.environ.get("QUIZBOT_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("QUIZBOT_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("QUIZBOT_TEST_PG_USER", "postgres")
PG_ADMIN_DB = os.environ.get("QUIZBOT_TEST_PG_DB", "test")


def pg_url(database: str) -> str:
    """A plain PostgreSQL URL (the app maps it to asyncpg)."""
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


async def _admin() -> asyncpg.Connection:
    return await asyncpg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_ADMIN_DB, timeout=5
    )


async def pg_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        conn = await _admin()
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL at {PG_HOST}:{PG_PORT} is not reachable: {exc}"
    await conn.close()
    return None


async def pg_create(name: str, *, template: str | None = None) -> str:
    """Create a database (from a template if given) and return its URL."""
    conn = await _admin()
    try:
        if template:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return pg_url(name)


async def pg_drop(name: str) -> None:
    """Drop a database, ending any connection still open to it."""
    conn = await _admin()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def migrate(url: str) -> None:
    """Apply the migrations to a database."""
    engine = make_engine(url)
    try:
        await upgrade_database(engine)
    finally:
        await engine.dispose()


class Templates:
    """Migrated template databases, made on first use and removed at the end."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._sqlite: Path | None = None
        self._pg: str | None = None
        self._lock = asyncio.Lock()

    async def sqlite_copy(self, target: Path) -> str:
        async with self._lock:
            if self._sqlite is None:
                path = self._folder / "template.db"
                await migrate(f"sqlite:///{path}")
                self._sqlite = path
        shutil.copyfile(self._sqlite, target)
        return f"sqlite:///{target}"

    async def pg_copy(self) -> tuple[str, str]:
        async with self._lock:
            if self._pg is None:
                name = f"quizbot_tmpl_{uuid.uuid4().hex[:10]}"
                url = await pg_create(name)
                await migrate(url)
                self._pg = name
        name = f"quizbot_t_{uuid.uuid4().hex[:12]}"
        return name, await pg_create(name, template=self._pg)

    async def close(self) -> None:
        if self._pg is not None:
            await pg_drop(self._pg)
