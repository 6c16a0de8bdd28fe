"""Use cases of a quiz sitting.

- `sitting.py`: start or resume a quiz, continue after a round, the item on screen;
- `choices.py`: the other quizzes a learner may take, their language first;
- `answer.py`: answer an item (graded and recorded exactly once, the skill's memory and
  follow-up updated, the attempt moved on), and show a recorded answer again after a crash.
  Follow-up practice answers are recorded through it too.

Callers use the names below: `attempts.start_quiz(...)`, `attempts.answer_item(...)`.
"""

from bot.services.attempts.answer import (
    LEARNER_COLUMNS,
    STATE_COLUMNS,
    KnownState,
    LearnerSettings,
    RecordedAnswer,
    answer_item,
    record_answer,
    replay_answer,
    skill_review_writes,
)
from bot.services.attempts.choices import chosen_quiz, other_quizzes
from bot.services.attempts.sitting import continue_attempt, current_item, open_item, start_quiz

__all__ = [
    "LEARNER_COLUMNS",
    "STATE_COLUMNS",
    "KnownState",
    "LearnerSettings",
    "RecordedAnswer",
    "answer_item",
    "chosen_quiz",
    "continue_attempt",
    "current_item",
    "open_item",
    "other_quizzes",
    "record_answer",
    "replay_answer",
    "skill_review_writes",
    "start_quiz",
]
