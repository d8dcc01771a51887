"""An announcement, as chat (/thongbao) and the officers' console both send it: a plain
function of the store and the acting officer, returning the notices to queue.

An announcement is counted before it is sent: `announce` takes the count the officer saw
(`expected`) and sends nothing if the audience changed meanwhile, so nobody sends to more
people than they agreed to. Its audience is one of the reminders' (everyone with reminders
on, the unit leaders, or one unit: `audience_ok` of handlers/deadlines/service.py)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.announcements import texts as at
from handlers.events import Notice, Reply
from handlers.flows import Invalid, text_between
from handlers.services import Actor, Outcome
from storage.announcements import outbox_prefix
from storage.models import Announcement
from storage.turns import TurnStore

TEXT = (5, 1500)  # characters, as typed


def announce(store: TurnStore, actor: Actor, audience: str, text: str, *, expected: int | None = None) -> Outcome:
    """A notice to everyone of `audience` with reminders on; with `expected`, only if that is
    still how many they are."""
    try:
        text = text_between(*TEXT, at.WHAT)(None, text)  # type: ignore[arg-type]
    except Invalid as e:
        return Outcome(False, str(e))
    people = store.deadlines.recipients(audience)
    if not people:
        return Outcome(False, at.NOBODY)
    if expected is not None and expected != len(people):
        return Outcome(False, at.COUNT_CHANGED.format(expected=expected, count=len(people)))
    row = store.announcements.add(text, audience, len(people), actor.by)
    reply = Reply(at.HEADER.format(text=text))
    prefix = outbox_prefix(row.id)  # type: ignore[arg-type]
    notices = [Notice(p.channel, p.external_id, reply, key=f"{prefix}{p.channel}:{p.external_id}") for p in people]
    return Outcome(True, at.QUEUED.format(count=len(people), id=row.id), notices, ref=row.id)


@dataclass(frozen=True)
class Delivery:
    """How far an announcement's messages went."""

    announcement: Announcement
    sent: int
    pending: int
    failed: int


def latest(store: TurnStore, limit: int = 5) -> list[Delivery]:
    """The latest announcements, the newest first, with how many of their messages went."""
    out = []
    for a in store.announcements.latest(limit):
        c = store.announcements.deliveries(a.id)  # type: ignore[arg-type]
        out.append(Delivery(a, c.get("sent", 0), c.get("pending", 0) + c.get("sending", 0),
                            c.get("failed", 0) + c.get("blocked", 0)))
    return out
