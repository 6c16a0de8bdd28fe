"""The models and the migrations agree, on both backends."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from bot.config import DEFAULT_QUIZ_ID
from bot.db import models  # noqa: F401
from bot.db.base import Base
from bot.db.engine import make_engine
from bot.db.migrate import alembic_config
from bot.db.models import Answer, Skill, User
from bot.runtime import Runtime
from bot.services import attempts, learners


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


async def test_learner_languages_migrate_in_place_both_ways(runtime: Runtime) -> None:
    """0007 adds the language and the set zone in place: no learner, answer or skill is lost
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
        await connection.run_sync(_migrate_to, "0006")
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
