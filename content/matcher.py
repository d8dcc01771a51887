"""Match a staff member's question to a curated entry.

Both the question and the curated phrasings go through the same analysis:
fold (lowercase, no diacritics), expand abbreviations, rewrite synonyms to one
canonical phrase, correct typos against the known vocabulary. Scoring then
asks two things of each candidate entry: how much of what the person asked
about does it cover (IDF-weighted, so "huân chương" matters more than "hồ
sơ", and words the content never uses count against it), and how close is
its nearest phrasing (weighted cosine, word pairs, rapidfuzz ratio). The best
score decides between answering, offering a choice, and an honest fallback.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from content.loader import KnowledgeBase
from content.normalize import tokens
from content.schema import Entry, SynonymFile

# Words that carry no topic in a question: pronouns, particles, politeness.
# Question words ("gì", "nào", "bao nhiêu", "ai") are kept: they tell intent,
# and IDF already makes them light.
STOPWORDS = frozenset(
    """a ah a. ak oi a. nhe nha nhi vay the thi la va voi cua cho ve den tu tai
    hoi xin vui long giup giai dap cam on cho biet minh toi em anh chi ban ad admin bot
    dong chi dc duoc k ko khong co nhung cac mot nay do kia day roi se da dang
    cai con viec ra vao len xuong o trong ngoai""".split()
)
# "chi" (chỉ thị) and "dong" (đồng lòng) are real content words when they are
# not the polite "đồng chí"; the phrase rewrite below removes that pair first.
STOPWORDS = STOPWORDS - {"chi", "dong", "co", "trong", "ngoai", "tu", "tai", "ve", "ra", "vao"}
POLITE_PHRASES = [("dong", "chi"), ("cho", "toi", "hoi"), ("cho", "em", "hoi"), ("xin", "hoi"), ("cho", "hoi")]

ANSWER_WEIGHT = 0.55  # a word found only in an entry's answer counts this much


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    coverage: float


@dataclass(frozen=True)
class MatchResult:
    kind: str  # "answer" | "clarify" | "fallback"
    entry: Entry | None
    score: float
    candidates: tuple[Candidate, ...] = ()
    normalized: str = ""


@dataclass
class Thresholds:
    answer: float = 0.62  # best score needed to answer outright
    coverage: float = 0.70  # share of the question the entry must cover to answer
    clarify: float = 0.45  # below this, fall back
    margin: float = 0.06  # runner-up this close to the best makes an answer ambiguous
    sure: float = 0.80  # above this, answer even when the runner-up is close


@dataclass
class _Phrasing:
    weights: dict[str, float]
    norm: float
    text: str


@dataclass
class _Doc:
    entry: Entry
    core: frozenset[str]
    answer: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    phrasings: list[_Phrasing] = field(default_factory=list)


class Analyzer:
    """Folding plus the domain's abbreviations, synonyms and typo repair."""

    def __init__(self, synonyms: SynonymFile):
        self.abbreviations: dict[str, tuple[str, ...]] = {}
        for abbr, expansion in synonyms.abbreviations.items():
            key = tuple(tokens(abbr))
            if len(key) == 1:
                self.abbreviations[key[0]] = tuple(tokens(expansion))
        self.phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for group in synonyms.synonyms:
            canonical = self._expand(tokens(group[0]))
            # The canonical phrase maps to itself so that the longest match wins
            # ("thủ tướng chính phủ" must not be read as "thủ tướng" + "chính phủ").
            self.phrases[canonical] = canonical
            for phrase in group[1:]:
                variant = self._expand(tokens(phrase))
                if variant and variant != canonical:
                    self.phrases[variant] = canonical
        for phrase in POLITE_PHRASES:
            self.phrases.setdefault(phrase, ())
        self.max_phrase = max((len(p) for p in self.phrases), default=1)
        self.vocabulary: set[str] = set()
        self._by_length: dict[int, list[str]] = defaultdict(list)
        self._corrections: dict[str, str | None] = {}

    @staticmethod
    def _norm_token(tok: str) -> str:
        return (tok.lstrip("0") or "0") if tok.isdigit() else tok

    def _expand(self, toks: list[str]) -> tuple[str, ...]:
        out: list[str] = []
        for tok in toks:
            tok = self._norm_token(tok)
            if ("/" in tok or "-" in tok) and any(c.isalpha() for c in tok):
                # A document number: keep it whole and index its parts too.
                out.append(tok)
                for part in tok.replace("/", " ").replace("-", " ").split():
                    part = self._norm_token(part)
                    out.extend(self.abbreviations.get(part, (part,)))
                continue
            if "-" in tok or "/" in tok:
                out.append(tok)  # dates and ranges such as 08/11/2021, 2021-2025
                continue
            out.extend(self.abbreviations.get(tok, (tok,)))
        return tuple(out)

    def _rewrite(self, toks: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(toks):
            for n in range(min(self.max_phrase, len(toks) - i), 0, -1):
                canon = self.phrases.get(toks[i:i + n])
                if canon is not None:
                    out.extend(canon)
                    i += n
                    break
            else:
                out.append(toks[i])
                i += 1
        return out

    def analyze(self, text: str, correct: bool = False) -> list[str]:
        raw = tokens(text)
        if correct and self.vocabulary:
            raw = [self._correct(t) for t in raw]
        return self._rewrite(self._expand(raw))

    def learn(self, words: set[str]) -> None:
        self.vocabulary = set(words)
        self._by_length.clear()
        for w in self.vocabulary:
            if w.isalpha():
                self._by_length[len(w)].append(w)
        self._corrections.clear()

    def _correct(self, tok: str) -> str:
        if tok in self.vocabulary or tok in self.abbreviations or len(tok) < 4 or not tok.isalpha():
            return tok
        if tok in self._corrections:
            return self._corrections[tok] or tok
        pool = [w for n in (len(tok) - 1, len(tok), len(tok) + 1) for w in self._by_length.get(n, ())]
        best = process.extractOne(tok, pool, scorer=OSA.normalized_similarity, score_cutoff=0.78)
        fixed = best[0] if best else None
        self._corrections[tok] = fixed
        return fixed or tok


def _content(toks: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for t in toks:
        if t not in STOPWORDS:
            seen.setdefault(t, None)
    return list(seen)


def _bigrams(toks: list[str]) -> set[tuple[str, str]]:
    content = [t for t in toks if t not in STOPWORDS]
    return set(zip(content, content[1:], strict=False))


class Matcher:
    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds | None = None):
        self.kb = kb
        self.thresholds = thresholds or Thresholds()
        self.analyzer = Analyzer(kb.synonyms)
        self._build()

    def _build(self) -> None:
        an = self.analyzer
        raw_docs = []
        df: dict[str, int] = defaultdict(int)
        vocab: set[str] = set()
        for entry in self.kb.entries:
            phr_tokens = [an.analyze(p) for p in [entry.title, *entry.questions, *entry.keywords]]
            core = {t for toks in phr_tokens for t in toks if t not in STOPWORDS}
            answer = {t for t in an.analyze(entry.answer) if t not in STOPWORDS} - core
            bigrams = set().union(*(_bigrams(toks) for toks in phr_tokens))
            raw_docs.append((entry, phr_tokens, core, answer, bigrams))
            for t in core | answer:
                df[t] += 1
            vocab |= core | answer
        n = max(len(raw_docs), 1)
        self.idf = {t: math.log((n + 1) / (d + 0.5)) for t, d in df.items()}
        self.unknown_idf = math.log((n + 1) / 0.5)
        an.learn(vocab | set(an.abbreviations))
        self.docs: list[_Doc] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, (entry, phr_tokens, core, answer, bigrams) in enumerate(raw_docs):
            doc = _Doc(entry=entry, core=frozenset(core), answer=frozenset(answer), bigrams=frozenset(bigrams))
            for toks in phr_tokens:
                weights = {t: self.idf.get(t, 0.0) for t in _content(toks)}
                norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
                doc.phrasings.append(_Phrasing(weights=weights, norm=norm, text=" ".join(_content(toks))))
            self.docs.append(doc)
            for t in core | answer:
                self.postings[t].append(i)

    def weight(self, tok: str) -> float:
        return self.idf.get(tok, self.unknown_idf)

    def rank(self, question: str, limit: int = 5) -> tuple[list[Candidate], str]:
        toks = self.analyzer.analyze(question, correct=True)
        content = _content(toks)
        normalized = " ".join(content)
        if not content:
            return [], normalized
        weights = {t: self.weight(t) for t in content}
        total = sum(weights.values())
        qnorm = math.sqrt(sum(w * w for w in weights.values()))
        qbigrams = _bigrams(toks)
        qtext = " ".join(content)

        covered: dict[int, float] = defaultdict(float)
        for t, w in weights.items():
            for i in self.postings.get(t, ()):
                doc = self.docs[i]
                covered[i] += w if t in doc.core else w * ANSWER_WEIGHT
        if not covered:
            return [], normalized
        shortlist = sorted(covered, key=covered.__getitem__, reverse=True)[:24]

        scored: list[Candidate] = []
        for i in shortlist:
            doc = self.docs[i]
            coverage = covered[i] / total
            best_phr = 0.0
            for p in doc.phrasings:
                dot = sum(w * p.weights[t] for t, w in weights.items() if t in p.weights)
                cos = dot / (qnorm * p.norm) if dot else 0.0
                ratio = fuzz.token_sort_ratio(qtext, p.text) / 100.0
                best_phr = max(best_phr, 0.7 * cos + 0.3 * ratio)
            pair = len(qbigrams & doc.bigrams) / len(qbigrams) if qbigrams else coverage
            score = 0.5 * coverage + 0.35 * best_phr + 0.15 * pair
            scored.append(Candidate(entry=doc.entry, score=score, coverage=coverage))
        scored.sort(key=lambda c: c.score, reverse=True)
        return scored[:limit], normalized

    def match(self, question: str) -> MatchResult:
        th = self.thresholds
        ranked, normalized = self.rank(question)
        if not ranked:
            return MatchResult("fallback", None, 0.0, (), normalized)
        best = ranked[0]
        runner = ranked[1].score if len(ranked) > 1 else 0.0
        close = tuple(c for c in ranked[:3] if best.score - c.score <= th.margin * 2)
        if best.score >= th.answer and best.coverage >= th.coverage and (
            best.score - runner >= th.margin or best.score >= th.sure
        ):
            return MatchResult("answer", best.entry, best.score, tuple(ranked[:3]), normalized)
        if best.score >= th.clarify and best.coverage >= th.coverage * 0.8:
            if len(close) >= 2:
                return MatchResult("clarify", None, best.score, close, normalized)
            if best.score >= th.answer and best.coverage >= th.coverage:
                return MatchResult("answer", best.entry, best.score, tuple(ranked[:3]), normalized)
            return MatchResult("clarify", None, best.score, tuple(ranked[:2]), normalized)
        return MatchResult("fallback", None, best.score, tuple(ranked[:3]), normalized)
