"""The officers' console's pages with many reports: how long each takes to render.

Fills a fresh SQLite database with N reports (default 1,000, a photo each), 5,000
logged questions over 30 days, 50 Office questions and 5 deadlines, serves the
console on 127.0.0.1, signs in, and asks each page (and the exports) 5 times; prints the median and
the worst time of each (milliseconds, the whole request over HTTP).

    python benchmarks/console_pages.py [--reports 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import ClientSession  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from storage import reports as rq  # noqa: E402
from storage.models import Deadline, OfficeQuestion, QuestionLog, User, utcnow  # noqa: E402
from tests.web_console import cookie_header, png, serve  # noqa: E402

STATUSES = ["pending", "needs_info", "approved", "rejected"]
UNITS = ["van-phong", "vks-tinh"]


def fill(app, n: int) -> str:  # noqa: ANN001
    rnd = random.Random(7)
    now = utcnow()
    with Session(app.repo.engine, expire_on_commit=False) as s:
        user = User(channel="zalo", external_id="u-bench", display_name="Nguyễn Văn An")
        s.add(user)
        s.flush()
        code = ""
        for i in range(n):
            photo = app.files.put(png(64 + i % 50, 40), mime_type="image/png", original_name=f"anh-{i}.png",
                                  owner_user_id=user.id, channel="zalo", session=s)
            r = rq.submit(s, rq.NewReport(
                user_id=user.id, channel="zalo", chat_id="u-bench", submitter_name="Nguyễn Văn An",
                submitter_unit_id=rnd.choice(UNITS), subject_kind="colleague", subject_name=f"Người số {i}",
                subject_unit_id=rnd.choice(UNITS), criterion="2.1", story="Câu chuyện " * 40,
                happened_on=date(2026, 1, 1) + timedelta(days=i % 300), submit_key=f"bench-{i}"),
                [photo.id], "zalo:u-bench", now=now - timedelta(minutes=i), tz=app.settings.tz)
            r.status = rnd.choice(STATUSES)
            code = r.code
        for i in range(5000):
            s.add(QuestionLog(channel="zalo", text=f"câu hỏi {i % 300}", normalized=f"cau hoi {i % 300}",
                              outcome=rnd.choice(["answer", "answer", "clarify", "fallback"]),
                              created_at=now - timedelta(minutes=rnd.randrange(30 * 24 * 60))))
        for i in range(50):
            s.add(OfficeQuestion(user_id=user.id, channel="zalo", chat_id="u-bench", question=f"Câu hỏi {i}?",
                                 status="open" if i % 2 else "answered", answer=None if i % 2 else "Trả lời.",
                                 created_at=now - timedelta(hours=i), answered_at=None if i % 2 else now))
        for i in range(5):
            s.add(Deadline(key=f"bench:{i}", title=f"Hạn {i}", due_at=now + timedelta(days=i + 1), audience="all"))
        s.commit()
        return code


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reports", type=int, default=1000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(load_settings(data_dir=Path(tmp) / "data"))
        started = time.monotonic()
        code = fill(app, args.reports)
        print(f"filled {args.reports} reports in {time.monotonic() - started:.1f} s")
        async with serve(app) as srv, ClientSession() as http:
            cookie, _ = await srv.sign_in(http)
            pages = {"Tổng quan": "/van-phong/", "Báo cáo (200 newest of all)": "/van-phong/bao-cao",
                     "Báo cáo, status filter": "/van-phong/bao-cao?trang-thai=approved&don-vi=van-phong",
                     "Báo cáo, search (all stories)": "/van-phong/bao-cao?tim=nguoi+so+99",
                     "one report": f"/van-phong/bao-cao/{code}", "Hỏi Văn phòng": "/van-phong/hoi-van-phong",
                     "Xuất (counts)": "/van-phong/xuat", "Lịch nhắc hạn": "/van-phong/lich-nhac-han",
                     "xlsx of every report": "/van-phong/xuat/xlsx", "csv of every report": "/van-phong/xuat/csv"}
            for name, path in pages.items():
                times = []
                for _ in range(5):
                    t0 = time.perf_counter()
                    async with http.get(srv.url + path, headers=cookie_header(cookie)) as r:
                        await r.read()
                        assert r.status == 200, (path, r.status)
                    times.append((time.perf_counter() - t0) * 1000)
                print(f"{name:32} median {statistics.median(times):6.1f} ms, worst {max(times):6.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
