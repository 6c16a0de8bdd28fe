"""Prometheus metrics of one bot process, served on the webhook server's /metrics."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.services.monitoring import FleetStatus

# A registry of our own: tests build many applications in one process, and the default
# registry would refuse the second registration of a name.
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

UPDATES = Counter(
    "quizbot_updates_handled",
    "Updates processed by this process, by outcome (ok, error, given_up).",
    ["outcome"],
    registry=REGISTRY,
)
UPDATE_SECONDS = Histogram(
    "quizbot_update_handler_seconds",
    "Time to process one update, handlers and Bot API calls included.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
IN_PROGRESS = Gauge(
    "quizbot_updates_in_progress", "Updates being processed right now.", registry=REGISTRY
)
THROTTLED = Counter(
    "quizbot_updates_throttled",
    "Updates dropped at intake because their sender was over the per-user limit, by kind "
    "(press, message).",
    ["kind"],
    registry=REGISTRY,
)
WEBHOOK_REQUESTS = Counter(
    "quizbot_webhook_requests",
    "Webhook POSTs received, by HTTP status answered.",
    ["status"],
    registry=REGISTRY,
)
TELEGRAM_REQUESTS = Counter(
    "quizbot_telegram_requests",
    "Bot API calls made, by method (retries included).",
    ["method"],
    registry=REGISTRY,
)
TELEGRAM_ERRORS = Counter(
    "quizbot_telegram_errors",
    "Bot API calls that failed, by kind of error.",
    ["kind"],
    registry=REGISTRY,
)
SEND_WAIT_SECONDS = Histogram(
    "quizbot_send_budget_wait_seconds",
    "Time a message waited for the shared send budget.",
    buckets=(0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
FOLLOWUPS = Gauge(
    "quizbot_followups",
    "Follow-ups in the database by status (the same for every process).",
    ["status"],
    registry=REGISTRY,
)
INBOX_UNPROCESSED = Gauge(
    "quizbot_inbox_unprocessed_updates",
    "Stored updates not processed yet (the same for every process).",
    registry=REGISTRY,
)
INBOX_FAILED = Gauge(
    "quizbot_inbox_failed_updates",
    "Stored updates given up with an error (the same for every process).",
    registry=REGISTRY,
)


def error_kind(exc: BaseException) -> str:
    """A short label for a Bot API failure."""
    # Order matters: the subclasses of NetworkError first.
    kinds: tuple[tuple[type[BaseException], str], ...] = (
        (RetryAfter, "retry_after"),
        (Forbidden, "forbidden"),
        (InvalidToken, "invalid_token"),
        (Conflict, "conflict"),
        (BadRequest, "bad_request"),
        (TimedOut, "timed_out"),
        (NetworkError, "network"),
    )
    for cls, kind in kinds:
        if isinstance(exc, cls):
            return kind
    return "other"


def set_fleet_status(status: FleetStatus) -> None:
    """Copy the database's counts into the gauges before a scrape."""
    for name, count in status.followups.items():
        FOLLOWUPS.labels(status=name).set(count)
    INBOX_UNPROCESSED.set(status.inbox_unprocessed)
    INBOX_FAILED.set(status.inbox_failed)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, with its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
