"""The units list edited by the Office (issue 23, item 4): add, rename, merge, retire.

The list is stored as versions over content/units.yaml, like the entries' edits (one
content_edits row per save under storage.content_edits.UNITS_KEY, the whole list), so every
instance reloads it at its next poll and `content export` writes it back as units.yaml.

A merge or a retirement also moves the ids the database holds (profiles, reports,
deadlines...) with storage/units.py's `migrate`, in the same transaction as the new
list's row: either both are saved or neither. The effect is computed first by running the
same operation and rolling it back."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from content.loader import ContentError, KnowledgeBase, load
from content.schema import ID_PATTERN
from content.service import Knowledge
from storage import units as su
from storage.content_edits import UNITS, UNITS_KEY, Conflict, ContentEdit, EditStore, add_edit

KEEP, RETIRE = "", "-"  # a unit's action besides "merge into <id>"


@dataclass(frozen=True)
class UnitEdit:
    """One unit of the list as the officer left it: its (new) name and parent, and what
    becomes of it: kept (KEEP), retired (RETIRE) or merged into another unit's id."""

    id: str
    name: str
    parent: str = ""
    action: str = KEEP


@dataclass(frozen=True)
class NewUnit:
    id: str
    name: str
    parent: str = ""


@dataclass
class Plan:
    data: dict  # the new units.yaml
    mapping: dict[str, str | None]  # stored ids to move: merged -> target, retired -> None
    renamed: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (old name, new name)
    added: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    parents_changed: bool = False

    @property
    def empty(self) -> bool:
        return not (self.mapping or self.renamed or self.added or self.parents_changed)


def plan(kb: KnowledgeBase, edits: list[UnitEdit], new: list[NewUnit], note: str | None) -> Plan:
    """The new list from the officer's choices, and what it does to the stored ids."""
    problems: list[str] = []
    current = {u.id: u for u in kb.units}
    by_id = {e.id: e for e in edits if e.id in current}
    staying = [u.id for u in kb.units if by_id.get(u.id, UnitEdit(u.id, u.name)).action == KEEP]
    added = [n for n in new if n.id.strip() or n.name.strip()]
    for n in added:
        if not ID_PATTERN.match(n.id):
            problems.append(f"Mã đơn vị mới “{n.id}” không hợp lệ: chỉ gồm chữ thường không dấu, số và dấu “-”, "
                            "tối đa 40 ký tự.")
        elif n.id in current:
            problems.append(f"Mã đơn vị “{n.id}” đã có trong danh sách.")
        if not n.name.strip():
            problems.append(f"Đơn vị mới “{n.id}” chưa có tên.")
    if len({n.id for n in added}) < len(added):
        problems.append("Hai đơn vị mới trùng mã.")
    remaining = set(staying) | {n.id for n in added}
    mapping: dict[str, str | None] = {}
    for e in by_id.values():
        if e.action == KEEP:
            continue
        if e.action == RETIRE:
            mapping[e.id] = None
        elif e.action in remaining and e.action != e.id:
            mapping[e.id] = e.action
        else:
            problems.append(f"Đơn vị “{current[e.id].name}”: chỉ gộp được vào một đơn vị còn lại trong danh sách.")

    def parent_of(pid: str) -> str | None:
        pid = pid.strip()
        if pid in mapping:  # the parent merged away: its units go under the unit it merged into
            pid = mapping[pid] or ""
        return pid or None

    units, renamed, parents_changed = [], {}, False
    for uid in staying:
        u = current[uid]
        e = by_id.get(uid, UnitEdit(uid, u.name, u.parent or ""))
        name = e.name.strip() or u.name
        if not e.name.strip():
            problems.append(f"Đơn vị “{u.name}”: tên không được để trống.")
        if name != u.name:
            renamed[uid] = (u.name, name)
        parent = parent_of(e.parent)
        if parent is not None and parent not in remaining:
            problems.append(f"Đơn vị “{name}”: đơn vị cấp trên “{parent}” không còn trong danh sách.")
            parent = None
        if parent == uid:
            problems.append(f"Đơn vị “{name}” không thể là cấp trên của chính nó.")
            parent = None
        parents_changed |= parent != u.parent
        units.append({"id": uid, "name": name, **({"parent": parent} if parent else {})})
    for n in added:
        parent = parent_of(n.parent)
        units.append({"id": n.id, "name": n.name.strip(), **({"parent": parent} if parent else {})})
    if not units:
        problems.append("Danh sách phải còn ít nhất một đơn vị.")
    data = {**({"note": note.strip()} if note and note.strip() else {}), "units": units}
    return Plan(data, mapping, renamed, [n.id for n in added], problems, parents_changed)


class UnitList:
    """The units list's versions and the one transaction that applies a plan."""

    def __init__(self, knowledge: Knowledge, engine: Engine):
        self.knowledge = knowledge
        self.engine = engine
        self.edits = EditStore(engine)

    def version(self) -> int:
        """The list's version the officer edits from (0: the repository's units.yaml)."""
        return self.edits.entry_version(UNITS_KEY)

    def check(self, p: Plan) -> list[str]:
        """The content must still load with the new list (deadlines.yaml names units by id)."""
        overlay = self.edits.overlay()
        try:
            load(self.knowledge.content_dir, {**overlay.entries, UNITS_KEY: p.data})
        except ContentError as exc:
            return [f"Nội dung không dùng được với danh sách mới: {m}" for m in exc.problems]
        return []

    def effect(self, s: Session, p: Plan) -> list[su.Change]:
        """What the plan does to the stored rows: every unit merged, retired or renamed, with
        the rows of each kind it touches (not committed)."""
        changes = su.migrate(s, p.mapping)
        used = su.usage(s)
        return changes + [su.Change(uid, uid, used.get(uid) or Counter()) for uid in p.renamed]

    def preview(self, p: Plan) -> list[su.Change]:
        with Session(self.engine) as s:
            try:
                return self.effect(s, p)
            finally:
                s.rollback()

    def apply(self, p: Plan, base_version: int, by: str, by_name: str | None) -> list[su.Change]:
        """The new list and the moved ids in one transaction; Conflict when another officer
        saved the list since `base_version`."""
        row = ContentEdit(entry_id=UNITS_KEY, data=p.data, base_version=base_version, kind=UNITS, by=by,
                          by_name=by_name, note=_note(p))
        with Session(self.engine) as s:
            add_edit(s, row)
            changes = self.effect(s, p)
            try:
                s.commit()
            except IntegrityError:  # saved by another at the same moment, from the same version
                s.rollback()
                raise Conflict(UNITS_KEY, base_version, self.version()) from None
        try:  # this instance at once, the others at their next poll
            self.knowledge.reload()
        except ContentError:
            pass
        return changes


def _note(p: Plan) -> str:
    parts = [f"gộp {o} vào {n}" if n else f"giải thể {o}" for o, n in p.mapping.items()]
    parts += [f"đổi tên {uid}" for uid in p.renamed] + [f"thêm {uid}" for uid in p.added]
    return "; ".join(parts) or "sửa cấp trên"
