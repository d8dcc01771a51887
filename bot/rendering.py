"""Turning replies into text for channels without buttons, and splitting long texts."""

from __future__ import annotations

from handlers.events import Reply

TELEGRAM_LIMIT = 4096
ZALO_LIMIT = 2000


def numbered(reply: Reply) -> str:
    """The reply's text with its choices as a numbered list (Zalo, console, `ask`)."""
    if not reply.choices:
        return reply.full_text
    first = reply.number_from
    lines = [f"{i}. {c.label}" for i, c in enumerate(reply.choices, first)]
    last = first + len(reply.choices) - 1
    hint = f"Trả lời {first}" if last == first else f"Trả lời bằng số từ {first} đến {last}"
    return f"{reply.full_text}\n\n" + "\n".join(lines) + f"\n({hint}.)"


def split_text(text: str, limit: int) -> list[str]:
    """Split on paragraph boundaries, then lines, then words; never cut inside a word
    unless a single word is longer than the limit. Parts are filled greedily, so a
    heading stays with the start of the long list that follows it."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for piece in text.split("\n\n"):
        candidate = f"{current}\n\n{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
            continue
        if len(piece) <= limit:
            parts.append(current)
            current = piece
            continue
        # A paragraph longer than a message: its lines join the part being filled.
        sep = "\n\n" if current else ""
        for line in piece.split("\n"):
            candidate = f"{current}{sep}{line}" if current else line
            sep = "\n"
            if len(candidate) <= limit:
                current = candidate
                continue
            if current:
                parts.append(current)
            chunks = _split_long(line, limit)
            parts.extend(chunks[:-1])
            current = chunks[-1]
    if current:
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _split_long(piece: str, limit: int) -> list[str]:
    out: list[str] = []
    current = ""
    for unit_sep, units in (("\n", piece.split("\n")),):
        for unit in units:
            candidate = f"{current}{unit_sep}{unit}" if current else unit
            if len(candidate) <= limit:
                current = candidate
                continue
            if current:
                out.append(current)
                current = ""
            while len(unit) > limit:
                cut = unit.rfind(" ", 0, limit + 1)
                cut = cut if cut > limit // 2 else limit
                out.append(unit[:cut].rstrip())
                unit = unit[cut:].lstrip()
            current = unit
    if current:
        out.append(current)
    return out or [""]
