"""A learned ranker: one more source of candidate entries beside the lexical engine.

TF-IDF over character 2-5-grams (within words) and word 1-2-grams of the folded
text, and a multinomial logistic regression over the entries, trained on the
entries' phrasings, examples (how staff write), titles and keywords. It reads
situations and misspellings the lexical engine misses ("quay video đăng zalo"), but
it always names an entry, so it never decides alone: the matcher consults it where
the lexical engine falls back or hesitates (content/matcher.py).

Training needs scikit-learn and takes a few seconds; scoring needs only numpy.
The fitted model is written as plain arrays (vocabulary, idf, weights) under a
cache directory, keyed by a hash of the training texts, so a process whose
content has not changed loads it in milliseconds and never imports scikit-learn.
Training is deterministic (lbfgs, no random state involved).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from content.normalize import fold

VERSION = 1  # bump when the features or the model change: old caches are then ignored
CHAR_NGRAMS = (2, 5)
WORD_NGRAMS = (1, 2)
# Inverse regularisation strength: the phrasings are few per entry, so the weights may be large.
C = 20.0
TOL = 1e-3  # lbfgs's stopping tolerance: tighter costs seconds and moved no ranking measured


def features(text: str) -> list[str]:
    """The analyser shared by training and scoring: word n-grams and character n-grams
    (each word padded with spaces, as TfidfVectorizer's char_wb does) of the folded text."""
    words = fold(text).split()
    out = [f"w:{' '.join(words[i:i + n])}" for n in range(WORD_NGRAMS[0], WORD_NGRAMS[1] + 1)
           for i in range(len(words) - n + 1)]
    for w in words:
        padded = f" {w} "
        for n in range(CHAR_NGRAMS[0], CHAR_NGRAMS[1] + 1):
            if len(padded) < n:
                break
            out.extend(f"c:{padded[i:i + n]}" for i in range(len(padded) - n + 1))
    return out


def training_texts(entries: Iterable,  # noqa: ANN401 - content.schema.Entry
                   expand: Callable[[str], str] | None = None) -> tuple[list[str], list[str]]:
    """(texts, entry ids): every phrasing, example (how staff write), the title, and the
    keywords of each entry, each with the plan's terms its situations point to added
    (`expand`: content/concepts.py)."""
    texts, labels = [], []
    for e in entries:
        for t in [*e.questions, *e.examples, e.title, *e.keywords]:
            texts.append(expand(t) if expand else t)
            labels.append(e.id)
    return texts, labels


def content_hash(texts: Sequence[str], labels: Sequence[str]) -> str:
    h = hashlib.sha256(f"v{VERSION} C={C} tol={TOL}".encode())
    for t, label in zip(texts, labels, strict=True):
        h.update(f"{label}\x00{t}\x01".encode())
    return h.hexdigest()[:24]


def default_cache_dir() -> Path:
    """RANKER_CACHE_DIR, else the user's cache folder: not DATA_DIR, which `ask` promises not to write."""
    if os.environ.get("RANKER_CACHE_DIR"):
        return Path(os.environ["RANKER_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tdkt-bot"


@dataclass(frozen=True)
class Ranked:
    entry_id: str
    prob: float


class Ranker:
    """A fitted model as arrays: vocabulary → column, idf per column, weights per entry."""

    def __init__(self, labels: list[str], vocabulary: dict[str, int], idf: np.ndarray,
                 coef: np.ndarray, intercept: np.ndarray):
        # What a message is read with before scoring, as the training texts were (content/concepts.py).
        self.expand: Callable[[str], str] | None = None
        self.labels = labels
        self.vocabulary = vocabulary
        self.idf = idf
        self.coef = coef  # (entries, columns)
        self.intercept = intercept

    # --- fitting ---------------------------------------------------------------------
    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str]) -> Ranker:
        # Imported here: only training needs scikit-learn, and it is slow to import.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits

        vec = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=1, dtype=np.float64)
        x = vec.fit_transform(list(texts))
        model = LogisticRegression(C=C, tol=TOL, max_iter=500, solver="lbfgs")
        # One thread: BLAS's many threads, on a shared machine, made training five times slower.
        with threadpool_limits(limits=1):
            model.fit(x, list(labels))
        vocabulary = {term: int(col) for term, col in vec.vocabulary_.items()}
        return cls([str(c) for c in model.classes_], vocabulary, vec.idf_.astype(np.float32),
                   model.coef_.astype(np.float32), model.intercept_.astype(np.float32))

    # --- the cache ---------------------------------------------------------------------
    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        # Written to a temporary name and renamed: several instances may train at once.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, idf=self.idf, coef=self.coef, intercept=self.intercept,
                     meta=np.frombuffer(json.dumps({"labels": self.labels, "terms": terms}).encode(),
                                        dtype=np.uint8))
        os.replace(tmp, path)

    @classmethod
    def load_file(cls, path: Path) -> Ranker:
        with np.load(path) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            terms = meta["terms"]
            return cls(meta["labels"], {t: i for i, t in enumerate(terms)}, z["idf"], z["coef"], z["intercept"])

    @classmethod
    def for_entries(cls, entries: Iterable, cache_dir: Path | None = None,
                    expand: Callable[[str], str] | None = None) -> Ranker:
        """The model for these entries: from the cache when their texts are unchanged, else trained (and cached).
        `expand` reads each text, for training and for scoring, with the concepts it names."""
        texts, labels = training_texts(entries, expand)
        path = (cache_dir or default_cache_dir()) / f"ranker-{content_hash(texts, labels)}.npz"
        try:
            ranker = cls.load_file(path)
            ranker.expand = expand
            return ranker
        except (OSError, ValueError, KeyError):
            pass
        ranker = cls.fit(texts, labels)
        ranker.expand = expand
        try:
            ranker.save(path)
        except OSError:
            pass  # a read-only disk only costs the next process a training
        return ranker

    # --- scoring ---------------------------------------------------------------------
    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The message's TF-IDF vector as (columns, values), l2-normalised, as TfidfVectorizer makes it."""
        if self.expand is not None:
            text = self.expand(text)
        counts = Counter(f for f in features(text) if f in self.vocabulary)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        cols = np.fromiter((self.vocabulary[f] for f in counts), dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
        vals = tf * self.idf[cols]
        return cols, vals / np.linalg.norm(vals)

    def probabilities(self, text: str) -> np.ndarray:
        cols, vals = self.vector(text)
        logits = self.coef[:, cols] @ vals + self.intercept
        logits = logits - logits.max()
        p = np.exp(logits)
        return p / p.sum()

    def rank(self, text: str, limit: int = 5) -> list[Ranked]:
        p = self.probabilities(text)
        order = np.argsort(-p, kind="stable")[:limit]
        return [Ranked(self.labels[i], float(p[i])) for i in order]
