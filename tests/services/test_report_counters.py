"""Report counters on SQLite and PostgreSQL: kept by the answer path, equal to a rebuild from
the answers, taken out by /forgetme, filled by migrations 0004 and 0005, and giving the same
report as the answers themselves. The answers' judgements are checked the same way: as
recorded, as rebuild() fills them in, and as migration 0005 does."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
from typing import Any

from alembic import command
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import DEFAULT_QUIZ_ID
from bot.db.migrate import alembic_config
from bot.db.models import Answer, Attempt, Item, User
from bot.domain.report_query import ReportQuery, Viewer
from bot.domain.roles import Role
from bot.paths import package_folder
from bot.runtime import Runtime
from bot.services import attempts, learners, reports
from bot.services.followups.claims import claim_due, mark_sent
from bot.services.followups.dispatch import prepare_deliveries
from bot.services.followups.practice import answer_practice
from bot.services.reports import counters
from bot.services.reports.counters import ATTEMPTS, COUNTS, SUMS
from bot.services.views import ItemView
from tests.fakes.clock import FakeClock
from tests.reports_data import (
    GULLIBLE,
    KEYS,
    MISREAD,
    NOW,
    SCEPTICAL,
    build_class,
    sit_tiny,
)

ADMIN = Viewer(user_id=None, role=Role.ADMIN)
QUIZ = ReportQuery(quiz=DEFAULT_QUIZ_ID)
# Longer than the quiz: no round ends before the last item, so no "Continue" is needed.
ROUND = 100
# Seconds between items, cycled: halves (rounded up), just below a half, and one past the
# 600 s cap.
DELAYS = (2.5, 3.25, 7.5, 0.49, 11.0, 4.75, 700.0, 5.5)
DISCERNMENT_COLUMNS = tuple(counters.ATTEMPT_COUNTERS)
VERSIONS = package_folder("migrations") / "versions"

Rows = list[tuple[Any, ...]]
Counters = tuple[Rows, Rows, Rows, Rows]


def _migration(name: str) -> Any:
    """A migration module, loaded from its file (the versions folder is no package)."""
    spec = importlib.util.spec_from_file_location(f"migration_{name}", VERSIONS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


async def _counters(session: AsyncSession) -> Counters:
    """Both counter tables, the attempts' discernment columns and the answers' judgements,
    sorted."""
    counts = sorted(tuple(r) for r in await session.execute(select(COUNTS)))
    sums = sorted(tuple(r) for r in await session.execute(select(SUMS)))
    per_attempt = sorted(
        tuple(r)
        for r in await session.execute(
            select(ATTEMPTS.c.id, *(ATTEMPTS.c[name] for name in DISCERNMENT_COLUMNS))
        )
    )
    judgements = sorted(
        tuple(r) for r in await session.execute(select(Answer.id, Answer.judgement))
    )
    return counts, sums, per_attempt, judgements


async def _kept_and_rebuilt(runtime: Runtime) -> tuple[Counters, Counters]:
    """The counters and judgements as kept, and as rebuild() makes them from the answers
    once their judgements are cleared (rolled back)."""
    async with runtime.sessions() as session:
        kept = await _counters(session)
        await session.execute(update(Answer).values(judgement=None))
        await counters.rebuild(session)
        rebuilt = await _counters(session)
        await session.rollback()
    return kept, rebuilt


async def _clear(session: AsyncSession) -> None:
    await session.execute(COUNTS.delete())
    await session.execute(SUMS.delete())
    await session.execute(update(ATTEMPTS).values(dict.fromkeys(DISCERNMENT_COLUMNS, 0)))


async def _report(runtime: Runtime, query: ReportQuery, now: dt.datetime) -> reports.QuizReport:
    async with runtime.sessions() as session:
        return await reports.quiz_report(session, viewer=ADMIN, query=query, now=now)


def _figures(value: Any) -> Any:
    """A report as plain data, floats to 12 significant digits: means of d' and c add up
    learners in whatever order SQL returns them, which may move the last bit."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {key: _figures(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_figures(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.12g}")
    return value


async def _same_as_from_answers(runtime: Runtime, query: ReportQuery, now: dt.datetime) -> None:
    """The whole-quiz report (counters) equals the one read from the answers: a period
    long enough to hold everything takes the answers path and must change no figure."""
    whole = await _report(runtime, query, now)
    from_answers = await _report(runtime, dataclasses.replace(query, days=3650), now)
    assert whole.items
    assert _figures(dataclasses.replace(from_answers, query=query)) == _figures(whole)


# --------------------------------------------------------------- a class through the services


async def _learner(runtime: Runtime, telegram_id: int) -> int:
    async with runtime.sessions() as s:
        user = await learners.touch_telegram_user(
            s, telegram_id=telegram_id, first_name="Ana", language_code="en", now=runtime.clock()
        )
        user.window_start_hour, user.window_end_hour = 0, 24  # follow-ups at any hour
        await s.commit()
    return user.id


async def _choice(runtime: Runtime, item: ItemView, style: int) -> list[int]:
    """Right, wrong, or on "choose all" items sometimes every option, by style."""
    async with runtime.sessions() as s:
        row = await s.get_one(Item, item.item_id)
    right = [i for i, o in enumerate(row.options) if o["correct"]]
    wrong = [i for i, o in enumerate(row.options) if not o["correct"]]
    if style % 4 == 0 or not wrong:
        return right
    if row.kind == "multiple":
        return list(range(len(row.options))) if style % 4 == 1 else [right[0], wrong[-1]]
    return [wrong[style % len(wrong)]]


async def _sit(
    runtime: Runtime, clock: FakeClock, user_id: int, *, answers: int | None, style: int
) -> None:
    """Start or resume the quiz and answer `answers` items (None: to the end)."""
    async with runtime.sessions() as s:
        start = await attempts.start_quiz(
            s, user_id=user_id, slug=DEFAULT_QUIZ_ID, round_size=ROUND, now=clock()
        )
    item: ItemView | None = start.item
    done = 0
    while item is not None and (answers is None or done < answers):
        clock.advance(seconds=DELAYS[(done + style) % len(DELAYS)])
        chosen = await _choice(runtime, item, style + done)
        async with runtime.sessions() as s:
            result = await attempts.answer_item(
                s,
                user_id=user_id,
                attempt_id=item.attempt_id,
                item_id=item.item_id,
                chosen=chosen,
                now=clock(),
            )
        item = result.next_item
        done += 1


async def _answer_a_followup(runtime: Runtime, clock: FakeClock) -> int:
    """Deliver the due follow-ups and answer the first practice item; its learner's id."""
    clock.advance(days=1)
    async with runtime.sessions() as s:
        claimed = await claim_due(s, worker="w1", now=clock(), limit=100)
    async with runtime.sessions() as s:
        deliveries = await prepare_deliveries(
            s, claimed=claimed, worker="w1", now=clock(), scale=1.0
        )
    delivery = next(d for d in deliveries if d.practice is not None)
    async with runtime.sessions() as s:
        await mark_sent(s, ids=list(delivery.followup_ids), worker="w1", now=clock())
    practice = delivery.practice
    assert practice is not None
    clock.advance(minutes=2)
    async with runtime.sessions() as s:
        await answer_practice(
            s,
            user_id=delivery.user_id,
            followup_id=practice.followup_id or 0,
            chosen=await _choice(runtime, practice, 0),
            now=clock(),
        )
    return delivery.user_id


async def _class_through_services(runtime: Runtime, clock: FakeClock) -> dict[str, int]:
    """Two learners finish (one retakes and stops), two stop early, one follow-up answered."""
    ids = {name: await _learner(runtime, 3000 + n) for n, name in enumerate("abcd")}
    await _sit(runtime, clock, ids["a"], answers=None, style=0)
    await _sit(runtime, clock, ids["b"], answers=None, style=1)
    await _sit(runtime, clock, ids["c"], answers=9, style=2)
    await _sit(runtime, clock, ids["d"], answers=3, style=3)
    clock.advance(hours=1)
    await _sit(runtime, clock, ids["b"], answers=4, style=5)  # a retake, left unfinished
    await _answer_a_followup(runtime, clock)
    async with runtime.sessions() as s:
        followup_answers = await s.scalar(
            select(func.count()).select_from(Answer).where(Answer.followup_id.is_not(None))
        )
        finished = await s.scalar(
            select(func.count()).select_from(Attempt).where(Attempt.finished_at.is_not(None))
        )
    assert followup_answers == 1
    assert finished == 2
    return ids


async def test_answer_path_keeps_counters_equal_to_a_rebuild(
    runtime: Runtime, clock: FakeClock
) -> None:
    await _class_through_services(runtime, clock)
    kept, rebuilt = await _kept_and_rebuilt(runtime)
    assert all(kept), "every counter has rows"
    assert kept == rebuilt
    # Every answer (quiz and follow-up) on an item with a verdict has its judgement; an
    # answer on an item without one has none.
    async with runtime.sessions() as s:
        judged = (
            await s.execute(
                select(Item.verdict.is_not(None), Answer.judgement.is_not(None)).join(
                    Item, Item.id == Answer.item_id
                )
            )
        ).all()
    assert judged
    assert all(has_verdict == has_judgement for has_verdict, has_judgement in judged)
    # The follow-up answer is in none of them: the counts hold the attempts' answers only.
    async with runtime.sessions() as s:
        quiz_answers = await s.scalar(
            select(func.count()).select_from(Answer).where(Answer.attempt_id.is_not(None))
        )
    assert sum(row[-1] for row in kept[0]) == quiz_answers


async def test_counters_report_equals_the_report_from_answers(
    runtime: Runtime, clock: FakeClock
) -> None:
    await _class_through_services(runtime, clock)
    await _same_as_from_answers(runtime, QUIZ, clock())
    await _same_as_from_answers(runtime, ReportQuery(), clock())


async def test_forgotten_learner_leaves_the_counters_and_the_report(
    runtime: Runtime, clock: FakeClock
) -> None:
    ids = await _class_through_services(runtime, clock)
    before = await _report(runtime, QUIZ, clock())
    async with runtime.sessions() as s:
        await learners.forget_user(s, user_id=ids["b"])  # finished, retook, maybe a follow-up
    kept, rebuilt = await _kept_and_rebuilt(runtime)
    assert kept == rebuilt
    assert all(n > 0 for *_key, n in kept[0]), "no row is left at zero"
    after = await _report(runtime, QUIZ, clock())
    assert after.learners == before.learners - 1
    assert after.attempts_finished == before.attempts_finished - 1
    await _same_as_from_answers(runtime, QUIZ, clock())
    # Forgetting everyone leaves no counter row behind.
    async with runtime.sessions() as s:
        others = (await s.scalars(select(User.id).where(User.telegram_id.is_not(None)))).all()
    for user_id in others:
        async with runtime.sessions() as s:
            await learners.forget_user(s, user_id=user_id)
    kept, _ = await _kept_and_rebuilt(runtime)
    assert kept == ([], [], [], [])


# ----------------------------------------------------- the hand-computed class (bulk-loaded)


async def _add_odd_seconds(session: AsyncSession) -> None:
    """One more finished attempt on "tiny" whose times sit on and near the rounding edges."""
    user = (await session.scalars(select(User).where(User.pseudonym == "p01"))).one()
    version_id, *_ = (
        await session.execute(select(Item.quiz_version_id).where(Item.key == "a"))
    ).one()
    items = (
        await session.scalars(
            select(Item).where(Item.quiz_version_id == version_id).order_by(Item.position)
        )
    ).all()
    attempt_id = await session.scalar(
        insert(Attempt)
        .values(
            user_id=user.id,
            quiz_version_id=version_id,
            seed=1,
            round_size=5,
            started_at=NOW,
            finished_at=NOW,
            answered_count=len(items),
            correct_count=len(items),
        )
        .returning(Attempt.id)
    )
    for item, seconds in zip(items, (2.5, 0.49999, 599.5, 13.5), strict=True):
        session.add(
            Answer(
                attempt_id=attempt_id,
                user_id=user.id,
                item_id=item.id,
                skill_id=item.skill_id,
                chosen=[i for i, o in enumerate(item.options) if o["correct"]],
                correct=True,
                seconds=seconds,
                answered_at=NOW,
            )
        )
    await session.flush()


async def test_counting_functions_add_up_to_a_rebuild(runtime: Runtime) -> None:
    """attempt_answer_write and count_finished_attempt, replayed over every quiz answer,
    give what rebuild() computes in SQL (same rounding of seconds, same option keys)."""
    async with runtime.sessions() as session:
        await build_class(session)
        await _add_odd_seconds(session)
        await counters.rebuild(session)
        rebuilt = await _counters(session)
        await _clear(session)
        answers = (
            await session.execute(
                select(Answer.item_id, Answer.chosen, Answer.correct, Answer.seconds)
                .where(Answer.attempt_id.is_not(None))
                .order_by(Answer.id)
            )
        ).all()
        for item_id, chosen, correct, seconds in answers:
            await session.execute(
                *counters.attempt_answer_write(
                    session, item_id=item_id, chosen=chosen, correct=correct, seconds=seconds
                )
            )
        finished = (
            await session.execute(
                select(Attempt.id, Attempt.correct_count).where(Attempt.finished_at.is_not(None))
            )
        ).all()
        for attempt_id, total in finished:
            await counters.count_finished_attempt(session, attempt_id=attempt_id, total=total)
        replayed = await _counters(session)
        await session.rollback()
    assert replayed[:2] == rebuilt[:2]
    seconds = {row[2] for row in rebuilt[0]}
    assert {3, 0, 600, 14} <= seconds  # 2.5, 0.49999, 599.5 and 13.5 rounded half up


async def test_migration_backfill_fills_counters_like_a_rebuild(runtime: Runtime) -> None:
    migration = _migration("0004_report_counters")
    async with runtime.sessions() as session:
        await build_class(session)  # ends with a rebuild
        rebuilt = await _counters(session)
        await _clear(session)
        connection = await session.connection()
        await connection.run_sync(migration.backfill)
        # The item tables as a rebuild has them; the attempts' discernment in 0004's reading
        # (right and wrong), which migration 0005 counts again from the judgements.
        assert (await _counters(session))[:2] == rebuilt[:2]
        await session.rollback()


async def test_migration_0005_judges_the_answers_and_counts_again(
    runtime: Runtime, clock: FakeClock
) -> None:
    """On answers recorded before judgements existed, 0005's backfill sets each answer's
    judgement as the answer path records it (the bundled quiz, attempts and a follow-up) and
    as rebuild() fills it in (the class, with written judgements and misreadings), and the
    attempts' counters as answer_item keeps them."""
    await _class_through_services(runtime, clock)
    async with runtime.sessions() as session:
        await build_class(session)  # ends with a rebuild
    migration = _migration("0005_answer_judgements")
    async with runtime.sessions() as session:
        expected = await _counters(session)
        assert {j for _id, j in expected[3]} >= {"sound", "flawed", "neither"}
        assert any(row[-1] for row in expected[2]), "an attempt with a misreading"
        # As the revision finds them: no judgements, and counters of the old reading (any
        # stale values: the backfill sets them all).
        await session.execute(update(Answer).values(judgement=None))
        await session.execute(update(ATTEMPTS).values(dict.fromkeys(DISCERNMENT_COLUMNS, 7)))
        connection = await session.connection()
        await connection.run_sync(migration.backfill)
        assert await _counters(session) == expected
        await session.rollback()


def _migrate_to(connection: Connection, revision: str) -> None:
    config = alembic_config(connection)
    if revision == "head":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


async def test_migration_0005_down_and_up_again_keeps_every_answer(runtime: Runtime) -> None:
    """Revision 0005 applied to a database holding answers: down to 0004 (counters in the old
    reading of right and wrong, every answer kept), then up again (the same judgements and
    counters as the answer path and rebuild() give)."""
    async with runtime.sessions() as session:
        built = await build_class(session)
        expected = await _counters(session)
    async with runtime.engine.begin() as connection:
        await connection.run_sync(_migrate_to, "0004")
    old_reading = select(*(func.sum(ATTEMPTS.c[name]) for name in DISCERNMENT_COLUMNS[:4]))
    async with runtime.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(Answer)) == built.answers
        # Flawed answered 22, right 11 (A 7, C 4); sound answered 21, wrong 11 (B 5, D 6).
        assert tuple((await connection.execute(old_reading)).one()) == (22, 11, 21, 11)
    async with runtime.engine.begin() as connection:
        await connection.run_sync(_migrate_to, "head")
    async with runtime.sessions() as session:
        assert await _counters(session) == expected


async def test_migration_0004_down_keeps_every_answer(runtime: Runtime) -> None:
    """Down to 0003 (no report counters) drops the counter columns in place: no answer goes
    with a recreated attempts table; up again, the counters are rebuilt as before."""
    async with runtime.sessions() as session:
        built = await build_class(session)
        expected = await _counters(session)
    async with runtime.engine.begin() as connection:
        await connection.run_sync(_migrate_to, "0003")
    async with runtime.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(Answer)) == built.answers
    async with runtime.engine.begin() as connection:
        await connection.run_sync(_migrate_to, "head")
    async with runtime.sessions() as session:
        assert await _counters(session) == expected


async def test_judged_answers_through_the_services_keep_counters_and_report(
    runtime: Runtime, clock: FakeClock
) -> None:
    """Gullible, sceptical and misread answers recorded by answer_item: counters equal to a
    rebuild, and the whole-quiz report from them equal to the one from the answers."""
    async with runtime.sessions() as session:
        await build_class(session)
    clock.now = NOW
    right = {"a": KEYS["a"], "c": KEYS["c"], "d": KEYS["d"]}
    for n, b in enumerate((KEYS["b"], GULLIBLE, SCEPTICAL, MISREAD)):
        await sit_tiny(runtime, telegram_id=4000 + n, choices={**right, "b": b})
    kept, rebuilt = await _kept_and_rebuilt(runtime)
    assert kept == rebuilt
    await _same_as_from_answers(runtime, ReportQuery(quiz="tiny"), NOW)


async def test_whole_quiz_report_of_the_class_equals_the_one_from_answers(
    runtime: Runtime,
) -> None:
    async with runtime.sessions() as session:
        built = await build_class(session)
    await _same_as_from_answers(runtime, ReportQuery(quiz="tiny"), NOW)
    # The quiz's owner reads the counters too, and sees what an admin sees.
    owner = Viewer(user_id=built.instructors["owner"], role=Role.INSTRUCTOR)
    async with runtime.sessions() as session:
        theirs = await reports.quiz_report(
            session, viewer=owner, query=ReportQuery(quiz="tiny"), now=NOW
        )
    admins = await _report(runtime, ReportQuery(quiz="tiny"), NOW)
    assert theirs.items == admins.items
    assert theirs.versions == admins.versions
    assert _figures(theirs.discernment) == _figures(admins.discernment)
