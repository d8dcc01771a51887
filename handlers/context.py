"""What a handler sees of the turn it is part of."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.events import Capabilities, IncomingEvent, Notice
from storage.turns import TurnStore


@dataclass
class TurnContext:
    event: IncomingEvent
    user_id: int  # our id of the person who wrote
    state: dict  # mutable: the handlers change it, the pipeline commits it
    store: TurnStore  # reads and writes inside the turn's transaction
    caps: Capabilities = field(default_factory=Capabilities)
    notices: list[Notice] = field(default_factory=list)
    # The question that fell back in the previous turn, for "Hỏi Văn phòng" to send on.
    fallback_question: str | None = None

    @property
    def user_name(self) -> str | None:
        return self.event.display_name

    def notify(self, notice: Notice) -> None:
        self.notices.append(notice)
