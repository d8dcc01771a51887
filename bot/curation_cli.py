"""The curators' commands: `unanswered` (the questions the content could not answer,
grouped, small talk and commands left out) and `stats` (questions per day, the
share answered, the entries asked most)."""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

OUTCOMES = {"answer": "trả lời", "clarify": "hỏi lại (Ý đồng chí là...)", "fallback": "chưa trả lời được"}


def register(sub: argparse._SubParsersAction) -> dict:
    un = sub.add_parser("unanswered", help="questions the bot could not answer, and those sent to the Office",
                        description="The questions the bot could not answer, the same question typed differently "
                        "counted once (most asked first, with the last time, the closest entry and its score), "
                        "and the questions sent to the Office with their answers. Small talk, commands and text "
                        "without words are left out and counted.")
    un.add_argument("--limit", type=int, default=20, metavar="N",
                    help="show at most N rows of each list (default 20); the rows left out are counted")
    un.add_argument("--days", type=int, default=None, metavar="D", help="only questions of the last D days")
    un.add_argument("--csv", action="store_true",
                    help="write every group as CSV to standard output (for a spreadsheet) instead of the lists")
    st = sub.add_parser("stats", help="questions per day, how many were answered, the entries asked most",
                        description="Questions per day, the shares answered, clarified (\"Ý đồng chí là...\") "
                        "and not answered, and the entries asked most.")
    st.add_argument("--days", type=int, default=30, metavar="N", help="the last N days (default 30)")
    st.add_argument("--top", type=int, default=10, metavar="K", help="how many of the entries asked most (default 10)")
    return {"unanswered": _cmd_unanswered, "stats": _cmd_stats}


def _repo(settings):  # noqa: ANN001, ANN202
    from storage import db
    from storage.repo import Repository

    db.upgrade(settings.db_url)
    return Repository(db.make_engine(settings.db_url))


def _when(at: datetime, tz) -> str:  # noqa: ANN001
    from storage.models import aware

    return aware(at).astimezone(tz).strftime("%d/%m/%Y %H:%M")


def _cmd_unanswered(settings, args) -> int:  # noqa: ANN001
    from content.curation import Filter, LoggedQuestion, gaps
    from content.normalize import fold
    from storage.content_edits import EditStore
    from storage.models import aware

    repo = _repo(settings)
    since = datetime.now(UTC) - timedelta(days=args.days) if args.days else None
    rows = repo.questions(since=since, outcomes=("fallback", "clarify"))
    # Groups the Office dealt with in the console (a phrasing, a new entry, not our subject) are not listed.
    decided = {fold(t) for d in EditStore(repo.engine).decisions() for t in d.texts}
    found = gaps([LoggedQuestion(r.text, r.normalized, r.entry_id, r.score, aware(r.created_at)) for r in rows
                  if fold(r.text) not in decided], Filter.load(settings.content_dir))
    left_out = sum(found.left_out.values())
    skipped = (f"Đã bỏ qua {left_out} dòng không phải câu hỏi: "
               + "; ".join(f"{n} {why}" for why, n in found.left_out.most_common()) + ".") if left_out else ""
    if args.csv:
        out = csv.writer(sys.stdout)
        out.writerow(["so_lan", "lan_cuoi", "cau_hoi", "cach_viet_khac", "muc_gan_nhat", "diem"])
        for g in found.groups:
            out.writerow([g.count, _when(g.last_asked, settings.tz), g.text, " | ".join(g.variants),
                          g.best_entry or "", f"{g.best_score:.2f}"])
        if skipped:
            print(skipped, file=sys.stderr)
        return 0
    if not found.groups:
        print("Chưa có câu hỏi nào bị bỏ ngỏ.")
    else:
        print(f"Câu hỏi chưa trả lời được: {len(found.groups)} câu, {sum(g.count for g in found.groups)} lượt hỏi")
        print(f"{'lần':>4}  {'lần cuối':16}  câu hỏi  [mục gần nhất, điểm]")
        for g in found.groups[:args.limit]:
            hint = f"  [{g.best_entry}, {g.best_score:.2f}]" if g.best_entry else f"  [-, {g.best_score:.2f}]"
            print(f"{g.count:>4}  {_when(g.last_asked, settings.tz):16}  {g.text}{hint}")
            if g.variants:
                print(f"{'':24}cách viết khác: {'; '.join(g.variants[:5])}"
                      + (f" (và {len(g.variants) - 5} cách nữa)" if len(g.variants) > 5 else ""))
        _left_out(len(found.groups) - args.limit)
    if skipped:
        print(skipped)
    asked = repo.office_questions(limit=None, since=since)  # type: ignore[arg-type]
    if asked:
        print("\nCâu hỏi gửi Văn phòng (mới nhất trước):")
        for q in asked[:args.limit]:
            print(f"  #{q.id}  {_when(q.created_at, settings.tz)}  {q.asker_name or '?'} ({q.channel}): {q.question}")
            if q.status == "answered":
                print(f"        đã trả lời ({q.answerer_name or q.answered_by}, "
                      f"{_when(q.answered_at, settings.tz) if q.answered_at else ''}): {q.answer}")
            else:
                print("        chưa trả lời")
        _left_out(len(asked) - args.limit)
    return 0


def _left_out(n: int) -> None:
    if n > 0:
        print(f"  ... và {n} dòng nữa không hiển thị (xem thêm với --limit)")


def _cmd_stats(settings, args) -> int:  # noqa: ANN001
    from content.loader import load
    from storage.models import aware

    repo = _repo(settings)
    now = datetime.now(settings.tz)
    first_day = (now - timedelta(days=args.days - 1)).date()
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=settings.tz)
    rows = repo.questions(since=since)
    print(f"Câu hỏi từ {first_day:%d/%m/%Y} đến {now:%d/%m/%Y} ({args.days} ngày): {len(rows)}")
    if not rows:
        return 0
    per_day: dict[str, Counter] = {}
    for r in rows:
        day = aware(r.created_at).astimezone(settings.tz).strftime("%d/%m/%Y")
        per_day.setdefault(day, Counter())[r.outcome] += 1
    print("\nTheo ngày (ngày có câu hỏi):")
    for day, counts in per_day.items():
        parts = ", ".join(f"{OUTCOMES[o]} {counts[o]}" for o in OUTCOMES if counts[o])
        print(f"  {day}  {sum(counts.values()):>4}  ({parts})")
    total = Counter(r.outcome for r in rows)
    print("\nTỉ lệ: " + "; ".join(f"{OUTCOMES[o]} {total[o]} ({total[o] / len(rows):.0%})" for o in OUTCOMES))
    asked = Counter(r.entry_id for r in rows if r.outcome == "answer" and r.entry_id)
    if asked:
        try:
            titles = {e.id: e.title for e in load(settings.content_dir).entries}
        except Exception:  # noqa: BLE001 (broken content: the ids are still worth showing)
            titles = {}
        print("\nMục được hỏi nhiều nhất (câu trả lời):")
        for entry_id, n in asked.most_common(args.top):
            print(f"  {n:>4}  {entry_id}  {titles.get(entry_id, '')}".rstrip())
    return 0
