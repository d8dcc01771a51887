"""An edit the Office saves is answered by every running instance (issue 23): two real
`python -m bot run --webhook` processes on one PostgreSQL schema, a fake Bot API; an
entry saved through the content service (what the console calls) is answered by both
within a minute, each having polled the content's version and reloaded it whole. The content
is the tests' small one: what is measured is the reload, not the training of the learned ranker
on the real content, which each save costs (content/ranker.py; tests/test_content_edits.py).

Needs TEST_DATABASE_URL (skipped otherwise). The instances poll every
CONTENT_POLL_TEST seconds (default 1; the bot's default is 30); CONTENT_LIVE_JITTER=1
saves at a random moment of the interval. `pytest -s` prints the time from save to
answered, per instance, and the median of ROUNDS saves.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.telegram.channel import SECRET_HEADER, WEBHOOK_PATH
from content.service import Knowledge
from handlers.curation_service import Curation
from storage import db
from storage.content_edits import EditStore
from tests.conftest import FIXTURE_CONTENT, pg_schema
from tests.fake_telegram import FakeTelegram, visible_text
from tests.procs import Procs, clean_env, free_port

TOKEN = "1234567890:AAHsecretPART-of_the-token-XYZ987"
SECRET = "webhook-Secret_0123456789"
POLL = float(os.environ.get("CONTENT_POLL_TEST") or 1)
ROUNDS = 5
# Saves at a random moment of the poll interval (an officer does not save right after a poll);
# back to back, each save lands just after the previous poll and waits a whole interval.
JITTER = bool(os.environ.get("CONTENT_LIVE_JITTER"))
QUESTIONS = ["ai giữ con dấu của văn phòng", "máy photo tầng hai hỏng thì báo ai", "phòng họp lớn đặt lịch thế nào",
             "xe công vụ đi tỉnh đăng ký ở đâu", "căng tin mở cửa mấy giờ"]


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    with pg_schema(postgres_url, prefix="t_cl_") as url:
        yield url


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        yield server


async def test_an_edit_saved_on_one_is_answered_by_every_instance(fake: FakeTelegram, pg_url: str, procs: Procs,
                                                                 tmp_path: Path):
    db.upgrade(pg_url)
    engine = db.make_engine(pg_url)
    insts = []
    for name in ("web-a", "web-b"):
        port = free_port()
        env = clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=fake.url, DATABASE_URL=pg_url,
                        DATA_DIR=tmp_path / "data", CONTENT_DIR=FIXTURE_CONTENT, LOG_LEVEL="INFO", PORT=port,
                        TELEGRAM_WEBHOOK_SECRET=SECRET, CONTENT_POLL_SECONDS=POLL)
        insts.append(procs.start(name, ["run", "--webhook"], env, port=port))
    await asyncio.gather(*(p.wait_healthy(60) for p in insts))
    # The console's side: the content service over the same database (as instance A's pages call it).
    console = Curation(Knowledge(FIXTURE_CONTENT, EditStore(engine)), EditStore(engine))
    answered: dict[str, list[float]] = {p.name: [] for p in insts}
    uid = 9_100_000

    # A fresh connection per update, as a messenger's webhook calls come: a kept-alive one the
    # server closes for idleness while the next request is being written fails the write.
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30),
                                     connector=aiohttp.TCPConnector(force_close=True)) as http:
        async def ask(inst: Any, user: int, question: str) -> None:
            update = fake.message_update(user, question, first_name="Cán bộ")
            async with http.post(inst.url + WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET}) as resp:
                assert resp.status == 200

        async def until_answered(inst: Any, question: str, marker: str, saved_at: float) -> float:
            nonlocal uid
            while True:
                uid += 1
                user = uid
                await ask(inst, user, question)
                deadline = time.monotonic() + 10
                while not fake.messages_to(user) and time.monotonic() < deadline:
                    await asyncio.sleep(0.02)
                got = " ".join(visible_text(c) for c in fake.messages_to(user))
                if marker in got:
                    return time.monotonic() - saved_at
                assert time.monotonic() - saved_at < 60, f"{inst.name} still answers {got[:80]!r}"
                await asyncio.sleep(0.2)

        for i, question in enumerate(QUESTIONS[:ROUNDS]):
            marker = f"Đáp án thử số {i + 1}"
            before = " ".join(visible_text(c) for c in fake.messages_to(uid))
            assert marker not in before
            if JITTER:
                await asyncio.sleep(random.uniform(0, POLL))
            result = console.save({"id": f"thu-{i + 1}", "topic": "ho-so", "title": f"Câu hỏi thử số {i + 1}",
                                   "questions": [question], "source": "KH 515/KH-VKS, mục V",
                                   "answer": f"{marker}: Văn phòng VKSND tỉnh trả lời câu hỏi này."}, "telegram:1", 0)
            saved_at = time.monotonic()
            assert result.saved, result.problems
            times = await asyncio.gather(*(until_answered(p, question, marker, saved_at) for p in insts))
            for p, t in zip(insts, times, strict=True):
                answered[p.name].append(t)

    for p in insts:
        assert f"content reloaded: version {ROUNDS}" in p.output(), p.tail()
    every = [max(pair) for pair in zip(*answered.values(), strict=True)]
    print(f"\n[content live] poll every {POLL:g} s{', saves at random moments' if JITTER else ''}; save -> answered, per round, by every instance: "
          f"{', '.join(f'{t:.2f}' for t in every)} s; median {statistics.median(every):.2f} s "
          f"(per instance: " + "; ".join(f"{n}: {', '.join(f'{t:.2f}' for t in ts)}" for n, ts in answered.items())
          + ")")
    assert max(every) < 60
    engine.dispose()
