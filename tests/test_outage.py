"""Work cut off by a lost database connection runs again; a refused statement does not."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.services.monitoring import connection_lost
from bot.telegram import outage
from bot.telegram.intake.shared import REDELIVERED


class _DriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _dbapi(sqlstate: str | None, *, invalidated: bool = False) -> DBAPIError:
    orig = _DriverError("the database system is starting up", sqlstate)
    return DBAPIError("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    ("error", "lost"),
    [
        (ConnectionRefusedError(111, "Connect call failed"), True),
        (_dbapi(None, invalidated=True), True),  # closed in the middle of a statement
        (_dbapi("57P03"), True),  # starting up or shutting down
        (_dbapi("08006"), True),  # connection failure
        (IntegrityError("INSERT", {}, _DriverError("duplicate key", "23505")), False),
        (_dbapi("40001"), False),  # a serialization failure is not an outage
        (ValueError("bad"), False),
    ],
)
def test_connection_lost_tells_outages_from_refused_statements(
    error: BaseException, *, lost: bool
) -> None:
    assert connection_lost(error) is lost


@pytest.fixture(autouse=True)
def _no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outage, "PAUSES", (0.0, 0.0, 0.0))


async def test_a_step_runs_again_until_the_database_is_back() -> None:
    failures = [_dbapi("57P03"), ConnectionRefusedError(111, "refused")]

    async def step() -> str:
        if failures:
            raise failures.pop(0)
        return "done"

    assert await outage.again_when_back(step, what="test") == "done"


async def test_a_refused_statement_or_a_long_outage_is_not_hidden() -> None:
    calls = 0

    async def duplicate() -> None:
        nonlocal calls
        calls += 1
        raise IntegrityError("INSERT", {}, _DriverError("duplicate key", "23505"))

    with pytest.raises(IntegrityError):
        await outage.again_when_back(duplicate, what="test")
    assert calls == 1

    async def down() -> None:
        raise _dbapi("57P03")

    with pytest.raises(DBAPIError):
        await outage.again_when_back(down, what="test")


async def test_a_handler_cut_off_runs_again_as_a_redelivery() -> None:
    seen: list[bool] = []

    async def handler(update: object, context: object) -> str:
        seen.append(REDELIVERED.get())
        if len(seen) == 1:
            raise _dbapi(None, invalidated=True)
        return "shown"

    REDELIVERED.set(False)
    wrapped = outage.rerun_on_lost_connection(handler)
    assert await wrapped(object(), object()) == "shown"
    assert seen == [False, True], "the rerun replays what may have committed"
