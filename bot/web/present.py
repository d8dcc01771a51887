"""Rows as the pages show them: local times, Vietnamese labels, the chart's geometry.
The templates only place what is computed here."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.downloads import human_size
from bot.web import texts
from bot.web.console import PREFIX
from content.loader import KnowledgeBase
from storage.console_queries import AskedQuestion, DeadlineProgress
from storage.models import OfficeQuestion, Report, ReportEvent, ReportFile, StoredFile, aware

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


def when(at: datetime | None, tz: ZoneInfo) -> str:
    return aware(at).astimezone(tz).strftime("%d/%m/%Y %H:%M") if at else ""


def day(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def unit_name(kb: KnowledgeBase, unit_id: str | None) -> str:
    return kb.unit_name(unit_id) if unit_id else ""


def criterion(kb: KnowledgeBase, cid: str) -> str:
    c = kb.report_form.criterion(cid) if kb.report_form else None
    return c.label if c else cid


def award(kb: KnowledgeBase, aid: str | None) -> str:
    if not aid:
        return texts.NO_AWARD
    a = kb.report_form.award(aid) if kb.report_form else None
    return a.name if a else aid


def audience(kb: KnowledgeBase, value: str) -> str:
    if value == "all":
        return texts.AUDIENCE_ALL
    if value == "unit_leaders":
        return texts.AUDIENCE_LEADERS
    return unit_name(kb, value.removeprefix("unit:"))


def report_row(r: Report, kb: KnowledgeBase, tz: ZoneInfo) -> dict:
    return {"code": r.code, "subject": r.subject_name, "unit": unit_name(kb, r.subject_unit_id or r.submitter_unit_id),
            "criterion": criterion(kb, r.criterion), "status": texts.STATUS.get(r.status, r.status),
            "status_class": f"st-{r.status}", "sent": when(r.created_at, tz), "submitter": r.submitter_name}


def report_page(r: Report, files: list[tuple[ReportFile, StoredFile]], events: list[ReportEvent],
                kb: KnowledgeBase, tz: ZoneInfo, base: str) -> dict:
    photos, documents = [], []
    for _rf, f in files:
        item = {"url": f"{base}/bao-cao/{r.code}/tep/{f.id}", "name": f.original_name or f"tệp {f.id}",
                "size": human_size(f.size)}
        (photos if f.mime_type in IMAGE_TYPES else documents).append(item)
    return {
        **report_row(r, kb, tz),
        "subject_kind": texts.SUBJECT.get(r.subject_kind, r.subject_kind),
        "submitter_unit": unit_name(kb, r.submitter_unit_id),
        "story": r.story, "happened": _happened(r), "award": award(kb, r.proposed_award),
        "review_note": r.review_note or "", "reviewer": r.reviewer_name or r.reviewed_by or "",
        "reviewed": when(r.reviewed_at, tz), "photos": photos, "documents": documents,
        "events": [{"what": texts.EVENT.get(e.kind, e.kind), "who": e.by_name or e.by, "at": when(e.created_at, tz),
                    "note": e.note or ""} for e in events],
    }


def _happened(r: Report) -> str:
    d = r.happened_on
    if r.happened_precision == "year":
        return f"năm {d.year}"
    if r.happened_precision == "month":
        return f"tháng {d.month:02d}/{d.year}"
    return day(d)


def question_row(q: OfficeQuestion, tz: ZoneInfo) -> dict:
    return {"id": q.id, "asker": q.asker_name or f"{q.channel}:{q.chat_id}", "channel": q.channel.capitalize(),
            "question": q.question, "asked": when(q.created_at, tz), "answer": q.answer or "",
            "answerer": q.answerer_name or q.answered_by or "", "answered": when(q.answered_at, tz)}


def deadline_row(p: DeadlineProgress, kb: KnowledgeBase, tz: ZoneInfo, example: bool) -> dict:
    return {"title": p.deadline.title, "url": f"{PREFIX}/lich-nhac-han/{p.deadline.id}",
            "due": when(p.deadline.due_at, tz), "audience": audience(kb, p.deadline.audience),
            "acknowledged": p.acknowledged, "total": p.total, "example": texts.EXAMPLE if example else ""}


def asked_row(a: AskedQuestion, tz: ZoneInfo) -> dict:
    return {"text": a.text, "count": a.count, "last": when(a.last_asked, tz)}


# --- the chart of questions per day ------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # the CSS class that colours it
    title: str


WIDTH, HEIGHT, LEFT, RIGHT, BOTTOM, TOP = 400, 170, 26, 18, 20, 8
SERIES = (("answer", "c-ans"), ("clarify", "c-cla"), ("fallback", "c-dec"))


def chart(days: list[tuple[date, Counter]]) -> dict:
    """Stacked bars, one per day: answered, clarified, declined; the scale rounded up so the
    top label is a round number."""
    most = max((sum(c[k] for k, _ in SERIES) for _d, c in days), default=0)
    top = _nice(most)
    plot_h = HEIGHT - BOTTOM - TOP
    step = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    bars: list[Bar] = []
    labels = []
    for i, (d, counts) in enumerate(days):
        x = LEFT + i * step + step * 0.15
        y = HEIGHT - BOTTOM
        for key, css in SERIES:
            n = counts[key]
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            bars.append(Bar(round(x, 1), round(y, 1), round(step * 0.7, 1), round(h, 1), css,
                            f"{d.strftime('%d/%m')}: {n} câu {texts.OUTCOME[key]}"))
        if (len(days) - 1 - i) % 7 == 0:  # today, and a week apart before it
            labels.append({"x": round(LEFT + i * step + step / 2, 1), "text": d.strftime("%d/%m")})
    totals = {key: sum(c[key] for _d, c in days) for key, _ in SERIES}
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "base": HEIGHT - BOTTOM, "top_y": TOP,
            "top": top, "mid": top // 2, "mid_y": TOP + plot_h / 2, "bars": bars, "labels": labels,
            "label_y": HEIGHT - 6, "answered": totals["answer"], "clarified": totals["clarify"],
            "declined": totals["fallback"], "empty": most == 0}


def _nice(n: int) -> int:
    """The smallest of 2, 4, 10, 20, 40, 100... that is at least n (at least 2, so a scale shows)."""
    scale = 1
    while True:
        for m in (2, 4, 10):
            if n <= m * scale:
                return m * scale
        scale *= 10
