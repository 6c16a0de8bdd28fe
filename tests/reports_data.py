"""A small class whose report figures are computed by hand in the tests.

Quiz "tiny" has four items: A (flawed, one choice, key B), B (sound, key A), C (flawed,
choose all, keys A and C), D (sound, key B). Ten learners finish it with the answers of
MATRIX; two more stop early. Some learners answered follow-ups, and some are in cohorts.

Every wrong option judges against the verdict (the default), and so do B's first: on the
sound item B, option B1 is the sceptical choice ("flawed": a false alarm), B2 the gullible
one (wrong, yet it judges the claim sound: no false alarm) and B3 a misreading ("neither":
in no rate). L4 picks the gullible option and L7 the misreading; L9, L10 and L11 the
sceptical one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Answer,
    Attempt,
    Cohort,
    CohortMember,
    FollowUp,
    Item,
    Quiz,
    QuizVersion,
    SkillState,
    User,
)
from bot.domain import mastery
from bot.runtime import Runtime
from bot.services import attempts, learners
from bot.services.reports import counters

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=25)

# (key, kind, verdict, skill, options as (text, correct))
ITEMS = [
    ("a", "single", "flawed", "sourcing", [("A0", False), ("A1", True), ("A2", False)]),
    (
        "b",
        "single",
        "sound",
        "sourcing",
        [("B0", True), ("B1", False), ("B2", False), ("B3", False)],
    ),
    ("c", "multiple", "flawed", "headline-body", [("C0", True), ("C1", False), ("C2", True)]),
    ("d", "single", "sound", "headline-body", [("D0", False), ("D1", True)]),
]
KEYS = {"a": [1], "b": [0], "c": [0, 2], "d": [1]}
# Judgements written in the quiz file, by (item, option); the other options take defaults.
JUDGEMENTS = {("b", 2): "sound", ("b", 3): "neither"}
SCEPTICAL, GULLIBLE, MISREAD = [1], [2], [3]  # the wrong options of B

# Item scores (A, B, C, D) of the ten complete attempts, learners L1..L10.
MATRIX = [
    (1, 1, 1, 1),
    (1, 1, 1, 0),
    (1, 1, 0, 1),
    (1, 0, 1, 1),
    (1, 1, 0, 0),
    (0, 1, 1, 0),
    (1, 0, 0, 0),
    (0, 1, 0, 0),
    (0, 0, 0, 1),
    (0, 0, 0, 0),
]
# Wrong choices, by learner number and item, where not the first wrong option.
WRONG = {
    (4, "b"): GULLIBLE,
    (7, "b"): MISREAD,
    (2, "b"): MISREAD,  # a follow-up answer (L2 got B right in the quiz)
    (9, "a"): [2],
    (3, "c"): [0],
    (5, "c"): [0, 1],
    (7, "c"): [1],
    (8, "c"): [2],
    (9, "c"): [0, 1, 2],
    (10, "c"): [1],
}
# The unfinished attempts: L11 answered A right and B wrong; L12 answered A wrong.
PARTIAL = {11: [("a", 1), ("b", 0)], 12: [("a", 0)]}


def first_wrong(key: str) -> list[int]:
    """The first wrong option of an item."""
    options = next(i[4] for i in ITEMS if i[0] == key)
    return [next(n for n, (_t, ok) in enumerate(options) if not ok)]


def chosen_for(learner: int, key: str, right: int) -> list[int]:
    """What a learner chose on an item, given whether it was right."""
    if right:
        return KEYS[key]
    return WRONG.get((learner, key), first_wrong(key))


def seconds_for(learner: int, key: str) -> float:
    """Time on an item: 10 + learner number on A, otherwise 5 + learner number."""
    return float(10 + learner if key == "a" else 5 + learner)


@dataclass
class Built:
    """Database ids of what the builder made."""

    users: dict[int, int] = field(default_factory=dict)  # learner number -> user id
    pseudonyms: dict[int, str] = field(default_factory=dict)
    instructors: dict[str, int] = field(default_factory=dict)  # name -> user id
    quiz_id: int = 0
    version_id: int = 0
    items: dict[str, int] = field(default_factory=dict)
    answers: int = 0


async def build_class(session: AsyncSession) -> Built:
    """Insert the class of the module docstring; return its ids."""
    built = Built()
    for name, tg in (("owner", 801), ("teacher", 802), ("stranger", 803)):
        user = User(
            telegram_id=tg,
            first_name=f"Instructor {name}",
            pseudonym=f"staff{tg}",
            created_at=T0,
            last_seen_at=T0,
        )
        session.add(user)
        await session.flush()
        built.instructors[name] = user.id
    quiz = Quiz(slug="tiny", owner_id=built.instructors["owner"], is_public=True, created_at=T0)
    session.add(quiz)
    await session.flush()
    version = QuizVersion(
        quiz_id=quiz.id,
        number=1,
        content_hash="0" * 64,
        title="Tiny quiz",
        language="en",
        source_title="Tiny source",
        source_meta={},
        source_text="A B C D",
        item_count=len(ITEMS),
        imported_at=T0,
    )
    session.add(version)
    await session.flush()
    built.quiz_id, built.version_id = quiz.id, version.id
    for position, (key, kind, verdict, skill, options) in enumerate(ITEMS):
        item = Item(
            quiz_version_id=version.id,
            key=key,
            position=position,
            kind=kind,
            skill_id=skill,
            verdict=verdict,
            passage=f"Passage {key.upper()}",
            question=f"Question {key}?",
            options=[
                {"text": t, "correct": ok, "feedback": None}
                | ({"judgement": JUDGEMENTS[key, n]} if (key, n) in JUDGEMENTS else {})
                for n, (t, ok) in enumerate(options)
            ],
            explanation="Because.",
            claims=[],
            references=[],
        )
        session.add(item)
        await session.flush()
        built.items[key] = item.id

    for learner in range(1, 13):
        user = User(
            telegram_id=1000 + learner,
            first_name=f"Secretname{learner}",
            pseudonym=f"p{learner:02d}",
            created_at=T0,
            last_seen_at=T0,
        )
        session.add(user)
        await session.flush()
        built.users[learner] = user.id
        built.pseudonyms[learner] = f"p{learner:02d}"

    for learner, row in enumerate(MATRIX, start=1):
        answers = list(zip("abcd", row, strict=True))
        await _attempt(session, built, learner, answers, finished=True)
    for learner, answers in PARTIAL.items():
        started = T0 + dt.timedelta(days=20)
        await _attempt(session, built, learner, answers, finished=False, started=started)

    await _followups(session, built)
    await _skill_states(session, built)
    await _cohorts(session, built)
    # The rows above bypass answer_item, which keeps the report counters: fill them as a
    # bulk load would.
    await counters.rebuild(session)
    await session.commit()
    return built


async def _attempt(
    session: AsyncSession,
    built: Built,
    learner: int,
    answers: list[tuple[str, int]],
    *,
    finished: bool,
    started: dt.datetime = T0,
) -> None:
    correct = sum(right for _k, right in answers)
    attempt = Attempt(
        user_id=built.users[learner],
        quiz_version_id=built.version_id,
        seed=learner,
        round_size=5,
        started_at=started,
        finished_at=started + dt.timedelta(minutes=5) if finished else None,
        answered_count=len(answers),
        correct_count=correct,
    )
    session.add(attempt)
    await session.flush()
    for n, (key, right) in enumerate(answers):
        session.add(
            Answer(
                attempt_id=attempt.id,
                user_id=built.users[learner],
                item_id=built.items[key],
                skill_id=next(i[3] for i in ITEMS if i[0] == key),
                chosen=chosen_for(learner, key, right),
                correct=bool(right),
                seconds=seconds_for(learner, key),
                answered_at=started + dt.timedelta(minutes=n),
            )
        )
        built.answers += 1
    await session.flush()


# Follow-up answers: (learner, item key, right, sent → answered delay in hours).
FOLLOWUP_ANSWERS = [
    (1, "a", 1, 1),
    (1, "b", 1, 2),
    (2, "c", 0, 3),
    (2, "d", 1, 48),
    # L3: twelve, oldest first; only the latest ten count, and the two oldest are wrong.
    *[(3, "a" if n % 2 == 0 else "b", 0 if n < 2 else 1, 1) for n in range(12)],
    (2, "b", 0, 1),  # a misreading: in none of L2's rates
]
# Follow-ups without answers: (learner, status).
FOLLOWUP_OTHERS = [(4, "pending"), (5, "failed"), (6, "cancelled"), (7, "sent")]


async def _followups(session: AsyncSession, built: Built) -> None:
    start = T0 + dt.timedelta(days=2)
    for n, (learner, key, right, delay) in enumerate(FOLLOWUP_ANSWERS):
        sent = start + dt.timedelta(hours=n)
        answered = sent + dt.timedelta(hours=delay)
        skill = next(i[3] for i in ITEMS if i[0] == key)
        followup = FollowUp(
            user_id=built.users[learner],
            skill_id=skill,
            status="answered",
            due_at=sent,
            created_at=T0,
            sent_at=sent,
            answered_at=answered,
            item_id=built.items[key],
        )
        session.add(followup)
        await session.flush()
        session.add(
            Answer(
                followup_id=followup.id,
                user_id=built.users[learner],
                item_id=built.items[key],
                skill_id=skill,
                chosen=chosen_for(learner, key, right),
                correct=bool(right),
                seconds=7.0,
                answered_at=answered,
            )
        )
        built.answers += 1
    for learner, status in FOLLOWUP_OTHERS:
        sent = start if status == "sent" else None
        session.add(
            FollowUp(
                user_id=built.users[learner],
                skill_id="sourcing",
                status=status,
                # Due after the tests' clock, so a running bot's dispatcher leaves it alone.
                due_at=NOW + dt.timedelta(days=30) if status == "pending" else start,
                created_at=T0,
                sent_at=sent,
            )
        )
    await session.flush()


# (learner, skill, answered, correct, streak) for the memory model rows.
SKILL_STATES = [
    (1, "sourcing", 4, 4, 4),
    (2, "sourcing", 2, 2, 2),
    (3, "sourcing", 14, 11, 10),
    (4, "sourcing", 2, 1, 1),
    (1, "headline-body", 2, 2, 3),
    (2, "headline-body", 4, 2, 1),
    (10, "headline-body", 2, 0, 0),
]


async def _skill_states(session: AsyncSession, built: Built) -> None:
    for learner, skill, answered, correct, streak in SKILL_STATES:
        session.add(
            SkillState(
                user_id=built.users[learner],
                skill_id=skill,
                answered=answered,
                correct=correct,
                streak=streak,
                card=mastery.new_card(T0),
                due_at=T0,
                last_answer_at=T0,
            )
        )
    await session.flush()


# Cohort "alpha" (the teacher's) has L1..L6; cohort "beta" (nobody's) has L7..L10.
COHORTS = {"alpha": range(1, 7), "beta": range(7, 11)}


async def _cohorts(session: AsyncSession, built: Built) -> None:
    for code, members in COHORTS.items():
        cohort = Cohort(
            name=f"Class {code}",
            code=code,
            owner_id=built.instructors["teacher"] if code == "alpha" else None,
            created_at=T0,
        )
        session.add(cohort)
        await session.flush()
        for learner in members:
            session.add(
                CohortMember(cohort_id=cohort.id, user_id=built.users[learner], joined_at=T0)
            )
    await session.flush()


async def sit_tiny(runtime: Runtime, *, telegram_id: int, choices: dict[str, list[int]]) -> str:
    """A learner who takes quiz "tiny" through the services, choosing the options given per
    item (file order), at the runtime's clock; their pseudonym."""
    async with runtime.sessions() as session:
        user = await learners.touch_telegram_user(
            session,
            telegram_id=telegram_id,
            first_name="Later",
            language_code="en",
            now=runtime.clock(),
        )
    async with runtime.sessions() as session:
        start = await attempts.start_quiz(
            session, user_id=user.id, slug="tiny", round_size=len(ITEMS), now=runtime.clock()
        )
    item = start.item
    for key, _kind, _verdict, _skill, _options in ITEMS:
        assert item is not None
        assert item.item_key == key
        async with runtime.sessions() as session:
            result = await attempts.answer_item(
                session,
                user_id=user.id,
                attempt_id=item.attempt_id,
                item_id=item.item_id,
                chosen=choices[key],
                now=runtime.clock(),
            )
        item = result.next_item
    assert user.pseudonym is not None
    return user.pseudonym
