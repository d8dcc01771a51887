"""Two reminder dispatchers against one PostgreSQL at once, 200 recipients: each
reminder is delivered exactly once.

Two real `python -m bot reminders dispatch --now ...` processes (as two cron jobs
on two hosts, or a cron job beside a second one started by hand) run the same pass
at the same moment against one throw-away PostgreSQL schema and one fake Bot API.
The pass writes one outbox row per person with a unique key, and the rows are
claimed with a conditional UPDATE, so whichever process writes and sends, the fake
must see one sendMessage per chat: none twice, none missing. What the two
processes print ("sent N, ...") must add up to what went out.

Needs TEST_DATABASE_URL (skipped otherwise). `pytest -s` prints the figures.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from aiohttp import web
from sqlalchemy import text
from sqlmodel import Session

from content.deadlines import DeadlineFile
from handlers.deadlines.reminders import content_fields
from storage import db, profiles
from storage import reminders as q
from storage.models import Deadline, User
from tests.conftest import REAL_CONTENT, pg_schema
from tests.fake_telegram import FakeTelegram
from tests.procs import clean_env, spawn

TOKEN = "1234567890:AAHsecretPART-of_the-token-XYZ987"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
RECIPIENTS = 200  # 7 s of sending at RATE: long enough for both processes to be claiming
FIRST_CHAT = 7_000_001
DUE = "2031-03-10 17:00"  # local time; offset 1 at 08:00 is the slot below
SLOT = "2031-03-09T08:00:00+07:00"
RATE = 30  # TELEGRAM_RATE_LIMIT of each process
SEND_DELAY = 0.005  # the fake answers each sendMessage this much later, so the processes overlap
PROCESS_TIMEOUT = 120.0  # a bound for a hung dispatcher; `make test` runs other tests on the other cores meanwhile
COUNTS_RE = re.compile(r"sent (\d+), deferred (\d+), skipped (\d+), failed (\d+)")

_caller: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default="")


class TaggedFake(FakeTelegram):
    """The fake Bot API, also served under /<tag>/bot<token>/<method>: each process gets
    its own TELEGRAM_API_URL (<url>/<tag>), so every accepted message is known by the
    process that sent it. sendMessage answers `send_delay` seconds late."""

    def __init__(self, *args: Any, send_delay: float = 0.0, **kw: Any):
        super().__init__(*args, **kw)
        self.send_delay = send_delay
        self.accepted: list[tuple[str, str, float]] = []  # (tag, chat_id, monotonic time)

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tag}/bot{token}/{method}", self._tagged)
        super().routes(app)

    async def _tagged(self, request: web.Request) -> web.StreamResponse:
        _caller.set(request.match_info["tag"])
        return await self._handle(request)

    async def _m_sendMessage(self, params: dict, files: dict) -> dict:
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        result = await super()._m_sendMessage(params, files)
        self.accepted.append((_caller.get(), str(params.get("chat_id")), time.monotonic()))
        return result


# --- fixtures ------------------------------------------------------------------------

@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    with pg_schema(postgres_url, prefix="t_rmp_") as url:
        yield url


@pytest.fixture
def engine(pg_url: str) -> Iterator[Any]:
    db.upgrade(pg_url)
    eng = db.make_engine(pg_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
async def fake() -> AsyncIterator[TaggedFake]:
    server = TaggedFake(TOKEN, send_delay=SEND_DELAY)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


# --- helpers --------------------------------------------------------------------------

def seed(engine: Any, chats: list[str]) -> int:
    """The people (reminders on), one deadline for everyone, and the shipped example
    deadlines synced and cancelled so that only ours reminds. Returns its id."""
    specs = DeadlineFile.model_validate(yaml.safe_load((REAL_CONTENT / "deadlines.yaml").read_text("utf-8"))
                                        or {}).deadlines
    with Session(engine, expire_on_commit=False) as s:
        q.sync_content_deadlines(s, content_fields(specs, TZ))
        for d in q.active_deadlines(s):
            if d.key.startswith(q.CONTENT_KEY):
                q.cancel_deadline(s, d.id)  # type: ignore[arg-type]
        users = [User(channel="telegram", external_id=chat, display_name=f"Cán bộ {chat}") for chat in chats]
        s.add_all(users)
        s.flush()
        for user in users:
            profiles.save_profile(s, user.id, unit_id="van-phong", reminders=True)  # type: ignore[arg-type]
        row = q.save_deadline(s, Deadline(key="test:fanout", title="Nộp báo cáo thi đua quý I",
                                          due_at=datetime.strptime(DUE, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)
                                          .astimezone(UTC), audience="all", offsets=[1], send_time="08:00"))
        s.commit()
        assert len(q.active_deadlines(s)) == 1
        return row.id  # type: ignore[return-value]


def outbox(engine: Any, prefix: str) -> tuple[Counter, Counter]:
    """Reminder rows by status, and by chat."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, chat_id FROM outbox WHERE dedup_key LIKE :p"),
                            {"p": prefix + "%"}).all()
    return Counter(status for status, _ in rows), Counter(chat for _, chat in rows)


async def wait_exit(proc: Any, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait(10)
            raise AssertionError(f"dispatcher pid {proc.pid} still running after {timeout:.0f} s")
        await asyncio.sleep(0.05)
    return proc.returncode


def max_in_window(times: list[float], width: float = 1.0) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - width + 1e-9:
            j += 1
        best = max(best, i - j + 1)
    return best


# --- the test -------------------------------------------------------------------------

async def test_two_dispatchers_deliver_each_reminder_exactly_once(fake: TaggedFake, engine: Any, pg_url: str,
                                                                  tmp_path: Path):
    chats = [str(FIRST_CHAT + i) for i in range(RECIPIENTS)]
    deadline_id = seed(engine, chats)
    due = datetime.strptime(DUE, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)
    prefix = f"{q.REMINDER_KEY}{deadline_id}:{int(due.timestamp())}:"

    procs: dict[str, Any] = {}
    logs: dict[str, Path] = {}
    started = time.monotonic()
    try:
        for tag in ("a", "b"):
            env = clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=f"{fake.url}/{tag}", DATABASE_URL=pg_url,
                            DATA_DIR=tmp_path / "data", CONTENT_DIR=REAL_CONTENT, TELEGRAM_RATE_LIMIT=RATE,
                            LOG_LEVEL="WARNING")
            logs[tag] = tmp_path / f"dispatch-{tag}.log"
            procs[tag] = spawn(["reminders", "dispatch", "--now", SLOT], env, tmp_path, logs[tag])
        codes = dict(zip(procs, await asyncio.gather(*(wait_exit(p, PROCESS_TIMEOUT) for p in procs.values())),
                         strict=True))
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait(10)
    wall = time.monotonic() - started

    outputs = {tag: path.read_text("utf-8", errors="replace") for tag, path in logs.items()}
    printed: dict[str, tuple[int, ...]] = {}
    for tag, out in outputs.items():
        m = COUNTS_RE.search(out)
        printed[tag] = tuple(int(x) for x in m.groups()) if m else ()
    per_chat = Counter(chat for _, chat, _ in fake.accepted)
    by_process = Counter(tag for tag, _, _ in fake.accepted)
    statuses, rows_per_chat = outbox(engine, prefix)
    refused = Counter(c.status for c in fake.calls if c.method == "sendMessage" and c.status != 200)
    twice = sorted(c for c, n in per_chat.items() if n > 1)
    missing = sorted(set(chats) - set(per_chat))
    strangers = sorted(set(per_chat) - set(chats))
    stamps = [t for _, _, t in fake.accepted]
    span = (max(stamps) - min(stamps)) if stamps else 0.0
    overlap = (min(max(t for g, _, t in fake.accepted if g == tag) for tag in by_process)
               - max(min(t for g, _, t in fake.accepted if g == tag) for tag in by_process)) if len(by_process) == 2 else 0

    summary = (f"{RECIPIENTS} recipients, 2 dispatchers (TELEGRAM_RATE_LIMIT={RATE} each): wall {wall:.1f} s, "
               f"sending {span:.1f} s; exit codes {codes}; printed a={printed['a']} b={printed['b']} "
               f"(sent, deferred, skipped, failed); accepted by the API from a={by_process['a']}, "
               f"b={by_process['b']} (both sending for {max(overlap, 0):.1f} s, at most "
               f"{max_in_window(stamps)} msgs in one second together); {len(twice)} chat(s) twice, "
               f"{len(missing)} missing; outbox {dict(statuses)}; API refusals {dict(refused)}")
    print(f"\n[two dispatchers] {summary}")
    for tag, out in outputs.items():
        print(f"--- dispatcher {tag} output (last lines) ---\n" + "\n".join(out.strip().splitlines()[-5:]))

    assert codes == {"a": 0, "b": 0}, outputs
    assert not twice, f"chats that got the reminder more than once: {twice[:20]}; {summary}"
    assert not missing, f"chats that never got it: {missing[:20]}; {summary}"
    assert not strangers, strangers
    assert len(fake.accepted) == RECIPIENTS, summary
    assert len(fake.calls_to("sendMessage")) == RECIPIENTS, summary
    assert sum(rows_per_chat.values()) == RECIPIENTS and set(rows_per_chat.values()) == {1}, summary
    assert statuses == {"sent": RECIPIENTS}, summary
    assert printed["a"] and printed["b"], f"a dispatcher printed no counts: {outputs}"
    assert printed["a"][1:] == printed["b"][1:] == (0, 0, 0), summary
    # What each process reports as sent must be what it sent, so that the two add up to
    # what the messenger received. (bot/reminders_cli.py counts instead the rows its own
    # pass queued that are 'sent' when it stops: the process whose pass lost the race
    # says "sent 0" however many it sent, and the other misses the rows the first one
    # still had in flight; the sum is RECIPIENTS only when the queuing process ends last.)
    reported = {tag: printed[tag][0] for tag in ("a", "b")}
    assert printed["a"][0] + printed["b"][0] == RECIPIENTS, f"printed sent {reported} do not add up; {summary}"
    assert reported == {"a": by_process["a"], "b": by_process["b"]}, (
        f"printed sent {reported}, but the API accepted {dict(by_process)}; {summary}")
