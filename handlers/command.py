"""What a feature declares: its commands (`Command`: /names, typed words, menu item, help
line, Telegram menu line, audience, what it does) and the choices it reads (`ChoiceRoute`:
a codec of its handlers/<feature>/choices.py, the feature's handler, audience, whether it
starts a form). Each feature package lists them in its `commands.py`; handlers/commands.py
assembles them.

Nothing of the features is imported: `run` reaches them through the conversation when
called, so answering a question alone (`python -m bot ask`) does not load them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlers.choices import Codec

if TYPE_CHECKING:
    from handlers.context import TurnContext
    from handlers.conversation import Conversation
    from handlers.events import Reply

STAFF, OFFICER = "staff", "officer"
Run = Callable[["Conversation", "TurnContext", str], "list[Reply]"]
# (conversation, turn, the choice id) -> replies
OnChoice = Callable[["Conversation", "TurnContext", str], "list[Reply]"]


@dataclass(frozen=True)
class Command:
    name: str  # what it does; also its key in content/commands.yaml when typed words mean it
    slash: tuple[str, ...]  # its /names; the first is the one shown in help
    run: Run  # (conversation, turn, the text after the /name) -> replies
    audience: str = STAFF  # STAFF: everyone; OFFICER: refused to anyone not in ADMIN_IDS
    help: str | None = None  # its help line, after "/name - "; None: not listed (or listed with another)
    shown: str | None = None  # how its help line names it, when not "/" + slash[0] ("/hoso, /xoahoso")
    telegram: tuple[tuple[int, str, str], ...] = ()  # (place, /name, description) in Telegram's menu
    menu: tuple[str, str] | None = None  # (choice id, label) of its main-menu item
    words: bool = False  # the words of content/commands.yaml under `name` mean this command
    starts_flow: bool = False  # starts a form: during another form it is refused, not stacked
    refusal: str | None = None  # what staff are told instead of the usual "officers only" (OFFICER commands)
    after: str | None = None  # the command (name) its help line follows, when not the one declared before it

    @property
    def officer(self) -> bool:
        return self.audience == OFFICER

    def help_line(self) -> str | None:
        return None if self.help is None else f"{self.shown or '/' + self.slash[0]} - {self.help}"


def feature(name: str, method: str, with_rest: bool = False) -> Run:
    """A command that calls a feature's method with the turn (and what follows the /name, or None)."""
    def run(conv: Conversation, ctx: TurnContext, rest: str) -> list[Reply]:
        call = getattr(getattr(conv, name), method)
        return call(ctx, rest.strip() or None) if with_rest else call(ctx)
    return run


@dataclass(frozen=True)
class ChoiceRoute:
    codec: Codec  # the kind of choice (handlers/<feature>/choices.py)
    run: OnChoice  # the feature's handler; it reads the id through the same codec
    audience: str = STAFF  # OFFICER: the router refuses it to staff (the feature checks again)
    starts_flow: bool = False  # starts a form: during another form it is refused, not stacked

    @property
    def officer(self) -> bool:
        return self.audience == OFFICER


def on_choice(name: str, method: str, with_choice: bool = True) -> OnChoice:
    """A choice that calls a feature's method with the turn (and the choice id)."""
    def run(conv: Conversation, ctx: TurnContext, choice: str) -> list[Reply]:
        call = getattr(getattr(conv, name), method)
        return call(ctx, choice) if with_choice else call(ctx)
    return run

