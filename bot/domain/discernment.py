"""What an answer says about the learner's judgement of a claim, for discernment figures.

Signal detection counts a "flawed" response to a flawed claim as a hit and a "flawed"
response to a sound claim as a false alarm. Which response an answer is comes from the
judgement of the option chosen (docs/reports.md), not from whether it was right: picking
"North Korean weapons killed them" on a sound item is over-belief, not doubt.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.domain.quizfile.model import ItemKind, Judgement, Verdict


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
