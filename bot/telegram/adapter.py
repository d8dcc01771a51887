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


def display_name(user: dict) -> str | None:
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p).strip()
    return name or user.get("username") or None


def sender_of(update: dict[str, Any]) -> str | None:
    """The id of who sent an update (a message or a button press), read before parsing."""
    for kind in ("message", "callback_query"):
        part = update.get(kind)
        if isinstance(part, dict) and isinstance(part.get("from"), dict) and part["from"].get("id") is not None:
            return str(part["from"]["id"])
    return None


def parse_update(update: dict[str, Any], me: BotIdentity) -> Inbound | None:
    """None when the update is not for the bot (other kinds, group chatter, other bots)."""
    if isinstance(update.get("callback_query"), dict):
        return _callback(update["callback_query"])
    if isinstance(update.get("message"), dict):
        return _message(update["message"], me)
    return None


def _callback(cq: dict[str, Any]) -> Inbound:
    user = cq.get("from") or {}
    message = cq.get("message") or {}
    chat = message.get("chat") or {}
    data = cq.get("data")
    if not user.get("id") or not data:
        # A game button or a malformed query: only stop the spinner.
        return Inbound(None, callback_id=cq.get("id"))
    event = IncomingEvent(
        channel=CHANNEL,
        chat_id=str(chat.get("id", user["id"])),
        user_id=str(user["id"]),
        display_name=display_name(user),
        choice=str(data),
        message_id=str(message["message_id"]) if "message_id" in message else None,
    )
    return Inbound(event, callback_id=cq.get("id"))


def _message(msg: dict[str, Any], me: BotIdentity) -> Inbound | None:
    user = msg.get("from") or {}
    chat = msg.get("chat") or {}
    if not user.get("id") or user.get("is_bot") or "id" not in chat:
        return None
    text = msg.get("text") or ""
    caption = msg.get("caption") or ""
    in_group = chat.get("type") in GROUP_TYPES
    if in_group:
        addressed, text, caption = _addressed(msg, text, caption, me)
        if not addressed:
            return None
    elif chat.get("type") not in (None, "private"):
        return None  # channels

    attachments: list[Attachment] = []
    photos = msg.get("photo")
    if isinstance(photos, list) and photos:
        best = max(photos, key=lambda p: (p.get("file_size") or 0, (p.get("width") or 0) * (p.get("height") or 0)))
        attachments.append(Attachment(kind="photo", file_id=best.get("file_id"), size=best.get("file_size"),
                                      caption=caption or None))
    document = msg.get("document")
    if isinstance(document, dict) and "animation" not in msg:
        attachments.append(Attachment(kind="document", file_id=document.get("file_id"),
                                      file_name=document.get("file_name"), mime_type=document.get("mime_type"),
                                      size=document.get("file_size"), caption=caption or None))

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

    event = IncomingEvent(
        channel=CHANNEL,
        chat_id=str(chat["id"]),
        user_id=str(user["id"]),
        text=text,
        display_name=display_name(user),
        attachments=tuple(attachments),
        message_id=str(msg["message_id"]) if "message_id" in msg else None,
        unsupported=unsupported,
    )
    return Inbound(event, reply_to=msg.get("message_id") if in_group else None)


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
    reply = msg.get("reply_to_message") or {}
    if (reply.get("from") or {}).get("id") == me.id:
        addressed = True
    if text:
        return addressed, body, caption
    return addressed, text, body
