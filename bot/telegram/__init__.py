"""The Telegram adapter (python-telegram-bot)."""

import os

# Opt in to PTB's timedelta durations now (RetryAfter.retry_after and friends): the int form
# is deprecated and warns on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "1")
