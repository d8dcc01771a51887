"""The size of the Office's content history after N edits (issue 23), and what it costs to read.

    python -m benchmarks.content_history [--edits 1000] [--database-url postgresql://...]

Each edit is what the console saves: the whole entry, one phrasing added, cycling over
the shipped entries (so every entry is edited about N/100 times). Prints the bytes the
history takes (SQLite: the database file's growth; PostgreSQL: the table with its
indexes and TOAST), the JSON per row, and the time of the poll (`version()`), of reading
the overlay and of building the content with it; then a few saves through the service
(checks and reload included).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from content import DEFAULT_CONTENT_DIR
from content.entry_problems import entry_data
from content.loader import load
from content.service import Knowledge, build
from handlers.curation_service import Curation
from storage import db
from storage.content_edits import EditStore, entry_hash


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edits", type=int, default=1000)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bot.sqlite3"
        db.upgrade(url)
        engine = db.make_engine(url)
        store = EditStore(engine)
        before = _size(engine, url)
        kb = load(DEFAULT_CONTENT_DIR)
        current = {e.id: entry_data(e) for e in kb.entries}
        ids = list(current)
        started = time.perf_counter()
        json_bytes = 0
        for n in range(args.edits):
            entry_id = ids[n % len(ids)]
            data = dict(current[entry_id])
            data["questions"] = [*data["questions"], f"cách hỏi thêm số {n + 1} của văn phòng"]
            row = store.save(entry_id, data, base_version=store.entry_version(entry_id), by="telegram:1",
                             repo_hash=entry_hash(entry_data(kb.by_id[entry_id])))
            current[entry_id] = data
            json_bytes += len(json.dumps(row.data, ensure_ascii=False).encode("utf-8"))
        wrote = time.perf_counter() - started
        after = _size(engine, url)
        polls = _times(store.version, 200)
        overlays = _times(store.overlay, 20)
        overlay = store.overlay()
        builds = _times(lambda: build(DEFAULT_CONTENT_DIR, overlay.entries, overlay.version), 3)
        print(f"{args.edits} edits on {engine.dialect.name}: history {_mb(after - before)} "
              f"({(after - before) / args.edits / 1024:.1f} KB an edit; JSON {json_bytes / args.edits / 1024:.1f} KB "
              f"an edit, {_mb(json_bytes)} in all); written in {wrote:.1f} s")
        print(f"poll (version()): median {statistics.median(polls) * 1000:.2f} ms; overlay(): median "
              f"{statistics.median(overlays) * 1000:.1f} ms; content built with the overlay: median "
              f"{statistics.median(builds):.2f} s")
        cur = Curation(Knowledge(DEFAULT_CONTENT_DIR, store), store)
        saves = []
        for n in range(3):
            form = entry_data(cur.entry("ho-so-gom").entry)
            form["keywords"] = [*form.get("keywords", []), f"từ khóa thử {n}"]
            t = time.perf_counter()
            assert cur.save(form, "telegram:1", cur.entry("ho-so-gom").version).saved
            saves.append(time.perf_counter() - t)
        print(f"a save through the service (checks, store, reload): median {statistics.median(saves):.2f} s")
        if url.startswith("postgres"):
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE content_edits, content_gap_decisions"))
                conn.execute(text("DELETE FROM alembic_version"))
        engine.dispose()


def _times(fn, n: int) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def _size(engine, url: str) -> int:  # noqa: ANN001
    if url.startswith("sqlite"):
        with engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return Path(url.split("///", 1)[1]).stat().st_size
    with engine.connect() as conn:
        return conn.execute(text("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                                 "WHERE c.relname = 'content_edits'")).scalar_one()


def _mb(n: float) -> str:
    return f"{n / 1024 / 1024:.2f} MB"


if __name__ == "__main__":
    main()
