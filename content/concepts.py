"""Situations and everyday words that point to a plan's terms (content/concepts.yaml).

Staff describe a situation ("làm clip đăng facebook", "đi hỗ trợ khu cách ly") where the
plans name a term ("tuyên truyền", "tham gia trực tiếp"). Unlike a synonym, which rewrites
a phrase into the canonical one, a concept ADDS its term to the message and keeps the words
said: "clip" stays evidence for an entry that speaks of clips, and "tuyên truyền" is added
for the entries that speak of the term. Both the lexical engine (content/analysis.py, on the
analysed words of a question) and the learned ranker (content/ranker.py, on its training
texts and on each message) read a text with the concepts it names added.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from content.normalize import fold, tokens
from content.schema import Strict

CONCEPTS_FILE = "concepts.yaml"


class Concept(Strict):
    # The plan's term, as the plans write it ("tuyên truyền").
    means: str = Field(min_length=1)
    # Situations and everyday words that point to it ("clip", "đăng facebook").
    words: list[str] = Field(min_length=1)


class ConceptFile(Strict):
    concepts: list[Concept] = []


def problems(data: ConceptFile) -> list[str]:
    """What `content check` says of the file, in Vietnamese: the Office edits it."""
    out = []
    seen: dict[str, str] = {}
    for i, c in enumerate(data.concepts):
        where = f"concepts[{i}] ({c.means})"
        if not tokens(c.means):
            out.append(f"{where}: “means” không có chữ nào")
        for w in c.words:
            key = " ".join(tokens(w))
            if not key:
                out.append(f"{where}: từ “{w}” không có chữ nào")
            elif key == " ".join(tokens(c.means)):
                out.append(f"{where}: từ “{w}” trùng với chính khái niệm, hãy bỏ đi")
            elif key in seen and seen[key] == c.means:
                out.append(f"{where}: từ “{w}” bị lặp lại")
            else:
                seen.setdefault(key, c.means)
    return out


class Concepts:
    """The file read for matching: trigger phrases (folded words) -> the terms they point to."""

    def __init__(self, data: ConceptFile | None = None):
        self.triggers: dict[tuple[str, ...], list[str]] = {}
        for c in data.concepts if data is not None else ():
            for w in c.words:
                key = tuple(tokens(w))
                if key:
                    self.triggers.setdefault(key, [])
                    if c.means not in self.triggers[key]:
                        self.triggers[key].append(c.means)
        self.lengths = sorted({len(k) for k in self.triggers}, reverse=True)
        self.first = frozenset(k[0] for k in self.triggers)

    def __bool__(self) -> bool:
        return bool(self.triggers)

    def named(self, words: Iterable[str]) -> list[str]:
        """The terms the folded words point to, once each, in order of mention."""
        toks = tuple(words)
        out: dict[str, None] = {}
        i = 0
        while i < len(toks):
            step = 1
            if toks[i] in self.first:
                for n in self.lengths:
                    means = self.triggers.get(toks[i:i + n])
                    if means:
                        # The longest phrase wins and its words are not read again:
                        # "không đeo khẩu trang" is not also "đeo khẩu trang".
                        out.update(dict.fromkeys(means))
                        step = n
                        break
            i += step
        return list(out)

    def expand(self, text: str) -> str:
        """The text folded, with the terms it points to added at its end (for the learned ranker)."""
        folded = fold(text)
        named = self.named(tokens(text))
        return " ".join([folded, *(fold(m) for m in named)]) if named else folded
