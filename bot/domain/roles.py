"""Roles: who may use which commands."""

from __future__ import annotations

from collections.abc import Collection
from enum import IntEnum


class Role(IntEnum):
    """Ordered: each role may do what the roles below it may."""

    LEARNER = 1
    INSTRUCTOR = 2
    ADMIN = 3


def role_of(user_id: int, *, admins: Collection[int], instructors: Collection[int]) -> Role:
    """The role of a Telegram user id (admins are instructors too)."""
    if user_id in admins:
        return Role.ADMIN
    if user_id in instructors:
        return Role.INSTRUCTOR
    return Role.LEARNER
