"""Lịch nhắc hạn: the deadlines, coming and past, with their audience and the moments their
reminders go; per deadline who was reminded, who said "Đã nộp" and what failed; and how many
people an announcement would reach. Its forms post to bot/web/deadline_actions.py."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlmodel import Session

from bot.web import present, texts
from bot.web.console import OFFICER, OFFICER_NAME, PREFIX, console_of
from bot.web.guard import refusal
from bot.web.views import page
from content.deadlines import AUDIENCE_ALL, AUDIENCE_LEADERS, UNIT_PREFIX, next_occurrence, slots
from content.loader import KnowledgeBase
from storage import console_queries as q
from storage.announcements import announcements, outbox_prefix
from storage.models import Deadline, aware, utcnow
from storage.reminders import is_example, recipients, reminder_prefix
from storage.reports import person_name

PAST_LIMIT = 50  # past and cancelled deadlines listed, the latest first
DELIVERIES_LIMIT = 500  # of one deadline's reminders listed (and of its failed ones)


def _audiences(kb: KnowledgeBase, chosen: str) -> list[dict]:
    pairs = [(AUDIENCE_ALL, texts.AUDIENCE_ALL), (AUDIENCE_LEADERS, texts.AUDIENCE_LEADERS)] + [
        (f"{UNIT_PREFIX}{u.id}", u.name) for u in kb.units]
    return [{"value": v, "label": label, "selected": v == chosen} for v, label in pairs]


def _audience_of(value: str | None, kb: KnowledgeBase) -> str:
    if value in (AUDIENCE_ALL, AUDIENCE_LEADERS):
        return value
    if value and value.startswith(UNIT_PREFIX) and any(u.id == value[len(UNIT_PREFIX):] for u in kb.units):
        return value
    return AUDIENCE_ALL


def _slots(d: Deadline, due: datetime, now: datetime, c) -> list[dict]:  # noqa: ANN001
    out = []
    for slot in sorted(slots(due, d.offsets, d.send_time, c.tz), key=lambda x: x.send_at):
        out.append({"label": texts.DAYS_BEFORE.format(n=slot.offset) if slot.offset else texts.ON_THE_DAY,
                    "at": present.when(slot.send_at, c.tz), "passed": slot.send_at <= now})
    return out


def _summary(s: Session, d: Deadline, due: datetime, now: datetime, c) -> dict:  # noqa: ANN001
    kb = c.knowledge.kb
    sent = q.outbox_by_status(s, reminder_prefix(d.id, due))  # type: ignore[arg-type]
    example = is_example(d)
    acked = q.acks_of(s, d.id, due)  # type: ignore[arg-type]
    return {
        "id": d.id, "url": f"{PREFIX}/lich-nhac-han/{d.id}", "title": d.title, "due": present.when(due, c.tz),
        "audience": present.audience(kb, d.audience), "repeat": texts.REPEAT.get(d.repeat or "", ""),
        "tags": [t for t in (texts.EXAMPLE if example else "", texts.CANCELLED if d.status != "active" else "") if t],
        "slots": _slots(d, due, now, c), "note": d.note or "", "active": d.status == "active" and due > now,
        "sent": sent.get("sent", 0), "failed": sum(sent.get(k, 0) for k in texts.FAILED),
        "waiting": sent.get("pending", 0) + sent.get("sending", 0), "acked": acked,
        "total": max(0 if example else len(recipients(s, d.audience)), acked),
        # An example's "make real" form starts from its date (bot/web/example_deadline_pages.py).
        "example": example and d.status == "active",
        "due_day": f"{aware(d.due_at).astimezone(c.tz):%Y-%m-%d}", "due_time": f"{aware(d.due_at).astimezone(c.tz):%H:%M}",
    }


async def deadlines(request: web.Request) -> web.Response:
    c = console_of(request)
    kb = c.knowledge.kb
    audience = _audience_of(request.query.get("doi-tuong"), kb)
    now = utcnow()

    def read(s: Session) -> dict:
        coming, past = [], []
        for d in q.deadlines(s):
            due = next_occurrence(aware(d.due_at), d.repeat, now)
            row = _summary(s, d, due, now, c)
            (coming if d.status == "active" and due > now else past).append(row)
        reach = q.reach(s, audience)
        sent = [{"text": a.text, "audience": present.audience(kb, a.audience), "at": present.when(a.created_at, c.tz),
                 "recipients": a.recipients, "by": person_name(s, a.created_by) or a.created_by or "",
                 **_delivered(q.outbox_by_status(s, outbox_prefix(a.id)))} for a in announcements(s, 5)]
        return {"coming": coming, "past": list(reversed(past))[:PAST_LIMIT],
                "reach": {"total": sum(reach.values()), "telegram": reach.get("telegram", 0), "value": audience,
                          "zalo": reach.get("zalo", 0), "audience": present.audience(kb, audience)},
                "announcements": sent, "officer_name": person_name(s, request[OFFICER])}

    data = await c.db(read)
    request[OFFICER_NAME] = data.pop("officer_name")
    return page(request, "deadlines.html", nav="lich-nhac-han", audiences=_audiences(kb, audience), **data)


def _delivered(counts: dict[str, int]) -> dict:
    return {"sent": counts.get("sent", 0), "failed": sum(counts.get(k, 0) for k in texts.FAILED)}


def _occurrence(key: str) -> tuple[datetime | None, int | None]:
    """The occurrence and the offset a reminder's outbox key names
    (rem:<deadline id>:<due>:<offset>:<channel>:<user>)."""
    parts = key.split(":")
    try:
        return datetime.fromtimestamp(int(parts[2]), tz=UTC), int(parts[3])
    except (IndexError, ValueError):
        return None, None


def _delivery(x: q.Delivery, tz: ZoneInfo) -> dict:
    occurrence, offset = _occurrence(x.row.dedup_key)
    slot = "" if offset is None else texts.DAYS_BEFORE.format(n=offset) if offset else texts.ON_THE_DAY
    failed = x.row.status in texts.FAILED
    return {"who": x.name, "channel": x.row.channel.capitalize(), "due": present.when(occurrence, tz), "slot": slot,
            "status": texts.DELIVERY.get(x.row.status, x.row.status), "status_class": "bad" if failed else "",
            "at": present.when(x.row.sent_at or x.row.not_before, tz),
            "error": (x.row.last_error or "")[:200] if failed else ""}


async def deadline(request: web.Request) -> web.Response:
    done = texts.EXAMPLE_MADE_REAL if request.query.get("that") else ""
    return await render_deadline(request, done=done)


async def render_deadline(request: web.Request, problems: list[str] | None = None, done: str = "",
                          status: int = 200) -> web.Response:
    c = console_of(request)
    raw = request.match_info["id"]
    now = utcnow()

    def read(s: Session) -> dict | None:
        d = q.deadline_by_id(s, int(raw)) if raw.isdigit() and len(raw) < 10 else None
        if d is None:
            return None
        due = next_occurrence(aware(d.due_at), d.repeat, now)
        prefix = reminder_prefix(d.id)  # type: ignore[arg-type]
        rows = [_delivery(x, c.tz) for x in q.deliveries(s, prefix, DELIVERIES_LIMIT)]
        failed = [_delivery(x, c.tz) for x in q.deliveries(s, prefix, DELIVERIES_LIMIT, texts.FAILED)]
        acks = [{"who": a.name, "unit": present.unit_name(c.knowledge.kb, a.unit_id),
                 "due": present.when(a.ack.due_at, c.tz), "at": present.when(a.ack.created_at, c.tz)}
                for a in q.acknowledgements(s, d.id)]  # type: ignore[arg-type]
        return {"d": _summary(s, d, due, now, c), "deliveries": rows, "acks": acks, "failed": failed,
                "capped": len(rows) == DELIVERIES_LIMIT,
                "officer_name": person_name(s, request[OFFICER])}

    data = await c.db(read)
    if data is None:
        return refusal(request, 404, texts.NOT_FOUND_TITLE, texts.NOT_FOUND_TEXT)
    request[OFFICER_NAME] = data.pop("officer_name")
    return page(request, "deadline.html", status=status, nav="lich-nhac-han", problems=problems or [], done=done,
                **data)
