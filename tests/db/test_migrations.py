"""The models and the migrations agree, on both backends."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection

from bot.config import DEFAULT_QUIZ_ID
from bot.db import models  # noqa: F401
from bot.db.base import Base
from bot.db.engine import make_engine
from bot.db.migrate import alembic_config
from bot.db.models import Answer, Skill, User
from bot.domain.assessment import Stage
from bot.runtime import Runtime
from bot.services import attempts, learners
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


async def test_migration_0008_learner_languages_in_place_both_ways(runtime: Runtime) -> None:
    """0008 adds the language and the set zone in place: no learner, answer or skill is lost
    (a recreated users table would cascade to every answer); a zone other than the old
    default counts as chosen; down again, a Khmer learner keeps the zone they had."""
    async with runtime.sessions() as session:
        sok = await learners.touch_telegram_user(
            session, telegram_id=1, first_name="Sok", language_code="km", now=runtime.clock()
        )
        ana = await learners.touch_telegram_user(
            session, telegram_id=2, first_name="Ana", language_code="en", now=runtime.clock()
        )
        ana.timezone, ana.timezone_set = "Europe/Berlin", True
        await session.commit()
        started = await attempts.start_quiz(
            session, user_id=sok.id, slug=DEFAULT_QUIZ_ID, round_size=5, now=runtime.clock()
        )
        await attempts.answer_item(
            session,
            user_id=sok.id,
            attempt_id=started.attempt_id,
            item_id=started.item.item_id,
            chosen=[started.item.options[0].file_index],
            now=runtime.clock(),
        )
    async with runtime.engine.begin() as connection:
        await connection.run_sync(_migrate_to, "0007")
    async with runtime.engine.connect() as connection:
        zones = dict(
            (await connection.execute(text("SELECT telegram_id, timezone FROM users"))).all()
        )
        assert zones == {1: "Asia/Phnom_Penh", 2: "Europe/Berlin"}
        assert await connection.scalar(select(func.count()).select_from(Answer)) == 1
    async with runtime.engine.begin() as connection:
        await connection.execute(text("UPDATE users SET timezone = 'UTC' WHERE telegram_id = 1"))
        await connection.run_sync(_migrate_to, "head")
    async with runtime.sessions() as session:
        rows = (await session.execute(select(User.telegram_id, User.timezone_set))).all()
        assert dict(rows) == {1: False, 2: True}
        assert await session.scalar(select(func.count()).select_from(Answer)) == 1
        assert await session.scalar(select(func.count()).select_from(Skill)) == 12
        # The language is read again from Telegram on the next contact.
        again = await learners.touch_telegram_user(
            session, telegram_id=1, first_name="Sok", language_code="km", now=runtime.clock()
        )
        assert again.language == "km"


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
