"""Importing quizzes on real databases: all-or-nothing, versions, ownership, statistics."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.db.models import Item, Quiz, QuizVersion
from bot.domain.errors import QuizImportError, UnknownQuizError
from bot.runtime import Runtime
from bot.services import attempts, cohorts, learners, quizzes
from bot.services.quizzes import QuizFile
from bot.services.views import ImportOutcome
from tests.quiz_samples import broken_quiz_yaml, line_of, quiz_yaml


async def _user(runtime: Runtime, telegram_id: int) -> int:
    async with runtime.sessions() as s:
        user = await learners.touch_telegram_user(
            s, telegram_id=telegram_id, first_name="Ina", language_code="en", now=runtime.clock()
        )
    return user.id


def _file(text: str, name: str = "upload.yaml") -> QuizFile:
    return QuizFile(name=name, data=text.encode(), read_source=None)


async def _import(
    runtime: Runtime, *files: QuizFile, owner_id: int | None = None, admin: bool = False
) -> list[ImportOutcome]:
    async with runtime.sessions() as s:
        return await quizzes.import_quizzes(
            s, files, now=runtime.clock(), owner_id=owner_id, admin=admin
        )


async def _count(runtime: Runtime, model: type[object]) -> int:
    async with runtime.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_import_then_unchanged_then_new_version(runtime: Runtime) -> None:
    owner = await _user(runtime, 7001)
    [first] = await _import(runtime, _file(quiz_yaml()), owner_id=owner)
    assert (first.slug, first.version, first.item_count, first.unchanged) == (
        "bike-lane",
        1,
        2,
        False,
    )
    assert first.created
    assert not first.is_public
    assert first.skills == ("sourcing", "vague-attribution")

    # Comments and layout do not make a version; content does.
    relaid = "# edited in another editor\n" + quiz_yaml().replace(
        "title: Bike lane news", "title: 'Bike lane news'"
    )
    [same] = await _import(runtime, _file(relaid), owner_id=owner)
    assert same.unchanged
    assert same.version == 1
    assert not same.created

    [second] = await _import(runtime, _file(quiz_yaml(extra_item=True)), owner_id=owner)
    assert (second.version, second.item_count, second.unchanged) == (2, 3, False)
    async with runtime.sessions() as s:
        quiz = (await s.scalars(select(Quiz).where(Quiz.slug == "bike-lane"))).one()
        assert quiz.owner_id == owner
        numbers = (
            await s.scalars(select(QuizVersion.number).where(QuizVersion.quiz_id == quiz.id))
        ).all()
    assert sorted(numbers) == [1, 2]


async def test_broken_file_reports_every_problem_and_imports_nothing(runtime: Runtime) -> None:
    before = (await _count(runtime, Quiz), await _count(runtime, Item))
    text = broken_quiz_yaml()
    with pytest.raises(QuizImportError) as raised:
        await _import(runtime, _file(text), owner_id=await _user(runtime, 7002))
    located = raised.value.located
    assert [p.line for p in located] == [
        line_of(text, "skill: sourcin"),
        line_of(text, "secret minutes"),
        line_of(text, "- id: q2"),
    ]
    assert "passage not found in the source text" in located[1].message
    assert raised.value.problems == [str(p) for p in located]
    assert (await _count(runtime, Quiz), await _count(runtime, Item)) == before


async def test_one_bad_file_of_two_imports_neither(runtime: Runtime) -> None:
    before = await _count(runtime, Quiz)
    with pytest.raises(QuizImportError) as raised:
        await _import(
            runtime,
            _file(quiz_yaml("good-one"), "good.yaml"),
            _file(broken_quiz_yaml("bad-one"), "bad.yaml"),
        )
    assert {p.file for p in raised.value.located} == {"bad.yaml"}
    assert await _count(runtime, Quiz) == before


async def test_the_same_id_in_two_files_is_refused(runtime: Runtime) -> None:
    with pytest.raises(QuizImportError) as raised:
        await _import(runtime, _file(quiz_yaml(), "a.yaml"), _file(quiz_yaml(), "b.yaml"))
    [problem] = raised.value.located
    assert problem.file == "b.yaml"
    assert problem.line == line_of(quiz_yaml(), "id: bike-lane")
    assert "also the id of a.yaml" in problem.message


async def test_source_text_file_cannot_be_used_in_an_upload(runtime: Runtime) -> None:
    text = quiz_yaml().replace("  text: |\n", "  text_file: article.txt\n  notes: |\n")
    text = "\n".join(
        line for line in text.splitlines() if not line.startswith("    The city council")
    )
    text = text.replace("  notes: |\n", "")
    with pytest.raises(QuizImportError) as raised:
        await _import(runtime, _file(text), owner_id=await _user(runtime, 7003))
    messages = [p.message for p in raised.value.located]
    assert any("put the source text inline under source.text" in m for m in messages), messages


async def test_instructor_may_not_replace_another_instructors_quiz(runtime: Runtime) -> None:
    ana, ben = await _user(runtime, 7004), await _user(runtime, 7005)
    await _import(runtime, _file(quiz_yaml()), owner_id=ana)
    text = quiz_yaml(extra_item=True)
    with pytest.raises(QuizImportError) as raised:
        await _import(runtime, _file(text), owner_id=ben)
    [problem] = raised.value.located
    assert problem.line == line_of(text, "id: bike-lane")
    # Ana's quiz is private: the refusal does not tell Ben that it exists.
    assert problem.message == "this quiz id is not available; choose another id"
    # Once public, its id is no secret.
    async with runtime.sessions() as s:
        await cohorts.make_public(s, user_id=ana, admin=False, slug="bike-lane")
    with pytest.raises(QuizImportError) as raised:
        await _import(runtime, _file(text), owner_id=ben)
    assert "another instructor's quiz" in raised.value.located[0].message
    # An admin may, and the quiz stays its owner's.
    [outcome] = await _import(runtime, _file(text), owner_id=ben, admin=True)
    assert outcome.version == 2
    async with runtime.sessions() as s:
        quiz = (await s.scalars(select(Quiz).where(Quiz.slug == "bike-lane"))).one()
    assert quiz.owner_id == ana


async def test_bundled_quiz_is_changed_by_admins_only(runtime: Runtime) -> None:
    ana = await _user(runtime, 7006)
    text = quiz_yaml("nk-arms-article")
    with pytest.raises(QuizImportError) as raised:
        await _import(runtime, _file(text), owner_id=ana)
    assert "a bundled quiz" in raised.value.located[0].message


async def test_terminal_imports_are_public(runtime: Runtime) -> None:
    [outcome] = await _import(runtime, _file(quiz_yaml("from-terminal")))
    assert outcome.created
    assert outcome.is_public


async def test_learners_finish_the_version_they_started(runtime: Runtime) -> None:
    owner = await _user(runtime, 7007)
    learner = await _user(runtime, 7008)
    await _import(runtime, _file(quiz_yaml("versioned")))
    async with runtime.sessions() as s:
        started = await attempts.start_quiz(
            s, user_id=learner, slug="versioned", round_size=5, now=runtime.clock()
        )
    assert started.total == 2
    await _import(
        runtime, _file(quiz_yaml("versioned", extra_item=True)), owner_id=owner, admin=True
    )

    async with runtime.sessions() as s:
        resumed = await attempts.start_quiz(
            s, user_id=learner, slug="versioned", round_size=5, now=runtime.clock()
        )
    assert resumed.resumed
    assert resumed.total == 2
    item = resumed.item
    for _ in range(2):
        async with runtime.sessions() as s:
            row = await s.get_one(Item, item.item_id)
            result = await attempts.answer_item(
                s,
                user_id=learner,
                attempt_id=item.attempt_id,
                item_id=item.item_id,
                chosen=[i for i, o in enumerate(row.options) if o["correct"]],
                now=runtime.clock(),
            )
        if result.next_item is not None:
            item = result.next_item
    assert result.summary is not None
    assert result.summary.finished

    async with runtime.sessions() as s:
        fresh = await attempts.start_quiz(
            s, user_id=learner, slug="versioned", round_size=5, now=runtime.clock()
        )
    assert not fresh.resumed
    assert fresh.total == 3

    async with runtime.sessions() as s:
        stats = await quizzes.quiz_versions(s, slug="versioned")
    assert [(v.number, v.item_count, v.attempts, v.finished, v.answers, v.correct) for v in
            stats.versions] == [(1, 2, 1, 1, 2, 2), (2, 3, 1, 0, 0, 0)]  # fmt: skip
    assert stats.versions[0].percent == 100


async def test_version_statistics_are_for_owners_and_admins(runtime: Runtime) -> None:
    ana, ben = await _user(runtime, 7009), await _user(runtime, 7010)
    await _import(runtime, _file(quiz_yaml("anas")), owner_id=ana)
    async with runtime.sessions() as s:
        mine = await quizzes.quiz_versions(s, slug="anas", user_id=ana, admin=False)
        assert [v.number for v in mine.versions] == [1]
        with pytest.raises(UnknownQuizError):
            await quizzes.quiz_versions(s, slug="anas", user_id=ben, admin=False)
        with pytest.raises(UnknownQuizError):
            await quizzes.quiz_versions(s, slug="no-such-quiz", user_id=ana, admin=True)


async def test_json_upload_is_imported(runtime: Runtime) -> None:
    import json

    import yaml

    as_json = json.dumps(yaml.safe_load(quiz_yaml("as-json")), indent=2)
    [outcome] = await _import(runtime, _file(as_json), owner_id=await _user(runtime, 7011))
    assert outcome.item_count == 2


def test_a_quiz_without_a_claim_list_keeps_its_content_hash() -> None:
    """Versions are keyed by this hash: were it to change, every quiz would get a new version."""
    check = quizzes.check_file(
        _file(quiz_yaml()), skills={"sourcing", "vague-attribution"}, today=NOW_DATE
    )
    assert check.quiz is not None
    assert check.source_text is not None
    # The hash this quiz had before quiz files could hold a claim list.
    assert quizzes.content_hash(check.quiz, check.source_text) == (
        "c8becf09757e34edcaf071060c82682f9b6d698eb4c614fd7cd8097ea14c80b3"
    )


async def test_the_claim_list_is_content(runtime: Runtime) -> None:
    """Adding or changing a claim list makes a new version, like any change of content."""
    [first] = await _import(runtime, _file(quiz_yaml()))
    text = quiz_yaml().replace("verdict: flawed\n", "claims: [C-critics]\n    verdict: flawed\n")
    with_claims = text + CLAIM_LIST
    [second] = await _import(runtime, _file(with_claims))
    assert (first.version, second.version, second.unchanged) == (1, 2, False)
    [same] = await _import(runtime, _file(with_claims))
    assert same.unchanged
    [third] = await _import(runtime, _file(with_claims.replace("names no one", "names nobody")))
    assert third.version == 3


NOW_DATE = dt.date(2026, 3, 1)
CLAIM_LIST = """\
claims:
  - id: C-critics
    passage: Critics say the lane will ruin local shops.
    verdict: flawed
    note: The article names no one and gives no figures for the shops.
"""
