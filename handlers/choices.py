"""The ids of the buttons (an event's `choice`): each kind is built and read through one
`Codec`. This module holds the codec itself and the conversation's own kinds (the menu, the
next page, a form's option); each feature declares its kinds in its package
(handlers/<feature>/choices.py), and its `commands.py` says which of its handlers reads each
kind (`ChoiceRoute`, handlers/command.py). Those modules import nothing but this one: the
routing table reads them without loading the features (and storage) behind them, so
answering a question alone (`python -m bot ask`) starts fast.

An id is the codec's prefix and its typed fields joined by ":" ("oq:reply:12"); the last
field takes the rest of the id. Button data can be forged on Telegram: `decode` returns None
for anything that is not a well-formed id of its kind, and the feature says the choice is stale.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.events import Choice
from handlers.texts import BACK_TO_MENU


@dataclass(frozen=True)
class Codec:
    prefix: str
    fields: tuple[type, ...] = ()  # int or str, in order
    optional: int = 0  # how many trailing fields an older id may leave out (decoded as None)

    def encode(self, *values: object) -> str:
        if len(values) != len(self.fields):
            raise TypeError(f"{self.prefix}: {len(self.fields)} values expected, got {len(values)}")
        return ":".join((self.prefix, *(str(v) for v in values)))

    def matches(self, choice: str | None) -> bool:
        """Whether the id is of this kind, well-formed or not (it goes to this codec's feature)."""
        if not choice:
            return False
        return choice == self.prefix if not self.fields else choice.startswith(self.prefix + ":")

    def decode(self, choice: str | None) -> tuple | None:
        """The typed values of an id of this kind; () for a kind without fields; None when the
        id is not of this kind or not well-formed."""
        if not self.matches(choice):
            return None
        if not self.fields:
            return ()
        assert choice is not None
        parts = choice[len(self.prefix) + 1:].split(":", len(self.fields) - 1)
        if not len(self.fields) - self.optional <= len(parts) <= len(self.fields):
            return None
        values: list[object] = []
        for kind, part in zip(self.fields, parts, strict=False):
            if kind is int:
                if not part.isdigit():
                    return None
                values.append(int(part))
            else:
                values.append(part)
        return (*values, *([None] * (len(self.fields) - len(values))))

    def one(self, choice: str | None) -> object | None:
        """The single field of an id of a one-field kind, or None."""
        values = self.decode(choice)
        return values[0] if values else None


def kind_of(choice: str | None, *codecs: Codec) -> Codec | None:
    """Which of these codecs the id belongs to."""
    return next((c for c in codecs if c.matches(choice)), None)


# The conversation's own kinds; each feature declares its own in handlers/<feature>/choices.py.
MENU = Codec("menu")  # "Menu chính"
MORE_PAGE = Codec("pg:more")  # "Xem thêm": the next page of a long list (handlers/pages.py)
# Forms (handlers/flows.py): + step name and the option's value
FLOW_OPTION = Codec("f", (str, str), optional=1)  # "f:step" alone: a value not offered
HELP = Codec("m:help")  # the main-menu item of /trogiup (handlers/commands.py)


def menu() -> Choice:
    """"Menu chính", under most replies."""
    return Choice(MENU.encode(), BACK_TO_MENU)
