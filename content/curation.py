"""The curators' view of the question log: which messages are real questions the
content could not answer, grouped when they are the same question typed
differently.

Left out: small talk (content/smalltalk.yaml), typed commands and chit-chat
(content/curation.yaml), messages starting with "/", text without letters, and
text in which no word reads as Vietnamese, a number or a known abbreviation
("asdfgh"). Near-identical questions are grouped by their normalised form (the
matcher's: folded, abbreviations expanded, synonyms made one) with rapidfuzz.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rapidfuzz import fuzz

from content import smalltalk
from content.normalize import fold, has_letters, strip_diacritics, tokens
from content.schema import Strict, SynonymFile
from content.syllables import is_syllable
from content.yaml_reader import yaml_load

CURATION_FILE = "curation.yaml"

# Why a message was left out, as the curators read it.
COMMAND, SMALL_TALK, NO_LETTERS, NOT_WORDS = "lệnh", "giao tiếp, chuyện ngoài lề", "không có chữ", "không thành chữ"

SIMILAR = 85  # rapidfuzz score (0-100) from which two questions are one
SUBSET_SHARE = 0.6  # a question holding another counts as the same when the other has this share of its words


class CurationFile(Strict):
    typed_commands: list[str] = []
    chit_chat: list[str] = []


@dataclass(frozen=True)
class LoggedQuestion:
    text: str
    normalized: str
    entry_id: str | None
    score: float
    created_at: datetime


@dataclass
class Gap:
    """One question the content could not answer, with its spellings."""

    text: str  # the spelling asked most
    count: int
    last_asked: datetime
    variants: list[str]
    best_entry: str | None  # the closest entry the matcher found
    best_score: float


@dataclass
class Gaps:
    groups: list[Gap] = field(default_factory=list)
    left_out: Counter = field(default_factory=Counter)  # reason -> rows


class Filter:
    def __init__(self, data: CurationFile, talk: smalltalk.SmallTalk, abbreviations: set[str] = frozenset()):
        self.commands = {fold(c) for c in data.typed_commands}
        self.chit_chat = [f" {fold(c)} " for c in data.chit_chat]
        self.talk = talk
        self.abbreviations = {fold(a) for a in abbreviations}

    @classmethod
    def load(cls, content_dir: Path) -> Filter:
        content_dir = Path(content_dir)
        path = content_dir / CURATION_FILE
        data = CurationFile.model_validate(yaml_load(path.read_text(encoding="utf-8")) if path.exists() else {})
        talk_file = content_dir / smalltalk.SMALLTALK_FILE
        talk = smalltalk.SmallTalk(smalltalk.read(talk_file)) if talk_file.exists() else smalltalk.default()
        syn = content_dir / "synonyms.yaml"
        abbreviations = set(SynonymFile.model_validate(yaml_load(syn.read_text(encoding="utf-8"))).abbreviations) \
            if syn.exists() else set()
        return cls(data, talk, abbreviations)

    def reason(self, text: str) -> str | None:
        """Why the message is no question for the curators, or None when it is one."""
        stripped = (text or "").strip()
        if stripped.startswith("/"):
            return COMMAND
        if not has_letters(stripped):
            return NO_LETTERS
        folded = fold(stripped)
        if folded in self.commands:
            return COMMAND
        if self.talk.kind_of(stripped) is not None or any(c in f" {folded} " for c in self.chit_chat):
            return SMALL_TALK
        words = tokens(stripped)
        if not any(is_syllable(w) or any(ch.isdigit() for ch in w) or w in self.abbreviations for w in words):
            return NOT_WORDS
        return None


def _key(q: LoggedQuestion) -> str:
    key = q.normalized.replace("~", " ").replace("-", " ") if q.normalized.strip() else fold(q.text)
    return " ".join(key.split())


def _same(a: str, b: str) -> bool:
    if fuzz.token_sort_ratio(a, b) >= SIMILAR:
        return True
    short, long_ = sorted((a.split(), b.split()), key=len)
    return len(short) >= SUBSET_SHARE * len(long_) and fuzz.token_set_ratio(a, b) >= 95


def gaps(rows: list[LoggedQuestion], keep: Filter) -> Gaps:
    """Real questions grouped (most asked first), and how many rows were left out, by reason."""
    out = Gaps()
    by_key: dict[str, list[LoggedQuestion]] = {}
    for q in rows:
        why = keep.reason(q.text)
        if why:
            out.left_out[why] += 1
            continue
        by_key.setdefault(_key(q), []).append(q)
    clusters: list[tuple[str, list[LoggedQuestion]]] = []
    for key, qs in sorted(by_key.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        home = next((c for c in clusters if _same(key, c[0])), None)
        if home is None:
            clusters.append((key, list(qs)))
        else:
            home[1].extend(qs)
    for _, qs in clusters:
        spellings = Counter(q.text for q in qs)
        latest = {q.text: q.created_at for q in sorted(qs, key=lambda q: q.created_at)}
        # The spelling asked most; of equals, one typed with diacritics (easier to read), then the latest.
        text = max(spellings, key=lambda t: (spellings[t], strip_diacritics(t) != t, latest[t]))
        best = max(qs, key=lambda q: q.score)
        entries = Counter(q.entry_id for q in qs if q.entry_id)
        out.groups.append(Gap(text=text, count=len(qs), last_asked=max(q.created_at for q in qs),
                              variants=[t for t, _ in spellings.most_common() if t != text],
                              best_entry=entries.most_common(1)[0][0] if entries else None,
                              best_score=best.score))
    out.groups.sort(key=lambda g: (-g.count, -g.last_asked.timestamp()))
    return out
