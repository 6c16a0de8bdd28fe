"""What an answer says about the learner's judgement of a claim, for discernment figures.

Signal detection counts a "flawed" response to a flawed claim as a hit and a "flawed"
response to a sound claim as a false alarm. Which response an answer is comes from the
judgement of the option chosen (docs/reports.md), not from whether it was right: picking
"North Korean weapons killed them" on a sound item is over-belief, not doubt.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from enum import StrEnum

from bot.domain.quizfile.model import ItemKind, Judgement, Verdict
from bot.domain.statistics import DetectionCounts, detection

# A learner is told which way they lean once they have judged this many flawed and this
# many sound claims. With the log-linear correction and LEAN_CRITERION below, at 4 of each
# one flawed claim trusted (and nothing else wrong) gives c = 0.38, not yet a lean; a second
# gives 0.64. With fewer of a kind, the two slips that make a lean are most of what was
# answered: chance more than habit. 4 of each come within two rounds of the bundled quiz.
LEAN_MIN_EACH = 4
# |c| from which a learner leans one way: half a standard deviation off the neutral point,
# about two slips in the same direction and none the other way.
LEAN_CRITERION = 0.5


class Lean(StrEnum):
    """Which way a learner's errors go, from the criterion c of their judgements."""

    TRUSTS = "trusts"  # c above LEAN_CRITERION: flawed claims taken for sound (over-belief)
    DOUBTS = "doubts"  # c below -LEAN_CRITERION: sound claims taken for flawed (over-doubt)
    EVEN = "even"  # neither: flawed claims trusted about as often as sound ones doubted


def judge_answer(
    kind: ItemKind | str,
    verdict: Verdict | str | None,
    judgements: Sequence[Judgement] | None,
    correct: Collection[int],
    chosen: Collection[int],
) -> Judgement | None:
    """The judgement an answer expresses; None for an item without a verdict.

    A one-answer item takes the chosen option's judgement. A "choose all" answer that ticks
    exactly the key, or only part of it, judges as the verdict (in the right direction, if
    incompletely); one that ticks wrong options takes their judgement when they agree, and
    is a misreading when they do not.
    """
    if verdict is None or judgements is None:
        return None
    picked = set(chosen)
    key = set(correct)
    if ItemKind(kind) is not ItemKind.MULTIPLE:
        (only,) = picked
        return judgements[only]
    wrong = {judgements[i] for i in picked - key}
    if not wrong:
        return Judgement(Verdict(verdict).value)
    return wrong.pop() if len(wrong) == 1 else Judgement.NEITHER


def count_answer(
    verdict: Verdict | str | None, judgement: Judgement | str | None
) -> DetectionCounts:
    """One answer's share of the discernment counts: a judged answer is seen, and a hit or
    a false alarm when it judged flawed; a misreading is counted apart; no verdict, nothing."""
    if verdict is None or judgement is None:
        return DetectionCounts(0, 0, 0, 0)
    if Judgement(judgement) is Judgement.NEITHER:
        return DetectionCounts(0, 0, 0, 0, misreadings=1)
    flawed = Verdict(verdict) is Verdict.FLAWED
    said_flawed = Judgement(judgement) is Judgement.FLAWED
    return DetectionCounts(
        hits=int(flawed and said_flawed),
        flawed=int(flawed),
        false_alarms=int(not flawed and said_flawed),
        sound=int(not flawed),
    )


def lean(counts: DetectionCounts) -> Lean | None:
    """Which way a learner leans; None until they judged LEAN_MIN_EACH claims of each kind."""
    if counts.flawed < LEAN_MIN_EACH or counts.sound < LEAN_MIN_EACH:
        return None
    measures = detection(counts)
    assert measures is not None  # both kinds were judged
    if measures.criterion > LEAN_CRITERION:
        return Lean.TRUSTS
    if measures.criterion < -LEAN_CRITERION:
        return Lean.DOUBTS
    return Lean.EVEN
