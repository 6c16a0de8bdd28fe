"""The order messages leave in when they queue for Telegram's budget: light chats first."""

from __future__ import annotations

import asyncio

from telegram.ext import ExtBot

from bot.telegram.limiter import RetryingRateLimiter
from tests.e2e.harness import TOKEN
from tests.fakes import FakeTelegramServer


def _bot(server: FakeTelegramServer, limiter: RetryingRateLimiter) -> ExtBot[None]:
    return ExtBot(
        TOKEN,
        base_url=f"{server.url}/bot",
        base_file_url=f"{server.url}/file/bot",
        rate_limiter=limiter,
    )


async def test_a_chat_flooded_with_messages_does_not_hold_up_another(
    fake_telegram: FakeTelegramServer,
) -> None:
    fake_telegram.user(970, "Eve")
    fake_telegram.user(971, "Ana")
    # One message every 50 ms, no burst: what waits, waits in the limiter's order.
    limiter = RetryingRateLimiter(overall_max_rate=1, overall_time_period=0.05)
    async with _bot(fake_telegram, limiter) as bot:
        flood = [asyncio.create_task(bot.send_message(970, f"flood {i}")) for i in range(12)]
        await asyncio.sleep(0.2)
        reply = asyncio.create_task(bot.send_message(971, "your answer"))
        await asyncio.gather(*flood, reply)
    order = [int(c.params["chat_id"]) for c in fake_telegram.calls_of("sendMessage")]
    assert len(order) == 13
    assert order.index(971) <= 6, f"Ana's message went out {order.index(971) + 1}th"


async def test_no_chat_waits_more_than_a_second_behind_later_ones(
    fake_telegram: FakeTelegramServer,
) -> None:
    for chat in range(980, 990):
        fake_telegram.user(chat, "U")
    limiter = RetryingRateLimiter(overall_max_rate=1, overall_time_period=0.05)
    async with _bot(fake_telegram, limiter) as bot:
        heavy = [asyncio.create_task(bot.send_message(980, f"heavy {i}")) for i in range(5)]
        light = []
        for i in range(30):  # a steady stream of light chats, 20 a second for 1.5 s
            light.append(asyncio.create_task(bot.send_message(981 + i % 9, "light")))
            await asyncio.sleep(0.05)
        await asyncio.gather(*heavy, *light)
    sends = fake_telegram.calls_of("sendMessage")
    heavy_done = max(i for i, c in enumerate(sends) if int(c.params["chat_id"]) == 980)
    # Light messages sent more than a second after the heavy ones are queued go after them.
    assert heavy_done <= 5 + 22, f"the heavy chat's last message went out {heavy_done + 1}th"
