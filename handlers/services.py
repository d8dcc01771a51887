"""What the features' services share: the person acting, what a service returns, and how
its notices reach the outbox when no chat turn carries them (the officers' console).

A service is a plain function of the turn's store and the acting person: chat handlers
put its notices on the turn (ctx.notify), the console queues them with `queue_notices`
in the transaction of the decision itself, so a decision never commits without its
notices, nor the notices without the decision."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.events import Notice, notice_to_dict, reply_to_dict
from storage.turns import OutboxRow, TurnStore


@dataclass(frozen=True)
class Actor:
    """An officer acting: where they are reached (their messenger and id there, as in
    ADMIN_IDS) and the name they sign with."""

    channel: str
    user_id: str
    name: str

    @property
    def by(self) -> str:
        """How a decision records who made it: "channel:user id"."""
        return f"{self.channel}:{self.user_id}"


@dataclass
class Outcome:
    """What a service did. `done`: it acted; otherwise `text` says why not (already decided
    by another officer, nothing by that number, what was given does not fit). `notices`:
    what to send to the others (the submitter, the asker), empty unless done."""

    done: bool
    text: str
    notices: list[Notice] = field(default_factory=list)
    already: bool = False  # not done because someone acted first
    ref: int | None = None  # the row acted on or made (a deadline's id, an announcement's)


def actor_from_ref(store: TurnStore, ref: str) -> Actor:
    """The officer known as "channel:user id" (a console session): signing with the full
    name of their profile, else their messenger name, else the id itself."""
    channel, _, user = ref.partition(":")
    return Actor(channel, user, store.reports.person_name(ref) or ref)


def notice_rows(notices: list[Notice]) -> list[OutboxRow]:
    """The outbox rows of these notices, in a chat turn (bot/pipeline.py) or outside one:
    the same payload, the same dedup keys."""
    rows = []
    for n in notices:
        payload: dict = {"reply": reply_to_dict(n.reply)}
        if n.on_blocked is not None:
            payload["on_blocked"] = notice_to_dict(n.on_blocked)
        rows.append(OutboxRow(dedup_key=n.key, channel=n.channel, chat_id=n.user_id, kind="notice",
                              payload=payload))
    return rows


def offer_notice_choices(store: TurnStore, notices: list[Notice], own_id: int | None = None) -> list[dict] | None:
    """A notice with choices (an officer's "Trả lời") is the last list its recipient saw, so
    on Zalo their "1" picks from it, unless they are in the middle of a form. A notice to
    `own_id` (the person of the chat turn writing them) is not stored here: its choices are
    returned, for the turn's own state."""
    own = None
    for n in notices:
        if not n.reply.choices:
            continue
        choices = [{"id": c.id, "label": c.label} for c in n.reply.choices]
        recipient = store.user(n.channel, n.user_id)
        if recipient.id == own_id:
            own = choices
            continue
        store.offer_choices(recipient.id, choices)  # type: ignore[arg-type]
    return own


def queue_notices(store: TurnStore, notices: list[Notice]) -> list[int]:
    """Write the notices to the outbox in the store's transaction (the delivery worker sends
    them), as a chat turn writes its own, and offer their choices. Returns the new rows' ids."""
    ids = store.add_outbox(notice_rows(notices))
    offer_notice_choices(store, notices)
    return ids
