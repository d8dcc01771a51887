"""Đơn vị (issue 23): the unit ids the database holds (profiles, reports, deadlines...) and
moving them to the units of the list: rename or merge (map to a unit of the list) or retire.
The effect is shown first (storage/units.py's `migrate` run and rolled back), then applied
by the same operation in one transaction, as `python -m bot units migrate` does."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session

from bot.web import texts
from bot.web.audit import record
from bot.web.console import OFFICER, OFFICER_NAME, PREFIX, console_of
from bot.web.views import page
from storage import units as su
from storage.reports import person_name

KEEP = ""  # the select's "unchanged"
RETIRE = "-"
KIND_VI = {"profiles": "hồ sơ cán bộ", "reports": "báo cáo", "active deadlines": "hạn đang nhắc",
           "acknowledgements": "lượt “Đã nộp”", "announcements": "thông báo"}


def _counts(rows) -> str:  # noqa: ANN001 - Counter
    return ", ".join(f"{n} {KIND_VI.get(k, k)}" for k, n in rows.items() if n) or "không có dữ liệu"


def _mapping(form, known: set[str], used: set[str]) -> tuple[dict[str, str | None], list[str]]:  # noqa: ANN001
    """The officer's choices (field `map-<old id>`): a unit of the list, "-" (retire) or unchanged."""
    mapping: dict[str, str | None] = {}
    problems = []
    for old in sorted(used):
        value = str(form.get(f"map-{old}", KEEP))
        if value == KEEP or value == old:
            continue
        if value == RETIRE:
            mapping[old] = None
        elif value in known:
            mapping[old] = value
        else:
            problems.append(f"Đơn vị “{value}” không có trong danh sách.")
    return mapping, problems


async def _render(request: web.Request, preview: list[dict] | None = None, chosen: dict | None = None,
                  problems: list[str] | None = None, status: int = 200) -> web.Response:
    c = console_of(request)
    kb = c.knowledge.kb
    known = {u.id for u in kb.units}
    chosen = chosen or {}

    def read(s: Session) -> dict:
        used = su.usage(s)
        rows = [{"id": uid, "name": kb.unit_name(uid) if uid in known else "", "listed": uid in known,
                 "counts": _counts(n), "choices": [{"value": KEEP, "label": "Giữ nguyên", "selected": uid not in chosen}]
                 + [{"value": u.id, "label": f"Chuyển sang: {u.name}", "selected": chosen.get(uid) == u.id}
                    for u in kb.units if u.id != uid]
                 + [{"value": RETIRE, "label": "Giải thể (xoá khỏi hồ sơ, huỷ hạn nhắc)",
                     "selected": uid in chosen and chosen[uid] is None}]} for uid, n in sorted(used.items())]
        return {"rows": rows, "officer_name": person_name(s, request[OFFICER])}

    data = await c.db(read)
    request[OFFICER_NAME] = data.pop("officer_name") or request[OFFICER]
    return page(request, "units.html", status=status, nav="don-vi", units=[{"id": u.id, "name": u.name}
                                                                           for u in kb.units],
                note=kb.units_note or "", preview=preview, problems=problems or [],
                done=texts.DONE.get(request.query.get("xong", ""), ""), **data)


async def units(request: web.Request) -> web.Response:
    return await _render(request)


def _effect(changes: list[su.Change], kb) -> list[dict]:  # noqa: ANN001
    return [{"old": ch.old, "old_name": kb.unit_name(ch.old) if any(u.id == ch.old for u in kb.units) else "",
             "new": kb.unit_name(ch.new) if ch.new else "", "retired": ch.new is None, "counts": _counts(ch.rows)}
            for ch in changes]


async def _run(request: web.Request, apply: bool) -> tuple[dict[str, str | None], list[dict], list[str]]:
    c = console_of(request)
    kb = c.knowledge.kb
    form = await request.post()

    def work(s: Session) -> tuple[dict, list[dict], list[str]]:
        mapping, problems = _mapping(form, {u.id for u in kb.units}, set(su.usage(s)))
        if problems or not mapping:
            return mapping, [], problems
        effect = _effect(su.migrate(s, mapping), kb)
        if apply:
            s.commit()  # one transaction: every kind of row or none
        else:
            s.rollback()
        return mapping, effect, []

    return await c.db(work)


async def preview_units(request: web.Request) -> web.Response:
    mapping, effect, problems = await _run(request, apply=False)
    if not mapping and not problems:
        problems = [texts.UNITS_NOTHING]
    return await _render(request, preview=effect or None, chosen=mapping, problems=problems,
                         status=422 if problems else 200)


async def apply_units(request: web.Request) -> web.Response:
    mapping, effect, problems = await _run(request, apply=True)
    if problems or not mapping:
        return await _render(request, chosen=mapping, problems=problems or [texts.UNITS_NOTHING], status=422)
    await record(request, "units_migrate", None, {"mapping": mapping, "effect": [e["counts"] for e in effect]})
    return web.Response(status=303, headers={"Location": f"{PREFIX}/don-vi?xong=don-vi"})
