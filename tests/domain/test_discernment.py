"""Which judgement an answer expresses: the input of hits and false alarms."""

from __future__ import annotations

import pytest

from bot.domain.discernment import judge_answer
from bot.domain.quizfile.model import Item, ItemKind, Judgement, Verdict, option_judgements

S, F, N = Judgement.SOUND, Judgement.FLAWED, Judgement.NEITHER


def test_defaults_keep_the_old_reading() -> None:
    """Unmarked wrong options judge against the verdict, as reports read them before."""
    assert option_judgements("sound", [(True, None), (False, None)]) == (S, F)
    assert option_judgements("flawed", [(False, None), (True, None)]) == (S, F)
    assert option_judgements(None, [(True, None), (False, "neither")]) is None


def test_written_judgements_win_for_wrong_options() -> None:
    assert option_judgements(Verdict.SOUND, [(True, None), (False, "sound"), (False, N)]) == (
        S,
        S,
        N,
    )


def test_gullible_and_sceptical_wrong_answers_differ_on_a_sound_item() -> None:
    judgements = (S, S, F, N)  # key, over-belief, over-doubt, misreading
    answer = lambda chosen: judge_answer("single", "sound", judgements, {0}, chosen)  # noqa: E731
    assert answer({0}) is S
    assert answer({1}) is S  # wrong, yet no false alarm: the learner believed too much
    assert answer({2}) is F
    assert answer({3}) is N


def test_item_without_verdict_has_no_judgement() -> None:
    assert judge_answer(ItemKind.SINGLE, None, None, {0}, {1}) is None


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ({0, 1}, F),  # the key
        ({0}, F),  # part of the key: the right direction
        ({0, 2}, S),  # a wrong tick that trusts the claim
        ({2, 3}, S),
        ({2, 4}, N),  # wrong ticks that disagree
        ({4}, N),
    ],
)
def test_choose_all_answers(chosen: set[int], expected: Judgement) -> None:
    judgements = (F, F, S, S, N)
    assert judge_answer("multiple", "flawed", judgements, {0, 1}, chosen) is expected


def test_item_judgements_fill_defaults() -> None:
    item = Item.model_validate(
        {
            "id": "x",
            "skill": "sourcing",
            "verdict": "flawed",
            "passage": "p",
            "question": "q",
            "options": [
                {"text": "a", "correct": True},
                {"text": "b"},
                {"text": "c", "judgement": "neither"},
            ],
            "explanation": "e",
        }
    )
    assert item.judgements() == (F, S, N)


def test_unset_judgement_is_left_out_of_the_dump() -> None:
    """Files written before judgements existed keep their content hash."""
    item = Item.model_validate(
        {
            "id": "x",
            "skill": "sourcing",
            "passage": "p",
            "question": "q",
            "options": [{"text": "a", "correct": True}, {"text": "b", "judgement": "flawed"}],
            "explanation": "e",
        }
    )
    dumped = item.model_dump(mode="json")["options"]
    assert "judgement" not in dumped[0]
    assert dumped[1]["judgement"] == "flawed"
