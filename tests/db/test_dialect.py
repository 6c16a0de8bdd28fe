"""bot/db/dialect.py: which database a session or engine is on, and its INSERT."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bot.db.dialect import dialect_name, insert_for, is_postgresql, is_sqlite
from bot.db.models import FollowUp

URLS = {
    "sqlite": "sqlite+aiosqlite://",
    "postgresql": "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
}


@pytest.mark.parametrize("name", sorted(URLS))
async def test_sessions_and_engines_say_which_database(name: str) -> None:
    engine = create_async_engine(URLS[name])  # no connection is made
    try:
        async with AsyncSession(engine) as session:
            for bind in (engine, session):
                assert dialect_name(bind) == name
                assert is_postgresql(bind) is (name == "postgresql")
                assert is_sqlite(bind) is (name == "sqlite")
            stmt = (
                insert_for(session)(FollowUp.__table__)
                .values(user_id=1, skill_id="s")
                .on_conflict_do_nothing()
            )
            assert "ON CONFLICT DO NOTHING" in str(stmt.compile(dialect=engine.dialect))
    finally:
        await engine.dispose()
