"""What matching a question decided: answer, offer a choice, or fall back.

A module of its own because the parts of the matcher that take long messages and
comparisons apart (content/longtext.py) and the dialogue (content/dialogue.py) make
results too, and the matcher imports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from content.schema import Entry
from content.scoring import Candidate


@dataclass(frozen=True)
class MatchResult:
    kind: str  # "answer" | "clarify" | "fallback"
    entry: Entry | None
    score: float
    candidates: tuple[Candidate, ...] = ()
    normalized: str = ""
    # A comparison ("HCLĐ với BK TTg khác nhau thế nào") is answered from one
    # entry per side: `entry` for the first, these for the others.
    also: tuple[Entry, ...] = ()
    # A fallback because the question is (nearly) one the Office marked "not our subject":
    # that example (content/out_of_scope.py).
    out_of_scope: str | None = None
    # Answered from the learned ranker's first entry where the lexical engine did not answer
    # (content/dialogue.py, the fitted gate of content/ranker_gate.py).
    by_ranker: bool = False
