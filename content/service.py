"""The loaded knowledge base and its matcher, swappable while the bot runs."""

from __future__ import annotations

import threading
from pathlib import Path

from content.loader import KnowledgeBase, load
from content.matcher import Matcher, MatchResult


class Knowledge:
    """Holds one consistent (content, index) pair; `reload` builds a new pair
    from disk and swaps it in only when the new content is valid."""

    def __init__(self, content_dir: Path):
        self.content_dir = Path(content_dir)
        self._lock = threading.Lock()
        kb = load(self.content_dir)
        self._pair: tuple[KnowledgeBase, Matcher] = (kb, Matcher(kb))

    @property
    def kb(self) -> KnowledgeBase:
        return self._pair[0]

    @property
    def matcher(self) -> Matcher:
        return self._pair[1]

    def match(self, question: str) -> MatchResult:
        return self._pair[1].match(question)

    def reload(self) -> KnowledgeBase:
        """Raises ContentError (and keeps the current content) when the files are broken."""
        with self._lock:
            kb = load(self.content_dir)
            self._pair = (kb, Matcher(kb))
            return kb
