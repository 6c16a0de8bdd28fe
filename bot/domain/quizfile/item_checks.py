"""Checks of one item against the rest of its quiz: answers, skill, passages, sizes, dates.

`checks.validate_quiz` runs them on every item that passes its model, so one bad item hides
no problem of the others.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from bot.domain import limits
from bot.domain.quizfile.messages import Report, did_you_mean, excerpt, placed
from bot.domain.quizfile.model import Item, ItemKind, normalise
from bot.domain.quizfile.reader import Path
from bot.domain.text import N_, Text, Value, say

STALE_AFTER_DAYS: Final = 365

# Kinds whose items have exactly one right answer.
_ONE_CORRECT: Final = frozenset({ItemKind.SINGLE, ItemKind.TRUE_FALSE, ItemKind.CONTRADICTION})
_MAX_SKILLS_LISTED: Final = 20


class SourcePassages:
    """Finds quotes in the source text as the format promises: whitespace and quotes aside."""

    def __init__(self, source_text: str) -> None:
        self.source = normalise(source_text)
        self.source_folded: str | None = None

    def not_found(self, text: str) -> Value | None:
        """None when `text` occurs in the source; otherwise a hint on where it differs."""
        source = self.source
        text = normalise(text)
        if text in source:
            return None
        if self.source_folded is None:
            self.source_folded = source.casefold()
        if text.casefold() in self.source_folded:
            return say(N_(" (it matches when capital letters are ignored: copy it exactly)"))
        matched = _longest_prefix_in(text, source)
        if matched == 0:
            return ""
        return say(
            N_(" (the first {count} characters match; it differs from: '{rest}')"),
            count=matched,
            rest=excerpt(text[matched:]),
        )

    def occurs_more_than_once(self, text: str) -> bool:
        """Whether `text`, found in the source, occurs there again."""
        text = normalise(text)
        return self.source.find(text, self.source.find(text) + 1) != -1


class ItemChecker:
    """Cross-checks of one valid item against the rest of the quiz."""

    def __init__(
        self,
        report: Report,
        skills: frozenset[str],
        source_text: str | None,
        today: dt.date,
    ) -> None:
        self.report = report
        self.skills = skills
        self.passages = SourcePassages(source_text) if source_text is not None else None
        self.today = today

    def check(self, index: int, item: Item) -> None:
        """Report every cross-item problem of `item`, the `index`-th entry of 'items'."""
        at: Path = ("items", index)
        label = self.report.entry(at)
        self._answers(at, label, item)
        self._skill(at, label, item)
        self._passages(at, label, item)
        self._sizes(at, label, item)
        self._checked_date(at, label, item)
        self._duplicate_options(at, label, item)

    def _answers(self, at: Path, label: Text, item: Item) -> None:
        report = self.report
        correct = sorted(item.correct_indices)
        if not correct:
            report.error(
                (*at, "options"),
                placed(label, say(N_("no option is marked 'correct: true'"))),
            )
        elif item.kind in _ONE_CORRECT and len(correct) > 1:
            report.error(
                (*at, "options", correct[1], "correct"),
                placed(
                    label,
                    say(
                        N_(
                            "a '{kind}' item has exactly one correct option; this one has "
                            "{count} (use kind: multiple for several)"
                        ),
                        kind=item.kind.value,
                        count=len(correct),
                    ),
                ),
            )
        for number, option in enumerate(item.options):
            if option.judgement is None:
                continue
            path: Path = (*at, "options", number, "judgement")
            if item.verdict is None:
                report.error(
                    path,
                    self._at_option(
                        at,
                        number,
                        say(
                            N_(
                                "'judgement' needs the item's 'verdict' (sound or flawed): add "
                                "one, or remove the judgement"
                            )
                        ),
                    ),
                )
            elif option.correct and option.judgement.value != item.verdict.value:
                report.error(
                    path,
                    self._at_option(
                        at,
                        number,
                        say(
                            N_(
                                "a correct option's judgement is the item's verdict "
                                "('{verdict}'), not '{judgement}'"
                            ),
                            verdict=item.verdict.value,
                            judgement=option.judgement.value,
                        ),
                    ),
                )
        if item.kind == ItemKind.TRUE_FALSE and len(item.options) != 2:
            report.error(
                (*at, "options"),
                placed(
                    label,
                    say(
                        N_("a 'true_false' item needs exactly 2 options; this one has {count}"),
                        count=len(item.options),
                    ),
                ),
            )

    def _at_option(self, at: Path, number: int, problem: Text) -> Text:
        """`problem` after the option it is about: "item 3 ('c04'), option 2: ..."."""
        return placed(self.report.entry((*at, "options", number)), problem)

    def _skill(self, at: Path, label: Text, item: Item) -> None:
        if item.skill in self.skills:
            return
        known = sorted(self.skills)
        if not known:
            listing = say(N_("the skill catalogue is empty"))
        else:
            shown = ", ".join(known[:_MAX_SKILLS_LISTED])
            more = ", …" if len(known) > _MAX_SKILLS_LISTED else ""
            listing = say(N_("known skills: {skills}"), skills=f"{shown}{more}")
        self.report.error(
            (*at, "skill"),
            placed(
                label,
                say(
                    N_("unknown skill '{skill}'{hint}; {known}"),
                    skill=item.skill,
                    hint=did_you_mean(item.skill, known),
                    known=listing,
                ),
            ),
        )

    def _passages(self, at: Path, label: Text, item: Item) -> None:
        passages = self.passages
        if passages is None:
            return
        report = self.report
        passage = normalise(item.passage)
        missing = passages.not_found(passage)
        if missing is not None:
            report.error((*at, "passage"), placed(label, passage_not_found(missing)))
        elif passages.occurs_more_than_once(passage):
            report.warning((*at, "passage"), placed(label, say(PASSAGE_REPEATED)))
        if item.kind != ItemKind.CONTRADICTION:
            return
        for number, option in enumerate(item.options):
            path: Path = (*at, "options", number, "text")
            text = normalise(option.text)
            if text == passage:
                report.error(
                    path,
                    self._at_option(
                        at,
                        number,
                        say(
                            N_(
                                "repeats the item's passage; in a contradiction item each "
                                "option quotes another place of the source"
                            )
                        ),
                    ),
                )
                continue
            missing = passages.not_found(text)
            if missing is not None:
                report.error(
                    path,
                    self._at_option(
                        at,
                        number,
                        say(
                            N_(
                                "not found in the source text, which the options of a "
                                "contradiction item must quote{hint}"
                            ),
                            hint=missing,
                        ),
                    ),
                )

    def _sizes(self, at: Path, label: Text, item: Item) -> None:
        report = self.report
        if len(item.question) > limits.QUESTION_MAX:
            report.error(
                (*at, "question"),
                placed(
                    label,
                    say(
                        N_("the question is {size} characters; the limit is {limit}"),
                        size=len(item.question),
                        limit=limits.QUESTION_MAX,
                    ),
                ),
            )
        contradiction = item.kind == ItemKind.CONTRADICTION
        option_max = limits.OPTION_TEXT_MAX * (2 if contradiction else 1)
        for number, option in enumerate(item.options):
            path: Path = (*at, "options", number, "text")
            size = len(option.text)
            if size > option_max:
                report.error(
                    path,
                    self._at_option(
                        at,
                        number,
                        say(
                            N_("the text is {size} characters; the limit is {limit}"),
                            size=size,
                            limit=option_max,
                        ),
                    ),
                )
            elif (
                not contradiction and limits.telegram_length(option.text) > limits.POLL_OPTION_MAX
            ):
                report.warning(
                    path,
                    self._at_option(
                        at,
                        number,
                        say(
                            N_(
                                "the text is {size} characters; over {limit} it will not fit "
                                "in a Telegram poll"
                            ),
                            size=size,
                            limit=limits.POLL_OPTION_MAX,
                        ),
                    ),
                )
        texts = [option.text for option in item.options]
        asked = limits.item_message_length(
            item.passage, item.question, texts, multiple=item.kind == ItemKind.MULTIPLE
        )
        if asked > limits.MESSAGE_TEXT_MAX:
            report.error(
                at,
                say(
                    N_(
                        "{item} would need {size} characters in one Telegram message; the "
                        "limit is {limit}: shorten the passage, question or options"
                    ),
                    item=label,
                    size=asked,
                    limit=limits.MESSAGE_TEXT_MAX,
                ),
            )
        feedback = _worst_feedback(item)
        answered = limits.feedback_message_length(item.passage, item.explanation, feedback)
        if answered > limits.MESSAGE_TEXT_MAX:
            report.error(
                (*at, "explanation"),
                say(
                    N_(
                        "{item} would need {size} characters in its feedback message; the "
                        "limit is {limit}: shorten the passage, explanation or feedback"
                    ),
                    item=label,
                    size=answered,
                    limit=limits.MESSAGE_TEXT_MAX,
                ),
            )

    def _checked_date(self, at: Path, label: Text, item: Item) -> None:
        report = self.report
        checked = item.checked
        if checked is None:
            if item.references:
                report.warning(
                    (*at, "references"),
                    placed(
                        label,
                        say(
                            N_(
                                "has references but no 'checked' date; add "
                                "'checked: YYYY-MM-DD' when you verify the facts"
                            )
                        ),
                    ),
                )
            return
        age = (self.today - checked).days
        if age > STALE_AFTER_DAYS:
            report.warning(
                (*at, "checked"),
                placed(
                    label,
                    say(
                        N_(
                            "facts checked on {date}, over a year ago: check them again, "
                            "since facts and figures can change"
                        ),
                        date=checked.isoformat(),
                    ),
                ),
            )
        elif age < 0:
            report.warning(
                (*at, "checked"),
                placed(
                    label,
                    say(N_("the checked date {date} is in the future"), date=checked.isoformat()),
                ),
            )

    def _duplicate_options(self, at: Path, label: Text, item: Item) -> None:
        seen: dict[str, int] = {}
        for number, option in enumerate(item.options):
            key = normalise(option.text).casefold()
            if key in seen:
                self.report.warning(
                    (*at, "options", number),
                    placed(
                        label,
                        say(
                            N_("options {first} and {second} have the same text"),
                            first=seen[key] + 1,
                            second=number + 1,
                        ),
                    ),
                )
            else:
                seen[key] = number


PASSAGE_REPEATED: Final = N_(
    "the passage occurs more than once in the source text; quote more of it so that it points "
    "at one place"
)


def passage_not_found(hint: Value) -> Text:
    """A quoted passage is not in the source; `hint` says where it differs, if it can."""
    return say(N_("passage not found in the source text{hint}"), hint=hint)


def _longest_prefix_in(text: str, source: str) -> int:
    """Length of the longest prefix of `text` that occurs in `source` (binary search)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if text[:middle] in source:
            low = middle
        else:
            high = middle - 1
    return low


def _worst_feedback(item: Item) -> str | None:
    """The longest feedback a learner can be shown for one answer of `item`."""
    present = [option.feedback for option in item.options if option.feedback]
    if not present:
        return None
    if item.kind == ItemKind.MULTIPLE:  # every ticked option's feedback is shown
        return "\n\n".join(present)
    return max(present, key=limits.telegram_length)
