"""The contract between channel adapters and the conversation logic.

Adapters turn platform updates into `IncomingEvent`s; the handlers answer with
a `Turn` (replies, notices, new state) that the pipeline commits and the
delivery worker sends. Nothing here knows which messenger is on the other side.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from storage.state import ChatState


@dataclass(frozen=True)
class Attachment:
    """A file the user sent. `url` is set when the platform gives a link
    (Zalo images, which expire); `file_id` when it gives a handle (Telegram)."""

    kind: str  # "photo" | "document"
    file_id: str | None = None
    url: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    caption: str | None = None


@dataclass(frozen=True)
class IncomingEvent:
    channel: str  # "telegram" | "zalo" | "console"
    chat_id: str
    user_id: str
    text: str = ""
    display_name: str | None = None
    # The id of a button the user pressed (Telegram callback data). Channels
    # without buttons leave it empty; the handlers read numbered answers.
    choice: str | None = None
    attachments: tuple[Attachment, ...] = ()
    message_id: str | None = None
    # What the platform told us that the handlers may want to explain
    # ("sticker", "voice", "unsupported"); empty for ordinary messages.
    unsupported: str | None = None


@dataclass(frozen=True)
class Choice:
    """A button on Telegram; a numbered line on Zalo and in the console.
    `id` travels back as `IncomingEvent.choice`; it stays within 64 bytes."""

    id: str
    label: str

    def __post_init__(self) -> None:
        if len(self.id.encode("utf-8")) > 64:
            raise ValueError(f"choice id longer than 64 bytes: {self.id!r}")


@dataclass(frozen=True)
class Document:
    """A file to send. Either its bytes, or `stored_file_id`: a file already in the file
    store (a report's evidence, an export), which the outbox keeps by reference and the
    delivery worker reads when it sends."""

    file_name: str
    data: bytes = b""
    mime_type: str = "application/octet-stream"
    caption: str | None = None
    stored_file_id: int | None = None


@dataclass
class Reply:
    """Plain text (adapters escape it for their markup), optional choices. `heading`
    names what is answered (an entry's title), so the reader sees at once whether
    the bot understood the question; adapters show it above the text, in bold
    where the messenger can."""

    text: str
    choices: list[Choice] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    heading: str | None = None
    # Where a numbered list starts: a reminder sent right after another one continues its
    # numbers, so each reminder's "Đã nộp" keeps its own number (handlers/deadlines/reminders.py).
    number_from: int = 1

    @property
    def full_text(self) -> str:
        return f"{self.heading}\n\n{self.text}" if self.heading else self.text


@dataclass(frozen=True)
class Capabilities:
    """What a channel can show, so a handler can choose a fallback on purpose:
    buttons or numbered lists, documents or not, how long one message may be; and
    what people can send through it (`takes_documents`: PDF, Word...; Zalo gives a
    bot images only), so a prompt never asks for what cannot arrive."""

    buttons: bool = False
    documents: bool = False
    text_limit: int = 2000
    takes_documents: bool = True


@dataclass
class Notice:
    """A message to someone other than the person who wrote (an officer, the
    submitter of a question), addressed by channel and user id. `key` is unique
    for what the notice says happened ("office:12:answer"), so producing it
    twice sends it once. `on_blocked` goes out instead when the messenger says
    the recipient blocked the bot."""

    channel: str
    user_id: str
    reply: Reply
    key: str
    on_blocked: Notice | None = None


@dataclass
class Turn:
    """What one incoming event produces: replies to this chat, notices to other
    people, and the conversation state after it. The pipeline commits all three
    in one transaction."""

    replies: list[Reply]
    notices: list[Notice] = field(default_factory=list)
    state: ChatState = field(default_factory=ChatState)


def reply_to_dict(reply: Reply) -> dict:
    """A reply as JSON-safe data, kept in the outbox until it is sent."""
    data = {"text": reply.text, "heading": reply.heading,
            "choices": [{"id": c.id, "label": c.label} for c in reply.choices],
            "documents": [_document_to_dict(d) for d in reply.documents]}
    if reply.number_from != 1:
        data["number_from"] = reply.number_from
    return data


def _document_to_dict(d: Document) -> dict:
    out = {"file_name": d.file_name, "mime_type": d.mime_type, "caption": d.caption}
    if d.stored_file_id is not None:
        return {**out, "stored_file_id": d.stored_file_id}
    return {**out, "data": base64.b64encode(d.data).decode("ascii")}


def reply_from_dict(data: dict) -> Reply:
    return Reply(text=data["text"], heading=data.get("heading"), choices=[Choice(**c) for c in data.get("choices", [])],
                 documents=[Document(file_name=d["file_name"], data=base64.b64decode(d.get("data") or ""),
                                     mime_type=d.get("mime_type") or "application/octet-stream",
                                     caption=d.get("caption"), stored_file_id=d.get("stored_file_id"))
                            for d in data.get("documents", [])],
                 number_from=int(data.get("number_from") or 1))


def notice_to_dict(notice: Notice) -> dict:
    return {"channel": notice.channel, "user_id": notice.user_id, "key": notice.key,
            "reply": reply_to_dict(notice.reply)}
