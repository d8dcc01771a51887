"""Values from outside made safe for the columns they go into.

PostgreSQL refuses what SQLite lets through: a VARCHAR longer than its limit, a
NUL byte in text, a lone surrogate (not encodable as UTF-8). Any of these in a
name, an id or a question would make every turn of that person fail, so they
are cleaned once, where they enter storage.

What nobody means to show is dropped there too: control characters (a bell, an
escape sequence) and the bidi embeddings, overrides and isolates that would make a
story or a name read backwards on an officer's screen.
"""

from __future__ import annotations

import hashlib
import re

ID_LIMIT = 128  # users.external_id, outbox.chat_id, office_questions.chat_id
NAME_LIMIT = 256  # users.display_name, office_questions.asker_name, profiles.full_name


# C0 controls but tab and newline, DEL, C1 controls; U+202A-202E (LRE, RLE, PDF, LRO, RLO)
# and U+2066-2069 (LRI, RLI, FSI, PDI). The marks U+200E/200F change no text's order: kept.
_UNSHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """`text` without control characters (but tab and newline; a carriage return becomes a
    newline) or bidi direction controls, with lone surrogates replaced by U+FFFD (a
    surrogate pair that arrived as two code points is joined back into its character)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _UNSHOWN.sub("", text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def clip_name(name: str | None) -> str | None:
    """A display name that fits its column (messengers allow longer ones than we keep)."""
    if name is None:
        return None
    return clean_text(name)[:NAME_LIMIT] or None


def stored_id(external_id: str) -> str:
    """The id as stored: itself when it fits, else a stand-in made of its start and its
    sha256 (the real id travels with an outbox row as `to`). The same id always maps to
    the same stand-in, and two long ids share one only if their digests collide."""
    if len(external_id) <= ID_LIMIT:
        return external_id
    digest = hashlib.sha256(external_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{external_id[:ID_LIMIT - 66]}#{digest}"[:ID_LIMIT]
