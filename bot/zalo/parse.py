"""Zalo update objects → IncomingEvent, tolerant of the small ways published samples differ.

Shapes accepted (see tests/fixtures/zalo/*.json):
- the envelope `{"ok": true, "result": {...}}` or the bare result object;
- `event_name` on the result (or, in some samples, on the message), or none at
  all when the message has `text` (then it is a text event);
- the sender's name in `display_name`, `first_name` (+ `last_name`) or `name`;
- ids as strings or numbers (kept as strings).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.channel import InvalidUpdate as ChannelInvalidUpdate
from bot.plumbing import strip_mention
from handlers.events import Attachment, IncomingEvent

log = logging.getLogger(__name__)

CHANNEL = "zalo"

TEXT = "message.text.received"
IMAGE = "message.image.received"
STICKER = "message.sticker.received"
VOICE = "message.voice.received"
UNSUPPORTED = "message.unsupported.received"


class InvalidUpdate(ChannelInvalidUpdate):
    """The update lacks what we need to answer it (message id, chat id)."""


@dataclass(frozen=True)
class ParsedUpdate:
    message_id: str
    event_name: str
    # None when the event is valid but not for us (an unknown event name, a bot's own message).
    event: IncomingEvent | None


def unwrap(body: object) -> dict:
    """The update object from a webhook body or getUpdates result, enveloped or bare."""
    if not isinstance(body, dict):
        raise InvalidUpdate(f"expected a JSON object, got {type(body).__name__}")
    result = body.get("result")
    if isinstance(result, dict) and "message" not in body:
        return result
    return body


def _id(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str):
        text = str(value).strip()
        return text or None
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _sender_name(sender: dict) -> str | None:
    name = _str(sender.get("display_name"))
    if name:
        return name.strip()
    first = _str(sender.get("first_name"))
    if first:
        last = _str(sender.get("last_name"))
        return f"{first.strip()} {last.strip()}" if last else first.strip()
    name = _str(sender.get("name"))
    return name.strip() if name else None


def _event_name(update: dict, message: dict) -> str:
    name = _str(update.get("event_name")) or _str(message.get("event_name"))
    if name:
        return name.strip()
    # One published getUpdates sample has no event_name; infer it from the content.
    if isinstance(message.get("text"), str):
        return TEXT
    if message.get("photo"):
        return IMAGE
    if message.get("sticker"):
        return STICKER
    return ""


def _photo_url(message: dict) -> str | None:
    photo = message.get("photo") or message.get("photo_url") or message.get("url")
    if isinstance(photo, dict):
        photo = photo.get("url")
    if isinstance(photo, list) and photo:  # a list of sizes: take the last (largest)
        last = photo[-1]
        photo = last.get("url") if isinstance(last, dict) else last
    url = _str(photo)
    return url.strip() if url and url.strip().startswith(("http://", "https://")) else None


def addressed_in_group(text: str, bot_names: tuple[str, ...]) -> str | None:
    """In a group (Zalo's GROUP chats, in beta) the bot answers only what is meant
    for it, as on Telegram: a /command, or a message mentioning it by name.
    Returns the text without the mention, or None when the message is chatter."""
    body = text.strip()
    found, stripped = strip_mention(body, bot_names)
    if found:
        return stripped
    return body if body.startswith("/") else None


def parse_update(body: object, bot_names: tuple[str, ...] = ()) -> ParsedUpdate:
    """Parse one update; raises InvalidUpdate when it cannot be answered.
    `bot_names`: how members mention the bot in a group (its account and display names)."""
    update = unwrap(body)
    message = update.get("message")
    if not isinstance(message, dict):
        raise InvalidUpdate("no message object")
    message_id = _id(message.get("message_id"))
    if message_id is None:
        raise InvalidUpdate("no message_id")
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    chat_id = _id(chat.get("id"))
    if chat_id is None:
        raise InvalidUpdate(f"message {message_id}: no chat id")
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    user_id = _id(sender.get("id")) or chat_id
    name = _event_name(update, message)

    if sender.get("is_bot") is True:
        return ParsedUpdate(message_id, name, None)
    if str(chat.get("chat_type") or "").upper() == "GROUP":
        # Stickers, images and chatter among members are not for the bot.
        text = message.get("text")
        meant = addressed_in_group(text, bot_names) if name == TEXT and isinstance(text, str) else None
        if meant is None:
            return ParsedUpdate(message_id, name, None)
        message = {**message, "text": meant}
    base = {"channel": CHANNEL, "chat_id": chat_id, "user_id": user_id, "display_name": _sender_name(sender),
            "message_id": message_id}
    if name == TEXT:
        text = message.get("text")
        return ParsedUpdate(message_id, name, IncomingEvent(text=text if isinstance(text, str) else "", **base))
    if name == IMAGE:
        url = _photo_url(message)
        caption = _str(message.get("caption"))
        attachments = (Attachment(kind="photo", url=url, caption=caption),) if url else ()
        if not url:
            log.warning("zalo image message %s without a usable photo url", message_id)
            return ParsedUpdate(message_id, name, IncomingEvent(unsupported="unsupported", **base))
        return ParsedUpdate(message_id, name, IncomingEvent(attachments=attachments, **base))
    if name == STICKER:
        return ParsedUpdate(message_id, name, IncomingEvent(unsupported="sticker", **base))
    if name == VOICE:
        return ParsedUpdate(message_id, name, IncomingEvent(unsupported="voice", **base))
    if name == UNSUPPORTED:
        return ParsedUpdate(message_id, name, IncomingEvent(unsupported="unsupported", **base))
    return ParsedUpdate(message_id, name or "(none)", None)
