"""Quiz content held in the process: an answer reads its item and version from memory.

Items and quiz versions are never updated once imported (answers point at them; a changed
file is a new version), so a copy stays right for as long as the process runs. Each
database (engine) has its own cache, because ids mean nothing across databases. Skill
names can change when the catalogue is imported again, so they are kept for a short while
only.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Item, Quiz, QuizVersion, Skill
from bot.domain import languages
from bot.domain.discernment import judge_answer
from bot.domain.quizfile.model import Judgement, option_judgements

# Versions kept per database; a version of the bundled quiz is about 100 KB in memory.
MAX_VERSIONS = 64
SKILL_NAMES_SECONDS = 60.0
_SKILLS = select(Skill.id, Skill.name, Skill.lesson, Skill.translations)


@dataclass(frozen=True)
class ItemContent:
    """An item as imported: what answering and showing it needs."""

    id: int
    quiz_version_id: int
    key: str
    position: int
    kind: str
    skill_id: str
    verdict: str | None
    passage: str
    question: str
    # [{"text": ..., "correct": bool, "feedback": str | None}, ...] in file order, with
    # "judgement" where the file sets one.
    options: tuple[dict[str, Any], ...]
    explanation: str
    # Each option's judgement, defaults filled in; None for an item without a verdict.
    judgements: tuple[Judgement, ...] | None

    @property
    def correct_indices(self) -> list[int]:
        """The indices (file order) of the right options."""
        return [i for i, o in enumerate(self.options) if o["correct"]]

    def judge(self, chosen: Sequence[int]) -> Judgement | None:
        """What choosing these options (file order) says about the claim."""
        return judge_answer(self.kind, self.verdict, self.judgements, self.correct_indices, chosen)


@dataclass(frozen=True)
class VersionContent:
    """A quiz version's title and its items in quiz order."""

    id: int
    quiz_id: int
    number: int
    title: str
    item_count: int
    item_ids: tuple[int, ...]  # by position
    # A form of a pre-, post- and delayed test (the quiz's `assessment`): its answers get no
    # feedback until the end and feed no memory model.
    is_form: bool = False
    language: str = "en"  # as its author wrote it; the bot's own words follow the learner's


@dataclass
class _Cache:
    versions: OrderedDict[int, VersionContent] = field(default_factory=OrderedDict)
    items: dict[int, ItemContent] = field(default_factory=dict)
    # The catalogue's skills as stored (id, name, lesson, translations), read again once a
    # minute; with their names and lessons per language (None: as written).
    skills: list[tuple[str, str, str, dict[str, Any] | None]] | None = None
    skills_until: float = 0.0
    skill_names: dict[str | None, dict[str, str]] = field(default_factory=dict)
    skill_lessons: dict[str | None, dict[str, tuple[str, str]]] = field(default_factory=dict)


_CACHES: WeakKeyDictionary[Engine, _Cache] = WeakKeyDictionary()


def _cache(session: AsyncSession) -> _Cache:
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    cache = _CACHES.get(bind)
    if cache is None:
        cache = _CACHES[bind] = _Cache()
    return cache


async def version(session: AsyncSession, version_id: int) -> VersionContent:
    """A quiz version with its items (loaded once per process, then from memory)."""
    cache = _cache(session)
    found = cache.versions.get(version_id)
    if found is not None:
        cache.versions.move_to_end(version_id)
        return found
    row = (
        await session.execute(
            select(
                QuizVersion.quiz_id,
                QuizVersion.number,
                QuizVersion.title,
                QuizVersion.item_count,
                QuizVersion.language,
                Quiz.assessment_form,
            )
            .join(Quiz, Quiz.id == QuizVersion.quiz_id)
            .where(QuizVersion.id == version_id)
        )
    ).one()
    items = (
        (
            await session.scalars(
                select(Item).where(Item.quiz_version_id == version_id).order_by(Item.position)
            )
        )
        .unique()
        .all()
    )
    contents = [_item_content(item) for item in items]
    loaded = VersionContent(
        id=version_id,
        quiz_id=row.quiz_id,
        number=row.number,
        title=row.title,
        item_count=row.item_count,
        item_ids=tuple(c.id for c in contents),
        is_form=row.assessment_form is not None,
        language=row.language,
    )
    cache.versions[version_id] = loaded
    cache.items.update((c.id, c) for c in contents)
    while len(cache.versions) > MAX_VERSIONS:
        _, dropped = cache.versions.popitem(last=False)
        for item_id in dropped.item_ids:
            cache.items.pop(item_id, None)
    return loaded


async def find_item(session: AsyncSession, item_id: int) -> ItemContent | None:
    """An item by id, or None when there is no such item."""
    cache = _cache(session)
    found = cache.items.get(item_id)
    if found is not None:
        return found
    version_id = await session.scalar(select(Item.quiz_version_id).where(Item.id == item_id))
    if version_id is None:
        return None
    await version(session, version_id)
    return cache.items.get(item_id)


async def item(session: AsyncSession, item_id: int) -> ItemContent:
    """An item that must exist (its id came from the database)."""
    found = await find_item(session, item_id)
    if found is None:
        raise LookupError(f"no item {item_id}")
    return found


async def item_at(session: AsyncSession, version_id: int, position: int) -> ItemContent | None:
    """The item at a 0-based position of a version, or None past the end."""
    loaded = await version(session, version_id)
    if not 0 <= position < len(loaded.item_ids):
        return None
    return await item(session, loaded.item_ids[position])


async def _skills(session: AsyncSession) -> tuple[_Cache, list[tuple[str, str, str, Any]]]:
    """The cache and the catalogue's skills, read again once a minute."""
    cache = _cache(session)
    now = time.monotonic()
    if cache.skills is None or now >= cache.skills_until:
        rows = await session.execute(_SKILLS)
        cache.skills = [(id_, name, lesson, words) for id_, name, lesson, words in rows]
        cache.skills_until = now + SKILL_NAMES_SECONDS
        cache.skill_names, cache.skill_lessons = {}, {}
    return cache, cache.skills


async def skill_names(session: AsyncSession, language: str | None = None) -> dict[str, str]:
    """Skill id -> display name in `language` (as written where it has no translation), read
    again once a minute."""
    cache, skills = await _skills(session)
    names = cache.skill_names.get(language)
    if names is None:
        names = cache.skill_names[language] = {
            id_: languages.translated(name, words, language, "name")
            for id_, name, _lesson, words in skills
        }
    return names


async def skill_lessons(
    session: AsyncSession, language: str | None = None
) -> dict[str, tuple[str, str]]:
    """Skill id -> (name, follow-up lesson) in `language`, as written where it has no
    translation; read again once a minute, like the names."""
    cache, skills = await _skills(session)
    lessons = cache.skill_lessons.get(language)
    if lessons is None:
        lessons = cache.skill_lessons[language] = {
            id_: (
                languages.translated(name, words, language, "name"),
                languages.translated(lesson, words, language, "lesson"),
            )
            for id_, name, lesson, words in skills
        }
    return lessons


def forget_skill_names(session: AsyncSession) -> None:
    """Drop the cached skills (after this process imported the catalogue)."""
    _cache(session).skills = None


def _item_content(item: Item) -> ItemContent:
    return ItemContent(
        id=item.id,
        quiz_version_id=item.quiz_version_id,
        key=item.key,
        position=item.position,
        kind=item.kind,
        skill_id=item.skill_id,
        verdict=item.verdict,
        passage=item.passage,
        question=item.question,
        options=tuple(item.options),
        explanation=item.explanation,
        judgements=judgements_of(item.verdict, item.options),
    )


def judgements_of(
    verdict: str | None, options: Sequence[Mapping[str, Any]]
) -> tuple[Judgement, ...] | None:
    """Each stored option's judgement, defaults filled in; None for an item without a verdict."""
    return option_judgements(verdict, [(bool(o["correct"]), o.get("judgement")) for o in options])
