"""A person's conversation state, typed: every key it keeps is a field here, read from and
written to its stored JSON (conversation_states.data) in this one place.

`v` is the version of this layout. Keys this version does not know (written by a newer
instance during an upgrade) are kept as they were, so running two versions side by side
loses nothing; a value of the wrong shape reads as the field's default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VERSION = 1


@dataclass
class ChatState:
    # The last list offered ({"id", "label"} each), so "2" picks its second line.
    choices: list[dict] = field(default_factory=list)
    # The form in progress (handlers/flows.py FlowState: name, step, values, history).
    flow: dict | None = None
    # The rest of a long list shown a page at a time (handlers/pages.py).
    pages: dict | None = None
    # What the last answer was about (subject, aspect), for follow-ups.
    about: Any = None
    # The entries of the last answer, whose details "chi tiết" opens.
    last_entries: list[str] = field(default_factory=list)
    # The question that fell back, for "Hỏi Văn phòng" in the next turn to send on.
    fallback_question: str | None = None
    # The report just sent (code, when, the choice that sent it), so the same tap is not read twice.
    report_sent: dict | None = None
    # Wrong invite codes typed lately, and the lockout (handlers/profile/invite_tries.py).
    invite_tries: dict | None = None
    # Where each reminder's choices start in `choices` (storage/turns.py add_notice_choices).
    notice_list: dict | None = None
    # Keys of a newer version, kept untouched.
    other: dict = field(default_factory=dict)

    @classmethod
    def load(cls, data: dict | None) -> ChatState:
        data = dict(data or {})
        data.pop("v", None)
        known = {f for f in cls.__dataclass_fields__ if f != "other"}
        out = cls(other={k: v for k, v in data.items() if k not in known})
        for name in known:
            value = data.get(name)
            default = getattr(out, name)
            if value is None:
                continue
            if isinstance(default, list) and not isinstance(value, list):
                continue
            if name in ("flow", "pages", "report_sent", "invite_tries", "notice_list") and not isinstance(value, dict):
                continue
            if name == "fallback_question" and not isinstance(value, str):
                continue
            setattr(out, name, value)
        out.choices = [c for c in out.choices if isinstance(c, dict) and "id" in c and "label" in c]
        out.last_entries = [e for e in out.last_entries if isinstance(e, str)]
        return out

    def dump(self) -> dict:
        data: dict = {**self.other, "v": VERSION}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name != "other" and value not in (None, [], {}):
                data[name] = value
        if "choices" not in data and self.choices == []:
            data["choices"] = []
        return data

    def clear(self) -> None:
        """Everything forgotten (the person erased their data)."""
        for name, f in self.__dataclass_fields__.items():
            setattr(self, name, f.default_factory() if callable(f.default_factory) else f.default)  # type: ignore[misc]
