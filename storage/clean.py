"""Values from outside made safe for the columns they go into.

PostgreSQL refuses what SQLite lets through: a VARCHAR longer than its limit, a
NUL byte in text, a lone surrogate (not encodable as UTF-8). Any of these in a
name, an id or a question would make every turn of that person fail, so they
are cleaned once, where they enter storage.
"""

from __future__ import annotations

import hashlib

ID_LIMIT = 128  # users.external_id, outbox.chat_id, office_questions.chat_id
NAME_LIMIT = 256  # users.display_name, office_questions.asker_name, profiles.full_name


def clean_text(text: str) -> str:
    """`text` without NUL bytes and with lone surrogates replaced by U+FFFD (a surrogate
    pair that arrived as two code points is joined back into its character)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
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
