"""The index of the curated entries: what each entry is about (its title,
phrasings and keywords, and more lightly its answer), how rare each word is
(IDF), and posting arrays that let a question be scored against every entry
with a few vector operations.
"""

from __future__ import annotations

import math
from collections import defaultdict

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


def _arrays(postings: dict[str, list[tuple[int, float]]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {
        t: (np.fromiter((i for i, _ in p), dtype=np.int32, count=len(p)),
            np.fromiter((g for _, g in p), dtype=np.float64, count=len(p)))
        for t, p in postings.items()
    }


class Index:
    def __init__(self, kb: KnowledgeBase, analyzer: Analyzer):
        self.analyzer = an = analyzer
        self.lexicon: Lexicon = an.lexicon
        stop = self.lexicon.stopwords
        raw_docs = []
        df: dict[str, int] = defaultdict(int)
        # Each text is split into words once, for the index and for the spelling.
        written = [[tokens(t) for t in (e.title, *e.questions, *e.keywords, e.answer)] for e in kb.entries]
        for entry, words in zip(kb.entries, written, strict=True):
            phr_tokens = [an.analyze_words(w) for w in words[:-1]]
            core = {t for toks in phr_tokens for t in toks if t not in stop}
            answer = {t for t in an.analyze_words(words[-1]) if t not in stop} - core
            pairs = set().union(*(bigrams(toks, stop) for toks in phr_tokens))
            raw_docs.append((entry, phr_tokens, core, answer, pairs))
            for t in core | answer:
                df[t] += 1
        n = max(len(raw_docs), 1)
        self.idf = {t: math.log((n + 1) / (d + 0.5)) for t, d in df.items()}
        self.unknown_idf = math.log((n + 1) / 0.5)
        self.common_idf = math.log((n + 1) / (0.3 * n + 0.5))  # as a word a third of the entries use
        self._learn_spelling(kb, written, df)
        self.entries: list[Entry] = []
        self.bigrams: list[frozenset[str]] = []
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        accent_postings: dict[str, list[int]] = defaultdict(list)
        # Phrasings of all entries side by side (entry i owns starts[i]:starts[i+1]),
        # with word -> (phrasing, weight / phrasing norm) postings for the cosine.
        self.phrasing_texts: list[str] = []
        starts: list[int] = []
        phr_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, (entry, phr_tokens, core, answer, pairs) in enumerate(raw_docs):
            self.entries.append(entry)
            self.bigrams.append(frozenset(pairs))
            for t in core:
                postings[t].append((i, 1.0))
            for t in answer:
                postings[t].append((i, ANSWER_WEIGHT))
            text = " ".join([entry.title, *entry.questions, *entry.keywords, entry.answer])
            for w in accented_words(text):
                accent_postings[w].append(i)
            starts.append(len(self.phrasing_texts))
            # Keywords widen coverage but are no phrasings: "hồ sơ" alone must not
            # look like a perfect match for every dossier entry.
            for toks in phr_tokens[: 1 + len(entry.questions)]:
                words = content_words(toks, stop)
                weights = {t: self.idf.get(t, 0.0) for t in words}
                norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
                j = len(self.phrasing_texts)
                # Words pre-sorted: fuzz.ratio on these is token_sort_ratio without re-sorting per question.
                self.phrasing_texts.append(" ".join(sorted(" ".join(words).split())))
                for t, w in weights.items():
                    phr_postings[t].append((j, w / norm))
        # Per word: the entries that have it and how much it counts there, as
        # arrays, so scoring a question is a few vector additions.
        self.postings = _arrays(postings)
        self.accent_postings = {w: np.asarray(p, dtype=np.int32) for w, p in accent_postings.items()}
        self.starts = np.asarray(starts, dtype=np.int64)
        self.ends = np.append(self.starts[1:], len(self.phrasing_texts))
        self.bounds = list(zip(self.starts.tolist(), self.ends.tolist(), strict=True))
        self.phr_postings = _arrays(phr_postings)

    def _learn_spelling(self, kb: KnowledgeBase, written: list[list[list[str]]], df: dict[str, int]) -> None:
        """Typos are repaired towards words as written in the content (before any
        synonym rewrite: "mấy" must stay "mấy", not become the nearby "mã")."""
        an = self.analyzer
        frequency: dict[str, int] = defaultdict(int)
        pairs: set[tuple[str, str]] = set()
        for texts in written:
            for words in texts:
                pairs.update(zip(words, words[1:], strict=False))
            for w in {w for words in texts for w in words}:
                frequency[w] += 1
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
