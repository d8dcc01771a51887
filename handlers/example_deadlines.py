"""Example deadlines made real from the console (issue 23, item 6).

deadlines.yaml ships deadlines marked `example: true`: listed with "(ví dụ)", never sent
(their rows carry storage.reminders.EXAMPLE_BY). The Office sets the date and makes one
real: the spec without the mark is saved as a version over deadlines.yaml (a content_edits
row under "@deadline:<id>", as entries' and the units list's edits are), so every instance's
content says the same after its poll and the reminder pass's sync of deadlines.yaml keeps
it real; `content export` writes it back into deadlines.yaml. The database's deadline row is
synced in the same transaction as the edit, so reminders start from this instance's next pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from content.deadlines import DUE_FORMAT, DeadlineSpec, due_utc
from content.loader import ContentError, load
from content.service import Knowledge
from handlers.deadlines.reminders import content_fields
from storage import reminders as q
from storage.content_edits import (
    DEADLINE_PREFIX,
    EXAMPLE_MADE_REAL,
    Conflict,
    ContentEdit,
    EditStore,
    add_edit,
)
from storage.models import Deadline, utcnow

NOT_EXAMPLE = "Hạn này không phải hạn ví dụ (hoặc đã được chuyển thành hạn thật)."
BAD_DUE = "Ngày giờ chưa đúng: chọn ngày và giờ hết hạn."
PAST_DUE = "Hạn đã qua: chọn một ngày sắp tới (hạn ví dụ chuyển thành hạn thật sẽ được nhắc từ nay)."
CONFLICT = "Một cán bộ khác vừa sửa hạn này. Đồng chí tải lại trang rồi thử lại."


@dataclass
class MadeReal:
    problems: list[str] = field(default_factory=list)
    version: int | None = None


def spec_of(kb_deadlines: list[DeadlineSpec], row: Deadline) -> DeadlineSpec | None:
    """The deadlines.yaml spec behind a database row (None: a deadline made in chat or the CLI)."""
    if not row.key.startswith(q.CONTENT_KEY):
        return None
    spec_id = row.key[len(q.CONTENT_KEY):]
    return next((d for d in kb_deadlines if d.id == spec_id), None)


def due_text(day: str, at: str) -> str | None:
    """"YYYY-MM-DD" and "HH:MM" (a date and a time input) as deadlines.yaml's due; None: not a date."""
    text = f"{day.strip()} {at.strip() or '17:00'}"
    try:
        datetime.strptime(text, DUE_FORMAT)
    except ValueError:
        return None
    return text


class ExampleDeadlines:
    def __init__(self, knowledge: Knowledge, engine: Engine, tz: ZoneInfo):
        self.knowledge = knowledge
        self.engine = engine
        self.tz = tz
        self.edits = EditStore(engine)

    def make_real(self, row: Deadline, day: str, at: str, by: str, by_name: str | None) -> MadeReal:
        kb = self.knowledge.kb
        spec = spec_of(kb.deadlines, row)
        if spec is None or not spec.example:
            return MadeReal([NOT_EXAMPLE])
        due = due_text(day, at)
        if due is None:
            return MadeReal([BAD_DUE])
        if spec.repeat is None and due_utc(due, self.tz) <= utcnow():
            return MadeReal([PAST_DUE])
        data = {**spec.model_dump(exclude_defaults=True), "due": due}
        data.pop("example", None)
        key = f"{DEADLINE_PREFIX}{spec.id}"
        overlay = self.edits.overlay()
        try:
            new_kb = load(self.knowledge.content_dir, {**overlay.entries, key: data})
        except ContentError as exc:
            return MadeReal([f"Nội dung không dùng được với hạn này: {m}" for m in exc.problems])
        base = self.edits.entry_version(key)
        edit = ContentEdit(entry_id=key, data=data, base_version=base, kind=EXAMPLE_MADE_REAL, by=by,
                           by_name=by_name, note=f"hạn {spec.id}: {spec.due} (ví dụ) -> {due}")
        try:
            with Session(self.engine) as s:
                add_edit(s, edit)
                # The database's row follows the content now, in the same transaction.
                q.sync_content_deadlines(s, content_fields(new_kb.deadlines, self.tz))
                s.commit()
                version = edit.id
        except (Conflict, IntegrityError):
            return MadeReal([CONFLICT])
        try:  # this instance at once, the others at their next poll
            self.knowledge.reload()
        except ContentError:
            pass
        return MadeReal(version=version)
