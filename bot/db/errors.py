"""Errors the database raises, sorted into refused data and outages.

Refused data fails the same way however often it is retried: a value out of range, text the
encoding cannot hold, a broken constraint. An outage passes: a refused or dropped
connection, a server restarting, a lock. Callers retry outages and set refused data aside.
"""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

# SQLSTATE classes of refused data: 22 data exception, 23 integrity constraint violation.
DATA_SQLSTATE_CLASSES = frozenset({"22", "23"})
# What drivers raise, before anything reaches the server, for a value they cannot send
# (sqlite3: an int beyond int64, a str with a lone surrogate).
VALUE_ERRORS: tuple[type[Exception], ...] = (OverflowError, UnicodeError, ValueError, TypeError)


def is_data_error(exc: BaseException) -> bool:
    """Whether a statement failed for the data it carried rather than for an outage."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return False
        if isinstance(exc, DataError | IntegrityError):
            return True
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return isinstance(state, str) and state[:2] in DATA_SQLSTATE_CLASSES
    if isinstance(exc, StatementError):
        # SQLAlchemy's wrapper of an error raised while binding the parameters.
        return isinstance(exc.orig, VALUE_ERRORS)
    return isinstance(exc, (*VALUE_ERRORS, RecursionError))
