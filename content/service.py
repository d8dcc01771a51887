"""The loaded knowledge base and its matcher, swappable while the bot runs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from content.commands import TypedCommands
from content.commands import default as default_commands
from content.dialogue import DIALOGUE_FILE, Dialogue, DialogueFile, Reading
from content.loader import ContentError, KnowledgeBase, load
from content.matcher import Matcher, MatchResult
from content.schema import Entry
from content.smalltalk import SmallTalk
from content.smalltalk import default as default_small_talk
from content.yaml_reader import yaml_load

if TYPE_CHECKING:
    from storage.content_edits import Overlay

log = logging.getLogger(__name__)


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


class EditSource(Protocol):
    """Where the Office's edits come from (storage.content_edits.EditStore)."""

    def version(self) -> int: ...

    def overlay(self) -> Overlay: ...


@dataclass(frozen=True)
class Version:
    """One whole version of the content and everything built from it. A turn reads one
    Version from start to end (`Knowledge.pinned`), so a reload meanwhile never mixes two."""

    kb: KnowledgeBase
    matcher: Matcher
    dialogue: Dialogue
    small_talk: SmallTalk
    commands: TypedCommands
    number: int = 0  # the Office's edits applied (storage/content_edits.py); 0: the repository's alone


def build(content_dir: Path, overlay: dict[str, dict | None] | None = None, number: int = 0) -> Version:
    """Raises ContentError when the files (with the edits) are broken."""
    kb = load(content_dir, overlay)
    matcher = Matcher(kb)
    return Version(kb, matcher, _dialogue(kb, matcher), _small_talk(kb), _commands(kb), number)


class Knowledge:
    """Holds one consistent version of the content; `reload` builds a new one from disk
    (and the Office's edits in the database, when given `edits`) and swaps it in whole,
    only when the new content is valid."""

    def __init__(self, content_dir: Path, edits: EditSource | None = None):
        self.content_dir = Path(content_dir)
        self.edits = edits
        self._lock = threading.Lock()
        self._pinned: ContextVar[Version | None] = ContextVar(f"knowledge-{id(self)}", default=None)
        self._current = self._first()
        self._borrowed: Version | None = None  # a version another Knowledge built (with_edits)

    def with_edits(self, edits: EditSource) -> Knowledge:
        """A Knowledge reading `edits` that starts from this one's version when there are none
        yet (a Version is never changed, so two may share it): no second build of the index."""
        if edits.version() != 0:
            return type(self)(self.content_dir, edits)
        other = object.__new__(type(self))
        other.content_dir, other.edits, other._lock = self.content_dir, edits, threading.Lock()
        other._pinned = ContextVar(f"knowledge-{id(other)}", default=None)
        other._current = other._borrowed = self._current
        return other

    def _first(self) -> Version:
        if self.edits is None:
            return build(self.content_dir)
        try:
            overlay = self.edits.overlay()
        except Exception:  # noqa: BLE001 - a database not migrated yet: the next poll reads the edits
            log.exception("cannot read the Office's edits; answering from the repository's content for now")
            return build(self.content_dir)
        try:
            return build(self.content_dir, overlay.entries, overlay.version)
        except ContentError as exc:
            # An edit the repository's newer content no longer accepts must not keep the bot
            # from starting: it answers from the repository's content; `content check` says why.
            log.error("the Office's edits (version %d) do not load with this content; answering from the "
                      "repository's content alone:\n%s", overlay.version, exc)
            return build(self.content_dir)

    def _now(self) -> Version:
        return self._pinned.get() or self._current

    @property
    def current(self) -> Version:
        return self._now()

    @property
    def version(self) -> int:
        return self._now().number

    @contextmanager
    def pinned(self) -> Iterator[Version]:
        """Everything read through this Knowledge inside the block comes from one version."""
        held = self._pinned.get()
        token = self._pinned.set(held or self._current)
        try:
            yield self._pinned.get()  # type: ignore[misc]
        finally:
            self._pinned.reset(token)

    @property
    def kb(self) -> KnowledgeBase:
        return self._now().kb

    @property
    def matcher(self) -> Matcher:
        return self._now().matcher

    @property
    def small_talk(self) -> SmallTalk:
        return self._now().small_talk

    @property
    def commands(self) -> TypedCommands:
        return self._now().commands

    @property
    def _dialogue(self) -> Dialogue:
        return self._now().dialogue

    @property
    def dialogue(self) -> Dialogue:
        return self._dialogue

    def match(self, question: str) -> MatchResult:
        return self._now().matcher.match(question)

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
        """Raises ContentError (and keeps the current content) when the files, or the
        Office's edits over them, are broken."""
        with self._lock:
            if self.edits is None:
                version = build(self.content_dir)
            else:
                overlay = self.edits.overlay()
                version = build(self.content_dir, overlay.entries, overlay.version)
            # New phrasings (the Office's answers to unanswered questions) train the learned
            # ranker here, before the swap, not in the first question that needs it: when the
            # current version's was needed. An instance that has not needed one yet (most
            # questions are answered without it) trains it when first needed, as at start,
            # and a save does not cost it a training (seconds, and hundreds of MB at the peak).
            # (A version borrowed from another Knowledge says what that one needed, not this one.)
            if self._current.matcher.ranker_ready and self._current is not self._borrowed:
                version.matcher.ranker  # noqa: B018 - built for its side effect
            self._current = version  # one assignment: a turn sees the old version or the new, whole
            return version.kb

    def warm_up(self) -> None:
        """Load the learned ranker of the current version from its cache, or train it: done at start,
        so that the first question needing it does not wait for a training (seconds on a fresh
        machine). From then on a reload trains the new version's before the swap (`reload`)."""
        self._current.matcher.ranker  # noqa: B018 - built for its side effect

    def refresh(self) -> bool:
        """Reload when the Office saved a new version since (one cheap query); True when it did.
        Raises ContentError like `reload` (the current content is kept)."""
        if self.edits is None or self.edits.version() == self._current.number:
            return False
        self.reload()
        return True
