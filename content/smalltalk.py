"""Small talk: thanks, "ok", yes and no, goodbye, apologies, laughter, emoji.

The words are in content/smalltalk.yaml. A message is small talk when every
word of it belongs to a small-talk phrase or is a filler ("ạ", "nhé", "em",
"bot"): "dạ vâng ạ", "tks ad", "cảm ơn bot nhiều nhé", "👍". One word outside
those ("cảm ơn, cho em hỏi hồ sơ...") makes it a question. `kind_of` says
which kind it is (the first in the file's order among those present), and
`is_small_talk` whether it is small talk at all, for the conversation and
for the curators' list of unanswered questions.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from pydantic import field_validator

from content.normalize import tokens
from content.schema import Strict
from content.yaml_reader import yaml_load

SMALLTALK_FILE = "smalltalk.yaml"
MAX_WORDS = 12  # small talk is short: a long message of such words is no chat (and is refused as too long)


class Kind(Strict):
    phrases: list[str] = []
    patterns: list[str] = []
    emoji: list[str] = []

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, values: list[str]) -> list[str]:
        for v in values:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"pattern {v!r}: {exc}") from exc
        return values


class SmallTalkFile(Strict):
    kinds: dict[str, Kind]
    fillers: list[str] = []


def problems(data: SmallTalkFile) -> list[str]:
    """What `content check` reports beyond the file's shape."""
    out = []
    for name, kind in data.kinds.items():
        if not (kind.phrases or kind.patterns or kind.emoji):
            out.append(f"kinds.{name}: has no phrases, patterns or emoji")
        for p in kind.phrases:
            if not tokens(p):
                out.append(f"kinds.{name}: phrase {p!r} has no letters or digits (put symbols under emoji)")
        for e in kind.emoji:
            if not e.strip():
                out.append(f"kinds.{name}: blank emoji")
    for f in data.fillers:
        if not tokens(f):
            out.append(f"fillers: {f!r} has no letters or digits")
    return out


class SmallTalk:
    def __init__(self, data: SmallTalkFile):
        self.order = list(data.kinds)
        # Phrase (folded words) -> kind; a phrase of two kinds belongs to the first.
        self.phrases: dict[tuple[str, ...], str] = {}
        patterns: list[tuple[re.Pattern[str], str]] = []
        self.emoji: list[tuple[str, str]] = []
        for name, kind in data.kinds.items():
            for p in kind.phrases:
                self.phrases.setdefault(tuple(tokens(p)), name)
            patterns.extend((re.compile(p), name) for p in kind.patterns)
            self.emoji.extend((e.strip(), name) for e in kind.emoji)
        for f in data.fillers:
            self.phrases.setdefault(tuple(tokens(f)), "")
        self.patterns = patterns
        # Longest symbols first: ":))" before ":)".
        self.emoji.sort(key=lambda e: len(e[0]), reverse=True)
        self.longest = max((len(p) for p in self.phrases), default=1)

    def kind_of(self, text: str) -> str | None:
        found = self._scan(text)
        return next((k for k in self.order if k in found), None) if found else None

    def only_chat(self, text: str) -> bool:
        """Small talk, or only fillers ("anh ơi", "dạ"): nothing a question could be about."""
        return self._scan(text) is not None

    def _scan(self, text: str) -> set[str] | None:
        """The kinds present when every word is small talk or a filler; None otherwise."""
        text = unicodedata.normalize("NFC", text or "").lower().strip()
        if not text:
            return None
        found: set[str] = set()
        for symbol, name in self.emoji:
            if symbol in text:
                found.add(name)
                text = text.replace(symbol, " ")
        # What is left must be words: any other symbol (an emoji not listed) says nothing,
        # but a message of symbols alone ("?", "...") is not small talk either.
        words = tokens(text)
        if (not words and not found) or len(words) > MAX_WORDS:
            return None
        i = 0
        while i < len(words):
            for n in range(min(self.longest, len(words) - i), 0, -1):
                name = self.phrases.get(tuple(words[i:i + n]))
                if name is not None:
                    if name:
                        found.add(name)
                    i += n
                    break
            else:
                name = next((k for p, k in self.patterns if p.fullmatch(words[i])), None)
                if name is None:
                    return None
                found.add(name)
                i += 1
        return found


def read(path: Path) -> SmallTalkFile:
    return SmallTalkFile.model_validate(yaml_load(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def default() -> SmallTalk:
    return SmallTalk(read(Path(__file__).resolve().parent / SMALLTALK_FILE))


def kind_of(text: str) -> str | None:
    """The kind of small talk ("thanks", "agree", "goodbye", ...), or None for anything else."""
    return default().kind_of(text)


def only_chat(text: str) -> bool:
    """Small talk or fillers only: no question in it."""
    return default().only_chat(text)


def is_small_talk(text: str) -> bool:
    """Whether the message is small talk (greetings included), not a question."""
    return kind_of(text) is not None
