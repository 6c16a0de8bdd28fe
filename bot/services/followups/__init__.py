"""Follow-up lessons: the schedule in the `followups` table and what is sent from it.

- `plans`: writing the schedule after an answer or a change of settings; joins the caller's
  transaction (attempts and learners call it).
- `claims`: a row's life under a claim: claimed with a lease, given back, marked sent or failed.
- `dispatch`: dispatcher passes: claim due rows, build one message per learner, send, mark.
- `practice`: the practice item of a follow-up and the learner's answer to it.
- `settings`: the learner's /lessons settings: the daily window and the time zone.
- `stats`: follow-up figures for the reports.

docs/followups.md describes the flow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.services.followups.practice import answer_practice, open_practice
    from bot.services.followups.settings import next_due, set_timezone, set_window

__all__ = ["answer_practice", "next_due", "open_practice", "set_timezone", "set_window"]

# The learner's use cases the chat handlers call by the package's name, each imported from its
# module when first asked for. Not imported here: practice records answers through
# services/attempts.py, which imports plans from this package, so importing practice here would
# close an import cycle.
_MODULE_OF = {
    "answer_practice": "practice",
    "open_practice": "practice",
    "next_due": "settings",
    "set_timezone": "settings",
    "set_window": "settings",
}


def __getattr__(name: str) -> Any:
    """Import one of the use cases above from its module."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
