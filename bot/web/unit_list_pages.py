"""Danh sách đơn vị (issue 23, item 4): the Office edits the units list itself: renames a
unit, adds one, merges one into another or retires it. The effect on stored profiles,
reports and deadlines is shown first; applying saves the new list as a version over
content/units.yaml and moves the stored ids in one transaction (handlers/unit_list.py)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.web.audit import record
from bot.web.console import OFFICER, OFFICER_NAME, PREFIX, console_of
from bot.web.unit_pages import KIND_VI
from bot.web.views import officer_name, page
from handlers.unit_list import KEEP, RETIRE, NewUnit, Plan, UnitEdit, UnitList, plan
from storage import units as su
from storage.content_edits import Conflict

NEW_ROWS = 3  # blank rows for new units on the form
NOTHING = "Chưa có thay đổi nào: đồng chí sửa tên, thêm, gộp hoặc giải thể ít nhất một đơn vị."
CONFLICT = ("Một cán bộ khác vừa lưu danh sách đơn vị sau khi đồng chí mở trang. Đồng chí tải lại trang, xem danh "
            "sách mới rồi sửa lại.")
DONE = "Đã lưu danh sách đơn vị mới; bot dùng danh sách này ngay."


def _unit_list(request: web.Request) -> UnitList:
    c = console_of(request)
    return UnitList(c.knowledge, c.engine)


def _counts(rows) -> str:  # noqa: ANN001 - Counter
    return ", ".join(f"{n} {KIND_VI.get(k, k)}" for k, n in rows.items() if n) or "không có dữ liệu"


async def _read_form(request: web.Request) -> tuple[list[UnitEdit], list[NewUnit], str | None, int]:
    form = await request.post()
    kb = console_of(request).knowledge.kb
    edits = [UnitEdit(u.id, str(form.get(f"name-{u.id}", u.name)), str(form.get(f"parent-{u.id}", u.parent or "")),
                      str(form.get(f"action-{u.id}", KEEP))) for u in kb.units]
    new = [NewUnit(str(form.get(f"new-id-{i}", "")).strip(), str(form.get(f"new-name-{i}", "")),
                   str(form.get(f"new-parent-{i}", ""))) for i in range(NEW_ROWS)]
    note = str(form["note"]) if "note" in form else kb.units_note
    try:
        base = int(str(form.get("base", "0")))
    except ValueError:
        base = -1
    return edits, new, note, base


def _effect(changes: list[su.Change], p: Plan, names: dict[str, str]) -> list[dict]:
    new_names = {u["id"]: u["name"] for u in p.data["units"]}
    out = []
    for ch in changes:
        if ch.old in p.renamed:
            what = f"đổi tên thành “{p.renamed[ch.old][1]}”"
        elif ch.new is None:
            what = "giải thể"
        else:
            what = f"gộp vào “{new_names.get(ch.new, ch.new)}”"
        out.append({"old": ch.old, "name": names.get(ch.old, ch.old), "what": what, "counts": _counts(ch.rows)})
    out += [{"old": uid, "name": new_names[uid], "what": "thêm mới", "counts": "không có dữ liệu"} for uid in p.added]
    return out


def _render(request: web.Request, base: int, edits: list[UnitEdit] | None = None, new: list[NewUnit] | None = None,
            note: str | None = None, preview: list[dict] | None = None, problems: list[str] | None = None,
            done: str = "", status: int = 200) -> web.Response:
    kb = console_of(request).knowledge.kb
    chosen = {e.id: e for e in edits or []}
    rows = []
    for u in kb.units:
        e = chosen.get(u.id, UnitEdit(u.id, u.name, u.parent or ""))
        rows.append({"id": u.id, "name": e.name, "parent": e.parent,
                     "parents": [{"value": "", "label": "(không có)"}]
                     + [{"value": o.id, "label": o.name} for o in kb.units if o.id != u.id],
                     "actions": [{"value": KEEP, "label": "Giữ trong danh sách"}]
                     + [{"value": o.id, "label": f"Gộp vào: {o.name}"} for o in kb.units if o.id != u.id]
                     + [{"value": RETIRE, "label": "Giải thể"}],
                     "action": e.action})
    new = (new or []) + [NewUnit("", "")] * (NEW_ROWS - len(new or []))
    return page(request, "unit_list.html", status=status, nav="don-vi", rows=rows,
                new=[{"i": i, "id": n.id, "name": n.name, "parent": n.parent} for i, n in enumerate(new)],
                parents=[{"value": "", "label": "(không có)"}] + [{"value": o.id, "label": o.name} for o in kb.units],
                note=kb.units_note if note is None else note, base=base, preview=preview, problems=problems or [],
                done=done)


async def unit_list(request: web.Request) -> web.Response:
    await officer_name(request)
    base = await asyncio.to_thread(_unit_list(request).version)
    return _render(request, base, done=DONE if request.query.get("xong") else "")


async def _planned(request: web.Request) -> tuple[Plan, list[UnitEdit], list[NewUnit], str | None, int]:
    edits, new, note, base = await _read_form(request)
    p = plan(console_of(request).knowledge.kb, edits, new, note)
    if not p.problems:
        p.problems = await asyncio.to_thread(_unit_list(request).check, p)
    if not p.problems and p.empty and (note or None) == (console_of(request).knowledge.kb.units_note or None):
        p.problems = [NOTHING]
    return p, edits, new, note, base


async def preview_unit_list(request: web.Request) -> web.Response:
    await officer_name(request)
    p, edits, new, note, base = await _planned(request)
    if p.problems:
        return _render(request, base, edits, new, note, problems=p.problems, status=422)
    names = {u.id: u.name for u in console_of(request).knowledge.kb.units}
    effect = _effect(await asyncio.to_thread(_unit_list(request).preview, p), p, names)
    return _render(request, base, edits, new, note, preview=effect)


async def apply_unit_list(request: web.Request) -> web.Response:
    await officer_name(request)
    p, edits, new, note, base = await _planned(request)
    if p.problems:
        return _render(request, base, edits, new, note, problems=p.problems, status=422)
    units = _unit_list(request)
    try:
        changes = await asyncio.to_thread(units.apply, p, base, request[OFFICER], request.get(OFFICER_NAME))
    except Conflict as exc:
        return _render(request, exc.current, problems=[CONFLICT], status=409)
    await record(request, "units_list", None, {
        "base_version": base, "mapping": p.mapping, "renamed": {k: v[1] for k, v in p.renamed.items()},
        "added": p.added, "effect": {ch.old: dict(ch.rows) for ch in changes}})
    return web.Response(status=303, headers={"Location": f"{PREFIX}/don-vi/danh-sach?xong=1"})
