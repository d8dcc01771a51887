"""The console's downloads: the same files as `python -m bot export reports` and /xuat
(handlers/reports/exports.py builds the bytes), of the reports the Báo cáo filters select.
The one place the console imports the export code from: should it move, only this changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.web import filters
from content.loader import KnowledgeBase
from handlers.reports.exports import APPROVED_ONLY, ExportFile, export_file, row_of
from handlers.reports.texts import EXPORT_FORMATS
from storage.models import Report
from storage.reports import ReportStore

KINDS = EXPORT_FORMATS  # csv, xlsx, list, docx
# The list and the drafts go with the Tờ trình: an officer approved each of their reports.
APPROVED_KINDS = APPROVED_ONLY


def _reports(s: Session, f: filters.ReportFilter, kind: str, tz: ZoneInfo) -> list[Report]:
    """The reports a kind holds, oldest first as in the CLI's files: the list and the drafts
    keep approved ones only (another status chosen selects none)."""
    if kind in APPROVED_KINDS:
        if f.status not in (None, "approved"):
            return []
        f = replace(f, status="approved")
    return filters.select(s, f, tz, limit=None, oldest_first=True)


def counts(s: Session, f: filters.ReportFilter, tz: ZoneInfo) -> dict[str, int]:
    """How many reports each kind of file would hold."""
    every = filters.select(s, f, tz, limit=None)
    approved = sum(1 for r in every if r.status == "approved")
    return {kind: approved if kind in APPROVED_KINDS else len(every) for kind in KINDS}


def build(s: Session, kb: KnowledgeBase, kind: str, f: filters.ReportFilter, tz: ZoneInfo, today: date) -> ExportFile:
    store = ReportStore(s)
    return export_file(kb, kind, [row_of(store, kb, r, tz) for r in _reports(s, f, kind, tz)], today)
