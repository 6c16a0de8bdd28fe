"""Admins' and instructors' reports: score summary, item analysis, discernment, CSV export.

- `scope`: what a report covers: the viewer's rights, the names given turned into ids, and
  the SQL conditions that keep rows to them.
- `summary`: the whole report (`quiz_report`): its parts put together, with the score summary
  and each skill's mastery.
- `items`: item analysis and each version's reliability.
- `discernment`: hits and false alarms at the first attempt and in the latest follow-ups.
- `export`: the CSV export of the answers in scope.
- `reading`: how the parts read: side by side on PostgreSQL, many rows as Core rows.
- `counters`: the counters answer_item keeps for whole-quiz reports, and `rebuild`.

docs/reports.md explains the figures. The report, its parts and the export are imported here
for the adapters.
"""

from bot.services.reports.discernment import DiscernmentGroup, LearnerDiscernment
from bot.services.reports.export import EXPORT_COLUMNS, export_answers
from bot.services.reports.items import ItemStats, OptionCount, VersionStats
from bot.services.reports.scope import Covers, ScopeLabel
from bot.services.reports.summary import QuizReport, SkillMastery, quiz_report

__all__ = [
    "EXPORT_COLUMNS",
    "Covers",
    "DiscernmentGroup",
    "ItemStats",
    "LearnerDiscernment",
    "OptionCount",
    "QuizReport",
    "ScopeLabel",
    "SkillMastery",
    "VersionStats",
    "export_answers",
    "quiz_report",
]
