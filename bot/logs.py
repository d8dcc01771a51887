"""Logs for an operator: one line per handled message, naming the channel and a
short user reference but never what the person wrote (it is personal data, and
logs travel to places the database does not), and JSON lines for log collectors.

The user reference is `u<id>`, the row of the `users` table: short, stable across
restarts and instances, and meaningless without access to the database."""

from __future__ import annotations

import contextvars
import json
import logging
import time
from datetime import UTC, datetime, tzinfo

from handlers.context import TurnContext
from handlers.conversation import Conversation
from handlers.events import IncomingEvent, Turn

log = logging.getLogger("bot.turns")

# Fields of a turn's record that the JSON formatter lifts to top-level keys.
EVENT_FIELDS = ("channel", "user", "event", "outcome", "entry", "replies", "notices", "ms")

# The outcomes of the questions answered during the current turn (turns of
# different users run in parallel threads; each has its own context).
_outcomes: contextvars.ContextVar[list[tuple[str, str | None]] | None] = contextvars.ContextVar(
    "turn_outcomes", default=None)


def user_ref(user_id: int | None) -> str:
    return f"u{user_id}" if user_id is not None else "u?"


def event_kind(event: IncomingEvent) -> str:
    """What kind of message arrived, without its content: a command keeps its name
    (the bot's own vocabulary), anything typed is just "text"."""
    if event.choice:
        return "button"
    text = (event.text or "").strip()
    if text.startswith("/"):
        name = text[1:].split(maxsplit=1)[0].split("@", 1)[0] if len(text) > 1 else ""
        return f"/{name[:24]}" if name.isascii() and name.isalnum() else "text"
    if event.unsupported:
        return event.unsupported[:24]
    if event.attachments:
        return "file" if len(event.attachments) == 1 else f"{len(event.attachments)} files"
    return "text" if text else "empty"


class LoggedConversation(Conversation):
    """The conversation, with one log line per turn it handles."""

    def handle(self, ctx: TurnContext) -> Turn:
        started = time.perf_counter()
        token = _outcomes.set([])
        try:
            turn = super().handle(ctx)
            outcomes = _outcomes.get() or []
        finally:
            _outcomes.reset(token)
        ms = round((time.perf_counter() - started) * 1000)
        event = event_kind(ctx.event)
        outcome = ",".join(kind for kind, _ in outcomes) or "-"
        entry = next((e for _, e in outcomes if e), None)
        log.info("%s %s %s -> %s%s, %d repl%s%s (%d ms)", ctx.event.channel, user_ref(ctx.user_id), event, outcome,
                 f" [{entry}]" if entry else "", len(turn.replies), "y" if len(turn.replies) == 1 else "ies",
                 f", {len(turn.notices)} notice(s)" if turn.notices else "", ms,
                 extra={"channel": ctx.event.channel, "user": user_ref(ctx.user_id), "event": event,
                        "outcome": outcome, "entry": entry, "replies": len(turn.replies),
                        "notices": len(turn.notices), "ms": ms})
        return turn

    def answer(self, question: str, **kwargs):  # noqa: ANN003, ANN201 - the parent's signature
        result = super().answer(question, **kwargs)
        outcomes = _outcomes.get()
        if outcomes is not None:
            match = result.match
            outcomes.append((result.kind, match.entry.id if result.kind == "answer" and match and match.entry
                             else None))
        return result


def log_time(created: float, tz: tzinfo = UTC) -> str:
    """When a record was made, in the bot's TIMEZONE: the same ISO form in text and JSON
    lines (text lines used the machine's zone, usually UTC, JSON lines UTC, while the
    bot speaks +07 to people)."""
    return datetime.fromtimestamp(created, tz).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """One readable line per record, its time as `log_time` gives it."""

    def __init__(self, tz: tzinfo = UTC):
        super().__init__(TEXT_FORMAT)
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return log_time(record.created, self.tz)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (in the bot's TIMEZONE), level, logger, message,
    the turn's fields when the record has them, and the traceback as one string."""

    def __init__(self, tz: tzinfo = UTC):
        super().__init__()
        self.tz = tz

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "time": log_time(record.created, self.tz),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in EVENT_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                out[key] = value
        # RedactingFilter may have set exc_text already, masked; formatting
        # exc_info again would bring the secret back.
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exception"] = record.exc_text
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def formatter(log_format: str, tz: tzinfo = UTC) -> logging.Formatter:
    return JsonFormatter(tz) if log_format == "json" else TextFormatter(tz)
