"""Use cases of quiz content: validate, import (all-or-nothing, versioned), list.

Over 400 lines: reading a file, checking it and storing a version share one all-or-nothing
transaction and the `QuizFile` that carries a file through it; the listings are short.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.models import Answer, Attempt, Cohort, Item, Quiz, QuizCohort, QuizVersion, Skill
from bot.domain.errors import QuizImportError, UnknownQuizError
from bot.domain.limits import QUIZ_FILE_MAX_BYTES
from bot.domain.quizfile import import_problems
from bot.domain.quizfile.checks import (
    QuizCheck,
    SourceRefused,
    validate_quiz,
    validate_skill_catalogue,
)
from bot.domain.quizfile.messages import Problem
from bot.domain.quizfile.model import Quiz as QuizModel
from bot.domain.quizfile.model import SkillCatalogue
from bot.domain.quizfile.reader import too_big_message
from bot.services import content
from bot.services.cohorts import list_cohorts
from bot.services.views import (
    ImportOutcome,
    InstructorOverview,
    QuizListing,
    QuizVersions,
    VersionStats,
)

SKILLS_FILE = "skills.yaml"
ReadSource = Callable[[str], str]


@dataclass(frozen=True)
class QuizFile:
    """A quiz file's name and raw bytes, with a way to read a source text beside it."""

    name: str
    data: bytes
    read_source: ReadSource | None
    # The size of a file too big to read: `data` is then empty and the check refuses it.
    size: int | None = None


def read_quiz_file(path: Path) -> QuizFile:
    """Read a quiz file from disk; a big file is not read at all, only measured."""
    size = path.stat().st_size
    if size > QUIZ_FILE_MAX_BYTES:
        return QuizFile(name=str(path), data=b"", read_source=None, size=size)
    data = path.read_bytes()
    return QuizFile(name=str(path), data=data, read_source=source_reader(path.parent))


def check_file(file: QuizFile, *, skills: Collection[str], today: dt.date) -> QuizCheck:
    """Validate one quiz file against a set of skills (pure: no database)."""
    if file.size is not None and file.size > QUIZ_FILE_MAX_BYTES:
        return QuizCheck(None, None, (Problem(file.name, 1, too_big_message(file.size)),))
    return validate_quiz(
        file.data, file=file.name, skills=skills, read_source=file.read_source, today=today
    )


_TOP_LEVEL_KEY = re.compile(rb"^(skills|items)\s*:", re.MULTILINE)


def is_skill_catalogue(file: QuizFile) -> bool:
    """Whether the file is a skill catalogue (top-level `skills:`) rather than a quiz."""
    keys = {match.group(1) for match in _TOP_LEVEL_KEY.finditer(file.data)}
    return keys == {b"skills"} or (not keys and Path(file.name).name == SKILLS_FILE)


def source_reader(folder: Path) -> ReadSource:
    """Read `source.text_file` relative to the quiz's folder, and never outside it."""

    def read(relative: str) -> str:
        target = (folder / relative).resolve()
        if not target.is_relative_to(folder.resolve()):
            raise SourceRefused.outside_folder(relative)
        if target.stat().st_size > QUIZ_FILE_MAX_BYTES:
            raise SourceRefused.too_big(relative)
        return target.read_text(encoding="utf-8-sig")

    return read


async def known_skills(session: AsyncSession) -> set[str]:
    """Ids of the skills in the catalogue."""
    return set((await session.scalars(select(Skill.id))).all())


async def _check(file: QuizFile, skills: set[str], today: dt.date) -> QuizCheck:
    # A 1 MB file takes a second or more to check: off the event loop, so that a bot serving
    # learners keeps answering them meanwhile.
    return await asyncio.to_thread(check_file, file, skills=skills, today=today)


async def import_skill_catalogue(
    session: AsyncSession, data: bytes, *, file: str, now: dt.datetime
) -> SkillCatalogue:
    """Validate and upsert the skill catalogue; raise QuizImportError with every problem."""
    catalogue, problems = validate_skill_catalogue(data, file=file)
    errors = [p for p in problems if p.severity == "error"]
    if catalogue is None or errors:
        errors = errors or [Problem(file, 1, import_problems.catalogue_unreadable())]
        raise QuizImportError([str(p) for p in errors], errors)
    for skill in catalogue.skills:
        row = await session.get(Skill, skill.id)
        translations: dict[str, Any] | None = {
            str(language): words.model_dump() for language, words in skill.translations.items()
        } or None
        if row is None:
            session.add(
                Skill(
                    id=skill.id,
                    name=skill.name,
                    definition=skill.definition,
                    lesson=skill.lesson,
                    translations=translations,
                    updated_at=now,
                )
            )
        else:
            fresh = (skill.name, skill.definition, skill.lesson, translations)
            if (row.name, row.definition, row.lesson, row.translations) != fresh:
                row.name, row.definition, row.lesson, row.translations = fresh
                row.updated_at = now
    await session.flush()
    content.forget_skill_names(session)
    return catalogue


async def import_quizzes(
    session: AsyncSession,
    files: Sequence[QuizFile],
    *,
    now: dt.datetime,
    owner_id: int | None = None,
    admin: bool = False,
    strict: bool = False,
) -> list[ImportOutcome]:
    """Validate every file, then import them all in one transaction, or nothing at all.

    `owner_id` is the user who uploads in the chat: new quizzes become theirs (limited to
    them until shared), and they may add versions only of their own quizzes unless `admin`.
    Without it (the terminal, the bundled quizzes) the operator may change any quiz, and
    new quizzes are public. `strict` refuses files with warnings too.
    """
    skills = await known_skills(session)
    checks = [await _check(f, skills, now.date()) for f in files]
    if strict:
        checks = [check.strict() for check in checks]
    located = [p for c in checks for p in c.errors]
    located += _repeated_ids(files, checks)
    if owner_id is not None and not admin:
        located += await _ownership_problems(session, files, checks, owner_id)
    located += await _assessment_problems(session, files, checks, owner_id)
    if located:
        order = {f.name: n for n, f in enumerate(files)}
        located.sort(key=lambda p: (order.get(p.file, 0), p.line))
        raise QuizImportError([str(p) for p in located], located)
    outcomes = []
    try:
        for check in checks:
            assert check.quiz is not None and check.source_text is not None
            outcomes.append(
                await _store(
                    session, check.quiz, check.source_text, check, now=now, owner_id=owner_id
                )
            )
        await session.commit()
    except IntegrityError:
        # Another upload of the same quiz id committed between our checks and our insert.
        await session.rollback()
        names = ", ".join(f.name for f in files)
        problem = Problem(names, 1, import_problems.saved_meanwhile())
        raise QuizImportError([str(problem)], [problem]) from None
    return outcomes


def _repeated_ids(files: Sequence[QuizFile], checks: Sequence[QuizCheck]) -> list[Problem]:
    """A quiz id in two files of one import: which one is meant is unclear, so refuse both."""
    first: dict[str, str] = {}
    problems = []
    for file, check in zip(files, checks, strict=True):
        if check.quiz is None:
            continue
        slug = check.quiz.id
        if slug in first:
            problems.append(
                Problem(
                    file.name, check.id_line, import_problems.id_in_two_files(slug, first[slug])
                )
            )
        else:
            first[slug] = file.name
    return problems


async def _ownership_problems(
    session: AsyncSession,
    files: Sequence[QuizFile],
    checks: Sequence[QuizCheck],
    owner_id: int,
) -> list[Problem]:
    problems = []
    for file, check in zip(files, checks, strict=True):
        if check.quiz is None:
            continue  # its errors are reported already
        quiz = await queries.quiz_by_slug(session, check.quiz.id)
        if quiz is None or quiz.owner_id == owner_id:
            continue
        if quiz.is_public:
            message = import_problems.id_of_another(check.quiz.id, bundled=quiz.owner_id is None)
        else:
            # Another instructor's private quiz: saying so would tell that it exists.
            message = import_problems.id_not_available()
        problems.append(Problem(file.name, check.id_line, message))
    return problems


def _marker(quiz: Quiz | QuizModel) -> tuple[str, str] | None:
    """(set, form) of a test form, None for a training quiz."""
    if isinstance(quiz, Quiz):
        if quiz.assessment_set is None or quiz.assessment_form is None:
            return None
        return quiz.assessment_set, quiz.assessment_form
    if quiz.assessment is None:
        return None
    return quiz.assessment.set, quiz.assessment.form.value


async def _assessment_problems(
    session: AsyncSession,
    files: Sequence[QuizFile],
    checks: Sequence[QuizCheck],
    owner_id: int | None,
) -> list[Problem]:
    """A quiz keeps the part it was first imported for (a training quiz, or one form of a
    set), and each form of a set is one quiz: reports compare the forms' answers, so a
    form that changed its part midway would mix two tests."""
    problems = []
    taken: dict[tuple[str, str], str] = {}
    for file, check in zip(files, checks, strict=True):
        if check.quiz is None:
            continue
        marker = _marker(check.quiz)
        quiz = await queries.quiz_by_slug(session, check.quiz.id)
        if quiz is not None and _marker(quiz) != marker:
            changed = import_problems.part_changed(quiz.slug, _marker(quiz), marker)
            problems.append(Problem(file.name, check.id_line, changed))
            continue
        if marker is None:
            continue
        set_id, form = marker
        other = (
            await session.scalars(
                select(Quiz).where(
                    Quiz.assessment_set == set_id,
                    Quiz.assessment_form == form,
                    Quiz.slug != check.quiz.id,
                )
            )
        ).one_or_none()
        if other is not None or marker in taken:
            # Another instructor's private quiz is not named: that would tell it exists.
            named = other is None or other.is_public or other.owner_id == owner_id
            holder = (other.slug if other else taken[marker]) if named else None
            taken_text = import_problems.form_taken(holder, form, set_id)
            problems.append(Problem(file.name, check.id_line, taken_text))
        taken.setdefault(marker, check.quiz.id)
    return problems


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
        # A quiz uploaded in the chat stays with its owner until they share it.
        marker = _marker(model)
        quiz = Quiz(
            slug=model.id,
            owner_id=owner_id,
            is_public=owner_id is None,
            created_at=now,
            assessment_set=marker[0] if marker else None,
            assessment_form=marker[1] if marker else None,
        )
        session.add(quiz)
        await session.flush()
        created = True
    else:
        created = False
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
                warning_problems=check.warnings,
                is_public=quiz.is_public,
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
    # One executemany without RETURNING: the rows are not needed as objects, and an ORM
    # flush would insert them one statement at a time to collect their ids.
    await session.execute(
        insert(Item),
        [
            {
                "quiz_version_id": version.id,
                "key": item.id,
                "position": position,
                "kind": item.kind.value,
                "skill_id": item.skill,
                "verdict": item.verdict.value if item.verdict else None,
                "passage": item.passage,
                "question": item.question,
                "options": [o.model_dump(mode="json") for o in item.options],
                "explanation": item.explanation,
                "claims": list(item.claims),
                "references": [
                    r.model_dump(mode="json", exclude_none=True) for r in item.references
                ],
                "checked": item.checked,
            }
            for position, item in enumerate(model.items)
        ],
    )
    await session.flush()
    return ImportOutcome(
        slug=model.id,
        version=version.number,
        item_count=version.item_count,
        skills=skills,
        unchanged=False,
        warnings=warnings,
        warning_problems=check.warnings,
        created=created,
        is_public=quiz.is_public,
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


async def list_quizzes(session: AsyncSession, *, owner_id: int | None = None) -> list[QuizListing]:
    """Every quiz (or every quiz of one owner) with its newest version and item count."""
    newest = (
        select(
            QuizVersion.quiz_id,
            func.max(QuizVersion.number).label("number"),
            func.count().label("versions"),
        )
        .group_by(QuizVersion.quiz_id)
        .subquery()
    )
    stmt = (
        select(Quiz, QuizVersion, newest.c.versions)
        .join(newest, newest.c.quiz_id == Quiz.id)
        .join(
            QuizVersion,
            (QuizVersion.quiz_id == Quiz.id) & (QuizVersion.number == newest.c.number),
        )
        .order_by(Quiz.slug)
    )
    if owner_id is not None:
        stmt = stmt.where(Quiz.owner_id == owner_id)
    rows = (await session.execute(stmt)).all()
    shared = await _cohort_names(session, [quiz.id for quiz, _, _ in rows])
    return [
        QuizListing(
            slug=quiz.slug,
            title=version.title,
            version=version.number,
            item_count=version.item_count,
            versions=versions,
            is_public=quiz.is_public,
            cohorts=shared.get(quiz.id, ()),
            language=version.language,
            form=_marker(quiz),
        )
        for quiz, version, versions in rows
    ]


async def _cohort_names(session: AsyncSession, quiz_ids: list[int]) -> dict[int, tuple[str, ...]]:
    if not quiz_ids:
        return {}
    rows = await session.execute(
        select(QuizCohort.quiz_id, Cohort.name)
        .join(Cohort, Cohort.id == QuizCohort.cohort_id)
        .where(QuizCohort.quiz_id.in_(quiz_ids))
        .order_by(Cohort.name, Cohort.id)
    )
    names: dict[int, list[str]] = {}
    for quiz_id, name in rows:
        names.setdefault(quiz_id, []).append(name)
    return {quiz_id: tuple(found) for quiz_id, found in names.items()}


async def instructor_overview(
    session: AsyncSession, *, user_id: int, admin: bool
) -> InstructorOverview:
    """The quizzes and cohorts an instructor owns; an admin gets every one."""
    owner = None if admin else user_id
    quizzes = await list_quizzes(session, owner_id=owner)
    cohorts = await list_cohorts(session, owner_id=owner)
    return InstructorOverview(quizzes=tuple(quizzes), cohorts=tuple(cohorts), everything=admin)


async def quiz_versions(
    session: AsyncSession, *, slug: str, user_id: int | None = None, admin: bool = True
) -> QuizVersions:
    """A quiz's versions with attempts and answers on each; only its owner's (or an admin's).

    Answers count those given in attempts on the version and to its items sent as follow-up
    practice.
    """
    quiz = await queries.quiz_by_slug(session, slug)
    if quiz is None or (not admin and quiz.owner_id != user_id):
        raise UnknownQuizError(slug, owned=True)
    versions = (
        await session.scalars(
            select(QuizVersion).where(QuizVersion.quiz_id == quiz.id).order_by(QuizVersion.number)
        )
    ).all()
    ids = [v.id for v in versions]
    attempts = {
        version_id: (count, finished)
        for version_id, count, finished in await session.execute(
            select(
                Attempt.quiz_version_id,
                func.count(),
                func.count(Attempt.finished_at),
            )
            .where(Attempt.quiz_version_id.in_(ids))
            .group_by(Attempt.quiz_version_id)
        )
    }
    answers = {
        version_id: (count, int(correct or 0))
        for version_id, count, correct in await session.execute(
            select(
                Item.quiz_version_id,
                func.count(),
                func.sum(func.cast(Answer.correct, Integer)),
            )
            .join(Item, Item.id == Answer.item_id)
            .where(Item.quiz_version_id.in_(ids))
            .group_by(Item.quiz_version_id)
        )
    }
    shared = await _cohort_names(session, [quiz.id])
    return QuizVersions(
        slug=quiz.slug,
        title=versions[-1].title if versions else quiz.slug,
        is_public=quiz.is_public,
        cohorts=shared.get(quiz.id, ()),
        versions=tuple(
            VersionStats(
                number=v.number,
                item_count=v.item_count,
                imported_at=v.imported_at,
                attempts=attempts.get(v.id, (0, 0))[0],
                finished=attempts.get(v.id, (0, 0))[1],
                answers=answers.get(v.id, (0, 0))[0],
                correct=answers.get(v.id, (0, 0))[1],
            )
            for v in versions
        ),
    )
