"""Use cases of quiz content: validate, import (all-or-nothing, versioned), list."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.models import Item, Quiz, QuizVersion, Skill
from bot.domain.errors import QuizImportError
from bot.domain.limits import QUIZ_FILE_MAX_BYTES
from bot.domain.quiz import Quiz as QuizModel
from bot.domain.quiz import SkillCatalogue
from bot.domain.validation import QuizCheck, validate_quiz, validate_skill_catalogue
from bot.services.views import ImportOutcome, QuizListing

SKILLS_FILE = "skills.yaml"
ReadSource = Callable[[str], str]


@dataclass(frozen=True)
class QuizFile:
    """A quiz file's name and raw bytes, with a way to read a source text beside it."""

    name: str
    data: bytes
    read_source: ReadSource | None


def read_quiz_file(path: Path) -> QuizFile:
    """Read a quiz file from disk, refusing big files before reading them whole."""
    size = path.stat().st_size
    if size > QUIZ_FILE_MAX_BYTES:
        data = path.open("rb").read(QUIZ_FILE_MAX_BYTES + 1)
    else:
        data = path.read_bytes()
    return QuizFile(name=str(path), data=data, read_source=source_reader(path.parent))


def source_reader(folder: Path) -> ReadSource:
    """Read `source.text_file` relative to the quiz's folder, and never outside it."""

    def read(relative: str) -> str:
        target = (folder / relative).resolve()
        if not target.is_relative_to(folder.resolve()):
            raise ValueError(f"text_file must be inside the quiz's folder: {relative}")
        if target.stat().st_size > QUIZ_FILE_MAX_BYTES:
            raise ValueError(f"{relative} is over 1 MB")
        return target.read_text(encoding="utf-8-sig")

    return read


async def known_skills(session: AsyncSession) -> set[str]:
    """Ids of the skills in the catalogue."""
    return set((await session.scalars(select(Skill.id))).all())


async def check_quiz(session: AsyncSession, file: QuizFile, *, today: dt.date) -> QuizCheck:
    """Validate a quiz file against the skills in the database."""
    return validate_quiz(
        file.data,
        file=file.name,
        skills=await known_skills(session),
        read_source=file.read_source,
        today=today,
    )


async def import_skill_catalogue(
    session: AsyncSession, data: bytes, *, file: str, now: dt.datetime
) -> SkillCatalogue:
    """Validate and upsert the skill catalogue; raise QuizImportError with every problem."""
    catalogue, problems = validate_skill_catalogue(data, file=file)
    errors = [str(p) for p in problems if p.severity == "error"]
    if catalogue is None or errors:
        raise QuizImportError(errors or [f"{file}:1: the skill catalogue could not be read"])
    for skill in catalogue.skills:
        row = await session.get(Skill, skill.id)
        if row is None:
            session.add(
                Skill(
                    id=skill.id,
                    name=skill.name,
                    definition=skill.definition,
                    lesson=skill.lesson,
                    updated_at=now,
                )
            )
        else:
            fresh = (skill.name, skill.definition, skill.lesson)
            if (row.name, row.definition, row.lesson) != fresh:
                row.name, row.definition, row.lesson = fresh
                row.updated_at = now
    await session.flush()
    return catalogue


async def import_quizzes(
    session: AsyncSession,
    files: Sequence[QuizFile],
    *,
    now: dt.datetime,
    owner_id: int | None = None,
) -> list[ImportOutcome]:
    """Validate every file, then import them all in one transaction, or nothing at all."""
    checks = [await check_quiz(session, f, today=now.date()) for f in files]
    errors = [str(p) for c in checks for p in c.errors]
    if errors:
        raise QuizImportError(errors)
    outcomes = []
    for check in checks:
        assert check.quiz is not None and check.source_text is not None
        outcomes.append(
            await _store(session, check.quiz, check.source_text, check, now=now, owner_id=owner_id)
        )
    await session.commit()
    return outcomes


def content_hash(quiz: QuizModel, source_text: str) -> str:
    """Hash of what a quiz says, not how the file is laid out: comments do not make versions."""
    payload = json.dumps(
        {"quiz": quiz.model_dump(mode="json"), "source": source_text},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


async def _store(
    session: AsyncSession,
    model: QuizModel,
    source_text: str,
    check: QuizCheck,
    *,
    now: dt.datetime,
    owner_id: int | None,
) -> ImportOutcome:
    digest = content_hash(model, source_text)
    warnings = tuple(str(p) for p in check.warnings)
    skills = tuple(sorted({i.skill for i in model.items}))
    quiz = await queries.quiz_by_slug(session, model.id)
    if quiz is None:
        quiz = Quiz(slug=model.id, owner_id=owner_id, is_public=True, created_at=now)
        session.add(quiz)
        await session.flush()
    else:
        same = (
            await session.scalars(
                select(QuizVersion).where(
                    QuizVersion.quiz_id == quiz.id, QuizVersion.content_hash == digest
                )
            )
        ).one_or_none()
        if same is not None:
            return ImportOutcome(
                slug=model.id,
                version=same.number,
                item_count=same.item_count,
                skills=skills,
                unchanged=True,
                warnings=warnings,
            )
    latest = await queries.latest_version(session, quiz.id)
    version = QuizVersion(
        quiz_id=quiz.id,
        number=(latest.number + 1) if latest else 1,
        content_hash=digest,
        title=model.title,
        language=model.language,
        source_title=model.source.title,
        source_meta=model.source.model_dump(mode="json", exclude={"text"}, exclude_none=True),
        source_text=source_text,
        item_count=len(model.items),
        imported_at=now,
        imported_by=owner_id,
    )
    session.add(version)
    await session.flush()
    session.add_all(
        Item(
            quiz_version_id=version.id,
            key=item.id,
            position=position,
            kind=item.kind.value,
            skill_id=item.skill,
            verdict=item.verdict.value if item.verdict else None,
            passage=item.passage,
            question=item.question,
            options=[o.model_dump(mode="json") for o in item.options],
            explanation=item.explanation,
            claims=list(item.claims),
            references=[r.model_dump(mode="json", exclude_none=True) for r in item.references],
            checked=item.checked,
        )
        for position, item in enumerate(model.items)
    )
    await session.flush()
    return ImportOutcome(
        slug=model.id,
        version=version.number,
        item_count=version.item_count,
        skills=skills,
        unchanged=False,
        warnings=warnings,
    )


async def ensure_bundled_quizzes(session: AsyncSession, folder: Path, *, now: dt.datetime) -> None:
    """Import the skill catalogue and the quizzes of a folder when missing or changed."""
    skills_path = folder / SKILLS_FILE
    skills_data, files = await asyncio.to_thread(_read_folder, folder)
    await import_skill_catalogue(session, skills_data, file=str(skills_path), now=now)
    if files:
        await import_quizzes(session, files, now=now)
    else:
        await session.commit()


def _read_folder(folder: Path) -> tuple[bytes, list[QuizFile]]:
    skills = (folder / SKILLS_FILE).read_bytes()
    files = [read_quiz_file(p) for p in sorted(folder.glob("*.yaml")) if p.name != SKILLS_FILE]
    return skills, files


async def list_quizzes(session: AsyncSession) -> list[QuizListing]:
    """Every quiz with its newest version and item count."""
    newest = (
        select(
            QuizVersion.quiz_id,
            func.max(QuizVersion.number).label("number"),
            func.count().label("versions"),
        )
        .group_by(QuizVersion.quiz_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(Quiz, QuizVersion, newest.c.versions)
            .join(newest, newest.c.quiz_id == Quiz.id)
            .join(
                QuizVersion,
                (QuizVersion.quiz_id == Quiz.id) & (QuizVersion.number == newest.c.number),
            )
            .order_by(Quiz.slug)
        )
    ).all()
    return [
        QuizListing(
            slug=quiz.slug,
            title=version.title,
            version=version.number,
            item_count=version.item_count,
            versions=versions,
            is_public=quiz.is_public,
        )
        for quiz, version, versions in rows
    ]
