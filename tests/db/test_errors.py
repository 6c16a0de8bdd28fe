"""Errors the database raises: refused data is told from an outage."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot.db.errors import is_data_error


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "data"),
    [
        (DBAPIError("INSERT", {}, _PgError("22P05")), True),  # unsupported Unicode escape
        (DBAPIError("INSERT", {}, _PgError("22003")), True),  # numeric value out of range
        (DBAPIError("INSERT", {}, _PgError("23502")), True),  # not-null violation
        (IntegrityError("INSERT", {}, sqlite3.IntegrityError("CHECK constraint failed")), True),
        (OverflowError("Python int too large to convert to SQLite INTEGER"), True),
        (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), True),
        (DBAPIError("INSERT", {}, _PgError("57P01")), False),  # admin shutdown (a restart)
        (DBAPIError("INSERT", {}, _PgError("08006")), False),  # connection failure
        (DBAPIError("INSERT", {}, _PgError("40001")), False),  # serialization failure
        (OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked")), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
        (TimeoutError(), False),
    ],
)
def test_data_errors_and_outages(error: BaseException, data: bool) -> None:
    assert is_data_error(error) is data
