"""Throughput: N users x M questions through the real bot (Telegram webhook, pipeline,
turn transaction, delivery) against a fake Telegram, on SQLite or PostgreSQL.

A child process (its own core, as Telegram is elsewhere) runs the fake Bot API
(tests/fake_telegram.FakeTelegram) and the load: every user posts their M
questions to the bot's webhook one after another (each as soon as the previous
POST was acknowledged), all users at once, over at most 100 connections (the
most Telegram opens). Latency is from the start of a question's POST to the
fake receiving its answer (sendMessage), on the one monotonic clock both
processes share. The bot runs in this process as `python -m bot run --webhook`
assembles it, with the delivery limits raised out of the way (this measures the
bot, not Telegram's 30 messages a second).

Prints, per round and as the median of the rounds: messages answered a second
(first question posted to last answer received), p50/p95/p99 latency, and the
bot's CPU per wall second and per message.

    python benchmarks/throughput.py [--db sqlite|postgres] [--users 50] [--messages 1] [--rounds 3]
                                    [--instances 1]

--instances N (PostgreSQL) runs N bots on one database, as README "Several instances"
describes: this process and N-1 processes of their own, each with its own webhook
server; user i posts to instance i mod N, and an instance sends the replies of the
turns it ran (this process also runs the delivery worker). CPU per message is the
sum over the instances.

Aims: 50 users with one question each, p95 under 300 ms; 250 users at once, at
least 150 messages a second. --db postgres uses --database-url or TEST_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reminder_fanout import database  # noqa: E402
from bot import webserver  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.delivery import Limits  # noqa: E402
from bot.kernel.wiring import assemble, make_channels  # noqa: E402
from bot.runner import make_web_app  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from handlers.events import Reply  # noqa: E402

TOKEN = "1234567890:AAHbenchPART-of_the-token-XYZ987"
SECRET = "bench-webhook-secret"
FIRST_CHAT = 8_000_001
# Questions answered from the content in one message each (checked: a question
# answered in several messages would be counted as several answers).
QUESTIONS = ["BK TTg nộp mấy bộ?", "ho so hcld nop may bo", "tiêu chuẩn bằng khen thủ tướng",
             "hồ sơ đề nghị khen thưởng gồm những gì", "giấy khen của viện trưởng vksnd tỉnh"]


def _load(url_q: Any, go_q: Any, out_q: Any) -> None:
    """Child process: the fake Bot API, then the load when told where the webhook is."""

    async def run() -> None:
        from tests.fake_telegram import FakeTelegram

        fake = FakeTelegram(TOKEN)
        url_q.put(await fake.start())
        while True:
            job = await asyncio.to_thread(go_q.get)
            if job is None:
                break
            out_q.put(await _one_load(fake, *job))
        await fake.close()

    asyncio.run(run())


async def _one_load(fake: Any, webhooks: list[str], users: int, messages: int, first_update: int,
                    timeout: float) -> tuple[list[float], float, int]:
    import aiohttp

    fake.calls.clear()
    posted: dict[tuple[str, int], float] = {}
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def user(i: int) -> None:
            chat = FIRST_CHAT + i
            webhook = webhooks[i % len(webhooks)]
            for m in range(messages):
                uid = first_update + m * users + i
                update = {"update_id": uid, "message": {
                    "message_id": uid, "date": int(time.time()), "text": QUESTIONS[(i + m) % len(QUESTIONS)],
                    "from": {"id": chat, "is_bot": False, "first_name": "Cán bộ"},
                    "chat": {"id": chat, "type": "private"}}}
                posted[(str(chat), m)] = time.monotonic()
                async with http.post(webhook, json=update, headers=headers) as resp:
                    assert resp.status == 200, resp.status

        await asyncio.gather(*(user(i) for i in range(users)))
    want = users * messages
    deadline = time.monotonic() + timeout
    while len(fake.calls_to("sendMessage")) < want and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)  # anything beyond one answer a question would show up here
    seen: dict[str, int] = {}
    latencies = []
    last = 0.0
    for call in fake.calls_to("sendMessage"):
        chat = str(call.params.get("chat_id"))
        k = seen.get(chat, 0)
        seen[chat] = k + 1
        if (chat, k) in posted:
            latencies.append(call.at - posted[(chat, k)])
            last = max(last, call.at)
    first = min(posted.values())
    return latencies, last - first, len(fake.calls_to("sendMessage"))


@dataclass
class Round:
    answered: int
    extra: int
    rate: float
    p50: float
    p95: float
    p99: float
    cpu: float
    cpu_ms: float  # the bot's CPU per message answered, in ms


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


class Bot:
    """One instance of the bot, assembled as `python -m bot run --webhook` does."""

    async def start(self, data: str, url: str | None, fake_url: str, migrate: bool, worker: bool) -> str:
        settings = load_settings(data_dir=data, database_url=url, telegram_bot_token=TOKEN, telegram_api_url=fake_url,
                                 telegram_webhook_secret=SECRET, log_level="WARNING")
        self.app = build_app(settings, migrate=migrate)
        kernel = assemble(self.app, make_channels(settings),
                          limits={"telegram": Limits(overall=100_000, per_chat=1_000, chat_burst=1_000)})
        delivery, self.inbound = kernel.delivery, kernel.inbound["telegram"]
        await self.inbound.start()
        # Warm up: aiogram builds each method's model on its first call (a second or more).
        await kernel.channels["telegram"].deliver(str(FIRST_CHAT - 1), Reply("khởi động"))
        self.runner, site = await webserver.start(make_web_app(kernel.inbound), "127.0.0.1", 0)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.stop = asyncio.Event()
        self.worker = asyncio.create_task(delivery.run(self.stop)) if worker else None
        return f"http://127.0.0.1:{port}/webhook/telegram"

    async def close(self) -> None:
        self.stop.set()
        if self.worker is not None:
            await self.worker
        await self.runner.cleanup()
        await self.inbound.close()
        self.app.repo.engine.dispose()


def _instance(url: str, fake_url: str, ctl_q: Any, res_q: Any) -> None:
    """Child process: one more instance of the bot; reports its webhook, then the CPU it
    used between "go" and "stop"."""

    async def run() -> None:
        bot = Bot()
        with tempfile.TemporaryDirectory(prefix="throughput-") as data:
            res_q.put(await bot.start(data, url, fake_url, migrate=False, worker=False))
            try:
                assert await asyncio.to_thread(ctl_q.get) == "go"
                cpu0 = time.process_time()
                assert await asyncio.to_thread(ctl_q.get) == "stop"
                res_q.put(time.process_time() - cpu0)
            finally:
                await bot.close()

    asyncio.run(run())


async def one_round(args: argparse.Namespace, url: str | None, queues: tuple[Any, Any, Any], fake_url: str,
                    first_update: int) -> Round:
    url_q, go_q, out_q = queues
    ctx = multiprocessing.get_context("spawn")
    others: list[tuple[Any, Any, Any]] = []
    with tempfile.TemporaryDirectory(prefix="throughput-") as data:
        bot = Bot()
        webhooks = [await bot.start(data, url, fake_url, migrate=True, worker=True)]
        try:
            for _ in range(args.instances - 1):
                ctl_q, res_q = ctx.Queue(), ctx.Queue()
                proc = ctx.Process(target=_instance, args=(url, fake_url, ctl_q, res_q), daemon=True)
                proc.start()
                others.append((proc, ctl_q, res_q))
            for _, _, res_q in others:
                webhooks.append(await asyncio.to_thread(res_q.get, True, 120))
            for _, ctl_q, _ in others:
                ctl_q.put("go")
            cpu0, wall = time.process_time(), time.monotonic()
            go_q.put((webhooks, args.users, args.messages, first_update, args.timeout))
            latencies, span, sent = await asyncio.to_thread(out_q.get, True, args.timeout + 60)
            used = time.process_time() - cpu0
            elapsed = time.monotonic() - wall
            for _, ctl_q, _ in others:
                ctl_q.put("stop")
            for _, _, res_q in others:
                used += await asyncio.to_thread(res_q.get, True, 60)
            cpu = used / elapsed
        finally:
            for proc, ctl_q, _ in others:
                ctl_q.put("stop")  # harmless when already told
                await asyncio.to_thread(proc.join, 30)
            await bot.close()
    n = len(latencies)
    return Round(answered=n, extra=sent - n, rate=n / span if span else 0.0, p50=pct(latencies, 0.5),
                 p95=pct(latencies, 0.95), p99=pct(latencies, 0.99), cpu=cpu,
                 cpu_ms=1000 * used / n if n else float("nan"))


def show(name: str, r: Round, want: int) -> str:
    return (f"{name:>7}: answered {r.answered}/{want} (extra {r.extra}) | {r.rate:6.1f} msg/s | "
            f"p50 {1000 * r.p50:6.0f} ms | p95 {1000 * r.p95:6.0f} ms | p99 {1000 * r.p99:6.0f} ms | "
            f"bot CPU {r.cpu:.0%}, {r.cpu_ms:.1f} ms/msg")


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--messages", type=int, default=1, help="questions each user sends, one after another")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--instances", type=int, default=1, help="bots on one PostgreSQL database, each its own process")
    args = ap.parse_args()
    if args.instances < 1 or (args.instances > 1 and args.db != "postgres"):
        ap.error("--instances above 1 needs --db postgres (several instances share PostgreSQL)")
    ctx = multiprocessing.get_context("spawn")
    queues = (ctx.Queue(), ctx.Queue(), ctx.Queue())
    child = ctx.Process(target=_load, args=queues, daemon=True)
    child.start()
    fake_url = queues[0].get(timeout=60)
    rounds = []
    want = args.users * args.messages
    print(f"{args.users} users x {args.messages} question(s), {args.db}, {args.instances} instance(s), "
          f"{os.cpu_count()} CPUs")
    try:
        for i in range(args.rounds):
            with database(args.db, args.database_url) if args.db == "postgres" else nullcontext() as url:
                r = await one_round(args, url, queues, fake_url, 1_000_000 * (i + 1))
            rounds.append(r)
            print(show(f"round {i + 1}", r, want), flush=True)
    finally:
        queues[1].put(None)
        child.join(10)
    med = Round(**{f: statistics.median(getattr(r, f) for r in rounds) for f in Round.__dataclass_fields__})
    print(show("median", med, want))
    return 0 if all(r.answered == want for r in rounds) else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
