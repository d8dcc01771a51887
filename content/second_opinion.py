"""A second opinion for long messages the main engine does not answer: BM25 over
each entry's whole text (title, phrasings, keywords and answer).

Staff ask in their own words and the entries answer in the plans' words: a long
message ("..., kế hoạch yêu cầu chống những biểu hiện gì khi tổ chức phong
trào") often shares few words with an entry's phrasings but many with its
answer. BM25 alone cannot decline, so its pick is taken only when it is clear:

- the message is long (the main engine reads short questions well);
- it names nothing the content deliberately leaves out (synonyms.yaml `not_covered`);
- the best entry is clearly ahead of the runner-up;
- the best entry has most of what the question part asks about (IDF-weighted),
  and several of its words: the story told around a question weighs less,
  and the generic words of asking ("nội dung nào", "có đúng không", lexicon.yaml
  `asking_words`) say that something is asked, not what about.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from content.analysis import names_uncovered
from content.index import Index
from content.normalize import accented_words, fold, strip_diacritics, tokens
from content.schema import Entry

K1 = 1.2
B = 0.75
STORY_WEIGHT = 0.4  # a word of the story told before the question counts this much
MIN_MESSAGE_WORDS = 14  # words a message needs before a second opinion is asked
MIN_WORDS = 10  # content words (syllables) the question part itself needs
MARGIN = 1.5  # the best entry's BM25 score over the runner-up's
AGREED_MARGIN = 1.1  # ...when the main engine's best candidate is the same entry
QUESTION_SHARE = 0.6  # IDF-weighted share of the question part's domain words the best entry has
QUESTION_WORDS = 2  # ...and at least this many of them


@dataclass(frozen=True)
class Opinion:
    entry: Entry
    score: float
    runner_up: float
    share: float


class SecondOpinion:
    def __init__(self, index: Index, asking_words: list[str]):
        self.index = index
        an = index.analyzer
        lex = index.lexicon
        self.skip = lex.stopwords | lex.common
        # Per word, the entries that have it and how often, as arrays: a large base holds
        # no per-entry dictionaries (issue 12 asks for 10,000 entries in under 300 MB).
        entries_of: dict[str, array] = defaultdict(lambda: array("i"))
        counts_of: dict[str, array] = defaultdict(lambda: array("f"))
        lengths = array("f")
        for i, e in enumerate(index.entries):
            text = " ".join((e.title, *e.questions, *e.keywords, e.answer))
            doc = Counter(t for t in an.analyze(text) if t not in self.skip)
            for t, tf in doc.items():
                entries_of[t].append(i)
                counts_of[t].append(tf)
            lengths.append(sum(doc.values()))
        n = len(lengths)
        avg = (sum(lengths) / n) if n else 1.0
        self.norms = K1 * (1 - B + B * np.frombuffer(lengths, dtype=np.float32) / avg) if n else np.zeros(0)
        self.postings = {t: (np.frombuffer(idx, dtype=np.int32), np.frombuffer(counts_of.pop(t), dtype=np.float32))
                         for t, idx in entries_of.items()}
        self.idf = {t: math.log(1 + (n - len(p[0]) + 0.5) / (len(p[0]) + 0.5)) for t, p in self.postings.items()}
        folded = sorted({fold(p) for p in asking_words if fold(p)}, key=len, reverse=True)
        self.asking = re.compile(r"\b(?:" + "|".join(map(re.escape, folded)) + r")\b") if folded else None

    def _words(self, text: str) -> list[str]:
        return self._read(text)[0]

    def _read(self, text: str) -> tuple[list[str], set[str]]:
        """The content words of a text without its generic asking words, and those repaired from typos."""
        plain = fold(text)
        if self.asking is not None:
            plain = self.asking.sub(" ", plain)
        toks, repaired = self.index.analyzer.analyze_query(plain)
        return [t for t in dict.fromkeys(toks) if t not in self.skip], repaired

    def _spelled_alike(self, tok: str, question: str, i: int) -> bool:
        """A word typed with diacritics that the entry has only in another accented form
        ("mặc" against "vướng mắc") is another word."""
        forms = {w for w in accented_words(question) if strip_diacritics(w) == tok}
        if not forms or tok in forms:
            return True
        postings = self.index.accent_postings
        return any(i in postings.get(w, ()) for w in forms)

    def opinion(self, question: str, story: str = "", favoured: Entry | None = None) -> Opinion | None:
        """The entry BM25 clearly prefers, or None. `favoured` is the main engine's best
        candidate: when both readings pick the same entry, a smaller lead is enough."""
        if len(tokens(question)) + len(tokens(story)) < MIN_MESSAGE_WORDS:
            return None
        asked, repaired = self._read(question)
        told = [t for t in self._words(story) if t not in asked] if story else []
        if len(asked) < MIN_WORDS:
            # A short question after a story ("..., cho em hỏi hạn chót nộp danh sách khi nào")
            # is the main engine's to read: BM25 over whole answers needs more words to go on.
            return None
        if names_uncovered((*asked, *told)):
            return None  # something the content deliberately leaves out
        weights = {t: 1.0 for t in asked} | {t: STORY_WEIGHT for t in told}
        scores = np.zeros(len(self.norms))
        for t, w in weights.items():
            posting = self.postings.get(t)
            if posting is not None:
                idx, tf = posting
                scores[idx] += w * self.idf[t] * tf * (K1 + 1) / (tf + self.norms[idx])
        if len(scores) == 0 or scores.max() <= 0:
            return None
        order = np.argsort(-scores)[:2].tolist()
        best = order[0]
        runner = float(scores[order[1]]) if len(order) > 1 else 0.0
        agrees = favoured is not None and self.index.entries[best] is favoured
        if runner and scores[best] < (AGREED_MARGIN if agrees else MARGIN) * runner:
            return None
        # A word the content never uses counts as much as its rarest: "tạm giam", "trang phục"
        # say that the question is about something else.
        rare = max(self.idf.values(), default=1.0)
        total = sum(self.idf.get(t, rare) for t in asked)
        # A word found only once repaired ("hội thao" read as "hội trao") is no evidence here.
        had = [t for t in asked if t in self.postings and best in self.postings[t][0] and t not in repaired
               and self._spelled_alike(t, question, best)]
        share = sum(self.idf[t] for t in had) / total if total else 0.0
        if len(had) < QUESTION_WORDS or share < QUESTION_SHARE:
            return None
        return Opinion(self.index.entries[best], float(scores[best]), runner, share)
