"""Which judgement an answer expresses: the input of hits and false alarms."""

from __future__ import annotations

import pytest

from bot.domain.discernment import (
    LEAN_CRITERION,
    LEAN_MIN_EACH,
    Lean,
    count_answer,
    judge_answer,
    lean,
)
from bot.domain.quizfile.model import Item, ItemKind, Judgement, Verdict, option_judgements
from bot.domain.statistics import DetectionCounts, detection

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
    options = [(o.correct, o.judgement) for o in item.options]
    assert option_judgements(item.verdict, options) == (F, S, N)


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


def test_counts_follow_the_judgement_not_the_key() -> None:
    """Seen, hit and false alarm come from what the answer says; a misreading apart."""
    assert count_answer("flawed", F) == DetectionCounts(1, 1, 0, 0)  # a hit
    assert count_answer("flawed", S) == DetectionCounts(0, 1, 0, 0)  # a miss: trusted
    assert count_answer("sound", F) == DetectionCounts(0, 0, 1, 1)  # a false alarm
    assert count_answer("sound", S) == DetectionCounts(0, 0, 0, 1)  # right, or gullible
    assert count_answer(Verdict.SOUND, N) == DetectionCounts(0, 0, 0, 0, misreadings=1)
    assert count_answer("flawed", "neither") == DetectionCounts(0, 0, 0, 0, misreadings=1)
    assert count_answer(None, None) == DetectionCounts(0, 0, 0, 0)


def test_lean_needs_enough_of_each_kind() -> None:
    few = LEAN_MIN_EACH - 1
    assert lean(DetectionCounts(0, few, 0, 10)) is None
    assert lean(DetectionCounts(0, 10, 0, few)) is None
    assert lean(DetectionCounts(0, LEAN_MIN_EACH, 0, LEAN_MIN_EACH)) is Lean.TRUSTS


def test_lean_from_the_criterion() -> None:
    # At 4 of each: one flawed claim trusted is c = 0.38, not yet a lean; two are 0.64.
    one_slip = detection(DetectionCounts(3, 4, 0, 4))
    assert one_slip is not None
    assert 0 < one_slip.criterion < LEAN_CRITERION
    assert lean(DetectionCounts(3, 4, 0, 4)) is Lean.EVEN
    assert lean(DetectionCounts(2, 4, 0, 4)) is Lean.TRUSTS
    assert lean(DetectionCounts(4, 4, 2, 4)) is Lean.DOUBTS  # two sound claims doubted
    assert lean(DetectionCounts(4, 4, 0, 4)) is Lean.EVEN  # no slip at all
    assert lean(DetectionCounts(2, 4, 2, 4)) is Lean.EVEN  # slips both ways
    # Misreadings are in no rate: they do not make a lean.
    assert lean(DetectionCounts(4, 4, 0, 4, misreadings=9)) is Lean.EVEN
