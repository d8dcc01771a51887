"""The index of the curated entries: what each entry is about (its title,
phrasings and keywords, and more lightly its answer), how rare each word is
(IDF), and posting arrays that let a question be scored against every entry
with a few vector operations.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from content.analysis import SECTION_MARK, Analyzer
from content.lexicon import Lexicon
from content.loader import KnowledgeBase
from content.normalize import accented_words, tokens
from content.schema import Entry

ANSWER_WEIGHT = 0.35  # a word found only in an entry's answer counts this much


def content_words(toks: list[str], stopwords: frozenset[str]) -> list[str]:
    """The words that carry meaning, once each, in order."""
    seen: dict[str, None] = {}
    for t in toks:
        if t not in stopwords:
            seen.setdefault(t, None)
    return list(seen)


def bigrams(toks: list[str], stopwords: frozenset[str]) -> set[str]:
    """Adjacent content-word pairs, as strings (whose hashes Python caches)."""
    content = [t for t in toks if t not in stopwords]
    return {f"{a} {b}" for a, b in zip(content, content[1:], strict=False)}


def identifiers(toks: list[str], document_words: frozenset[str]) -> frozenset[str]:
    """Numbers that name a document or a part ("kế hoạch 200", "thông tư số 05")."""
    out = set()
    for i, tok in enumerate(toks):
        if not tok.isdigit() or i == 0:
            continue
        before = toks[i - 1]
        if before in document_words or (before == "so" and i > 1 and toks[i - 2] in document_words):
            out.add(tok)
    return frozenset(out)


_MEMO_ENTRIES = 2_000  # a province's base is a few hundred entries


@dataclass(frozen=True, slots=True)
class _Reading:
    """One entry as the index reads it."""

    vocabulary: frozenset[str]  # its words as written (folded), for the spelling
    pairs: frozenset[tuple[str, str]]  # adjacent words, for the spelling
    core: frozenset[str]  # analysed words of its title, phrasings and keywords
    answer: frozenset[str]  # those only in its answer
    accented: frozenset[str]  # words with their diacritics
    bigrams: frozenset[str]
    phrasings: tuple[tuple[str, ...], ...]  # content words of the title and each phrasing


class Index:
    def __init__(self, kb: KnowledgeBase, analyzer: Analyzer, memo: dict[int, tuple[Entry, _Reading]] | None = None):
        """`memo`: entries read before with this analyzer's word lists, by the entry object
        (content/matcher.py); those that did not change are not read again."""
        self.analyzer = an = analyzer
        self.lexicon: Lexicon = an.lexicon
        # One pass over the entries, keeping per entry only what the index needs:
        # the words of a large base's answers, held all at once, took most of its memory.
        # Postings are typed arrays of entry numbers, not lists of tuples, for the same reason.
        core_postings: dict[str, array] = defaultdict(lambda: array("i"))
        answer_postings: dict[str, array] = defaultdict(lambda: array("i"))
        accent_postings: dict[str, array] = defaultdict(lambda: array("i"))
        frequency: dict[str, int] = defaultdict(int)  # entries whose text has each word, for the spelling
        pairs: set[tuple[str, str]] = set()
        phrasings: list[tuple[str, ...]] = []  # their content words, weighed once all IDFs are known
        starts: list[int] = []
        self.entries: list[Entry] = []
        self.bigrams: list[frozenset[str]] = []
        # A large base is read afresh each time: its readings, answers' word pairs included, held
        # all at once would be most of its memory.
        keep = memo is not None and len(kb.entries) <= _MEMO_ENTRIES
        for i, entry in enumerate(kb.entries):
            held = memo.get(id(entry)) if keep else None  # type: ignore[union-attr]
            if held is not None and held[0] is entry:
                reading = held[1]
            else:
                reading = self._read(entry)
                if keep:
                    memo[id(entry)] = (entry, reading)  # type: ignore[index]
            pairs.update(reading.pairs)
            for w in reading.vocabulary:
                frequency[w] += 1
            for t in reading.core:
                core_postings[t].append(i)
            for t in reading.answer:
                answer_postings[t].append(i)
            for w in reading.accented:
                accent_postings[w].append(i)
            self.entries.append(entry)
            self.bigrams.append(reading.bigrams)
            starts.append(len(phrasings))
            phrasings.extend(reading.phrasings)
        df = {t: len(core_postings.get(t, ())) + len(answer_postings.get(t, ()))
              for t in (*core_postings, *answer_postings)}
        n = max(len(self.entries), 1)
        self.idf = {t: math.log((n + 1) / (d + 0.5)) for t, d in df.items()}
        self.unknown_idf = math.log((n + 1) / 0.5)
        self.common_idf = math.log((n + 1) / (0.3 * n + 0.5))  # as a word a third of the entries use
        self._learn_spelling(kb, frequency, pairs, df)
        # Per word: the entries that have it and how much it counts there, as
        # arrays, so scoring a question is a few vector additions.
        self.postings = {}
        for t in df:
            core_idx = np.frombuffer(core_postings.pop(t, array("i")), dtype=np.int32)
            answer_idx = np.frombuffer(answer_postings.pop(t, array("i")), dtype=np.int32)
            self.postings[t] = (np.concatenate([core_idx, answer_idx]),
                                np.concatenate([np.ones(len(core_idx)), np.full(len(answer_idx), ANSWER_WEIGHT)]))
        self.accent_postings = {w: np.frombuffer(p, dtype=np.int32) for w, p in accent_postings.items()}
        # Phrasings of all entries side by side (entry i owns starts[i]:starts[i+1]),
        # with word -> (phrasing, weight / phrasing norm) postings for the cosine.
        self.phrasing_texts: list[str] = []
        phr_idx: dict[str, array] = defaultdict(lambda: array("i"))
        phr_val: dict[str, array] = defaultdict(lambda: array("d"))
        for j, content in enumerate(phrasings):
            weights = {t: self.idf.get(t, 0.0) for t in content}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            # Words pre-sorted: fuzz.ratio on these is token_sort_ratio without re-sorting per question.
            self.phrasing_texts.append(sys.intern(" ".join(sorted(" ".join(content).split()))))
            for t, w in weights.items():
                phr_idx[t].append(j)
                phr_val[t].append(w / norm)
        del phrasings
        self.starts = np.asarray(starts, dtype=np.int64)
        self.ends = np.append(self.starts[1:], len(self.phrasing_texts))
        self.bounds = list(zip(self.starts.tolist(), self.ends.tolist(), strict=True))
        self.phr_postings = {t: (np.frombuffer(idx, dtype=np.int32), np.frombuffer(phr_val[t], dtype=np.float64))
                             for t, idx in phr_idx.items()}

    def _read(self, entry: Entry) -> _Reading:
        an, stop = self.analyzer, self.lexicon.stopwords
        texts = (entry.title, *entry.questions, *entry.keywords, entry.answer)
        # Each text is split into words once, for the index and for the spelling.
        words = [tokens(t) for t in texts]
        phr_tokens = [an.analyze_words(w) for w in words[:-1]]
        core = {t for toks in phr_tokens for t in toks if t not in stop}
        return _Reading(
            vocabulary=frozenset(w for ws in words for w in ws),
            pairs=frozenset(pair for ws in words for pair in zip(ws, ws[1:], strict=False)),
            core=frozenset(core),
            answer=frozenset({t for t in an.analyze_words(words[-1]) if t not in stop} - core),
            accented=frozenset(accented_words(" ".join(texts))),
            # Interned: entries share most word pairs, and a large base held a copy of each per entry.
            bigrams=frozenset(map(sys.intern, set().union(*(bigrams(toks, stop) for toks in phr_tokens)))),
            # Keywords widen coverage but are no phrasings: "hồ sơ" alone must not
            # look like a perfect match for every dossier entry.
            phrasings=tuple(tuple(content_words(toks, stop)) for toks in phr_tokens[: 1 + len(entry.questions)]),
        )

    def _learn_spelling(self, kb: KnowledgeBase, frequency: dict[str, int], pairs: set[tuple[str, str]],
                        df: dict[str, int]) -> None:
        """Typos are repaired towards words as written in the content (before any
        synonym rewrite: "mấy" must stay "mấy", not become the nearby "mã")."""
        an = self.analyzer
        for group in kb.synonyms.synonyms:
            for w in tokens(" ".join(group)):
                frequency[w] += 1
        for w in [*an.abbreviations, *self.lexicon.stopwords, *df]:
            frequency[w] += 1
        an.learn(frequency, pairs)

    def weight(self, tok: str, numbers: frozenset[str] = frozenset()) -> float:
        """How much a word of a question counts; `numbers` are those that name a document."""
        known = self.idf.get(tok)
        if tok in self.lexicon.common:
            return min(known, self.common_idf) if known is not None else self.common_idf
        if known is not None:
            return known
        if tok.isdigit() and len(tok) != 4 and tok not in numbers:
            # A number the content lacks is a count ("cho 10 đồng chí", "(25)"), not
            # another subject; but "Kế hoạch 200" names a document the content does
            # not have, and a year it never mentions ("Luật 2022") another matter:
            # those count in full.
            return self.common_idf
        return self.unknown_idf * self.analyzer.uncovered.get(tok, 1)

    def known_section(self, tok: str) -> bool:
        """A section the content does not have ("tiêu chí 9") is no evidence either way."""
        return tok[0] != SECTION_MARK or tok in self.idf
