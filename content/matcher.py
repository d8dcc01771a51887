"""Match a staff member's question to a curated entry: the decision.

Both the question and the curated phrasings go through the same analysis
(content/analysis.py: folding, abbreviations, synonyms, typo repair); the
index (content/index.py) and the scoring (content/scoring.py) rank the
entries; long messages and comparisons are taken apart in
content/longtext.py. This module decides from the best score between
answering, offering a choice, and an honest fallback.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from content.analysis import Analyzer, names_uncovered
from content.concepts import Concepts
from content.index import Index
from content.lexicon import Lexicon, default_lexicon, drop_fillers
from content.loader import KnowledgeBase
from content.longtext import compare, windows
from content.match_result import MatchResult
from content.normalize import tokens
from content.scoring import Analyzed, Candidate, coverage, rank
from content.second_opinion import SecondOpinion

if TYPE_CHECKING:
    from collections.abc import Callable

    from content.ranker import Ranker

__all__ = ["Analyzer", "Candidate", "Matcher", "MatchResult", "Thresholds"]

TERSE_WORDS = 2  # words besides the stopwords up to which a message names a subject rather than asks
WINDOW_DISCOUNT = 0.97  # a part of a long message wins only when it is clearly better than the whole
WINDOW_SHARE = 0.35  # ...and only when it holds this share of the message's word weight
# The story told around a question says what it is about ("em làm ở phòng kiểm sát ... có
# tiêu chí nào liên quan đến công việc bên em"): an entry that also speaks of the story gains
# up to this much when a part of the message is matched as its question.
STORY_WEIGHT = 0.15


@dataclass
class Thresholds:
    """Calibrated on the project's held-out questions (tests/qa_heldout.yaml):
    answerable questions score 0.64 and more with coverage 0.7 and more;
    out-of-scope ones, even those borrowing the domain's words, stay near 0.5."""

    answer: float = 0.60  # best score needed to answer
    coverage: float = 0.66  # share of the question the entry must cover to answer
    clarify: float = 0.52  # between this and `answer`, offer choices; below, fall back
    lead_answer: float = 0.55  # a fair score is enough...
    lead_coverage: float = 0.60
    lead: float = 0.08  # ...when the best entry is this far ahead of the next
    terse_margin: float = 0.1  # the lead a one- or two-word question needs to be answered
    far_lead: float = 0.2  # a lower score still, when the best entry is this far ahead of every other...
    far_answer: float = 0.5
    far_coverage: float = 0.55
    spread: float = 0.08  # candidates this close to the best are offered as alternatives


# What was read of the content under the last few configurations of word lists: each text
# analysed (content/analysis.py) and each entry as the index reads it (content/index.py). A
# reload after an Office save finds the same files (the very same validated objects, from
# content/loader.py) and need not read the entries that did not change again. Keyed by the
# objects themselves, held here, so an id is never reused while its memo lives.
_MEMOS: list[tuple[tuple[object, ...], dict, dict]] = []
_MEMOS_KEPT = 4
_MEMOS_LOCK = threading.Lock()


def _memos(*sources: object) -> tuple[dict, dict]:
    """The memo of analysed texts and the memo of read entries for these word lists."""
    with _MEMOS_LOCK:
        for i, (held, words, entries) in enumerate(_MEMOS):
            if len(held) == len(sources) and all(a is b for a, b in zip(held, sources, strict=True)):
                _MEMOS.append(_MEMOS.pop(i))
                return words, entries
        words, entries = {}, {}
        _MEMOS.append((sources, words, entries))
        del _MEMOS[:-_MEMOS_KEPT]
        return words, entries


class Matcher:
    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds | None = None, cache_dir: Path | None = None):
        self.kb = kb
        self.cache_dir = cache_dir
        self.thresholds = thresholds or Thresholds()
        self.lexicon: Lexicon = Lexicon.of(kb.lexicon) if kb.lexicon is not None else default_lexicon()
        self.concepts = Concepts(kb.concepts)
        words, entries = _memos(kb.synonyms, kb.lexicon, kb.concepts)
        self.analyzer = Analyzer(kb.synonyms, self.lexicon, self.concepts, words_memo=words)
        self.index = Index(kb, self.analyzer, entries)
        # Whether a sentence asks (content/questions.py), set by the dialogue that reads with this
        # matcher: a clause of a long message that asks nothing ("..., em ở vks huyện") is story.
        self.asks: Callable[[str], bool] | None = None
        self._ranker: Ranker | None = None
        self._ranker_lock = threading.Lock()

    @cached_property
    def second(self) -> SecondOpinion:
        """BM25 over the entries' whole text, built when a long message first needs it."""
        return SecondOpinion(self.index, list(self.lexicon.asking_words))

    @property
    def ranker(self) -> Ranker:
        """The learned ranker (content/ranker.py), loaded from its cache or trained when first needed
        (the bot's start asks for it at once: bot/runner.py). A lock of this matcher's own: Python
        3.11's cached_property holds one lock for every instance, so one version's training held
        up another's (the Office's trial of an edit, a reloaded version) for its seconds."""
        ranker = self._ranker
        if ranker is None:
            with self._ranker_lock:
                if self._ranker is None:
                    self._ranker = self._build_ranker()
                ranker = self._ranker
        return ranker

    def _build_ranker(self) -> Ranker:
        from content.ranker import Ranker

        # The concepts (content/concepts.yaml) reach the lexical reading only: added to the ranker's
        # texts too, they pulled a long follow-up ("tài trợ máy thở ..., hồ sơ hình thức này mấy bộ")
        # to the donations entry (tests/qa_dialogues_3.yaml E7) for no gain on the held-out sets.
        # Messages the plans do not answer (content/out_of_scope.yaml, and those the Office marked
        # "không thuộc phạm vi") are learned as one more class: the ranker's share for it.
        return Ranker.for_entries(self.kb.entries, self.cache_dir,
                                  outside=(*self.kb.outside, *self.kb.out_of_scope))

    @property
    def ranker_ready(self) -> bool:
        """Whether the learned ranker has been built (a message needed it, or a reload did)."""
        return self._ranker is not None

    # The index's figures, as the tests and benchmarks know them.
    @property
    def idf(self) -> dict[str, float]:
        return self.index.idf

    @property
    def common_idf(self) -> float:
        return self.index.common_idf

    def weight(self, tok: str, numbers: frozenset[str] = frozenset()) -> float:
        return self.index.weight(tok, numbers)

    def _analyze(self, question: str) -> Analyzed:
        """Tokens, repaired words, and the filler-free text, for one message or part of one."""
        question = drop_fillers(question, self.lexicon.fillers)
        toks, repaired = self.analyzer.analyze_query(question)
        return Analyzed(toks, repaired, question)

    def rank(self, question: str, limit: int = 5, analyzed: Analyzed | None = None) -> tuple[list[Candidate], str]:
        return rank(self.index, analyzed or self._analyze(question), limit)

    def windows(self, question: str) -> list[str]:
        """The message itself and, when it is long, the parts that may be the real question."""
        return [text for text, _asked in windows(question, self.lexicon)]

    def terse(self, question: str) -> bool:
        """One or two words besides the stopwords ("HCLĐ", "còn bằng khen?"): a subject named, not a question."""
        return len([t for t in tokens(question) if t not in self.lexicon.stopwords]) <= TERSE_WORDS

    def match(self, question: str) -> MatchResult:
        # Parts of a long message often read the same once analysed ("cho em hỏi X"
        # and "X"): each distinct reading is scored once.
        results, seen = [], set()
        whole_weight, uncovered = 0.0, False
        parts = windows(question, self.lexicon)
        # A clause that asks nothing is story when the message asks ("..., em ở vks huyện").
        whole_asks = len(parts) > 1 and self.asks is not None and self.asks(question)
        for part, asked in parts:
            analyzed = self._analyze(part)
            key = tuple(analyzed.tokens)
            if key in seen:
                continue
            seen.add(key)
            # A part must carry a fair share of what the message asks about (in words
            # the content knows; the rest is story): the last clause of "nâng cao chất
            # lượng đội ngũ ..., khen thưởng bằng cách nào" is not the question alone.
            weight = sum(self.index.idf.get(t, 0.0) for t in dict.fromkeys(analyzed.tokens)
                         if t not in self.lexicon.stopwords)
            if not results:
                whole_weight = weight
                uncovered = names_uncovered(analyzed.tokens)
            elif not asked and (weight < WINDOW_SHARE * whole_weight or (whole_asks and not self.asks(part))):
                continue
            story = None
            if results:
                at = question.find(part)
                rest = (question[:at] + " " + question[at + len(part):]) if at >= 0 else ""
                story = self._analyze(rest) if rest.strip() else None
                if uncovered and not names_uncovered(analyzed.tokens):
                    # "Kỷ niệm chương ... xét tặng cho ai, công tác bao nhiêu năm": the rest of
                    # the message names what the content does not cover, and this part asks about it.
                    continue
            results.append(self._match_one(part, analyzed, story))
        whole = results[0]
        rank_of = {"answer": 2, "clarify": 1, "fallback": 0}
        best = whole
        for r in results[1:]:
            # When the whole message is answered, a part (which may have lost the
            # subject: "HCLĐ ... Hồ sơ gồm những gì") does not overrule it.
            if whole.kind != "answer" and (rank_of[r.kind], r.score * WINDOW_DISCOUNT) > (rank_of[best.kind], best.score):
                best = r
        return compare(question, self._match_one, self.lexicon) or best

    def _match_one(self, question: str, analyzed: Analyzed | None = None,
                   story: Analyzed | None = None) -> MatchResult:
        th = self.thresholds
        ranked, normalized = self.rank(question, analyzed=analyzed)
        if story is not None and ranked:
            ranked, _ = self.rank(question, limit=16, analyzed=analyzed)
            told = coverage(self.index, story)
            number = {id(e): i for i, e in enumerate(self.index.entries)}
            ranked = sorted((Candidate(c.entry, c.score + STORY_WEIGHT * float(told[number[id(c.entry)]]), c.coverage)
                             for c in ranked), key=lambda c: c.score, reverse=True)[:5]
        if not ranked:
            return MatchResult("fallback", None, 0.0, (), normalized)
        best = ranked[0]
        runner = ranked[1].score if len(ranked) > 1 else 0.0
        gap = best.score - runner
        close = tuple(c for c in ranked[:3] if best.score - c.score <= th.spread)
        # Confident: a good score, or a fair one far ahead of every other entry.
        confident = (best.score >= th.answer and best.coverage >= th.coverage) or (
            best.score >= th.lead_answer and best.coverage >= th.lead_coverage and gap >= th.lead) or (
            best.score >= th.far_answer and best.coverage >= th.far_coverage and gap >= th.far_lead)
        # One or two words ("HCLĐ", "bằng khen") name a subject, not a question:
        # unless one entry clearly stands out, ask which aspect is meant. A real
        # question is answered from the best entry; a close runner-up is offered
        # first among the follow-ups (MatchResult.candidates[1]).
        if confident and (not self.terse(question) or gap >= th.terse_margin):
            return MatchResult("answer", best.entry, best.score, tuple(ranked[:3]), normalized)
        if best.score >= th.clarify and best.coverage >= th.lead_coverage:
            return MatchResult("clarify", None, best.score, close if len(close) >= 2 else tuple(ranked[:2]),
                               normalized)
        return MatchResult("fallback", None, best.score, tuple(ranked[:3]), normalized)
