"""Use cases of cohorts: create one, join it by its invite (and its tests, when they are on),
open quizzes to it."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from typing import Final

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.models import Cohort, CohortMember, Quiz, QuizCohort, User
from bot.domain import languages
from bot.domain.errors import (
    CohortCodesMissingError,
    CohortNameMissingError,
    CohortNameTooLongError,
    UnknownCohortError,
    UnknownQuizError,
)
from bot.services.assessment import enrolment
from bot.services.views import CohortCreated, CohortJoined, CohortListing, Sharing, StartTarget

# 16 random bytes make 22 characters of [A-Za-z0-9_-]: unguessable, and well within the 64
# characters Telegram allows in a /start deep-link parameter.
CODE_BYTES: Final = 16
NAME_MAX: Final = 100
# What Telegram lets through as a deep-link parameter; anything else is not ours.
START_PAYLOAD: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CODE_TRIES: Final = 3


def new_code() -> str:
    """A fresh random invite code."""
    return secrets.token_urlsafe(CODE_BYTES)


def clean_name(raw: str) -> str:
    """The cohort name as typed, with runs of spaces collapsed; refuse empty or long names."""
    name = " ".join(raw.split())
    if not name:
        raise CohortNameMissingError
    if len(name) > NAME_MAX:
        raise CohortNameTooLongError(length=len(name), limit=NAME_MAX)
    return name


async def create_cohort(
    session: AsyncSession, *, owner_id: int, name: str, now: dt.datetime
) -> CohortCreated:
    """Create a cohort owned by an instructor, with a new invite code."""
    name = clean_name(name)
    for _ in range(_CODE_TRIES):
        cohort = Cohort(name=name, code=new_code(), owner_id=owner_id, created_at=now)
        session.add(cohort)
        try:
            await session.commit()
        except IntegrityError:  # a code drawn twice: astronomically rare, but cheap to retry
            await session.rollback()
            continue
        return CohortCreated(name=cohort.name, code=cohort.code)
    raise RuntimeError("could not draw a free cohort code")


async def resolve_start_payload(
    session: AsyncSession, *, user_id: int, payload: str, now: dt.datetime
) -> StartTarget:
    """Join the cohort a deep link invites to, or name the quiz it links; else neither."""
    if not START_PAYLOAD.match(payload):
        return StartTarget()
    cohort = (await session.scalars(select(Cohort).where(Cohort.code == payload))).one_or_none()
    if cohort is not None:
        return StartTarget(cohort=await _join(session, cohort, user_id, now))
    quiz = await queries.quiz_by_slug(session, payload.lower())
    if quiz is not None and await queries.may_take(session, quiz.id, user_id):
        return StartTarget(quiz_slug=quiz.slug)
    return StartTarget()


async def _join(
    session: AsyncSession, cohort: Cohort, user_id: int, now: dt.datetime
) -> CohortJoined:
    cohort_id, name = cohort.id, cohort.name  # a rollback below expires `cohort`
    already = await session.get(CohortMember, (cohort_id, user_id)) is not None
    if not already:
        session.add(CohortMember(cohort_id=cohort_id, user_id=user_id, joined_at=now))
        try:
            await session.flush()
        except IntegrityError:  # the same link opened twice at once: one row is enough
            await session.rollback()
            already = True
    learner = await session.get(User, user_id)
    quizzes = await quizzes_of(session, cohort_id, learner.language if learner else None)
    tests = await enrolment.enrol(
        session, cohort_id=cohort_id, user_id=user_id, now=now, new_member=not already
    )
    await session.commit()
    return CohortJoined(
        name=name,
        already_member=already,
        quizzes=quizzes,
        tests=tests.offer,
        tests_elsewhere=tests.elsewhere,
    )


async def quizzes_of(
    session: AsyncSession, cohort_id: int, language: str | None = None
) -> tuple[tuple[str, str, str], ...]:
    """The quizzes opened to a cohort only (quiz id, title, language), test forms left out,
    those in `language` first."""
    rows = await session.execute(
        queries.training_quizzes()
        .join(QuizCohort, QuizCohort.quiz_id == Quiz.id)
        .where(QuizCohort.cohort_id == cohort_id, Quiz.is_public.is_(False))
    )
    found = [(slug, title, quiz_language) for _, slug, title, quiz_language in rows]
    order = languages.preferring(language or languages.ENGLISH, [q[2] for q in found])
    return tuple(found[i] for i in order)


async def share_quiz(
    session: AsyncSession, *, user_id: int, admin: bool, slug: str, codes: Sequence[str]
) -> Sharing:
    """Limit a quiz to cohorts (added to those it is open to already); owners or admins."""
    if not codes:
        raise CohortCodesMissingError
    quiz = await _own_quiz(session, slug, user_id, admin)
    cohorts = []
    for code in dict.fromkeys(codes):
        cohort = (await session.scalars(select(Cohort).where(Cohort.code == code))).one_or_none()
        if cohort is None or (not admin and cohort.owner_id != user_id):
            raise UnknownCohortError(code, owned=True)
        cohorts.append(cohort)
    linked = set(
        await session.scalars(select(QuizCohort.cohort_id).where(QuizCohort.quiz_id == quiz.id))
    )
    session.add_all(
        QuizCohort(quiz_id=quiz.id, cohort_id=c.id) for c in cohorts if c.id not in linked
    )
    quiz.is_public = False
    await session.flush()
    sharing = await _sharing(session, quiz)
    await session.commit()
    return sharing


async def make_public(session: AsyncSession, *, user_id: int, admin: bool, slug: str) -> Sharing:
    """Open a quiz to everyone (its cohort list is dropped); owners or admins."""
    quiz = await _own_quiz(session, slug, user_id, admin)
    quiz.is_public = True
    await session.execute(delete(QuizCohort).where(QuizCohort.quiz_id == quiz.id))
    await session.commit()
    return Sharing(slug=quiz.slug, is_public=True, cohorts=())


async def list_cohorts(session: AsyncSession, *, owner_id: int | None) -> list[CohortListing]:
    """The cohorts of one owner (None: every cohort) with their member counts."""
    members = (
        select(CohortMember.cohort_id, func.count().label("n"))
        .group_by(CohortMember.cohort_id)
        .subquery()
    )
    stmt = (
        select(Cohort.name, Cohort.code, func.coalesce(members.c.n, 0))
        .outerjoin(members, members.c.cohort_id == Cohort.id)
        .order_by(Cohort.name, Cohort.id)
    )
    if owner_id is not None:
        stmt = stmt.where(Cohort.owner_id == owner_id)
    rows = (await session.execute(stmt)).all()
    return [CohortListing(name=name, code=code, members=int(n)) for name, code, n in rows]


async def _own_quiz(session: AsyncSession, slug: str, user_id: int, admin: bool) -> Quiz:
    quiz = await queries.quiz_by_slug(session, slug.lower())
    if quiz is None or (not admin and quiz.owner_id != user_id):
        raise UnknownQuizError(slug, owned=True)
    return quiz


async def _sharing(session: AsyncSession, quiz: Quiz) -> Sharing:
    names = (
        await session.scalars(
            select(Cohort.name)
            .join(QuizCohort, QuizCohort.cohort_id == Cohort.id)
            .where(QuizCohort.quiz_id == quiz.id)
            .order_by(Cohort.name, Cohort.id)
        )
    ).all()
    return Sharing(slug=quiz.slug, is_public=quiz.is_public, cohorts=tuple(names))
