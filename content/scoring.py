"""Scoring one analysed question against every entry of the index.

Two things are asked of each entry: how much of what the person asked about
does it cover (IDF-weighted, so "huân chương" matters more than "hồ sơ", and
words the content never uses count against it), and how close is its nearest
phrasing (weighted cosine, word pairs, rapidfuzz ratio). Coverage and cosine
are computed for all entries at once; the letter-by-letter comparison only
for a shortlist.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from content.index import Index, bigrams, content_words, identifiers
from content.normalize import accented_words, strip_diacritics
from content.schema import Entry

# A word typed WITH diacritics that an entry has only in another accented form
# ("tuyển" against "tuyên", "lương" against "lượng", "bò" against "bộ") is
# most likely another word: it counts this much.
ACCENT_MISMATCH = 0.3
REPAIRED_WEIGHT = 0.8  # a word matched only after repairing a typo is a little less certain
SHORTLIST = 16  # entries scored in full, the best by coverage


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    coverage: float


@dataclass(frozen=True)
class Analyzed:
    """A message (or part of one) read once: its tokens, the words repaired
    from typos, and its text without fillers (diacritics kept)."""

    tokens: list[str]
    repaired: set[str]
    text: str


def _scaled(parts: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """The parts end to end, each multiplied by its weight. Done in one go, since
    numpy's per-call overhead, not the arithmetic, is what costs here."""
    return np.concatenate(parts) * np.repeat(weights, [len(p) for p in parts])


def rank(index: Index, q: Analyzed, limit: int = 5) -> tuple[list[Candidate], str]:
    """The best entries for the question, best first, and its normalised text."""
    stop = index.lexicon.stopwords
    toks, repaired, question = q.tokens, q.repaired, q.text
    content = content_words(toks, stop)
    normalized = " ".join(content)
    if not content:
        return [], normalized
    content = [t for t in content if index.known_section(t)]
    if not content:
        return [], normalized
    numbers = identifiers(toks, index.lexicon.document_words)
    weights = {t: index.weight(t, numbers) for t in content}
    total = sum(weights.values())
    qnorm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    qbigrams = bigrams(toks, stop)
    qtext = " ".join(sorted(content))

    # Words the person typed with diacritics, by their folded form. A folded form
    # also typed bare ("thì" and "thi" in one message) says nothing either way.
    forms: dict[str, set[str]] = defaultdict(set)
    for w in accented_words(question):
        forms[strip_diacritics(w)].add(w)
    typed = {f: ws for f, ws in forms.items() if f not in ws}
    n = len(index.entries)
    idx_parts, gain_parts, scale = [], [], []
    for t, w in weights.items():
        posting = index.postings.get(t)
        if posting is None:
            continue
        idx, gains = posting
        w = w * REPAIRED_WEIGHT if t in repaired else w
        exact = typed.get(t)
        if exact is not None:
            has = np.zeros(n, dtype=bool)
            for form in exact:
                has[index.accent_postings.get(form, np.empty(0, dtype=np.int32))] = True
            gains = np.where(has[idx], gains, gains * ACCENT_MISMATCH)
        idx_parts.append(idx)
        gain_parts.append(gains)
        scale.append(w)
    if not idx_parts:
        return [], normalized
    # One bincount per question instead of one scatter per word.
    covered = np.bincount(np.concatenate(idx_parts), _scaled(gain_parts, scale), minlength=n)
    hits = int(np.count_nonzero(covered))
    if not hits:
        return [], normalized
    # Cosine between the question and every phrasing, then each entry's best.
    pidx, pval, pscale = [], [], []
    for t, w in weights.items():
        posting = index.phr_postings.get(t)
        if posting is not None:
            pidx.append(posting[0])
            pval.append(posting[1])
            pscale.append(w / qnorm)
    if pidx:
        cos = np.bincount(np.concatenate(pidx), _scaled(pval, pscale), minlength=len(index.phrasing_texts))
    else:
        cos = np.zeros(len(index.phrasing_texts))
    best_cos = np.maximum.reduceat(cos, index.starts)
    coverage = covered / total
    rough = 0.5 * coverage + 0.35 * 0.7 * best_cos
    k = min(SHORTLIST, hits)
    shortlist = np.argpartition(-rough, k - 1)[:k]

    scored: list[tuple[float, int, float]] = []
    for i, cov_i in zip(shortlist.tolist(), coverage[shortlist].tolist(), strict=True):
        lo, hi = index.bounds[i]
        local = cos[lo:hi].tolist()
        # The string ratio rewards word order and near-misses; only the two
        # closest phrasings by cosine are worth comparing letter by letter.
        closest = sorted(range(len(local)), key=local.__getitem__, reverse=True)[:2]
        best_phr = max(0.7 * local[j] + 0.3 * fuzz.ratio(qtext, index.phrasing_texts[lo + j])
                       / 100.0 for j in closest)
        pair = len(qbigrams & index.bigrams[i]) / len(qbigrams) if qbigrams else cov_i
        score = 0.5 * cov_i + 0.35 * best_phr + 0.15 * pair
        scored.append((score, i, cov_i))
    scored.sort(key=lambda c: c[0], reverse=True)
    return [Candidate(entry=index.entries[i], score=sc, coverage=cv) for sc, i, cv in scored[:limit]], normalized


def coverage(index: Index, q: Analyzed) -> np.ndarray:
    """For every entry, the IDF-weighted share of the text's content words it has
    (a word only in the answer counting less): how much of a story told around a
    question an entry speaks of."""
    content = [t for t in content_words(q.tokens, index.lexicon.stopwords) if index.known_section(t)]
    n = len(index.entries)
    weights = {t: index.weight(t) for t in content}
    total = sum(weights.values())
    found = [(index.postings[t], w) for t, w in weights.items() if t in index.postings]
    if not found or not total:
        return np.zeros(n)
    return np.bincount(np.concatenate([p[0] for p, _ in found]),
                       _scaled([p[1] for p, _ in found], [w for _, w in found]), minlength=n) / total
