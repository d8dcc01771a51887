"""The reports' filters, as the Báo cáo list and the Xuất page share them: read from the
query string (a value the content does not know is ignored, never an error), turned back
into one, offered as the form's choices, and applied.

The search box is matched here rather than in SQL: "binh" should find "Bình" and "Đồng"
"đồng", and neither SQLite's LIKE nor lower() fold Vietnamese letters."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from multidict import MultiMapping
from sqlmodel import Session

from bot.web import texts
from content.loader import KnowledgeBase
from content.normalize import fold
from storage import console_queries as q
from storage.models import Report

SEARCH_MAX = 100  # characters of the search box kept

# Query-string names, Vietnamese like the pages' addresses.
PARAMS = {"status": "trang-thai", "unit": "don-vi", "since": "tu", "until": "den", "criterion": "tieu-chi",
          "award": "de-xuat", "text": "tim"}


@dataclass(frozen=True)
class ReportFilter:
    status: str | None = None
    unit: str | None = None
    since: date | None = None
    until: date | None = None
    criterion: str | None = None
    award: str | None = None  # an award id, or q.WITHOUT_AWARD
    text: str = ""

    def query(self) -> str:
        """The query string that selects the same reports ('' when nothing is chosen)."""
        pairs = [(PARAMS[k], v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v]
        return urlencode(pairs)

    def described(self) -> dict:
        """For the audit record of an export: what was chosen."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse(query: MultiMapping[str], kb: KnowledgeBase) -> ReportFilter:
    def known(name: str, ids: list[str]) -> str | None:
        value = query.get(PARAMS[name]) or None
        return value if value in ids else None

    form = kb.report_form
    return ReportFilter(
        status=known("status", list(texts.STATUS)),
        unit=known("unit", [u.id for u in kb.units]),
        since=_day(query.get(PARAMS["since"])), until=_day(query.get(PARAMS["until"])),
        criterion=known("criterion", [c.id for c in form.criteria] if form else []),
        award=known("award", ([a.id for a in form.awards] if form else []) + [q.WITHOUT_AWARD]),
        text=" ".join((query.get(PARAMS["text"]) or "").split())[:SEARCH_MAX],
    )


def choices(f: ReportFilter, kb: KnowledgeBase) -> dict:
    """The form's options, the chosen ones marked, and its text fields' values."""
    def options(pairs: list[tuple[str, str]], chosen: str | None) -> list[dict]:
        return [{"value": v, "label": label, "selected": v == chosen} for v, label in pairs]

    form = kb.report_form
    awards = [(a.id, a.name) for a in form.awards] if form else []
    return {
        "statuses": options(list(texts.STATUS.items()), f.status),
        "units": options([(u.id, u.name) for u in kb.units], f.unit),
        "criteria": options([(c.id, c.label) for c in form.criteria] if form else [], f.criterion),
        "awards": options(awards + [(q.WITHOUT_AWARD, texts.NO_AWARD)], f.award),
        "since": f.since.isoformat() if f.since else "", "until": f.until.isoformat() if f.until else "",
        "text": f.text,
    }


def matches(r: Report, words: list[str]) -> bool:
    """Every word of the search in the code, the names or the story (case and accents aside)."""
    hay = fold(" ".join((r.code, r.subject_name, r.submitter_name, r.story)))
    return all(w in hay for w in words)


def select(s: Session, f: ReportFilter, tz: ZoneInfo, limit: int | None, oldest_first: bool = False) -> list[Report]:
    words = fold(f.text).split()
    rows = q.reports(s, status=f.status, unit=f.unit, since=f.since, until=f.until, criterion=f.criterion,
                     award=f.award, tz=tz, limit=None if words else limit, oldest_first=oldest_first)
    if words:
        rows = [r for r in rows if matches(r, words)]
        if limit is not None:
            rows = rows[:limit]
    return rows
