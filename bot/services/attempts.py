"""Use cases of a quiz sitting: start or resume, answer an item, continue after a round."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.models import Answer, Attempt, Item, QuizVersion, SkillState
from bot.domain import grading, mastery
from bot.domain.errors import (
    AlreadyAnsweredError,
    AttemptFinishedError,
    NotFoundError,
    NotYourAttemptError,
    StaleItemError,
)
from bot.domain.quiz import ItemKind
from bot.services import followup_plans
from bot.services.views import (
    AnswerResult,
    ItemView,
    OptionView,
    QuizStart,
    RoundSummary,
    SkillScore,
)

# Time on an item is capped: a learner who left the phone for a day did not think for a day.
MAX_SECONDS_PER_ANSWER = 600.0


async def start_quiz(
    session: AsyncSession,
    *,
    user_id: int,
    slug: str,
    round_size: int,
    now: dt.datetime,
    see_all: bool = False,
) -> QuizStart:
    """Resume the learner's open attempt on a quiz, or start one on its newest version.

    A quiz limited to cohorts is refused to others exactly as an unknown one (`see_all`,
    for admins, lifts the limit), so its id does not leak.
    """
    quiz = await queries.quiz_by_slug(session, slug)
    if quiz is None or not (see_all or await queries.may_take(session, quiz.id, user_id)):
        raise NotFoundError(f"There is no quiz '{slug}'.")
    attempt = await queries.open_attempt(session, user_id, quiz.id)
    resumed = attempt is not None
    if attempt is None:
        version = await queries.latest_version(session, quiz.id)
        if version is None:
            raise NotFoundError(f"The quiz '{slug}' has no content yet.")
        attempt = Attempt(
            user_id=user_id,
            quiz_version_id=version.id,
            seed=secrets.randbits(31),
            round_size=round_size,
            started_at=now,
            answered_count=0,
            correct_count=0,
        )
        session.add(attempt)
        await session.flush()
    else:
        version = await session.get_one(QuizVersion, attempt.quiz_version_id)
    item = await _present(session, attempt, version, now)
    await session.commit()
    return QuizStart(
        attempt_id=attempt.id,
        quiz_title=version.title,
        resumed=resumed,
        answered=attempt.answered_count,
        total=version.item_count,
        item=item,
    )


async def continue_attempt(
    session: AsyncSession, *, user_id: int, attempt_id: int, answered: int, now: dt.datetime
) -> ItemView:
    """Show the next item after a round summary.

    `answered` is the count the summary was shown at: a second press on the same
    "Continue" button finds the count moved on (or the item already on screen) and is stale.
    """
    attempt = await _own_attempt(session, user_id, attempt_id)
    if attempt.finished_at is not None:
        raise AttemptFinishedError("This quiz is finished. Send /quiz to take it again.")
    if attempt.answered_count != answered or attempt.current_item_id is not None:
        raise StaleItemError("You already continued.")
    version = await session.get_one(QuizVersion, attempt.quiz_version_id)
    item = await _present(session, attempt, version, now)
    await session.commit()
    return item


async def answer_item(
    session: AsyncSession,
    *,
    user_id: int,
    attempt_id: int,
    item_id: int,
    chosen: list[int],
    now: dt.datetime,
    delay_scale: float = 1.0,
) -> AnswerResult:
    """Grade and record an answer exactly once, update the skill state, and move on."""
    attempt = await _own_attempt(session, user_id, attempt_id)
    if attempt.current_item_id != item_id:
        if await queries.answer_of(session, attempt_id, item_id) is not None:
            raise AlreadyAnsweredError("You already answered this one; your first answer counts.")
        if attempt.finished_at is not None:
            raise AttemptFinishedError("This quiz is finished. Send /quiz to take it again.")
        raise StaleItemError("This question is no longer open.")
    item = await session.get_one(Item, item_id)
    grading.check_choice(item.kind, len(item.options), chosen)
    correct_indices = [i for i, o in enumerate(item.options) if o["correct"]]
    correct = grading.grade(correct_indices, chosen)
    await record_answer(
        session,
        user_id=user_id,
        item=item,
        chosen=chosen,
        correct=correct,
        shown_at=attempt.presented_at or now,
        now=now,
        attempt_id=attempt.id,
    )
    await record_skill_review(
        session,
        user_id=user_id,
        skill_id=item.skill_id,
        correct=correct,
        now=now,
        delay_scale=delay_scale,
    )

    version = await session.get_one(QuizVersion, attempt.quiz_version_id)
    view = await _item_view(session, attempt, version, item)
    attempt.answered_count += 1
    attempt.correct_count += int(correct)
    attempt.current_item_id = None
    attempt.presented_at = None

    next_item: ItemView | None = None
    summary: RoundSummary | None = None
    finished = attempt.answered_count >= version.item_count
    if finished:
        attempt.finished_at = now
    # The attempt's changes go out once, at commit; the reads below do not need them.
    with session.no_autoflush:
        if grading.is_round_end(attempt.answered_count, version.item_count, attempt.round_size):
            summary = await _summary(session, attempt, version)
        else:
            next_item = await _present(session, attempt, version, now)
    await session.commit()
    return _result(view, item, chosen, correct, next_item, summary)


async def record_answer(
    session: AsyncSession,
    *,
    user_id: int,
    item: Item,
    chosen: list[int],
    correct: bool,
    shown_at: dt.datetime,
    now: dt.datetime,
    attempt_id: int | None = None,
    followup_id: int | None = None,
) -> None:
    """Append an answer (of a quiz attempt or a follow-up), or raise AlreadyAnsweredError.

    The unique constraints on (attempt, item) and on the follow-up are the guard: a second
    press, even one racing the first in another process, cannot add a row.
    """
    seconds = min(max((now - shown_at).total_seconds(), 0.0), MAX_SECONDS_PER_ANSWER)
    session.add(
        Answer(
            attempt_id=attempt_id,
            followup_id=followup_id,
            user_id=user_id,
            item_id=item.id,
            skill_id=item.skill_id,
            chosen=sorted(set(chosen)),
            correct=correct,
            seconds=seconds,
            answered_at=now,
        )
    )
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise AlreadyAnsweredError(
            "You already answered this one; your first answer counts."
        ) from None


async def replay_answer(
    session: AsyncSession, *, user_id: int, attempt_id: int, item_id: int
) -> AnswerResult | None:
    """The outcome of the attempt's latest answer, to show it again after a crash.

    A press whose answer was committed, by a process that died before it sent the feedback,
    is processed again from the inbox: the answer is not counted twice, but the learner
    still needs the verdict and the next item. None when the item is not the latest answer
    (then there is nothing to repeat).
    """
    attempt = await _own_attempt(session, user_id, attempt_id)
    latest = (
        await session.scalars(
            select(Answer).where(Answer.attempt_id == attempt_id).order_by(Answer.id.desc())
        )
    ).first()
    if latest is None or latest.item_id != item_id:
        await session.commit()
        return None
    version = await session.get_one(QuizVersion, attempt.quiz_version_id)
    item = await session.get_one(Item, item_id)
    view = await _item_view(session, attempt, version, item)
    next_item: ItemView | None = None
    summary: RoundSummary | None = None
    if attempt.current_item_id is not None:
        current = await session.get_one(Item, attempt.current_item_id)
        next_item = await _item_view(session, attempt, version, current)
    else:
        summary = await _summary(session, attempt, version)
    # Commit, not rollback: a rollback would expire the loaded rows that _result reads.
    await session.commit()
    return _result(view, item, list(latest.chosen), latest.correct, next_item, summary)


def _result(
    view: ItemView,
    item: Item,
    chosen: list[int],
    correct: bool,
    next_item: ItemView | None,
    summary: RoundSummary | None,
) -> AnswerResult:
    correct_indices = [i for i, o in enumerate(item.options) if o["correct"]]
    by_index = {o.file_index: o for o in view.options}
    return AnswerResult(
        item=view,
        correct=correct,
        chosen=tuple(by_index[i] for i in _display_sorted(view, chosen)),
        right=tuple(by_index[i] for i in _display_sorted(view, correct_indices)),
        feedback=tuple(
            fb for i in _display_sorted(view, chosen) if (fb := item.options[i].get("feedback"))
        ),
        explanation=item.explanation,
        next_item=next_item,
        summary=summary,
    )


async def open_item(
    session: AsyncSession, *, user_id: int, attempt_id: int, item_id: int
) -> ItemView:
    """The item on screen, checked to be this learner's and still open (for toggles)."""
    attempt = await _own_attempt(session, user_id, attempt_id)
    if attempt.current_item_id != item_id:
        if await queries.answer_of(session, attempt_id, item_id) is not None:
            raise AlreadyAnsweredError("You already answered this one.")
        raise StaleItemError("This question is no longer open.")
    version = await session.get_one(QuizVersion, attempt.quiz_version_id)
    item = await session.get_one(Item, item_id)
    view = await _item_view(session, attempt, version, item)
    await session.commit()  # read only; ends the transaction (and the row lock on PostgreSQL)
    return view


async def current_item(session: AsyncSession, *, user_id: int, attempt_id: int) -> ItemView | None:
    """The item on screen in an attempt, if any (to show it again after a crash)."""
    attempt = await _own_attempt(session, user_id, attempt_id)
    view = None
    if attempt.current_item_id is not None:
        version = await session.get_one(QuizVersion, attempt.quiz_version_id)
        item = await session.get_one(Item, attempt.current_item_id)
        view = await _item_view(session, attempt, version, item)
    await session.commit()
    return view


async def record_skill_review(
    session: AsyncSession,
    *,
    user_id: int,
    skill_id: str,
    correct: bool,
    now: dt.datetime,
    delay_scale: float = 1.0,
) -> SkillState:
    """Feed one graded answer into the learner's memory model, and plan its follow-up."""
    state = await queries.skill_state(session, user_id, skill_id)
    if state is None:
        state = SkillState(
            user_id=user_id,
            skill_id=skill_id,
            answered=0,
            correct=0,
            streak=0,
            card=mastery.new_card(now),
        )
        session.add(state)
    outcome = mastery.review(state.card, correct, now)
    state.card = outcome.card
    state.due_at = outcome.due_at
    state.answered += 1
    state.correct += int(correct)
    state.streak = state.streak + 1 if correct else 0
    state.last_answer_at = now
    await session.flush()
    await followup_plans.plan_after_review(
        session,
        user_id=user_id,
        skill_id=skill_id,
        model_due=outcome.due_at,
        now=now,
        scale=delay_scale,
    )
    return state


async def attempt_summary(session: AsyncSession, *, user_id: int, attempt_id: int) -> RoundSummary:
    """The summary of an attempt as it stands."""
    attempt = await _own_attempt(session, user_id, attempt_id)
    version = await session.get_one(QuizVersion, attempt.quiz_version_id)
    return await _summary(session, attempt, version)


async def _own_attempt(session: AsyncSession, user_id: int, attempt_id: int) -> Attempt:
    attempt = await queries.lock_attempt(session, attempt_id)
    if attempt is None:
        raise NotFoundError("This quiz session no longer exists. Send /quiz to start again.")
    if attempt.user_id != user_id:
        raise NotYourAttemptError("These buttons belong to someone else's quiz.")
    return attempt


async def _present(
    session: AsyncSession, attempt: Attempt, version: QuizVersion, now: dt.datetime
) -> ItemView:
    """Put the next unanswered item on screen (or the current one again) and time it from now."""
    if attempt.current_item_id is not None:
        item = await session.get_one(Item, attempt.current_item_id)
    else:
        found = await queries.item_at(session, version.id, attempt.answered_count)
        if found is None:
            raise AttemptFinishedError("This quiz is finished. Send /quiz to take it again.")
        item = found
        attempt.current_item_id = item.id
    attempt.presented_at = now
    return await _item_view(session, attempt, version, item)


async def _item_view(
    session: AsyncSession, attempt: Attempt, version: QuizVersion, item: Item
) -> ItemView:
    names = await queries.skill_names(session)
    count = len(item.options)
    order = (
        list(range(count))
        if grading.keeps_file_order(item.kind)
        else grading.option_order(attempt.seed, item.key, count)
    )
    options = tuple(
        OptionView(letter=grading.LETTERS[shown], file_index=i, text=item.options[i]["text"])
        for shown, i in enumerate(order)
    )
    return ItemView(
        attempt_id=attempt.id,
        item_id=item.id,
        item_key=item.key,
        kind=ItemKind(item.kind).value,
        skill_id=item.skill_id,
        skill_name=names.get(item.skill_id, item.skill_id),
        quiz_title=version.title,
        passage=item.passage,
        question=item.question,
        options=options,
        number=item.position + 1,
        total=version.item_count,
    )


def _display_sorted(view: ItemView, indices: list[int]) -> list[int]:
    shown = [o.file_index for o in view.options]
    return sorted(set(indices), key=shown.index)


async def _summary(session: AsyncSession, attempt: Attempt, version: QuizVersion) -> RoundSummary:
    names = await queries.skill_names(session)
    counts = await queries.attempt_skill_counts(session, attempt.id)
    in_round = attempt.answered_count % attempt.round_size or min(
        attempt.round_size, attempt.answered_count
    )
    recent = (
        await session.scalars(
            select(Answer.correct)
            .where(Answer.attempt_id == attempt.id)
            .order_by(Answer.id.desc())
            .limit(in_round)
        )
    ).all()
    return RoundSummary(
        attempt_id=attempt.id,
        quiz_title=version.title,
        round_answered=len(recent),
        round_correct=sum(recent),
        answered=attempt.answered_count,
        correct=attempt.correct_count,
        total=version.item_count,
        finished=attempt.finished_at is not None,
        skills=tuple(
            SkillScore(skill_id=s, name=names.get(s, s), answered=n, correct=c)
            for s, n, c in counts
        ),
    )
