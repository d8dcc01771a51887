"""A learned ranker: one more source of candidate entries beside the lexical engine.

TF-IDF over character 2-5-grams (within words) and word 1-2-grams of the folded
text, and a multinomial logistic regression over the entries, trained on the
entries' phrasings, examples (how staff write), titles and keywords. It reads
situations and misspellings the lexical engine misses ("quay video đăng zalo"), but
it always names an entry, so it never decides alone: the matcher consults it where
the lexical engine falls back or hesitates (content/matcher.py), and a fitted gate
weighs both (content/ranker_gate.py). One more class, OUTSIDE, learns the messages the
plans do not answer (content/out_of_scope.yaml and the Office's "không thuộc phạm vi"
marks): `rank` never names it, and its share (`outside`) is one of the gate's figures.

Training needs scikit-learn and takes a few seconds; scoring needs only numpy.

A multinomial model holds a weight for every entry and every column, and training it
several times that: newton-cg, in single precision, peaks at about 220 MB above the
process for the 100 entries' 2.2 million weights. (lbfgs, which keeps ten past gradients
of that size, took 770 MB, and at its tolerance converged less well: right first for
0.925 of the answerable questions below, newton-cg for 0.934.) Every column is kept, even a word one
text has: the Office adds a phrasing with a word of its own, and the next message using
that word is read by it.
Above DENSE_WEIGHTS the ranker is instead each entry's centroid (the idf-weighted sum of
its texts' normalised term frequencies) and a message scores its cosine with each,
softened into probabilities at TEMPERATURE: training reads the texts twice, holds only
the model, one sparse matrix, and so 10,000 entries fit in memory. Put first for the labelled
sets' answerable questions (mean over the sets, `benchmarks/qa_eval.py --ranker`), the
multinomial model is right for 0.934 of them; the centroids were right for 0.893 of 1,406
(an earlier content).
The fitted model is written as plain arrays (vocabulary, idf, weights) under a
cache directory, keyed by a hash of the training texts, so a process whose
content has not changed loads it in milliseconds and never imports scikit-learn.
Training is deterministic (newton-cg, no random state involved).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from content.normalize import fold

VERSION = 5  # bump when the features or the model change: old caches are then ignored
CHAR_NGRAMS = (2, 5)
WORD_NGRAMS = (1, 2)
# Inverse regularisation strength: the phrasings are few per entry, so the weights may be large.
C = 20.0
TOL = 1e-3  # the solver's stopping tolerance
DENSE_WEIGHTS = 3_000_000  # entries x columns up to which the multinomial model is trained
KEEP_MODELS = 8  # models kept in the cache folder, the most recently used: each Office save makes one
# The class of messages the plans do not answer: not an entry id (ids are lowercase words and hyphens).
OUTSIDE = "~outside"
# What each of its texts weighs in training: it has 740, an entry about 50. Chosen leave-one-set-out
# (benchmarks/qa_eval.py --fit, 29 sets) among 0.1, 0.15, 0.25, 0.5 and 1: mean 0.950, 0.952, 0.954,
# 0.952, 0.953, lowest set 0.843, 0.855, 0.868, 0.855, 0.855.
OUTSIDE_WEIGHT = 0.25
TEMPERATURE = 0.045  # cosines to probabilities: the centroids' mean top probability on the labelled sets is then the multinomial model's (0.62)


def features(text: str) -> list[str]:
    """The analyser shared by training and scoring: word n-grams and character n-grams
    (each word padded with spaces, as TfidfVectorizer's char_wb does) of the folded text."""
    words = fold.__wrapped__(text).split()  # not remembered: training reads every text once
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
                   expand: Callable[[str], str] | None = None,
                   outside: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """(texts, labels): every phrasing, example (how staff write), the title, and the
    keywords of each entry under its id, and the messages the plans do not answer
    (`outside`: content/out_of_scope.yaml and the Office's marks) under OUTSIDE; each with
    the plan's terms its situations point to added (`expand`: content/concepts.py)."""
    texts, labels = [], []
    for e in entries:
        for t in [*e.questions, *e.examples, e.title, *e.keywords]:
            texts.append(expand(t) if expand else t)
            labels.append(e.id)
    for t in dict.fromkeys(outside):
        texts.append(expand(t) if expand else t)
        labels.append(OUTSIDE)
    return texts, labels


def content_hash(texts: Sequence[str], labels: Sequence[str]) -> str:
    h = hashlib.sha256(f"v{VERSION} C={C} tol={TOL} dense={DENSE_WEIGHTS} t={TEMPERATURE} "
                       f"outside={OUTSIDE_WEIGHT}".encode())
    for t, label in zip(texts, labels, strict=True):
        h.update(f"{label}\x00{t}\x01".encode())
    return h.hexdigest()[:24]


def default_cache_dir() -> Path:
    """RANKER_CACHE_DIR, else the user's cache folder: not DATA_DIR, which `ask` promises not to write."""
    if os.environ.get("RANKER_CACHE_DIR"):
        return Path(os.environ["RANKER_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tdkt-bot"


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Held by one process (or thread) at a time, where the folder can be written and the
    system has flock; elsewhere it holds nothing, and a version may be trained twice."""
    try:
        import fcntl

        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = lock.open("a")
    except (ImportError, OSError):
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def prune(folder: Path, keep: int = KEEP_MODELS) -> None:
    """Remove all but the `keep` most recently used models: every version of the content
    (each save of the Office's) makes one, a few MB each, and old ones are never read again."""
    models = []
    for path in folder.glob("ranker-*.npz"):
        with contextlib.suppress(OSError):
            models.append((path.stat().st_mtime, path))
    for _, path in sorted(models, reverse=True)[keep:]:
        with contextlib.suppress(OSError):
            path.unlink()  # another instance may have removed it first
        with contextlib.suppress(OSError):
            path.with_suffix(".lock").unlink()


@dataclass(frozen=True)
class Ranked:
    entry_id: str
    prob: float


def _small_features(texts: Sequence[str], entries: int, limit: int) -> list[list[str]] | None:
    """Each text's features when entries x columns stays within `limit` (the multinomial
    model's training reads them, not the texts again); None once the columns exceed it,
    counted no further."""
    most = limit // max(entries, 1)
    seen: set[str] = set()
    out = []
    for text in texts:
        out.append(features(text))
        seen.update(out[-1])
        if len(seen) > most:
            return None
    return out


class _Linear:
    """The multinomial model: a weight per entry and column, an intercept per entry."""

    kind = "linear"

    def __init__(self, coef: np.ndarray, intercept: np.ndarray):
        self.coef = coef  # (entries, columns)
        self.intercept = intercept

    def logits(self, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
        return self.coef[:, cols] @ vals + self.intercept

    def arrays(self) -> dict[str, np.ndarray]:
        return {"coef": self.coef, "intercept": self.intercept}


class _Centroids:
    """One sparse direction per entry, stored by column (indptr, rows, data) so that a
    message's few columns are read directly; its logits are cosines over TEMPERATURE."""

    kind = "centroids"

    def __init__(self, indptr: np.ndarray, rows: np.ndarray, data: np.ndarray, n_entries: int):
        self.indptr, self.rows, self.data, self.n_entries = indptr, rows, data, n_entries

    def logits(self, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
        starts, ends = self.indptr[cols], self.indptr[cols + 1]
        lengths = ends - starts
        if not lengths.sum():
            return np.zeros(self.n_entries, dtype=np.float32)
        # The positions of every stored value of these columns, column after column.
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        at = np.arange(lengths.sum()) + offsets
        cosines = np.bincount(self.rows[at], weights=self.data[at].astype(np.float32) * np.repeat(vals, lengths),
                              minlength=self.n_entries)
        return (cosines / TEMPERATURE).astype(np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"indptr": self.indptr, "rows": self.rows, "data": self.data}

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str]) -> tuple[list[str], dict[str, int], np.ndarray,
                                                                      _Centroids]:
        """Two passes over the texts, an entry at a time. The first finds the columns, their
        document frequencies and how many entries use each; the second writes each entry's
        centroid (its texts' sublinear term frequencies, l2-normalised and summed, weighted
        by idf smoothed as TfidfVectorizer's, normalised) straight into its place. Nothing
        but the model and one entry's texts is held: reading the texts twice costs time
        (about 10 s at 10,000 entries) where holding them would cost memory."""
        vocabulary: dict[str, int] = {}
        texts_of: dict[str, list[str]] = {}
        for text, label in zip(texts, labels, strict=True):
            texts_of.setdefault(label, []).append(text)
        df = np.zeros(0, dtype=np.int64)
        users = np.zeros(0, dtype=np.int64)  # entries that use each column
        for own in texts_of.values():
            cols, _ = _terms(own, vocabulary)
            if len(df) < len(vocabulary):
                grow = np.zeros(len(vocabulary) - len(df), dtype=np.int64)
                df, users = np.concatenate([df, grow]), np.concatenate([users, grow])
            df += np.bincount(cols, minlength=len(df))  # each text's columns are distinct
            users += np.bincount(np.unique(cols), minlength=len(users))
        idf = (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)
        indptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(users, out=indptr[1:])
        fill = indptr[:-1].copy()
        # Half-size numbers: 10,000 entries' centroids are millions of values, and a cosine
        # needs no more than float16's three digits (a logit moves by about 0.01).
        rows = np.empty(indptr[-1], dtype=np.uint16 if len(texts_of) <= 1 << 16 else np.int32)
        data = np.empty(indptr[-1], dtype=np.float16)
        for e, own in enumerate(texts_of.values()):
            cols, vals = _terms(own, vocabulary)
            unique, where = np.unique(cols, return_inverse=True)
            weighted = np.bincount(where, weights=vals) * idf[unique]
            at = fill[unique]
            rows[at], data[at] = e, weighted / (np.linalg.norm(weighted) or 1.0)
            fill[unique] += 1
        return list(texts_of), vocabulary, idf, cls(indptr, rows, data, len(texts_of))


def _terms(texts: list[str], vocabulary: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The columns of these texts' features (new ones added to `vocabulary`), each text's
    after the other, with its sublinear term frequencies l2-normalised."""
    cols, vals = [], []
    for text in texts:
        counts = Counter(features(text))
        if counts:
            cols.append(np.fromiter((vocabulary.setdefault(f, len(vocabulary)) for f in counts),
                                    dtype=np.int64, count=len(counts)))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            vals.append(tf / np.linalg.norm(tf))
    if not cols:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return np.concatenate(cols), np.concatenate(vals)


class Ranker:
    """A fitted model as arrays: vocabulary → column, idf per column, and the model."""

    def __init__(self, labels: list[str], vocabulary: dict[str, int], idf: np.ndarray, model: _Linear | _Centroids):
        # What a message is read with before scoring, as the training texts were (content/concepts.py).
        self.expand: Callable[[str], str] | None = None
        self.labels = labels
        self._outside_at = labels.index(OUTSIDE) if OUTSIDE in labels else None
        self.vocabulary = vocabulary
        self.idf = idf
        self.model = model

    # --- fitting ---------------------------------------------------------------------
    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str]) -> Ranker:
        read = _small_features(texts, len(set(labels)), DENSE_WEIGHTS)
        if read is None:
            return cls(*_Centroids.fit(texts, labels))
        # Imported here: only training needs scikit-learn, and it is slow to import.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits

        # Single precision: newton-cg then trains in 3.4 s instead of 5.4 and peaks 120 MB lower,
        # ranking the labelled questions the same (top-1 0.928 either way, measured on 28 sets).
        vec = TfidfVectorizer(analyzer=list, sublinear_tf=True, min_df=1, dtype=np.float32)  # read already
        x = vec.fit_transform(read)
        model = LogisticRegression(C=C, tol=TOL, max_iter=500, solver="newton-cg")
        # One thread: BLAS's many threads, on a shared machine, made training five times slower.
        weights = np.where(np.array(labels) == OUTSIDE, OUTSIDE_WEIGHT, 1.0)  # the entries' texts weigh 1
        with threadpool_limits(limits=1):
            model.fit(x, list(labels), sample_weight=weights)
        vocabulary = {term: int(col) for term, col in vec.vocabulary_.items()}
        coef, intercept = model.coef_, model.intercept_
        if len(model.classes_) == 2:
            # Two classes: scikit-learn keeps one row, the second class's log-odds. As softmax
            # logits that is [0, row]: the same probabilities (without it, the first always won).
            coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
        return cls([str(c) for c in model.classes_], vocabulary, vec.idf_.astype(np.float32),
                   _Linear(coef.astype(np.float32), intercept.astype(np.float32)))

    @property
    def coef(self) -> np.ndarray:
        """The multinomial model's weights (entries, columns)."""
        assert isinstance(self.model, _Linear), "the centroids have no weights"
        return self.model.coef

    # --- the cache ---------------------------------------------------------------------
    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        # Written to a temporary name and renamed: several instances may train at once.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, idf=self.idf, **self.model.arrays(),
                     meta=np.frombuffer(json.dumps({"labels": self.labels, "terms": terms,
                                                    "kind": self.model.kind}).encode(), dtype=np.uint8))
        os.replace(tmp, path)

    @classmethod
    def load_file(cls, path: Path) -> Ranker:
        with np.load(path) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            terms, labels = meta["terms"], meta["labels"]
            model = (_Centroids(z["indptr"], z["rows"], z["data"], len(labels)) if meta["kind"] == "centroids"
                     else _Linear(z["coef"], z["intercept"]))
            return cls(labels, {t: i for i, t in enumerate(terms)}, z["idf"], model)
    @classmethod
    def for_entries(cls, entries: Iterable, cache_dir: Path | None = None,
                    expand: Callable[[str], str] | None = None, outside: Iterable[str] = ()) -> Ranker:
        """The model for these entries: from the cache when their texts are unchanged, else trained (and cached).
        `expand` reads each text, for training and for scoring, with the concepts it names; `outside`
        are messages to learn as the plans not answering them."""
        texts, labels = training_texts(entries, expand, outside)
        path = (cache_dir or default_cache_dir()) / f"ranker-{content_hash(texts, labels)}.npz"
        cached = cls._cached(path, expand)
        if cached is not None:
            return cached
        # Processes that share the folder (instances started together, the Office's save
        # reloaded by each) train a version once: the others wait for it and read it.
        with _exclusive(path.with_suffix(".lock")):
            cached = cls._cached(path, expand)
            if cached is not None:
                return cached
            ranker = cls.fit(texts, labels)
            ranker.expand = expand
            try:
                ranker.save(path)
                prune(path.parent)
            except OSError:
                pass  # a read-only disk only costs the next process a training
        return ranker

    @classmethod
    def _cached(cls, path: Path, expand: Callable[[str], str] | None) -> Ranker | None:
        try:
            ranker = cls.load_file(path)
        except (OSError, ValueError, KeyError):
            return None
        ranker.expand = expand
        with contextlib.suppress(OSError):
            os.utime(path)  # used: the last to be pruned
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
        logits = self.model.logits(cols, vals)
        logits = logits - logits.max()
        p = np.exp(logits)
        return p / p.sum()

    def rank(self, text: str, limit: int = 5) -> list[Ranked]:
        """The entries most likely meant, each with its probability."""
        return self.read(text, limit)[0]

    def outside(self, text: str) -> float:
        """The probability that the plans do not answer the message (0 when no such message was learned)."""
        return self.read(text, 0)[1]

    def read(self, text: str, limit: int = 5) -> tuple[list[Ranked], float]:
        """The entries most likely meant, with their probabilities, and the share of OUTSIDE (not an
        entry: what the entries' probabilities leave, 0 when it was not learned), from one scoring."""
        p = self.probabilities(text)
        order = [i for i in np.argsort(-p, kind="stable")[:limit + 1] if self.labels[i] != OUTSIDE][:limit]
        at = self._outside_at
        return [Ranked(self.labels[i], float(p[i])) for i in order], 0.0 if at is None else float(p[at])
