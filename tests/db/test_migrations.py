"""The models and the migrations agree, on both backends."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.db import models  # noqa: F401
from bot.db.base import Base
from bot.db.engine import make_engine
from bot.db.migrate import alembic_config
from bot.domain.assessment import Stage
from bot.runtime import Runtime
from tests.assessment_support import cohort_with_tests, import_forms, join, stage_of, take, user
from tests.fakes.clock import FakeClock


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_match_migrations(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
    finally:
        await engine.dispose()
    assert diff == []


def _migrate_to(connection: Connection, revision: str) -> None:
    config = alembic_config(connection)
    if revision == "head":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


async def _counts(runtime: Runtime) -> dict[str, int]:
    async with runtime.engine.connect() as connection:
        return {
            table: int(await connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in ("quizzes", "quiz_versions", "items", "attempts", "answers")
        }


async def test_migration_0007_down_and_up_keeps_every_quiz_and_answer(
    runtime: Runtime, clock: FakeClock
) -> None:
    """Revision 0007 (the cohorts' tests) on a database with a cohort in its tests: down to
    0006 drops the tests' tables and the quizzes' form columns in place, so no quiz, version,
    attempt or answer goes with a rebuilt table; up again, forms can be marked anew."""
    await import_forms(runtime)
    _, code = await cohort_with_tests(runtime)
    ana = await user(runtime, 101)
    await take(runtime, ana, stage_of((await join(runtime, ana, code)).tests, Stage.PRE), 2)
    before = await _counts(runtime)
    assert before["answers"] == 4
    async with runtime.engine.begin() as connection:
        await connection.run_sync(_migrate_to, "0006")
    async with runtime.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        columns = await connection.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("quizzes")}
        )
    assert not tables & {"cohort_assessments", "assessment_enrolments", "assessment_stages"}
    assert not columns & {"assessment_set", "assessment_form"}
    assert await _counts(runtime) == before
    async with runtime.engine.begin() as connection:
        await connection.run_sync(_migrate_to, "head")
    assert await _counts(runtime) == before
    async with runtime.engine.connect() as connection:
        marked = await connection.scalar(
            text("SELECT count(*) FROM quizzes WHERE assessment_set IS NOT NULL")
        )
    assert marked == 0, "the marks went with the columns; importing the forms again sets them"
