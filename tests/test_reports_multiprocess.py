"""Good-example reports across real `python -m bot` processes on one PostgreSQL:

- many staff press Confirm at the same moment on two webhook instances (some
  updates posted to both): every report stored once, codes GT-<year>-0001..N with
  no gap and no repeat, each person told their own code once;
- a draft survives `kill -9` and resumes at the same step; a Confirm accepted by an
  instance killed before it answered is stored once and answered after restart.

Needs TEST_DATABASE_URL (skipped otherwise)."""

from __future__ import annotations

import asyncio
import random
import re
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from sqlmodel import Session, col, select

from bot.telegram.channel import SECRET_HEADER, WEBHOOK_PATH
from storage import profiles
from storage.models import OutboxMessage, Report
from storage.repo import Repository
from storage.turns import TurnStore
from tests import test_multiprocess as mp
from tests.fake_telegram import keyboard, visible_text
from tests.people import person
from tests.procs import Procs, free_port
from tests.test_multiprocess import SECRET, SlowFake, bot_env, wait_until

# The fixtures of the multi-process tests: a PostgreSQL schema, its engine, the fake Bot API (the processes: conftest).
pg_url, engine, fake = mp.pg_url, mp.engine, mp.fake

USERS = 24
CODE = re.compile(r"GT-(\d{4})-(\d{4})")


def seed_drafts(engine: Any, users: list[int]) -> None:
    """Each person with a profile and a report draft at its summary, as the form leaves it."""
    repo = Repository(engine)
    for uid in users:
        user = person(repo, "telegram", str(uid), f"U{uid}")
        with Session(engine) as s:
            profiles.save_profile(s, user.id, full_name=f"Cán bộ {uid}", unit_id="van-phong")
            values = {"draft": uuid.uuid4().hex, "subject": "colleague", "name": f"Đồng chí của {uid}",
                      "subject_unit": "van-phong", "criterion": "2.1", "when": "2026-03-01", "attached": [],
                      "story": f"Người được nêu gương của {uid} đã trực chốt kiểm dịch nhiều ngày liền.",
                      "files": "none"}
            TurnStore(s).save_state(user.id, {"flow": {"name": "report", "step": "confirm", "values": values,
                                                       "history": []}}, None)
            s.commit()


async def test_two_instances_confirming_at_once_give_gapless_unique_codes(fake: SlowFake, engine: Any, pg_url: str,
                                                                          procs: Procs, tmp_path: Path):
    users = [8_100_001 + i for i in range(USERS)]
    seed_drafts(engine, users)
    insts = []
    for name in ("web-a", "web-b"):
        port = free_port()
        insts.append(procs.start(name, ["run", "--webhook"], bot_env(tmp_path, fake.url, pg_url, PORT=port,
                                                                      TELEGRAM_WEBHOOK_SECRET=SECRET), port=port))
    await asyncio.gather(*(p.wait_healthy(60) for p in insts))
    rng = random.Random(7)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        async def post(inst: Any, update: dict) -> None:
            async with http.post(inst.url + WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET}) as resp:
                assert resp.status == 200, await resp.text()

        async def confirm(uid: int) -> None:
            update = fake.callback_update(uid, "f:confirm:send")
            first = rng.randrange(2)
            if rng.random() < 0.3:  # delivered to both instances at once
                await asyncio.gather(post(insts[first], update), post(insts[1 - first], update))
            else:
                await post(insts[first], update)
            # Pressed again a moment later (a new update: a second tap).
            if rng.random() < 0.3:
                await post(insts[1 - first], fake.callback_update(uid, "f:confirm:send"))

        await asyncio.gather(*(confirm(u) for u in users))

    def told() -> dict[int, list[str]]:
        return {u: [m.group(0) for c in fake.messages_to(u) if (m := CODE.search(visible_text(c)))] for u in users}

    await wait_until(lambda: all(told().values()), 60, lambda: f"codes told: {told()}")
    with Session(engine) as s:
        rows = s.exec(select(Report).order_by(Report.id)).all()
    year = date.today().year
    numbers = sorted(int(CODE.search(r.code).group(2)) for r in rows)
    assert numbers == list(range(1, USERS + 1)), numbers
    assert all(r.code.startswith(f"GT-{year}-") for r in rows)
    assert sorted(int(r.chat_id) for r in rows) == users  # one report per person
    mine = told()
    # One code each; a second tap is told the report went, with that same code.
    assert all(len(set(codes)) == 1 for codes in mine.values()), mine
    for u in users:
        coded = [visible_text(c) for c in fake.messages_to(u) if CODE.search(visible_text(c))]
        assert sum("Đã gửi báo cáo, mã" in t for t in coded) == 1, coded
    assert {u: codes[0] for u, codes in mine.items()} == {int(r.chat_id): r.code for r in rows}
    print(f"\n[reports] {USERS} confirmations on two instances: codes 0001..{USERS:04d}, no gap, no repeat")


async def test_a_draft_survives_kill_9_and_a_confirm_is_stored_once(fake: SlowFake, engine: Any, pg_url: str,
                                                                    procs: Procs, tmp_path: Path):
    port = free_port()
    # A short lease: a reply the killed process had claimed goes out soon after the restart.
    env = bot_env(tmp_path, fake.url, pg_url, PORT=port, TELEGRAM_WEBHOOK_SECRET=SECRET, OUTBOX_LEASE_SECONDS=3)
    uid = 8_200_001
    bot = procs.start("first", ["run", "--webhook"], env, port=port)
    await bot.wait_healthy(60)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        async def say(text: str | None = None, press: str | None = None) -> Any:
            before = len(fake.messages_to(uid))
            update = fake.callback_update(uid, press) if press else fake.message_update(uid, text, first_name="Hà")
            async with http.post(bot.url + WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET}) as resp:
                assert resp.status == 200
            await wait_until(lambda: len(fake.messages_to(uid)) > before, 30, "an answer")
            await asyncio.sleep(0)  # let a second reply of the same turn arrive
            return fake.messages_to(uid)[-1]

        def press_of(msg: Any, part: str) -> str:
            return next(data for label, data in keyboard(msg) if part.lower() in label.lower())

        m = await say("/gui")
        m = await say("Đỗ Thu Hà")
        m = await say(press=press_of(m, "Văn phòng"))
        m = await say(press=press_of(m, "Bản thân"))
        m = await say(press=press_of(m, "2.5"))
        m = await say("Tôi đã số hóa toàn bộ hồ sơ kiểm sát của phòng để làm việc từ xa trong đợt giãn cách.")
        assert "khi nào" in visible_text(m)

        bot.kill()  # mid-draft
        bot = procs.start("second", ["run", "--webhook"], env, port=port)
        await bot.wait_healthy(60)

        # Killed between sending its last reply and recording it, the first process leaves the
        # row claimed; the second sends it again once the lease ends. Wait for that, so the
        # repeated prompt is not read as the answer to the next message.
        def settled() -> bool:
            with Session(engine) as s:
                return s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == str(uid),
                                                          col(OutboxMessage.status).in_(("pending", "sending")))
                              ).first() is None

        await wait_until(settled, 30, "the outbox settled after the restart")
        m = await say("hôm qua")  # the same step, the same draft
        assert "minh chứng" in visible_text(m)
        m = await say(press=press_of(m, "Không có tệp"))
        assert "Đỗ Thu Hà" in visible_text(m) and "số hóa toàn bộ" in visible_text(m)

        # Confirm accepted, then the process dies before it can answer.
        before = len(fake.messages_to(uid))
        update = fake.callback_update(uid, press_of(m, "Gửi báo cáo"))
        fake.send_delay = 5.0  # the answer cannot leave before the kill
        async with http.post(bot.url + WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET}) as resp:
            assert resp.status == 200
        bot.kill()
        fake.send_delay = 0.0
        bot = procs.start("third", ["run", "--webhook"], env, port=port)
        await bot.wait_healthy(60)
        # Telegram redelivers the update it may not have seen answered.
        async with http.post(bot.url + WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET}) as resp:
            assert resp.status == 200
        await wait_until(lambda: any(CODE.search(visible_text(c)) for c in fake.messages_to(uid)[before:]), 120,
                         "the code after restart")
        await asyncio.sleep(1.0)  # time for a wrong second answer to show up
        codes = [CODE.search(visible_text(c)).group(0) for c in fake.messages_to(uid)[before:]
                 if CODE.search(visible_text(c))]
    with Session(engine) as s:
        rows = s.exec(select(Report)).all()
    assert len(rows) == 1 and rows[0].subject_kind == "self" and rows[0].criterion == "2.5"
    # "hôm qua" is yesterday where the staff are (the bot's TIMEZONE), not on this machine's clock.
    yesterday = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() - timedelta(days=1)
    assert rows[0].happened_on == yesterday and rows[0].submitter_name == "Đỗ Thu Hà"
    assert len(set(codes)) == 1 and codes[0] == rows[0].code, codes
