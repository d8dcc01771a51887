"""Reply -> Telegram messages: HTML with every provided string escaped, long texts
split on paragraph boundaries, choices as an inline keyboard on the last part."""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.rendering import TELEGRAM_LIMIT, split_text
from handlers import texts
from handlers.events import Choice, Reply

CAPTION_LIMIT = 1024
# A message needs some text; used when a reply has only buttons.
CHOOSE = "Mời đồng chí chọn:"
SOURCE_PREFIX = texts.SOURCE_LINE.split("{", 1)[0]  # "Nguồn: "


@dataclass(frozen=True)
class OutMessage:
    html: str  # sent with parse_mode=HTML
    plain: str  # the same text unformatted (fallback if Telegram refuses the markup)
    buttons: tuple[Choice, ...] = ()


def measure(text: str) -> int:
    """Length as Telegram may count it: UTF-16 code units of the text as sent.
    Counting the markup too keeps every part safely under the limit."""
    return len(text.encode("utf-16-le")) // 2


def to_html(plain: str) -> str:
    lines = []
    for line in html.escape(plain, quote=False).split("\n"):
        if line.startswith(SOURCE_PREFIX):
            line = f"<i>{line}</i>"
        lines.append(line)
    return "\n".join(lines)


def split_html(text: str, limit: int = TELEGRAM_LIMIT, budget: int | None = None) -> list[tuple[str, str]]:
    """(html, plain) parts whose HTML fits in `limit`, cut between paragraphs where possible."""
    budget = budget or limit
    out: list[tuple[str, str]] = []
    for part in split_text(text, budget):
        rendered = to_html(part)
        size = measure(rendered)
        if size <= limit:
            out.append((rendered, part))
            continue
        # Escaping (&lt; &amp;), emoji and markup made it longer: split this part finer.
        smaller = min(budget - 1, len(part) * limit // size - 8)
        if smaller < 1:
            raise ValueError("limit too small to split this text")
        out.extend(split_html(part, limit, smaller))
    return out


def render(reply: Reply, limit: int = TELEGRAM_LIMIT) -> list[OutMessage]:
    parts = split_html(reply.full_text or "", limit)
    if reply.heading and parts:
        heading = html.escape(reply.heading.strip(), quote=False)
        first_html, first_plain = parts[0]
        if first_html.startswith(heading) and measure(first_html) + 7 <= limit:
            parts[0] = (f"<b>{heading}</b>{first_html[len(heading):]}", first_plain)
    if not parts and reply.choices:
        parts = [(html.escape(CHOOSE, quote=False), CHOOSE)]
    messages = [OutMessage(h, p) for h, p in parts]
    if messages and reply.choices:
        last = messages[-1]
        messages[-1] = OutMessage(last.html, last.plain, tuple(reply.choices))
    return messages


def caption_html(caption: str | None) -> str | None:
    """The caption as HTML when it fits a document caption, else None (send it as a message)."""
    if not caption:
        return None
    rendered = html.escape(caption, quote=False)
    return rendered if measure(rendered) <= CAPTION_LIMIT else None
