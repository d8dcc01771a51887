"""Words typed instead of a command: "menu", "hủy", "quay lại", "xem chi tiết".

The words are in content/commands.yaml, by what they do. A message is such a
command when, once the courtesy words of the file's `fillers` are left out
("chi tiết giúp em với", "cho em xem lịch nhắc hạn ạ"), it is one of the
phrases, with or without diacritics. Anything more ("chi tiết hồ sơ bằng
khen") is a question.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from content.normalize import tokens
from content.schema import Strict
from content.yaml_reader import yaml_load

COMMANDS_FILE = "commands.yaml"
# What the conversation does with each name (handlers/conversation.py); content check
# refuses any other name.
NAMES = ("menu", "help", "cancel", "back", "details", "ask_office", "deadlines", "my_reports", "review",
         "profile", "delete_profile")


class CommandsFile(Strict):
    commands: dict[str, list[str]]
    fillers: list[str] = []


def problems(data: CommandsFile) -> list[str]:
    """What `content check` reports beyond the file's shape."""
    out = [f"commands: {name!r} is not something the bot does (one of {', '.join(NAMES)})"
           for name in data.commands if name not in NAMES]
    fillers = {w for f in data.fillers for w in tokens(f)}
    out += [f"fillers: {f!r} has no words" for f in data.fillers if not tokens(f)]
    seen: dict[tuple[str, ...], str] = {}
    for name, phrases in data.commands.items():
        for phrase in phrases:
            key = tuple(w for w in tokens(phrase) if w not in fillers)
            if not key:
                out.append(f"commands: {name}: {phrase!r} has no words but fillers")
            elif seen.get(key, name) != name:
                out.append(f"commands: {name}: {phrase!r} is also a phrase of {seen[key]}")
            seen.setdefault(key, name)
    return out


class TypedCommands:
    def __init__(self, data: CommandsFile):
        self.fillers = frozenset(w for f in data.fillers for w in tokens(f))
        self.phrases: dict[tuple[str, ...], str] = {}
        for name, phrases in data.commands.items():
            for phrase in phrases:
                self.phrases.setdefault(self._key(phrase), name)

    def _key(self, text: str) -> tuple[str, ...]:
        return tuple(w for w in tokens(text) if w not in self.fillers)

    def mentions(self, text: str, name: str) -> bool:
        """Whether a longer message says one of the command's phrases ("chi tiết hồ sơ bằng khen")."""
        words = self._key(text)
        return any(words[i:i + len(p)] == p for p, n in self.phrases.items() if n == name
                   for i in range(len(words) - len(p) + 1))

    def of(self, text: str) -> str | None:
        """What the message asks the bot to do, when it is only such words."""
        return self.phrases.get(self._key(text)) if text and len(text) <= 80 else None


def read(path: Path) -> CommandsFile:
    return CommandsFile.model_validate(yaml_load(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def default() -> TypedCommands:
    """The words shipped beside this module, for content without its own commands.yaml."""
    return TypedCommands(read(Path(__file__).resolve().parent / COMMANDS_FILE))
