"""What a handler sees of the turn it is part of."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from handlers.events import Attachment, Capabilities, IncomingEvent, Notice
from storage.state import ChatState

if TYPE_CHECKING:  # annotations only: answering a question (`ask`) needs no storage
    from storage.models import StoredFile
    from storage.turns import TurnStore


class FileUnavailable(Exception):
    """A file the user sent cannot be kept. `reason`: "too_large" (over the limit the
    handler gave), "wrong_type" (its bytes are not one of the kinds the handler takes;
    `kind` is what they are, None when no known format) or "unavailable" (the link
    expired or was refused, the messenger could not be reached)."""

    def __init__(self, reason: str, detail: str = "", kind: str | None = None):
        super().__init__(detail or reason)
        self.reason = reason
        self.kind = kind


class Files(Protocol):
    def keep(self, attachment: Attachment, max_bytes: int, kinds: frozenset[str] | None = None) -> StoredFile:
        """Fetch the file and record it in the turn's transaction; raises FileUnavailable.
        With `kinds`, what the bytes show they are (JPEG, PNG, PDF, DOCX...), whatever its
        name or the messenger said, must be one of them, or nothing is kept."""
        ...

    def put(self, data: bytes, mime_type: str, file_name: str) -> StoredFile:
        """Keep bytes the bot made (an export) for this person, in the turn's transaction."""
        ...

    def drop_unreferenced(self, sha256s: Iterable[str]) -> int:
        """Remove the stored bytes of these digests that no file row refers to any more;
        called after the turn's commit (ctx.after_commit), never inside it."""
        ...


@dataclass
class TurnContext:
    event: IncomingEvent
    user_id: int  # our id of the person who wrote
    state: ChatState  # mutable: the handlers change it, the pipeline commits it
    store: TurnStore  # reads and writes inside the turn's transaction
    caps: Capabilities = field(default_factory=Capabilities)
    notices: list[Notice] = field(default_factory=list)
    # The question that fell back in the previous turn, for "Hỏi Văn phòng" to send on.
    fallback_question: str | None = None
    # The files the user sent, kept on demand (None where the channel cannot fetch them).
    files: Files | None = None
    # Run by the pipeline once the turn is committed (removing files from the disk, which
    # a rolled-back turn must not have done); dropped when the turn is not committed.
    after_commit: list[Callable[[], object]] = field(default_factory=list)
    # False once the person has asked to erase their data: this turn does not write
    # their messenger name back into users.display_name.
    store_name: bool = True

    @property
    def user_name(self) -> str | None:
        return self.event.display_name

    def notify(self, notice: Notice) -> None:
        self.notices.append(notice)
