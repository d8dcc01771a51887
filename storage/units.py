"""Unit ids stored in the database: where they are used, and changing them when the
Office replaces content/units.yaml (the 2025 reorganisation merged and renamed units).

Profiles, reports, acknowledgements and deadlines keep a unit by its id; a new list
with new ids leaves them pointing at nothing. `migrate` maps old ids to new ones (or
retires them) in the caller's session; the caller commits once, or rolls back for a
dry run, so what a dry run prints is what the real run does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.models import Announcement, Deadline, Profile, ReminderAck, Report, utcnow
from storage.reminders import cancel_deadline

UNIT_PREFIX = "unit:"
# What each count is, as `units migrate` and `content check` name it.
KINDS = ("profiles", "reports", "active deadlines", "acknowledgements", "announcements")


def usage(s: Session) -> dict[str, Counter]:
    """Every unit id the database holds, with how many rows of each kind use it
    (deadlines: only active ones, the ones that still send)."""
    out: dict[str, Counter] = {}

    def add(unit_id: str | None, kind: str, n: int) -> None:
        if unit_id:
            out.setdefault(unit_id, Counter())[kind] += n

    for unit_id, n in s.exec(select(Profile.unit_id, func.count()).group_by(Profile.unit_id)):
        add(unit_id, "profiles", n)
    # A report counts once for a unit, whether it is the sender's, the example's or both.
    for sender, subject, n in s.exec(select(Report.submitter_unit_id, Report.subject_unit_id, func.count())
                                     .group_by(Report.submitter_unit_id, Report.subject_unit_id)):
        for unit_id in {sender, subject}:
            add(unit_id, "reports", n)
    for unit_id, n in s.exec(select(ReminderAck.unit_id, func.count()).group_by(ReminderAck.unit_id)):
        add(unit_id, "acknowledgements", n)
    for audience, n in s.exec(select(Deadline.audience, func.count()).where(Deadline.status == "active")
                              .group_by(Deadline.audience)):
        if audience.startswith(UNIT_PREFIX):
            add(audience[len(UNIT_PREFIX):], "active deadlines", n)
    for audience, n in s.exec(select(Announcement.audience, func.count()).group_by(Announcement.audience)):
        if audience.startswith(UNIT_PREFIX):
            add(audience[len(UNIT_PREFIX):], "announcements", n)
    return out


@dataclass
class Change:
    old: str
    new: str | None  # None: retired
    rows: Counter = field(default_factory=Counter)


def _set(s: Session, column, old: str, values: dict) -> int:  # noqa: ANN001
    done = s.execute(update(column.class_).where(column == old).values(values)
                     .execution_options(synchronize_session=False))
    return done.rowcount or 0


def migrate(s: Session, mapping: dict[str, str | None]) -> list[Change]:
    """Rewrite every stored use of each old id to its new id. A retired id (None) is
    cleared from profiles (the person is asked their unit again), reports and
    acknowledgements, and its deadlines are cancelled (reminders not yet sent are
    dropped). Not committed."""
    changes = []
    now = utcnow()
    for old, new in mapping.items():
        c = Change(old, new)
        c.rows["profiles"] = _set(s, col(Profile.unit_id), old, {"unit_id": new, "updated_at": now})
        # A report counts once, whether the sender's unit, the example's or both change.
        c.rows["reports"] = s.exec(select(func.count()).select_from(Report).where(
            (col(Report.submitter_unit_id) == old) | (col(Report.subject_unit_id) == old))).one()
        _set(s, col(Report.submitter_unit_id), old, {"submitter_unit_id": new, "updated_at": now})
        _set(s, col(Report.subject_unit_id), old, {"subject_unit_id": new, "updated_at": now})
        c.rows["acknowledgements"] = _set(s, col(ReminderAck.unit_id), old, {"unit_id": new})
        for d in s.exec(select(Deadline).where(Deadline.audience == f"{UNIT_PREFIX}{old}")):
            if new is None:
                if d.status == "active":
                    cancel_deadline(s, d.id)  # type: ignore[arg-type]
                    c.rows["active deadlines"] += 1
                continue
            if d.status == "active":
                c.rows["active deadlines"] += 1
            d.audience = f"{UNIT_PREFIX}{new}"
            d.updated_at = now
            s.add(d)
        if new is not None:  # a retired unit's announcements stay as they were sent
            c.rows["announcements"] = _set(s, col(Announcement.audience), f"{UNIT_PREFIX}{old}",
                                           {"audience": f"{UNIT_PREFIX}{new}"})
        s.flush()
        changes.append(c)
    return changes
