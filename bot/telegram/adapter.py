"""Telegram update (the JSON the Bot API sends, by webhook or getUpdates) -> IncomingEvent.

Works on plain dicts so that polling, webhook and recovery from the inbox all
read the very same payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.plumbing import strip_mention
from handlers.events import Attachment, IncomingEvent

CHANNEL = "telegram"
GROUP_TYPES = {"group", "supergroup"}
# Update kinds the bot asks for (getUpdates and setWebhook allowed_updates).
ALLOWED_UPDATES = ["message", "callback_query"]
# Message contents the bot cannot use but should answer politely in a private chat.
VOICE_KINDS = ("voice", "audio", "video_note")
OTHER_KINDS = ("video", "animation", "location", "contact", "poll", "dice", "venue", "game", "story",
               "paid_media", "checklist", "invoice")


@dataclass(frozen=True)
class BotIdentity:
    id: int
    username: str | None


@dataclass(frozen=True)
class Inbound:
    """What to do with one update: answer a button press (`callback_id`),
    handle `event` (None: nothing to handle), reply to `reply_to` in groups."""

    event: IncomingEvent | None
    callback_id: str | None = None
    reply_to: int | None = None


# What the inbox keeps of an update: the fields parse_update reads, and no more (a
# webhook body of a megabyte of entities or quoted messages is not stored whole).
_MESSAGE_KEYS = ("message_id", "from", "chat", "text", "caption", "photo", "document", "animation",
                 "media_group_id", "sticker", *VOICE_KINDS, *OTHER_KINDS)
_PERSON_KEYS = ("id", "is_bot", "first_name", "last_name", "username")
_FILE_KEYS = ("file_id", "file_unique_id", "file_size", "width", "height", "file_name", "mime_type")


def _person(value: object) -> object:
    return {k: value[k] for k in _PERSON_KEYS if k in value} if isinstance(value, dict) else value


def _slim_message(msg: dict) -> dict:
    out: dict[str, Any] = {}
    for key in _MESSAGE_KEYS:
        if key not in msg:
            continue
        value = msg[key]
        if key in ("sticker", *VOICE_KINDS, *OTHER_KINDS):
            value = True  # only its presence matters
        elif key == "from":
            value = _person(value)
        elif key == "chat" and isinstance(value, dict):
            value = {k: value[k] for k in ("id", "type") if k in value}
        elif key == "document" and isinstance(value, dict):
            value = {k: value[k] for k in _FILE_KEYS if k in value}
        elif key == "photo" and isinstance(value, list):
            value = [{k: p[k] for k in _FILE_KEYS if k in p} for p in value[:10] if isinstance(p, dict)]
        out[key] = value
    reply = msg.get("reply_to_message")
    if isinstance(reply, dict):
        out["reply_to_message"] = {"from": {"id": (reply.get("from") or {}).get("id")}} \
            if isinstance(reply.get("from"), dict) else {}
    return out


def slim(update: dict[str, Any]) -> dict[str, Any]:
    """The update reduced to what parsing it (now, or when recovering it) needs."""
    out: dict[str, Any] = {"update_id": update.get("update_id")}
    msg = update.get("message")
    if isinstance(msg, dict):
        out["message"] = _slim_message(msg)
    cq = update.get("callback_query")
    if isinstance(cq, dict):
        slim_cq = {k: cq[k] for k in ("id", "data") if k in cq}
        slim_cq["from"] = _person(cq.get("from"))
        if isinstance(cq.get("message"), dict):
            m = cq["message"]
            slim_cq["message"] = {"message_id": m.get("message_id"),
                                  "chat": {"id": (m.get("chat") or {}).get("id")} if isinstance(m.get("chat"), dict)
                                  else {}}
        out["callback_query"] = slim_cq
    return out


def _text(value: object) -> str:
    """A text field as Telegram documents it (a string); anything else is read as no text."""
    return value if isinstance(value, str) else ""


def _ident(value: object) -> str | None:
    """A chat or user id: an integer (or a string, as some tests and proxies send it)."""
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        return None
    return str(value)


def display_name(user: dict) -> str | None:
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if isinstance(p, str) and p).strip()
    username = user.get("username")
    return name or (username if isinstance(username, str) else None) or None


def sender_of(update: dict[str, Any]) -> str | None:
    """The id of who sent an update (a message or a button press), read before parsing."""
    for kind in ("message", "callback_query"):
        part = update.get(kind)
        if isinstance(part, dict) and isinstance(part.get("from"), dict) and _ident(part["from"].get("id")):
            return _ident(part["from"]["id"])
    return None


def parse_update(update: dict[str, Any], me: BotIdentity) -> Inbound | None:
    """None when the update is not for the bot (other kinds, group chatter, other bots)."""
    if isinstance(update.get("callback_query"), dict):
        return _callback(update["callback_query"])
    if isinstance(update.get("message"), dict):
        return _message(update["message"], me)
    return None


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _callback(cq: dict[str, Any]) -> Inbound:
    user = _dict(cq.get("from"))
    message = _dict(cq.get("message"))
    chat = _dict(message.get("chat"))
    data = cq.get("data")
    callback_id = cq.get("id") if isinstance(cq.get("id"), str) else None
    user_id = _ident(user.get("id"))
    if not user_id or not isinstance(data, str) or not data:
        # A game button or a malformed query: only stop the spinner.
        return Inbound(None, callback_id=callback_id)
    event = IncomingEvent(
        channel=CHANNEL,
        chat_id=_ident(chat.get("id")) or user_id,
        user_id=user_id,
        display_name=display_name(user),
        choice=data,
        message_id=_ident(message.get("message_id")),
    )
    return Inbound(event, callback_id=callback_id)


def _message(msg: dict[str, Any], me: BotIdentity) -> Inbound | None:
    user = _dict(msg.get("from"))
    chat = _dict(msg.get("chat"))
    if not _ident(user.get("id")) or user.get("is_bot") or not _ident(chat.get("id")):
        return None
    text = _text(msg.get("text"))
    caption = _text(msg.get("caption"))
    in_group = chat.get("type") in GROUP_TYPES
    if in_group:
        addressed, text, caption = _addressed(msg, text, caption, me)
        if not addressed:
            return None
    elif chat.get("type") not in (None, "private"):
        return None  # channels

    attachments: list[Attachment] = []
    photos = [p for p in msg.get("photo") or () if isinstance(p, dict) and isinstance(p.get("file_id"), str)] \
        if isinstance(msg.get("photo"), list) else []
    if photos:
        best = max(photos, key=lambda p: (_int(p.get("file_size")), _int(p.get("width")) * _int(p.get("height"))))
        attachments.append(Attachment(kind="photo", file_id=best["file_id"], size=_int(best.get("file_size")) or None,
                                      caption=caption or None))
    document = msg.get("document")
    if isinstance(document, dict) and isinstance(document.get("file_id"), str) and "animation" not in msg:
        attachments.append(Attachment(kind="document", file_id=document["file_id"],
                                      file_name=_text(document.get("file_name")) or None,
                                      mime_type=_text(document.get("mime_type")) or None,
                                      size=_int(document.get("file_size")) or None, caption=caption or None))

    unsupported = None
    if not text and not attachments:
        if "sticker" in msg:
            unsupported = "sticker"
        elif any(k in msg for k in VOICE_KINDS):
            unsupported = "voice"
        elif any(k in msg for k in OTHER_KINDS):
            unsupported = "unsupported"
        else:
            return None  # service messages: members joining, pins, titles ...

    message_id = msg.get("message_id") if type(msg.get("message_id")) is int else None
    event = IncomingEvent(
        channel=CHANNEL,
        chat_id=str(_ident(chat.get("id"))),
        user_id=str(_ident(user.get("id"))),
        text=text,
        display_name=display_name(user),
        attachments=tuple(attachments),
        message_id=str(message_id) if message_id is not None else None,
        unsupported=unsupported,
    )
    return Inbound(event, reply_to=message_id if in_group else None)


def _int(value: object) -> int:
    return value if type(value) is int else 0


def _addressed(msg: dict[str, Any], text: str, caption: str, me: BotIdentity) -> tuple[bool, str, str]:
    """In a group the bot answers commands, mentions and replies to its own messages;
    returns (addressed, text, caption) with the mention removed."""
    username = (me.username or "").lower()
    body = text or caption
    addressed = False
    if body.startswith("/"):
        head, sep, rest = body.partition(" ")
        command, at, target = head.partition("@")
        if at and target.lower() != username:
            return False, text, caption  # a command for another bot
        body = f"{command}{sep}{rest}"
        addressed = True
    if username:
        found, body = strip_mention(body, (username,))
        addressed = addressed or found
    reply = _dict(msg.get("reply_to_message"))
    if _dict(reply.get("from")).get("id") == me.id:
        addressed = True
    if text:
        return addressed, body, caption
    return addressed, text, body
