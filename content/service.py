"""The loaded knowledge base and its matcher, swappable while the bot runs."""

from __future__ import annotations

import threading
from pathlib import Path

from content.commands import TypedCommands
from content.commands import default as default_commands
from content.dialogue import DIALOGUE_FILE, Dialogue, DialogueFile, Reading
from content.loader import KnowledgeBase, load
from content.matcher import Matcher, MatchResult
from content.schema import Entry
from content.smalltalk import SmallTalk
from content.smalltalk import default as default_small_talk
from content.yaml_reader import yaml_load


def _dialogue(kb: KnowledgeBase, matcher: Matcher) -> Dialogue:
    data = kb.dialogue
    if data is None:  # content without its own dialogue.yaml: the one shipped with the code
        path = Path(__file__).resolve().parent / DIALOGUE_FILE
        data = DialogueFile.model_validate(yaml_load(path.read_text(encoding="utf-8")))
    return Dialogue(matcher, data)


def _small_talk(kb: KnowledgeBase) -> SmallTalk:
    return SmallTalk(kb.small_talk) if kb.small_talk is not None else default_small_talk()


def _commands(kb: KnowledgeBase) -> TypedCommands:
    return TypedCommands(kb.commands) if kb.commands is not None else default_commands()


class Knowledge:
    """Holds one consistent (content, index) pair; `reload` builds a new pair
    from disk and swaps it in only when the new content is valid."""

    def __init__(self, content_dir: Path):
        self.content_dir = Path(content_dir)
        self._lock = threading.Lock()
        kb = load(self.content_dir)
        matcher = Matcher(kb)
        self._pair: tuple[KnowledgeBase, Matcher] = (kb, matcher)
        self._dialogue = _dialogue(kb, matcher)
        self.small_talk = _small_talk(kb)
        self.commands = _commands(kb)

    @property
    def kb(self) -> KnowledgeBase:
        return self._pair[0]

    @property
    def matcher(self) -> Matcher:
        return self._pair[1]

    @property
    def dialogue(self) -> Dialogue:
        return self._dialogue

    def match(self, question: str) -> MatchResult:
        return self._pair[1].match(question)

    def read(self, message: str, context: dict | None = None) -> Reading:
        """The message's questions answered in order, follow-ups completed from `context`
        (what the previous answer was about), and what the conversation is about after it."""
        # The context comes from stored state: anything but the dict this module wrote is ignored.
        return self._dialogue.read(message, context if isinstance(context, dict) else None)

    def feature(self, message: str) -> str | None:
        """The bot feature a message asks for in words (dialogue.yaml `features`), if any."""
        return self._dialogue.feature_of(message)

    def typed_as_question(self, message: str) -> bool:
        """Whether a line typed where a form's step expects an answer is a question instead
        (content/questions.py): "Tiêu chí 2.1 là gì?", "cho em hỏi ..."."""
        return self._dialogue.questions.typed_as_question(message)

    def typed_command(self, message: str) -> str | None:
        """What a message typed instead of a command asks for ("hủy", "xem chi tiết"), per commands.yaml."""
        return self.commands.of(message)

    def asks_for(self, message: str, name: str) -> bool:
        """Whether a question also says a command's words: "chi tiết hồ sơ bằng khen" asks for details."""
        return self.commands.mentions(message, name)

    def about(self, entry: Entry) -> dict | None:
        """What the conversation is about once `entry` is shown (picked from a list)."""
        return self._dialogue.about(self._dialogue.frame(entry.title), entry)

    def reload(self) -> KnowledgeBase:
        """Raises ContentError (and keeps the current content) when the files are broken."""
        with self._lock:
            kb = load(self.content_dir)
            matcher = Matcher(kb)
            # New phrasings (the Office's answers to unanswered questions) train the learned
            # ranker here, before the swap, not in the first question that needs it.
            matcher.ranker  # noqa: B018 - built for its side effect
            dialogue, small_talk = _dialogue(kb, matcher), _small_talk(kb)
            commands = _commands(kb)
            self._pair, self._dialogue, self.small_talk = (kb, matcher), dialogue, small_talk
            self.commands = commands
            return kb
