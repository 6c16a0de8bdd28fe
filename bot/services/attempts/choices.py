"""Which quizzes a learner may take besides the one they asked for, their language first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.models import Quiz
from bot.domain import languages
from bot.services.views import QuizChoice

# A phone shows a handful of buttons at once; the rest stay reachable by `/quiz ID`.
MAX_CHOICES = 6


async def other_quizzes(
    session: AsyncSession,
    *,
    user_id: int,
    but: str,
    language: str | None,
    see_all: bool = False,
) -> tuple[QuizChoice, ...]:
    """The quizzes the learner may take other than `but`, test forms left out, at most
    MAX_CHOICES: those in `language` first, then by id."""
    stmt = queries.training_quizzes().where(Quiz.slug != but)
    if not see_all:
        stmt = stmt.where(queries.visible_to(user_id))
    found = [QuizChoice(*row) for row in await session.execute(stmt)]
    order = languages.preferring(language or languages.ENGLISH, [q.language for q in found])
    return tuple(found[i] for i in order[:MAX_CHOICES])


async def chosen_quiz(
    session: AsyncSession, *, user_id: int, quiz_id: int, see_all: bool = False
) -> str | None:
    """The id (slug) of a quiz picked by its button; None when there is no such quiz or the
    learner may not take it (a forged button learns nothing)."""
    stmt = select(Quiz.slug).where(Quiz.id == quiz_id)
    if not see_all:
        stmt = stmt.where(queries.visible_to(user_id))
    slug: str | None = await session.scalar(stmt)
    return slug
