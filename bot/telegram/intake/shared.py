"""What the poller and the webhook worker share about processing a stored update."""

from __future__ import annotations

import contextvars

MAX_TRIES = 3  # an update that failed this often is given up, not retried forever

# True while processing an update that an earlier run already started (it crashed or was
# killed): handlers then repeat what the learner may not have seen, instead of refusing.
REDELIVERED: contextvars.ContextVar[bool] = contextvars.ContextVar("redelivered", default=False)
