"""How an item and the verdict on it are shown, for quiz items and follow-up practice alike."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import grading
from bot.domain.quizfile.model import ItemKind
from bot.services import content
from bot.services.views import AnswerResult, ItemView, OptionView, RoundSummary


async def item_view(
    session: AsyncSession,
    item: content.ItemContent,
    version: content.VersionContent,
    *,
    seed: int,
    attempt_id: int | None = None,
    followup_id: int | None = None,
) -> ItemView:
    """The item as shown, its options in the order `seed` gives them.

    A quiz item is asked in an attempt (`attempt_id`, seeded by the attempt), a practice
    item for a follow-up (`followup_id`, seeded by the follow-up); its buttons carry that id.
    """
    names = await content.skill_names(session)
    count = len(item.options)
    order = (
        list(range(count))
        if grading.keeps_file_order(item.kind)
        else grading.option_order(seed, item.key, count)
    )
    return ItemView(
        attempt_id=attempt_id,
        followup_id=followup_id,
        item_id=item.id,
        item_key=item.key,
        kind=ItemKind(item.kind).value,
        skill_id=item.skill_id,
        skill_name=names.get(item.skill_id, item.skill_id),
        quiz_title=version.title,
        passage=item.passage,
        question=item.question,
        options=tuple(
            OptionView(letter=grading.LETTERS[shown], file_index=i, text=item.options[i]["text"])
            for shown, i in enumerate(order)
        ),
        number=item.position + 1,
        total=version.item_count,
        is_test=version.is_form,
    )


def answer_result(
    view: ItemView,
    item: content.ItemContent,
    chosen: Sequence[int],
    correct: bool,
    next_item: ItemView | None,
    summary: RoundSummary | None = None,
) -> AnswerResult:
    """The verdict on an answer to `view`, the options named in the order they were shown."""
    by_index = {o.file_index: o for o in view.options}
    return AnswerResult(
        item=view,
        correct=correct,
        chosen=tuple(by_index[i] for i in _display_sorted(view, chosen)),
        right=tuple(by_index[i] for i in _display_sorted(view, item.correct_indices)),
        feedback=tuple(
            fb for i in _display_sorted(view, chosen) if (fb := item.options[i].get("feedback"))
        ),
        explanation=item.explanation,
        next_item=next_item,
        summary=summary,
    )


def _display_sorted(view: ItemView, indices: Sequence[int]) -> list[int]:
    shown = [o.file_index for o in view.options]
    return sorted(set(indices), key=shown.index)
