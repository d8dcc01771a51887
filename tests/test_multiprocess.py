"""End to end across processes: real `python -m bot` subprocesses (the real
aiogram channel inside), a fake Bot API server in this process, and one real
PostgreSQL schema shared by the processes, thrown away afterwards.

Checks what only several processes can show: two webhook instances answer every
message once, in order, even when Telegram delivers an update to both; a delivery
worker killed with SIGKILL mid-batch loses nothing and repeats only what was in
flight; and a 429 holds back every send, whichever instance sends.

Needs TEST_DATABASE_URL (skipped otherwise). `pytest -s` prints the measured figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlmodel import Session

from bot.telegram.channel import SECRET_HEADER, WEBHOOK_PATH
from handlers.events import Reply, reply_to_dict
from storage import db
from storage.turns import OutboxRow, TurnStore
from tests.conftest import REAL_CONTENT, pg_schema
from tests.fake_telegram import FakeTelegram, visible_text
from tests.procs import Procs, clean_env, free_port, spawn

TOKEN = "1234567890:AAHsecretPART-of_the-token-XYZ987"
SECRET = "webhook-Secret_0123456789"
WORKER_CONCURRENCY = 32  # Delivery(concurrency=...) as bot/runner.py builds it


class LoopLag:
    """How late this process's event loop got to its work, at worst, while it ran.

    The fake API stamps a call when the loop gets to it; on a busy machine (four test
    workers and their bot processes on two cores) that can be later than the call
    arrived, and calls then look bunched. The worst lateness seen is how far a stamp
    may be off, so timing checks allow that much besides their own slack."""

    TICK = 0.005

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task | None = None

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            planned = loop.time() + self.TICK
            await asyncio.sleep(self.TICK)
            self.worst = max(self.worst, loop.time() - planned)

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._watch())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class SlowFake(FakeTelegram):
    """The fake Bot API, with an optional delay on every sendMessage (so a batch takes
    seconds) and a count of calls being answered right now. A call is in
    `calls` from the moment it arrives: the message counts as delivered then, even if
    the sender dies before the answer reaches it."""

    def __init__(self, *args: Any, send_delay: float = 0.0, **kw: Any):
        super().__init__(*args, **kw)
        self.send_delay = send_delay
        self.in_flight = 0

    async def _handle(self, request: Any) -> Any:
        self.in_flight += 1
        try:
            return await super()._handle(request)
        finally:
            self.in_flight -= 1

    async def _m_sendMessage(self, params: dict, files: dict) -> dict:
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        return await super()._m_sendMessage(params, files)

    def sent(self) -> list:
        """Messages the API accepted, in arrival order."""
        return self.calls_to("sendMessage")

    def chats(self) -> Counter:
        return Counter(str(c.params.get("chat_id")) for c in self.sent())


# --- fixtures ----------------------------------------------------------------------

@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    with pg_schema(postgres_url, prefix="t_mp_") as url:
        yield url


@pytest.fixture
async def fake() -> AsyncIterator[SlowFake]:
    server = SlowFake(TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def engine(pg_url: str) -> Iterator[Any]:
    db.upgrade(pg_url)
    eng = db.make_engine(pg_url)
    try:
        yield eng
    finally:
        eng.dispose()


# --- helpers -------------------------------------------------------------------------

def bot_env(tmp_path: Path, api_url: str, db_url: str, **extra: object) -> dict[str, str]:
    return clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api_url, DATABASE_URL=db_url,
                     DATA_DIR=tmp_path / "data", CONTENT_DIR=REAL_CONTENT, LOG_LEVEL="INFO", **extra)


async def wait_until(predicate: Callable[[], Any], timeout: float, what: Callable[[], str] | str = "") -> Any:
    """Wait (bounded) until predicate() is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout}s: {detail}")
        await asyncio.sleep(0.05)


def counts(engine: Any, table: str) -> dict[str, int]:
    with engine.connect() as conn:
        return {s: n for s, n in conn.execute(text(f"SELECT status, count(*) FROM {table} GROUP BY status"))}


def sent_chats(engine: Any) -> set[str]:
    with engine.connect() as conn:
        return {c for (c,) in conn.execute(text("SELECT chat_id FROM outbox WHERE status = 'sent'"))}


def enqueue_notices(engine: Any, chats: list[str], label: str = "Thông báo thử") -> None:
    """One notice per chat, straight into the outbox, as a committed turn would leave them."""
    with Session(engine) as s:
        TurnStore(s).add_outbox([
            OutboxRow(dedup_key=f"test:{label}:{chat}", channel="telegram", chat_id=chat, kind="notice",
                      payload={"reply": reply_to_dict(Reply(f"{label} cho {chat}"))})
            for chat in chats])
        s.commit()


def windows_over(times: list[float], width: float) -> int:
    """The most calls in any `width`-second window."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - width + 1e-9:
            j += 1
        best = max(best, i - j + 1)
    return best


# --- 0. starting together -------------------------------------------------------------

def test_instances_starting_together_migrate_a_fresh_database(postgres_url: str, tmp_path: Path):
    """Every instance runs the migrations when it starts. Instances started together on
    a fresh database (or right after a deploy that brings a migration) must all come
    up, not crash on each other's CREATE TABLE."""
    failures = []
    for attempt in range(3):
        with pg_schema(postgres_url, prefix="t_mp_") as url:
            env = clean_env(DATABASE_URL=url, DATA_DIR=tmp_path / "data")
            logs = [tmp_path / f"upgrade-{attempt + 1}-{i + 1}.log" for i in range(3)]
            runs = [spawn(["db", "upgrade"], env, tmp_path, log) for log in logs]
            for run, log in zip(runs, logs, strict=True):
                run.wait(60)
                out = log.read_text(encoding="utf-8", errors="replace")
                if run.returncode != 0:
                    errors = [line for line in out.splitlines() if line.startswith(("sqlalchemy.exc", "psycopg"))]
                    failures.append(f"attempt {attempt + 1}: exit {run.returncode}: "
                                    f"{(errors or out.strip().splitlines() or [''])[-1][:200]}")
    assert not failures, "instances migrating at the same time crashed:\n" + "\n".join(failures)


# --- 1. two webhook instances ---------------------------------------------------------

# What each user types, and a distinctive part of each answer. The answers depend
# on the state the previous turn left: "4" picks from the main menu, "1" from the
# dossier topic's list.
SCRIPT = [
    ("/menu", "Kính chào đồng chí"),  # the main menu
    ("4", "Chọn nội dung đồng chí muốn xem"),  # 4 = Hồ sơ - thủ tục: the topic's entries
    ("1", "Điều 48 Thông tư 01/2019/TT-VKSTC"),  # its first entry: the simple procedure
    ("/trogiup", "Hướng dẫn sử dụng"),
    ("cảm ơn", "Rất vui được hỗ trợ"),
]
USERS = 50
REDELIVER = 0.2


async def test_two_instances_answer_every_message_exactly_once(fake: SlowFake, engine: Any, pg_url: str,
                                                               procs: Procs, tmp_path: Path):
    started = time.monotonic()
    insts = []
    for name in ("web-a", "web-b"):
        port = free_port()
        env = bot_env(tmp_path, fake.url, pg_url, PORT=port, TELEGRAM_WEBHOOK_SECRET=SECRET)
        insts.append(procs.start(name, ["run", "--webhook"], env, port=port))
    await asyncio.gather(*(p.wait_healthy(60) for p in insts))
    up = time.monotonic()

    seed = int(os.environ.get("MP_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    users = [7_000_001 + i for i in range(USERS)]
    # Per user and message: which instance gets it, and whether (and when) the other gets it too.
    plan = {u: [(rng.randrange(2), rng.random() < REDELIVER, rng.random() < 0.5) for _ in SCRIPT] for u in users}
    redelivered = sum(r for steps in plan.values() for _, r, _ in steps)
    statuses: Counter = Counter()

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        async def post(inst: Any, update: dict) -> None:
            async with http.post(inst.url + WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET}) as resp:
                statuses[resp.status] += 1
                assert resp.status == 200, f"{inst.name} answered {resp.status}: {await resp.text()}"

        async def user(uid: int) -> None:
            for i, ((typed, _), (first, again, together)) in enumerate(zip(SCRIPT, plan[uid], strict=True)):
                update = fake.message_update(uid, typed, first_name=f"U{uid}")
                main, other = insts[first], insts[1 - first]
                if again and together:  # both at once: the two instances race to accept it
                    await asyncio.gather(post(main, update), post(other, update))
                else:
                    await post(main, update)
                # A person reads the answer before typing the next message.
                await wait_until(lambda n=i + 1: len(fake.messages_to(uid)) >= n, 30,
                                 lambda t=typed: f"user {uid} got no answer to {t!r} (seed {seed}); "
                                                 f"got {[visible_text(c)[:40] for c in fake.messages_to(uid)]}")
                if again and not together:  # a late redelivery (Telegram did not see the 200)
                    await post(other, update)

        await asyncio.gather(*(user(u) for u in users))
    talked = time.monotonic()

    total = USERS * len(SCRIPT)
    await wait_until(lambda: counts(engine, "outbox") == {"sent": total}, 30,
                     lambda: f"outbox {counts(engine, 'outbox')}")
    await wait_until(lambda: counts(engine, "processed_updates") == {"done": total}, 30,
                     lambda: f"inbox {counts(engine, 'processed_updates')}")

    wrong = {}
    for uid in users:
        got = [visible_text(c) for c in fake.messages_to(uid)]
        if len(got) != len(SCRIPT) or not all(want in text for (_, want), text in zip(SCRIPT, got, strict=False)):
            wrong[uid] = [t[:60] for t in got]
    refused = [(c.method, c.status) for c in fake.calls if c.method == "sendMessage" and c.status != 200]
    elapsed = time.monotonic() - started
    print(f"\n[two instances] {USERS} users x {len(SCRIPT)} messages, {redelivered} updates posted to both "
          f"instances, seed {seed}: start {up - started:.1f} s, conversation {talked - up:.1f} s, "
          f"total {elapsed:.1f} s; webhook answers {dict(statuses)}")
    assert not wrong, f"users with missing, extra or out-of-order answers (seed {seed}): {wrong}"
    assert not refused, f"the API refused messages: {refused}"
    assert len(fake.sent()) == total
    assert all(p.running() for p in insts), [p.tail() for p in insts]


# --- 2. a worker killed mid-batch -------------------------------------------------------

N_NOTICES = 150


async def test_worker_killed_mid_batch_loses_nothing(fake: SlowFake, engine: Any, pg_url: str, procs: Procs,
                                                     tmp_path: Path):
    fake.send_delay = 0.02
    chats = [str(8_000_001 + i) for i in range(N_NOTICES)]
    enqueue_notices(engine, chats)
    env = bot_env(tmp_path, fake.url, pg_url, OUTBOX_LEASE_SECONDS=2)

    first = procs.start("poll-1", ["run"], env)
    await wait_until(lambda: len(fake.sent()) >= 40, 60, lambda: f"{len(fake.sent())} sent; {first.tail(10)}")
    first.kill()
    killed_at = time.monotonic()
    await wait_until(lambda: fake.in_flight == 0, 5, "the fake still answering the killed process")
    # What the killed process recorded as sent. (A COMMIT it wrote just before dying may
    # land after this look; that only makes the bound below looser, never wrong.)
    recorded = sent_chats(engine)
    at_kill = counts(engine, "outbox")

    second = procs.start("poll-2", ["run"], env)
    await wait_until(lambda: set(fake.chats()) >= set(chats), 60,
                     lambda: f"{len(set(fake.chats()))} of {N_NOTICES} chats reached; {second.tail(10)}")
    await wait_until(lambda: counts(engine, "outbox") == {"sent": N_NOTICES}, 30,
                     lambda: f"outbox {counts(engine, 'outbox')}")
    recovered = time.monotonic() - killed_at

    # What the API took from the killed process: everything that arrived before the next
    # one was even started (a request it wrote just before dying may arrive a moment
    # after the kill). Of that, what it had not recorded as sent may be sent again.
    received = {str(c.params.get("chat_id")) for c in fake.sent() if c.at < second.started}
    unrecorded = received - recorded
    assert not recorded - received, f"rows marked sent that the API never got: {sorted(recorded - received)}"
    per_chat = fake.chats()
    lost = [c for c in chats if per_chat[c] == 0]
    duplicates = sorted(c for c in chats if per_chat[c] > 1)
    wrong_text = [c.params["chat_id"] for c in fake.sent() if str(c.params["chat_id"]) not in visible_text(c)]
    summary = (f"{N_NOTICES} notices, killed after {len(received)} reached the API; at the kill the outbox was "
               f"{at_kill}, {len(unrecorded)} accepted by the API but not recorded as sent; "
               f"after restart: {len(lost)} lost, {len(duplicates)} duplicate(s) {duplicates}; "
               f"all delivered {recovered:.1f} s after the kill")
    print(f"\n[worker killed] {summary}")
    assert not lost, summary
    assert not wrong_text, wrong_text
    # Only a message the API took but the dead process had not recorded may go out twice.
    assert set(duplicates) <= unrecorded, summary
    assert len(duplicates) <= WORKER_CONCURRENCY, summary

    # Killed while idle (everything sent): the next start sends nothing again.
    before = len(fake.sent())
    second.kill()
    assert counts(engine, "outbox") == {"sent": N_NOTICES}  # nothing claimed, nothing whose lease could expire
    third = procs.start("poll-3", ["run"], env)
    # A fresh notice: once it arrives, the new worker has made a full pass over the outbox
    # (oldest first), so anything it would resend would have gone out before it.
    enqueue_notices(engine, ["8999999"], label="Sau khởi động lại")
    await wait_until(lambda: fake.chats()["8999999"] >= 1, 60, lambda: third.tail(10))
    resent = len(fake.sent()) - before - 1
    print(f"[idle kill] resent after restart: {resent}")
    assert resent == 0, f"{resent} message(s) sent again after a restart with nothing pending"
    await wait_until(lambda: counts(engine, "outbox") == {"sent": N_NOTICES + 1}, 30,
                     lambda: f"outbox {counts(engine, 'outbox')}")


# --- 3. 429 and the rate limit, two instances -----------------------------------------------

N_RATE = 100
RATE = 30  # TELEGRAM_RATE_LIMIT given to both instances
RETRY_AFTER = 1
SLACK = 0.05


async def test_rate_limit_and_retry_after_across_instances(engine: Any, pg_url: str, procs: Procs,
                                                          tmp_path: Path):
    # One fake API server per instance, so the test can tell who sent what; together
    # they stand for the one bot whose limits Telegram enforces.
    fakes = [SlowFake(TOKEN), SlowFake(TOKEN)]
    for f in fakes:
        await f.start()
    try:
        insts = [procs.start(f"poll-{i}", ["run"], bot_env(tmp_path, f.url, pg_url, TELEGRAM_RATE_LIMIT=RATE))
                 for i, f in enumerate(fakes)]
        await wait_until(lambda: all(f.calls_to("getUpdates") for f in fakes), 60,
                         lambda: " / ".join(p.tail(5) for p in insts))
        for f in fakes:
            f.fail("sendMessage", 429, times=3, retry_after=RETRY_AFTER)
        chats = [str(9_000_001 + i) for i in range(N_RATE)]

        def delivered() -> Counter:
            return fakes[0].chats() + fakes[1].chats()

        async with LoopLag() as lag:
            enqueue_notices(engine, chats)
            await wait_until(lambda: set(delivered()) >= set(chats), 60,
                             lambda: f"{len(delivered())} of {N_RATE} delivered")
        await wait_until(lambda: counts(engine, "outbox") == {"sent": N_RATE}, 30,
                         lambda: f"outbox {counts(engine, 'outbox')}")

        per_chat = delivered()
        senders = [i for i, f in enumerate(fakes) if f.calls_to("sendMessage", ok_only=False)]
        calls = sorted((c for f in fakes for c in f.calls_to("sendMessage", ok_only=False)), key=lambda c: c.at)
        refusals = [c.at for c in calls if c.status == 429]
        # A stamp may be late by as much as the loop was (capped: beyond that the figures say nothing).
        tolerance = min(SLACK + lag.worst, 0.3)
        in_window = [(round(c.at - t, 3), c.params.get("chat_id")) for t in refusals for c in calls
                     if t + tolerance < c.at < t + RETRY_AFTER - tolerance]
        # Calls stamped within 1 - tolerance seconds of each other were sent within a second.
        busiest = windows_over([c.at for c in calls], 1.0 - tolerance)
        span = calls[-1].at - calls[0].at
        summary = (f"{N_RATE} notices over {span:.1f} s by instance(s) {senders}; {len(refusals)} answered 429 "
                   f"retry_after={RETRY_AFTER}; {len(in_window)} sendMessage call(s) inside a retry_after "
                   f"window; at most {busiest} calls in {1 - tolerance:.2f} s (limit {RATE} a second; "
                   f"the fake's loop was up to {lag.worst * 1000:.0f} ms late)")
        print(f"\n[rate limit] {summary}; first offending offsets: {in_window[:10]}")
        assert all(per_chat[c] == 1 for c in chats), {c: n for c, n in per_chat.items() if n != 1}
        assert len(senders) == 1, summary
        assert len(refusals) == 3, summary
        # Telegram's 429 is about the whole bot: nothing may go out until retry_after has passed.
        assert not in_window, summary
        assert busiest <= RATE + 1, summary
        # The same limit, in a form no lateness of stamps can bend: 30 a second means a
        # second for every 30 calls after the first, whatever happened within each second.
        assert span >= (len(calls) - 1) // RATE, summary
    finally:
        for f in fakes:
            await f.close()


# --- 4. two bots, one database --------------------------------------------------------------

async def test_bots_in_two_schemas_of_one_database_both_deliver(fake: SlowFake, engine: Any, pg_url: str,
                                                                procs: Procs, postgres_url: str, tmp_path: Path):
    """Two deployments (say staging and production) in two schemas of one PostgreSQL
    database: each must send its own outbox. The worker lock is a database-wide
    advisory lock, so it must not be shared by bots that share nothing else."""
    other_fake = SlowFake(TOKEN)
    await other_fake.start()
    try:
        with pg_schema(postgres_url, prefix="t_mp_") as other_url:
            try:
                db.upgrade(other_url)
                a = procs.start("schema-a", ["run"], bot_env(tmp_path, fake.url, pg_url))
                b = procs.start("schema-b", ["run"], bot_env(tmp_path, other_fake.url, other_url))
                # Both up and polling, so each has asked for the worker lock at least once.
                await wait_until(lambda: fake.calls_to("getUpdates") and other_fake.calls_to("getUpdates"), 60,
                                 lambda: f"{a.tail(5)}\n{b.tail(5)}")
                enqueue_notices(engine, ["6000001"], label="Bot A")
                other_engine = db.make_engine(other_url)
                try:
                    enqueue_notices(other_engine, ["6000002"], label="Bot B")
                finally:
                    other_engine.dispose()
                # The worker looks every second; a bot waiting for the lock tries again every 5 s.
                await wait_until(lambda: fake.chats()["6000001"] and other_fake.chats()["6000002"], 15,
                                 lambda: f"bot A sent {dict(fake.chats())}, bot B sent {dict(other_fake.chats())}: "
                                         f"only one bot of the database runs its delivery worker")
            finally:
                procs.close()  # the bots go before their schema
    finally:
        await other_fake.close()
