"""The in-process copy of quiz content: right per database, and fresh after a new catalogue."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.config import BUNDLED_QUIZ_DIR, DEFAULT_QUIZ_ID
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import Item, Quiz, QuizVersion
from bot.runtime import Runtime
from bot.services import content
from bot.services.quizzes import ensure_bundled_quizzes, import_skill_catalogue
from tests.db_support import TRAINING_QUIZ_DIR, Templates
from tests.fakes.clock import FakeClock


async def _first_version(runtime: Runtime) -> int:
    async with runtime.sessions() as s:
        version_id = await s.scalar(
            select(QuizVersion.id)
            .join(Quiz, Quiz.id == QuizVersion.quiz_id)
            .where(Quiz.slug == DEFAULT_QUIZ_ID)
        )
    assert version_id is not None
    return version_id


async def test_version_and_items_match_the_database(runtime: Runtime) -> None:
    version_id = await _first_version(runtime)
    async with runtime.sessions() as s:
        cached = await content.version(s, version_id)
        rows = (
            await s.scalars(
                select(Item).where(Item.quiz_version_id == version_id).order_by(Item.position)
            )
        ).all()
        assert cached.item_ids == tuple(r.id for r in rows)
        assert cached.item_count == len(rows)
        for row in rows:
            item = await content.item(s, row.id)
            assert (item.key, item.position, item.skill_id, item.verdict) == (
                row.key,
                row.position,
                row.skill_id,
                row.verdict,
            )
            assert list(item.options) == row.options
        last = await content.item_at(s, version_id, len(rows) - 1)
        assert last is not None
        assert last.id == rows[-1].id
        assert await content.item_at(s, version_id, len(rows)) is None
        assert await content.find_item(s, 10**9) is None


async def test_each_database_has_its_own_copy(
    templates: Templates, tmp_path: Path, clock: FakeClock
) -> None:
    """Ids repeat across databases: one database's items must never answer for another's."""
    engines = []
    try:
        seen: list[tuple[str, ...]] = []
        for name, title in (("a.db", "First title"), ("b.db", "Second title")):
            url = await templates.sqlite_copy(tmp_path / name)
            engine = make_engine(url)
            engines.append(engine)
            sessions = make_sessionmaker(engine)
            async with sessions() as s:
                await ensure_bundled_quizzes(s, TRAINING_QUIZ_DIR, now=clock())
                version = (await s.scalars(select(QuizVersion))).one()
                version.title = title  # the same ids in both files, different content
                await s.commit()
                cached = await content.version(s, version.id)
                seen.append((cached.title,))
        assert seen == [("First title",), ("Second title",)]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_skill_names_follow_a_new_catalogue(runtime: Runtime) -> None:
    catalogue = (BUNDLED_QUIZ_DIR / "skills.yaml").read_bytes()
    async with runtime.sessions() as s:
        before = await content.skill_names(s)
        skill_id, old_name = next(iter(before.items()))
        renamed = catalogue.replace(
            f"name: {old_name}".encode(), f"name: {old_name} (renamed)".encode(), 1
        )
        assert renamed != catalogue, "the catalogue spells names as 'name: ...'"
        await import_skill_catalogue(s, renamed, file="skills.yaml", now=runtime.clock())
        await s.commit()
        after = await content.skill_names(s)
    assert after[skill_id] == f"{old_name} (renamed)"


async def test_lessons_follow_a_new_catalogue_in_each_language(runtime: Runtime) -> None:
    """The dispatcher and practice answers take lessons from the cached catalogue: a new
    catalogue imported by this process shows at once, in the language asked for."""
    catalogue = (BUNDLED_QUIZ_DIR / "skills.yaml").read_bytes()
    async with runtime.sessions() as s:
        english = await content.skill_lessons(s)
        khmer = await content.skill_lessons(s, "km")
        skill_id = "headline-body"
        assert english[skill_id][0] == "Headline versus body"
        assert khmer[skill_id][0] == "ចំណងជើង ធៀបនឹងខ្លឹមសារ"
        assert khmer[skill_id][1] != english[skill_id][1]
        assert english[skill_id][1].startswith("Many people read only the headline")
        changed = catalogue.replace(
            b"Many people read only", b"A changed lesson. Many read only", 1
        )
        assert changed != catalogue, "the lesson starts as in the file"
        await import_skill_catalogue(s, changed, file="skills.yaml", now=runtime.clock())
        await s.commit()
        after = await content.skill_lessons(s)
        still_khmer = await content.skill_lessons(s, "km")
    assert after[skill_id][1].startswith("A changed lesson.")
    assert still_khmer[skill_id][1] == khmer[skill_id][1]
