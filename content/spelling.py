"""Typo repair towards the words the content is written with.

A slip ("tuog", "chuonh") is repaired to the nearest known word, choosing by
the neighbouring words when several are as near; syllables typed together
("bangkhen") are split when the content has them side by side. A real
syllable the content merely lacks ("bên", "nhiệt") stays as typed.
"""

from __future__ import annotations

from collections import defaultdict

from rapidfuzz import process
from rapidfuzz.distance import OSA

from content.syllables import is_syllable


class Speller:
    def __init__(self) -> None:
        self.vocabulary: set[str] = set()
        self.frequency: dict[str, int] = {}
        self.pairs: set[tuple[str, str]] = set()
        self._by_length: dict[int, list[str]] = defaultdict(list)
        self._by_length_initial: dict[tuple[int, str], list[str]] = defaultdict(list)
        self._corrections: dict[str, list[tuple[str, int]]] = {}
        self._splits: dict[str, list[str]] = {}

    def learn(self, frequency: dict[str, int], pairs: set[tuple[str, str]] | None = None) -> None:
        """The words typos are repaired towards, with how many entries use each,
        and the word pairs the content contains (to choose by context)."""
        self.frequency = dict(frequency)
        self.vocabulary = set(frequency)
        self.pairs = set(pairs or ())
        self._by_length.clear()
        self._by_length_initial.clear()
        for w in sorted(self.vocabulary):
            if w.isalpha():
                self._by_length[len(w)].append(w)
                self._by_length_initial[(len(w), w[0])].append(w)
        self._corrections.clear()
        self._splits.clear()

    def split(self, tok: str, known: dict | frozenset = frozenset()) -> list[str]:
        """Syllables typed together ("bangkhen", "thutuong", "hoso"), when the content
        has them side by side; otherwise the token as it is. `known`: words that are
        never split (the abbreviations)."""
        if len(tok) < 4 or not tok.isalpha() or tok in self.vocabulary or tok in known or is_syllable(tok):
            return [tok]
        cached = self._splits.get(tok)
        if cached is not None:
            return cached
        out = [tok]
        for cut in range(2, len(tok) - 1):
            left, right = tok[:cut], tok[cut:]
            if left not in self.vocabulary or not is_syllable(left):
                continue
            rest = [right] if right in self.vocabulary and is_syllable(right) else self.split(right, known)
            if all(r in self.vocabulary for r in rest) and (left, rest[0]) in self.pairs:
                out = [left, *rest]
                break
        self._splits[tok] = out
        return out

    def _candidates(self, tok: str) -> list[tuple[str, int]]:
        cached = self._corrections.get(tok)
        if cached is not None:
            return cached
        sizes = (len(tok) - 1, len(tok), len(tok) + 1)
        if len(tok) <= 5:
            # A short syllable with another first letter is another word ("chiếu" is not "hiệu").
            pool = [w for n in sizes for w in self._by_length_initial.get((n, tok[0]), ())]
        else:
            pool = [w for n in sizes for w in self._by_length.get(n, ())]
        # One slip (a letter missed, doubled, swapped or wrong) per word; two in long words.
        limit = 1 if len(tok) < 8 else 2
        found = process.extract(tok, pool, scorer=OSA.distance, score_cutoff=limit, limit=None)
        best = min((d for _, d, _ in found), default=None)
        out = [(w, d) for w, d, _ in found if d == best]
        self._corrections[tok] = out
        return out

    def correct(self, tok: str, norm: str, prev: str | None = None, nxt: str | None = None) -> str:
        """`tok` as typed, `norm` its normalised form (the caller has already left
        alone the words that are never typos: abbreviations, stop words, chat words)."""
        if norm in self.vocabulary or len(tok) < 3 or not tok.isalpha():
            return tok
        candidates = self._candidates(tok)
        if not candidates:
            return tok

        def in_context(w: str) -> bool:
            return (prev, w) in self.pairs or (w, nxt) in self.pairs

        if len(tok) <= 7 and is_syllable(norm):
            # A real syllable the content lacks ("bên", "nhiệt") is left as typed,
            # unless a neighbour shows the slip ("huân chươn" -> "chương").
            candidates = [c for c in candidates if in_context(c[0])]
            if not candidates:
                return tok
        return min(candidates, key=lambda c: (not in_context(c[0]), -self.frequency.get(c[0], 0), c[0]))[0]
