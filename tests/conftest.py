"""Shared fixtures: real databases (SQLite file and PostgreSQL), settings, a fake clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.db.engine import make_engine, make_sessionmaker
from bot.runtime import Runtime
from bot.services.quizzes import ensure_bundled_quizzes
from tests.db_support import IN_CI, TRAINING_QUIZ_DIR, Templates, pg_available, pg_drop
from tests.fakes.clock import FakeClock
from tests.fakes.fixtures import block_real_telegram, fake_telegram  # noqa: F401

# The command line speaks the terminal's language; the tests expect English unless they ask.
for _variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_variable, None)
os.environ["LANG"] = "C.UTF-8"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    import asyncio

    holder = Templates(tmp_path_factory.mktemp("db-templates"))
    yield holder
    asyncio.run(holder.close())


_pg_reason: list[str | None] = []


async def _require_postgres() -> None:
    if not _pg_reason:
        _pg_reason.append(await pg_available())
    reason = _pg_reason[0]
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI must run the PostgreSQL tests; .ci/run starts the server)")
    pytest.skip(f"{reason}; start it to run the PostgreSQL tests")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(
    request: pytest.FixtureRequest, templates: Templates, tmp_path: Path
) -> AsyncIterator[str]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        yield await templates.sqlite_copy(tmp_path / "quizbot.db")
        return
    await _require_postgres()
    name, url = await templates.pg_copy()
    try:
        yield url
    finally:
        await pg_drop(name)


@pytest.fixture
async def sqlite_url(templates: Templates, tmp_path: Path) -> str:
    """A migrated, empty SQLite file (for tests about one backend's behaviour)."""
    return await templates.sqlite_copy(tmp_path / "quizbot.db")


@pytest.fixture
async def runtime(database_url: str, clock: FakeClock) -> AsyncIterator[Runtime]:
    """Settings, an engine and sessions on a database holding the bundled quizzes."""
    settings = Settings(
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz",
        QUIZBOT_ROUND_SIZE=5,
        QUIZBOT_QUIZ_DIR=TRAINING_QUIZ_DIR,
    )
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        await ensure_bundled_quizzes(session, TRAINING_QUIZ_DIR, now=clock())
    try:
        yield Runtime(settings=settings, engine=engine, sessions=sessions, clock=clock)
    finally:
        await engine.dispose()
