"""Update intake: how updates get from Telegram into the stored updates and to the handlers.

Every update is stored (services/update_store.py) before Telegram is told it arrived, then
processed from there, by one of two front ends:

- `polling.py`: `quizbot run`; `InboxPoller` fetches with getUpdates, stores, confirms, and
  serves chats in turn from queues in memory.
- `worker.py`: `quizbot webhook`; `InboxWorker` claims each chat's oldest stored update under
  a lease, so several processes share the work, and sweeps up what a dead one left.
- `http.py`: the webhook's ASGI app (the webhook path with its checks, /healthz, /readyz,
  /metrics), the uvicorn server and `serve_webhook`, which runs it beside a worker.
- `shared.py`: what both front ends share: `MAX_TRIES`, `REDELIVERED`.
- `flood.py`: the per-user limit both apply before storing an update.
- `retention.py`: the hourly job, in either mode, that prunes processed updates.
"""
