"""The curation services' results as rows the templates show (no logic in templates)."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.web import texts
from bot.web.console import PREFIX
from bot.web.present import when
from content.entry_problems import FIELDS, GENERAL, Problems
from content.schema import Entry
from handlers.curation_service import (
    ConflictInfo,
    Curation,
    EntrySummary,
    FieldChange,
    HistoryItem,
    Preview,
    SaveResult,
    UnansweredGroup,
)

# The form's fields in the order shown: (name, label, kind, hint).
FORM = [
    ("title", "Tiêu đề", "text", ""),
    ("short", "Trả lời ngắn", "area", "Một hoặc hai câu, đọc trên điện thoại; để trống thì bot dùng đoạn đầu."),
    ("answer", "Câu trả lời", "area-long", ""),
    ("questions", "Cách hỏi", "area", "Mỗi dòng một cách hỏi."),
    # Read by the learned ranker alone (content/schema.py): the form says so, or the Office
    # would wonder why a long message written here does not match word for word.
    ("examples", "Cách cán bộ hay viết (để bộ xếp hạng học máy học)", "area",
     "Mỗi dòng một tin nhắn như cán bộ thường viết: dài, kể hoàn cảnh, gõ không dấu. Chỉ bộ xếp hạng học máy "
     "học từ các câu này; bot không so khớp từng từ với chúng như với Cách hỏi."),
    ("keywords", "Từ khóa", "area", "Mỗi dòng một từ khóa."),
    ("source", "Nguồn", "text", "Văn bản, điều, khoản."),
    ("related", "Mục liên quan", "text", "Mã các mục, cách nhau bởi dấu phẩy."),
    ("tags", "Loại mục", "text", "Cách nhau bởi dấu phẩy (có thể để trống)."),
]


def _text(name: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return (", " if name in ("related", "tags") else "\n").join(str(v) for v in value)
    return str(value)


def group_row(g: UnansweredGroup, entries: list[EntrySummary]) -> dict:
    return {"text": g.text, "texts": g.texts, "count": g.count, "from_office": g.from_office,
            "others": [t for t in g.texts if t != g.text],
            "suggested": g.suggested_entry or "", "suggested_title": g.suggested_title or "",
            "score": f"{g.score:.2f}",
            "choices": [{"value": e.id, "label": f"{e.title} ({e.id})", "selected": e.id == g.suggested_entry}
                        for e in entries],
            "new_url": f"{PREFIX}/noi-dung/moi?" + urlencode([("cau", t) for t in g.texts])}


def entry_row(e: EntrySummary) -> dict:
    return {"id": e.id, "title": e.title, "topic": e.topic, "edited": e.edited, "version": e.version,
            "url": f"{PREFIX}/noi-dung/{e.id}"}


def topic_choices(topics: list[tuple[str, str]], chosen: str) -> list[dict]:
    return [{"value": t, "label": title, "selected": t == chosen} for t, title in topics]


def _fields(values: dict, problems: Problems) -> list[dict]:
    return [{"name": n, "label": label, "kind": kind, "hint": hint, "value": _text(n, values.get(n)),
             "errors": problems.get(n, [])} for n, label, kind, hint in FORM]


def _form(values: dict, version: int, topics: list[tuple[str, str]], problems: Problems) -> dict:
    entry_id = str(values.get("id", ""))
    known = set(FIELDS) | {GENERAL}
    return {"entry_id": entry_id, "version": version, "fields": _fields(values, problems),
            "topics": topic_choices(topics, str(values.get("topic", ""))),
            "id_errors": problems.get("id", []), "topic_errors": problems.get("topic", []),
            "general_errors": problems.get(GENERAL, []) + [m for f, ms in problems.items() if f not in known
                                                           for m in ms],
            "title": values.get("title") or entry_id or "Mục mới",
            "action": f"{PREFIX}/noi-dung/{entry_id}" if entry_id else f"{PREFIX}/noi-dung/moi",
            "try_url": f"{PREFIX}/noi-dung/thu"}


def entry_form(entry: Entry, version: int, topics: list[tuple[str, str]]) -> dict:
    return _form(entry.model_dump(), version, topics, {})


def blank_form(spellings: list[str], topics: list[tuple[str, str]]) -> dict:
    out = _form({"questions": spellings}, 0, topics, {})
    out["action"] = f"{PREFIX}/noi-dung/moi"
    return out


def typed_form(edit: dict, version: int, topics: list[tuple[str, str]], problems: Problems) -> dict:
    return _form(edit, version, topics, problems)


def taken(edit: dict) -> SaveResult:
    return SaveResult(False, problems={"id": [texts.ID_TAKEN]})


def _change(c: FieldChange) -> dict:
    return {"label": c.label, "base": _text(c.field, c.base), "theirs": _text(c.field, c.theirs),
            "mine": _text(c.field, c.mine)}


def _what_changed(c: FieldChange) -> dict:
    """A list field as the items added and removed (a phrasing added is one line, not the list
    twice); a text as before and after."""
    if isinstance(c.base, list) or isinstance(c.mine, list):
        before, after = list(c.base or []), list(c.mine or [])
        return {"label": c.label, "added": [x for x in after if x not in before],
                "removed": [x for x in before if x not in after], "base": "", "mine": ""}
    return {"label": c.label, "added": [], "removed": [], "base": _text(c.field, c.base),
            "mine": _text(c.field, c.mine)}


def history_row(h: HistoryItem, changes: list[FieldChange], tz: ZoneInfo) -> dict:
    return {"version": h.version, "kind": texts.KIND.get(h.kind, h.kind), "by": h.by_name or h.by,
            "at": when(h.at, tz), "note": h.note or "", "changes": [_what_changed(c) for c in changes]}


def conflict_view(c: ConflictInfo, tz: ZoneInfo) -> dict:
    return {"by": c.by_name or c.by or "", "at": when(c.at, tz), "version": c.current_version,
            "changes": [_change(x) for x in c.changes]}


def preview_view(p: Preview, cur: Curation) -> dict:
    problems = [m for ms in p.problems.values() for m in ms]
    title = ""
    if p.entry_id:
        e = cur.knowledge.kb.by_id.get(p.entry_id)
        title = e.title if e else p.entry_id
    return {"problems": problems, "kind": texts.PREVIEW_KIND.get(p.kind or "", ""), "text": p.text,
            "entry": p.entry_id or "", "entry_title": title, "score": f"{p.score:.2f}"}


def problems_text(result: SaveResult) -> str:
    if result.conflict:
        return texts.CONFLICT_TEXT
    return " ".join(m for ms in result.problems.values() for m in ms)
