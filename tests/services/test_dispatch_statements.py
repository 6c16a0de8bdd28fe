"""The dispatcher's statements, built once, are Core: no ORM compile step on each pass."""

from __future__ import annotations

import pytest
from sqlalchemy.sql import Executable

from bot.services.followups import dispatch

BUILT_ONCE = [
    "_LEARNERS",
    "_SITTINGS",
    "_PRACTICE_ITEMS",
    "_COHORT_QUIZZES",
    "_HISTORY",
    "_SET_ITEM",
]


@pytest.mark.parametrize("name", BUILT_ONCE)
def test_the_dispatchers_statements_are_written_on_tables(name: str) -> None:
    statement: Executable = getattr(dispatch, name)
    # A statement on ORM attributes carries the ORM's plugin, and Session.execute then runs
    # the ORM's compile and result set-up for it; on table columns it goes straight to Core.
    assert statement._propagate_attrs.get("compile_state_plugin") != "orm"
