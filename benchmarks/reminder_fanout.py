"""Reminder fan-out: N notices through the real delivery worker and the real aiogram
Telegram channel, against a fake Bot API that enforces a rate limit itself.

The fake (tests/fake_telegram.FakeTelegram) accepts at most --limit sendMessage
calls in any one second and answers the one over the limit with 429 and
parameters.retry_after=1, as Telegram does. The outbox holds one notice per
recipient (a reminder with its three buttons), written straight into a fresh
database (a temporary SQLite file, or a throw-away PostgreSQL schema); then
`Delivery.run` (the worker loop, with Limits(overall=--rate, per_chat=1,
chat_burst=3)) sends them until every row is sent or failed.

Prints, per round and as the median of the rounds: wall time, messages the API
accepted per second against the limit, 429 answers, duplicates (chats with more
than one accepted message) and losses (chats with none), and the busiest second.

    python benchmarks/reminder_fanout.py [--recipients 3000] [--limit 100] [--rate 100]
                                         [--db sqlite|postgres] [--rounds 3] [--concurrency 32]
                                         [--threads N] [--fake-in-process] [--breakdown]

The fake runs in a process of its own (Telegram is not on the bot's CPU);
--breakdown prints where each message's time goes (every outbox query, awaited
and inside the database, the rate limiter, the Bot API call); the worker's CPU
share per wall second is printed too (near 100%: the worker is CPU-bound).

The target: 3,000 recipients at a limit of 100 messages a second reach at least
90% of the limit, with 0 duplicates and 0 lost. The bot itself caps
TELEGRAM_RATE_LIMIT at 30 (settings); here Limits is set directly.
--db postgres uses --database-url or TEST_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot.delivery import Delivery, Limits  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.telegram import TelegramChannel  # noqa: E402
from handlers.events import Choice, Reply, reply_to_dict  # noqa: E402
from storage import db  # noqa: E402
from storage.outbox import OutboxStore  # noqa: E402
from storage.turns import OutboxRow, TurnStore  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

TOKEN = "1234567890:AAHbenchPART-of_the-token-XYZ987"
FIRST_CHAT = 7_000_001
TARGET_SHARE = 0.90


class LimitedTelegram(FakeTelegram):
    """At most `limit` accepted sendMessage calls in any one-second window; the call
    over it is answered 429 with retry_after (and not counted as accepted)."""

    def __init__(self, *args: Any, limit: float, retry_after: int = 1, **kw: Any):
        super().__init__(*args, **kw)
        self.limit = limit
        self.retry_after = retry_after
        self._window: deque[float] = deque()
        self.accepted: list[tuple[str, float]] = []  # (chat_id, monotonic time)
        self.refused = 0

    async def _handle(self, request: Any) -> Any:
        if request.match_info.get("method") == "sendMessage":
            now = time.monotonic()
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            if len(self._window) >= self.limit:
                self.refused += 1
                return self._error(429, f"Too Many Requests: retry after {self.retry_after}",
                                   parameters={"retry_after": self.retry_after})
            self._window.append(now)  # Telegram counts a call as it arrives
        return await super()._handle(request)

    async def _m_sendMessage(self, params: dict, files: dict) -> dict:
        result = await super()._m_sendMessage(params, files)
        self.accepted.append((str(params.get("chat_id")), time.monotonic()))
        return result


def _serve_fake(limit: float, urls: Any, stop: Any, results: Any) -> None:
    """Child process: the fake API on its own core (as Telegram is elsewhere), until `stop`."""

    async def serve() -> None:
        fake = LimitedTelegram(TOKEN, limit=limit)
        urls.put(await fake.start())
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await fake.close()
        results.put((fake.accepted, fake.refused))

    asyncio.run(serve())


class FakeProcess:
    def __init__(self, limit: float):
        ctx = multiprocessing.get_context("spawn")
        self.urls, self.results, self.stop = ctx.Queue(), ctx.Queue(), ctx.Event()
        self.proc = ctx.Process(target=_serve_fake, args=(limit, self.urls, self.stop, self.results), daemon=True)
        self.proc.start()
        self.url = self.urls.get(timeout=30)
        self.accepted: list[tuple[str, float]] = []
        self.refused = 0

    async def close(self) -> None:
        self.stop.set()
        self.accepted, self.refused = await asyncio.to_thread(self.results.get, True, 60)
        await asyncio.to_thread(self.proc.join, 10)


class Breakdown:
    """Where a message's time goes: each outbox query (time in the database call, and
    time awaited by the worker, which adds the wait for a free thread), the rate
    limiter, and the Bot API call."""

    def __init__(self) -> None:
        self.inside: Counter = Counter()
        self.awaited: Counter = Counter()
        self.calls: Counter = Counter()

    def install(self, delivery: Delivery, store: OutboxStore) -> None:
        for name in ("claim", "claim_checked", "sent_then_next", "get", "due_heads", "mark_sent_many", "retry_later",
                     "recipient_unreachable"):
            fn = getattr(store, name)

            def timed(*a: Any, _fn: Any = fn, _name: str = name, **kw: Any) -> Any:
                t = time.perf_counter()
                try:
                    return _fn(*a, **kw)
                finally:
                    self.inside[_name] += time.perf_counter() - t

            timed.__name__ = name
            setattr(store, name, timed)
        real_to_thread = asyncio.to_thread

        async def to_thread(fn: Any, *a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return await real_to_thread(fn, *a, **kw)
            finally:
                name = getattr(fn, "__name__", "?")
                self.awaited[name] += time.perf_counter() - t
                self.calls[name] += 1

        asyncio.to_thread = to_thread  # type: ignore[assignment]
        for name, limiter in delivery.limiters.items():
            limiter.acquire = self._wrap(limiter.acquire, "limiter.acquire")  # type: ignore[method-assign]
            ch = delivery.channels[name]
            ch.deliver = self._wrap(ch.deliver, "channel.deliver")  # type: ignore[method-assign]

    def _wrap(self, fn: Any, name: str) -> Any:
        async def timed(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return await fn(*a, **kw)
            finally:
                self.awaited[name] += time.perf_counter() - t
                self.calls[name] += 1

        return timed

    def report(self, messages: int) -> str:
        lines = [f"  per message sent (ms, summed over the {messages} messages; 32 run side by side):",
                 f"  {'step':24} {'calls':>7} {'awaited':>9} {'in the db':>10}"]
        for name in sorted(self.awaited, key=lambda n: -self.awaited[n]):
            inside = f"{1000 * self.inside[name] / messages:10.2f}" if name in self.inside else f"{'':10}"
            lines.append(f"  {name:24} {self.calls[name]:7d} {1000 * self.awaited[name] / messages:9.2f} {inside}")
        return "\n".join(lines)


# --- databases ---------------------------------------------------------------------------

@contextlib.contextmanager
def database(kind: str, url: str | None) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    if not url:
        raise SystemExit("--db postgres needs --database-url or TEST_DATABASE_URL")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = db.make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}&application_name={schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = :s AND pid <> pg_backend_pid()"), {"s": schema})
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def enqueue(engine: Any, chats: list[str]) -> None:
    reply = Reply("⏰ Nhắc hạn: Nộp báo cáo thi đua quý I\nHạn: 17:00 Thứ Hai, 10/03/2031 (còn 1 ngày).",
                  [Choice("rem:ack:1:1930000000", "Đã nộp"), Choice("e:ho-so", "Xem hướng dẫn"),
                   Choice("m:deadlines", "Lịch nhắc hạn")])
    payload = {"reply": reply_to_dict(reply)}
    with Session(engine) as s:
        TurnStore(s).add_outbox([OutboxRow(f"bench:{chat}", "telegram", chat, "notice", payload) for chat in chats])
        s.commit()


def unsent(engine: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")).scalar_one()


def statuses(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT status, count(*) FROM outbox GROUP BY status")).all())


# --- one round ------------------------------------------------------------------------------

@dataclass
class Round:
    wall: float
    accepted: int
    rate: float  # accepted / wall
    share: float  # rate / limit
    refused: int  # 429 answers
    duplicates: int
    lost: int
    busiest: int  # most accepted in any one second
    outbox: dict[str, int]
    cpu: float = 0.0  # CPU seconds of this process (all threads) per wall second


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


async def one_round(args: argparse.Namespace, url: str, breakdown: Breakdown | None) -> Round:
    fake: LimitedTelegram | FakeProcess
    if args.fake_in_process:
        fake = LimitedTelegram(TOKEN, limit=args.limit)
        await fake.start()
    else:
        fake = FakeProcess(args.limit)
    db.upgrade(url)
    engine = db.make_engine(url)
    chats = [str(FIRST_CHAT + i) for i in range(args.recipients)]
    enqueue(engine, chats)
    with tempfile.TemporaryDirectory(prefix="fanout-data-") as data:
        settings = load_settings(data_dir=data, database_url=url, telegram_bot_token=TOKEN,
                                 telegram_api_url=fake.url, log_level="WARNING")
        channel = TelegramChannel(settings)
        store = OutboxStore(engine)
        delivery = Delivery(store, {"telegram": channel},  # type: ignore[dict-item]
                            limits={"telegram": Limits(overall=args.rate, per_chat=1.0, chat_burst=3)},
                            lease=timedelta(seconds=60), concurrency=args.concurrency)
        if breakdown is not None:
            breakdown.install(delivery, store)
        if args.threads:
            asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(args.threads))
        stop = asyncio.Event()

        async def watch() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.05)
                if await asyncio.to_thread(unsent, engine) == 0:
                    stop.set()

        started, cpu = time.monotonic(), time.process_time()
        try:
            await asyncio.wait_for(asyncio.gather(delivery.run(stop), watch()), timeout=args.timeout)
        finally:
            wall = time.monotonic() - started
            cpu = (time.process_time() - cpu) / wall
            await channel.close()
            await fake.close()
    final = statuses(engine)
    engine.dispose()
    per_chat = Counter(chat for chat, _ in fake.accepted)
    rate = len(fake.accepted) / wall
    return Round(wall=wall, accepted=len(fake.accepted), rate=rate, share=rate / args.limit, refused=fake.refused,
                 duplicates=sum(1 for c in chats if per_chat[c] > 1), lost=sum(1 for c in chats if per_chat[c] == 0),
                 busiest=busiest_second([t for _, t in fake.accepted]), outbox=final, cpu=cpu)


def show(name: str, r: Round, limit: float) -> str:
    return (f"{name:>7}: wall {r.wall:6.2f} s | accepted {r.accepted} | {r.rate:6.1f} msg/s = {r.share:6.1%} of "
            f"{limit:g} | 429s {r.refused} | duplicates {r.duplicates} | lost {r.lost} | busiest second "
            f"{r.busiest} | worker CPU {r.cpu:.0%} | outbox {r.outbox}")


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--recipients", type=int, default=3000)
    ap.add_argument("--limit", type=float, default=100.0, help="messages a second the fake API accepts")
    ap.add_argument("--rate", type=float, help="Limits.overall of the worker (default: --limit)")
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=32, help="Delivery(concurrency=...), 32 as the bot runs it")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds a round may take")
    ap.add_argument("--threads", type=int, default=0,
                    help="threads of the loop's default executor (asyncio.to_thread); 0: Python's default, "
                         "min(32, CPUs + 4)")
    ap.add_argument("--fake-in-process", action="store_true",
                    help="run the fake API in this process's event loop (default: a process of its own)")
    ap.add_argument("--breakdown", action="store_true", help="time each step of sending, in every round")
    args = ap.parse_args()
    args.rate = args.rate or args.limit

    import logging

    logging.basicConfig(level=logging.ERROR)  # the worker logs every 429 as a warning
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"reminder fan-out: {args.recipients} recipients, fake API limit {args.limit:g} msg/s (429 "
          f"retry_after=1 beyond it) {'in this process' if args.fake_in_process else 'in its own process'}, "
          f"worker Limits.overall={args.rate:g} per_chat=1 chat_burst=3, concurrency {args.concurrency}, "
          f"threads {args.threads or min(32, (os.cpu_count() or 1) + 4)}, {args.db}, {args.rounds} round(s)")
    rounds: list[Round] = []
    for i in range(args.rounds):
        breakdown = Breakdown() if args.breakdown else None
        real_to_thread = asyncio.to_thread
        try:
            with database(args.db, args.database_url) as url:
                r = await one_round(args, url, breakdown)
        finally:
            asyncio.to_thread = real_to_thread  # type: ignore[assignment]
        rounds.append(r)
        print(show(f"round {i + 1}", r, args.limit), flush=True)
        if breakdown is not None:
            print(breakdown.report(max(r.accepted, 1)), flush=True)
    med = Round(wall=statistics.median(r.wall for r in rounds), accepted=int(statistics.median(r.accepted for r in rounds)),
                rate=statistics.median(r.rate for r in rounds), share=statistics.median(r.share for r in rounds),
                refused=int(statistics.median(r.refused for r in rounds)),
                duplicates=max(r.duplicates for r in rounds), lost=max(r.lost for r in rounds),
                busiest=int(statistics.median(r.busiest for r in rounds)), outbox=rounds[-1].outbox,
                cpu=statistics.median(r.cpu for r in rounds))
    print(show("median", med, args.limit) + "  (duplicates, lost: worst round)")
    ok = med.share >= TARGET_SHARE and med.duplicates == 0 and med.lost == 0
    print(f"target (>= {TARGET_SHARE:.0%} of the limit, 0 duplicates, 0 lost): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
