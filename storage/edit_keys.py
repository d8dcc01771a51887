"""The keys of the Office's content rows that are not entries (storage/content_edits.py), with
no imports: content/ reads them when loading, and answering a question alone (`python -m bot
ask`) must not load SQLModel for three strings."""

# The units list's rows: data is the whole units.yaml ({"note": ..., "units": [...]}); an entry id
# cannot start with "@" (content/schema.py), so it never meets an entry's.
UNITS_KEY = "@units"
# A deadline of content/deadlines.yaml as the Office changed it (the whole spec; so far: an
# example made real with its date), under "@deadline:<deadline id>".
DEADLINE_PREFIX = "@deadline:"
EXAMPLE_MADE_REAL = "real"  # the kind of such a row
# Every question the Office marked "not our subject", under one key: data {"examples": [...]},
# the whole list each time. Being a row here makes marking a group a new version of the
# content, so every instance loads the examples with the entries at its next poll.
OUT_OF_SCOPE_KEY = "@out-of-scope"


def is_entry_key(key: str) -> bool:
    """A row about an entry (not the units list nor a deadline)."""
    return not key.startswith("@")
