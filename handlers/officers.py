"""How an officer is named to others: the one who signs an answer or a decision, and the
one a second officer is told acted first. A messenger does not always send a name (the
console never does, Zalo's samples disagree), so the name is looked for where it is kept,
and at worst the officer's id (`channel:user_id`, as in ADMIN_IDS) names them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import texts
from handlers.context import TurnContext

if TYPE_CHECKING:
    from handlers.services import Actor
    from storage.turns import TurnStore


def signature(ctx: TurnContext) -> str:
    """The acting officer: the full name of their profile, the name their messenger sent now,
    the one it sent before, or their id."""
    p = ctx.store.profiles.get(ctx.user_id)
    ev = ctx.event
    return ((p.full_name if p and p.full_name else None) or ev.display_name
            or ctx.store.display_name(ev.channel, ev.user_id) or f"{ev.channel}:{ev.user_id}")


def actor(ctx: TurnContext) -> Actor:
    """The officer writing this turn, as the services take them."""
    from handlers.services import Actor

    return Actor(ctx.event.channel, ctx.event.user_id, signature(ctx))


def recorded(ctx: TurnContext, name: str | None, by: str | None) -> str:
    return recorded_in(ctx.store, name, by)


def recorded_in(store: TurnStore, name: str | None, by: str | None) -> str:
    """The officer who acted before, from what was recorded: the name kept with the act, else
    the name their messenger last sent, else their id."""
    if name and name != texts.SOMEONE:  # rows stored before names were looked for held the stand-in
        return name
    if by and ":" in by:
        channel, user = by.split(":", 1)
        return store.display_name(channel, user) or by
    return texts.SOMEONE
