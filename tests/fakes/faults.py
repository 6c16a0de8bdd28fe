"""Fault injection rules: make chosen Bot API methods fail the ways Telegram can fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any

KINDS = frozenset({"retry_after", "server_error", "delay", "drop", "blocked"})
SERVER_ERROR_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass
class Fault:
    """One rule; times=None means it fires until removed."""

    method: str
    kind: str
    times: int | None
    params: dict[str, Any] = field(default_factory=dict)
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        """Whether the rule has fired as often as asked."""
        return self.times is not None and self.hits >= self.times

    @property
    def when(self) -> str:
        """For delay/drop: "before" the call takes effect or "after" (response lost)."""
        return str(self.params.get("when", "before"))

    def matches(self, method: str, chat_id: Any) -> bool:
        """Whether this rule applies to a call of method for chat_id."""
        if self.exhausted or self.method not in {"*", method.lower()}:
            return False
        wanted = self.params.get("chat_id")
        return wanted is None or str(wanted) == str(chat_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form used by the control API."""
        return {
            "method": self.method,
            "kind": self.kind,
            "times": self.times,
            "params": self.params,
            "hits": self.hits,
        }


class FaultRegistry:
    """Faults keyed by method name (case-insensitive, "*" for every method)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(
        self, method: str, kind: str, times: int | EllipsisType | None = ..., **params: Any
    ) -> Fault:
        """Register a fault (params: seconds, status, chat_id, when); "blocked" persists."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(KINDS)}")
        if kind == "blocked" and "chat_id" not in params:
            raise ValueError("a 'blocked' fault needs chat_id=")
        if times is ...:
            times = None if kind == "blocked" else 1
        if kind == "server_error" and params.get("status", 500) not in SERVER_ERROR_TEXT:
            raise ValueError(f"status must be one of {sorted(SERVER_ERROR_TEXT)}")
        if params.get("when", "before") not in {"before", "after"}:
            raise ValueError("when must be 'before' or 'after'")
        fault = Fault(method.lower(), kind, times, params)
        self._faults.append(fault)
        return fault

    def take(self, method: str, chat_id: Any) -> Fault | None:
        """Consume and return the first fault that applies to this call."""
        for fault in self._faults:
            if fault.matches(method, chat_id):
                fault.hits += 1
                return fault
        return None

    def remove(self, fault: Fault) -> None:
        """Remove one rule."""
        self._faults.remove(fault)

    def clear(self, method: str | None = None) -> None:
        """Remove all rules, or only those for method."""
        self._faults = [
            f for f in self._faults if method is not None and f.method != method.lower()
        ]

    def active(self) -> list[Fault]:
        """Rules that can still fire."""
        return [f for f in self._faults if not f.exhausted]

    def __len__(self) -> int:
        return len(self.active())
