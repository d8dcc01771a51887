"""`python -m bot export reports ...`: the good-example reports as CSV, XLSX, the award
list that goes with the Tờ trình, or the "Bản tóm tắt thành tích" drafts (DOCX)."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import tempfile
from datetime import date
from pathlib import Path

from handlers.reports.texts import EXPORT_FORMATS

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def register(sub: argparse._SubParsersAction) -> dict:
    ex = sub.add_parser("export", help="export good-example reports to a file")
    ex_sub = ex.add_subparsers(dest="action", required=True)
    rep = ex_sub.add_parser(
        "reports", help="reports as csv, xlsx, list (Danh sách đề nghị khen thưởng) or docx (Bản tóm tắt thành tích)",
        description="Write the good-example reports to a file. csv/xlsx: one row per report; list: the approved "
                    "reports grouped by proposed award with the dossier copies each needs; docx: one 'Bản tóm tắt "
                    "thành tích' draft per approved report. list and docx always take approved reports only.")
    rep.add_argument("--format", required=True, choices=EXPORT_FORMATS, help="csv | xlsx | list | docx")
    rep.add_argument("--out", required=True, metavar="PATH", help="the file to write (replaced if it exists)")
    rep.add_argument("--status", help="pending | needs_info | approved | rejected | withdrawn (default: all; "
                                      "list and docx: approved)")
    rep.add_argument("--since", metavar="YYYY-MM-DD", help="only reports sent on or after this local date")
    rep.add_argument("--award", metavar="ID", help="only reports proposed for this award (an id of "
                                                   "content/report_form.yaml awards, e.g. bk-ttg)")
    return {"export": _cmd_export}


def _write(path: Path, data: bytes) -> None:
    """Write next to the target, then rename: a failure never leaves half a file at PATH."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _cmd_export(settings, args) -> int:  # noqa: ANN001
    from sqlmodel import Session

    from content.loader import load
    from handlers.reports.exports import APPROVED_ONLY, SUFFIXES, ExportError, build_export, check_filters
    from storage import db
    from storage.reports import ReportStore

    since = None
    if args.since is not None:
        try:
            if not _DAY.fullmatch(args.since.strip()):
                raise ValueError
            since = date.fromisoformat(args.since.strip())
        except ValueError:
            print(f"--since {args.since!r}: ngày không hợp lệ, cần dạng YYYY-MM-DD (ví dụ 2026-01-31).",
                  file=sys.stderr)
            return 2
    out = Path(args.out)
    try:
        is_dir, parent_ok = out.is_dir(), out.parent.is_dir()
    except OSError as exc:  # e.g. a name too long for the file system
        print(f"--out {out}: không ghi được tệp ({exc.strerror or exc}).", file=sys.stderr)
        return 1
    if is_dir:
        print(f"--out {out}: đây là một thư mục, cần đường dẫn tới tệp.", file=sys.stderr)
        return 2
    if not parent_ok:
        print(f"--out {out}: thư mục {out.parent} không tồn tại.", file=sys.stderr)
        return 2
    kb = load(settings.content_dir)
    try:
        # Checked before the database is touched: a typo costs nothing.
        check_filters(kb, args.format, args.status, args.award)
    except ExportError as exc:
        print(exc, file=sys.stderr)
        return 2
    suffix = SUFFIXES[args.format]
    if out.suffix.lower() != suffix:
        # An Excel file named .docx opens as a broken Word document on the officer's desk.
        print(f"--out {out}: định dạng {args.format} ghi tệp {suffix}, cần tên tệp đuôi {suffix} "
              f"(ví dụ {out.with_suffix(suffix).name}).", file=sys.stderr)
        return 2
    db.upgrade(settings.db_url)
    engine = db.make_engine(settings.db_url)
    try:
        with Session(engine) as s:
            export = build_export(ReportStore(s), kb, args.format, status=args.status, since=since, award=args.award,
                                  tz=settings.tz)
    finally:
        engine.dispose()
    if export.count == 0:
        which = "đã duyệt " if args.format in APPROVED_ONLY else ""
        print(f"Không có báo cáo {which}nào phù hợp với bộ lọc; không ghi tệp {out}.", file=sys.stderr)
        return 1
    try:
        _write(out, export.data)
    except OSError as exc:
        print(f"--out {out}: không ghi được tệp ({exc.strerror or exc}).", file=sys.stderr)
        return 1
    print(f"Đã ghi {export.count} báo cáo vào {out}")
    return 0
