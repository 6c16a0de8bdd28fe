"""A round-robin reverse proxy on loopback, standing in for nginx in front of the workers.

Like nginx's default (`proxy_next_upstream error timeout`, POST not retried once sent), a
request goes to the next worker when a worker refuses the connection, and a worker that dies
after the request was sent answers 502: Telegram then delivers the update again.
"""

from __future__ import annotations

import itertools
from collections import Counter
from types import TracebackType

import aiohttp
from aiohttp import web

FORWARDED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


class RoundRobinProxy:
    """Forward each POST to the next live upstream worker."""

    def __init__(self, upstreams: list[str], host: str = "127.0.0.1") -> None:
        self.upstreams = upstreams
        self.host = host
        self.url = ""
        self.forwarded: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> RoundRobinProxy:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.url = f"http://{self.host}:{self._runner.addresses[0][1]}"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> RoundRobinProxy:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {h: request.headers[h] for h in FORWARDED_HEADERS if h in request.headers}
        start = next(self._turn)
        for i in range(len(self.upstreams)):
            upstream = self.upstreams[(start + i) % len(self.upstreams)]
            self.in_flight[upstream] += 1
            try:
                async with self._session.request(
                    request.method, upstream + request.rel_url.path, data=body, headers=headers
                ) as response:
                    payload = await response.read()
                    self.forwarded[upstream] += 1
                    return web.Response(status=response.status, body=payload)
            except aiohttp.ClientConnectorError:
                continue  # refused: nothing was sent, the next worker may have it
            except (aiohttp.ClientError, TimeoutError):
                return web.Response(status=502, text="upstream failed mid-request")
            finally:
                self.in_flight[upstream] -= 1
        return web.Response(status=502, text="no upstream")
