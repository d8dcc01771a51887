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
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from content.loader import KnowledgeBase
from content.normalize import (
    accented_word_list,
    accented_words,
    drop_fillers,
    fold_aligned,
    same_spelling,
    strip_diacritics,
    tokens,
)
from content.schema import Entry, SynonymFile
from content.syllables import is_syllable

# Fillers that carry no topic in a question: particles, politeness, "có ...
# không". Kept short on purpose: unaccented Vietnamese folds many words
# together ("thi" is "thì" and the "thi" of "thi đua", "toi" is "tôi" and
# "tối cao", "ban" is "bạn" and "ban hành"), and such words must stay.
# Question words ("gì", "nào", "bao nhiêu", "ai") are kept: they tell intent,
# and IDF already makes them light.
STOPWORDS = frozenset(
    """a ah ak oi nhe nha nhi vay la va voi cua cho vui long giup ad admin bot
    dc duoc k ko khong nhung cac mot kia roi se da""".split()
)
# Everyday words (folded) that say nothing of a topic. A word the content rarely
# or never uses weighs heavily, so that "kết hôn" or "hộ chiếu" are not answered
# from a commendation entry; these words weigh at most as a word a third of the
# entries use: "nộp lên thì bên nào thẩm định" is about "nộp" and "thẩm định",
# not about "lên" and "bên".
# Only words whose unaccented form has no weightier reading: not "hon" (kết
# hôn), "bao" (báo cáo), "can" (cán bộ), "co" (cờ, cơ quan), "de" (đề nghị),
# "hoi" (Hội đồng), "toi" (tối cao), "neu" (nêu gương).
COMMON_WORDS = frozenset(
    """len xuong ra vao ben tren duoi ngoai di den ve nay kia day ay thi ma nen roi xong het nua luon ne kieu
    sao gi nao truoc sau phai bi lam biet xem thay rat nhat deu vua nhu giong khac em anh ta oi u uh vang thoi
    it hay hoac tuc nghia tiep no quen mat doc ghi o muon""".split()
)
# Chat words that are never typos of a content word: "chào bạn" is not "cao ban".
EVERYDAY = COMMON_WORDS | frozenset("chao cam on xin nho giup ten khoe vui ban oke ok".split())
POLITE_PHRASES = [("dong", "chi"), ("cho", "toi", "hoi"), ("cho", "em", "hoi"), ("xin", "hoi"), ("cho", "hoi"),
                  ("xin", "cho", "biet"), ("cho", "biet"), ("cam", "on")]

# A numbered part of a plan ("giải pháp 7", "tiêu chí 2.5", "mục IV.4") is also
# indexed as one token, so that the number counts only next to its heading.
SECTION_HEADS = {("giai", "phap"): "giai-phap", ("bien", "phap"): "giai-phap", ("tieu", "chi"): "tieu-chi",
                 ("noi", "dung"): "noi-dung", ("nhom",): "nhom", ("muc",): "muc", ("dieu",): "dieu",
                 ("khoan",): "khoan", ("nhiem", "vu"): "nhiem-vu"}
SECTION_NUMBER = re.compile(r"(?:\d+|[ivx]+)(?:\.\d+)*")
SECTION_MARK = "§"
_SECTION_FIRST = {head[0] for head in SECTION_HEADS}

ANSWER_WEIGHT = 0.35  # a word found only in an entry's answer counts this much
# A word typed WITH diacritics that an entry has only in another accented form
# ("tuyển" against "tuyên", "lương" against "lượng", "bò" against "bộ") is
# most likely another word: it counts this much.
ACCENT_MISMATCH = 0.3
REPAIRED_WEIGHT = 0.8  # a word matched only after repairing a typo is a little less certain
SHORTLIST = 16  # entries scored in full, the best by coverage


# Where the real question starts in a long message ("..., cho em hỏi X").
ASKING = re.compile(r"\b(?:xin hoi|cho (?:em|toi|minh|chau|anh|chi|con) hoi|cho hoi|(?:em|toi|minh) (?:muon )?hoi"
                    r"|muon hoi|hoi la|xin cho biet|cho biet)\b")
CLAUSE = re.compile(r"[,.;!?\n]+")
# "A với B khác nhau thế nào (về X)", "A khác B chỗ nào", "so sánh A và B (về X)",
# matched on the folded text; the sides are then asked about one by one.
_ASPECT = r"(?:\s+(?:ve|o|trong)\s+(?P<aspect>.+?))?"
_ENDING = r"(?:\s+(?:the nao|nhu the nao|ra sao|cho nao|o cho nao|diem nao|o diem nao|gi|nhung gi|khong|a|vay|nhi|nhe))*"
COMPARISON = [
    re.compile(r"^(?:so sanh\s+)?(?P<a>.+?)\s+(?:voi|va|vs|so voi)\s+(?P<b>.+?)\s+(?:co\s+)?(?:gi\s+)?"
               r"(?:khac nhau|giong nhau|khac|giong)" + _ENDING + _ASPECT + _ENDING + r"$"),
    # "A khác B" alone is also "đơn vị khác ..." (other units): it needs "khác gì",
    # "khác với", or a question such as "thế nào", "chỗ nào" after B.
    re.compile(r"^(?P<a>.+?)\s+(?:khac gi so voi|khac gi voi|khac gi|khac voi|khac so voi)\s+(?P<b>.+?)" + _ENDING
               + _ASPECT + _ENDING + r"$"),
    re.compile(r"^(?P<a>.+?)\s+khac\s+(?P<b>.+?)\s+(?:the nao|nhu the nao|ra sao|cho nao|o cho nao|diem nao"
               r"|o diem nao)" + _ENDING + _ASPECT + _ENDING + r"$"),
    re.compile(r"^so sanh\s+(?P<a>.+?)\s+(?:voi|va)\s+(?P<b>.+?)" + _ASPECT + _ENDING + r"$"),
]
MAX_SIDE_WORDS = 8  # a side names a thing ("Bằng khen Thủ tướng"); longer is an ordinary sentence
# Without a stated aspect, award forms differ first of all in their standards.
DEFAULT_ASPECT = "tiêu chuẩn"
LONG_QUESTION = 10  # content words; a message this long may carry context before its question
WINDOW_WORDS = 4  # a part of it must have this many to be matched on its own
WINDOW_DISCOUNT = 0.97  # a part wins only when it is clearly better than the whole
WINDOW_SHARE = 0.35  # ...and only when it holds this share of the message's word weight


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
    # A comparison ("HCLĐ với BK TTg khác nhau thế nào") is answered from one
    # entry per side: `entry` for the first, these for the others.
    also: tuple[Entry, ...] = ()


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
    spread: float = 0.08  # candidates this close to the best are offered as alternatives


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
    bigrams: frozenset[str]
    accented: frozenset[str]
    phrasings: list[_Phrasing] = field(default_factory=list)


class _PhraseTable:
    """Rewrites phrases (tuples of words) to their replacements, longest match first."""

    def __init__(self, phrases: dict[tuple[str, ...], tuple[str, ...]]):
        self.phrases = phrases
        lengths: dict[str, set[int]] = defaultdict(set)
        for phrase in phrases:
            if phrase:
                lengths[phrase[0]].add(len(phrase))
        # Phrase lengths to try at a position, longest first, keyed by the first word.
        self.lengths = {first: sorted(ns, reverse=True) for first, ns in lengths.items()}

    def match_at(self, toks: tuple[str, ...], i: int,
                 skip: frozenset[tuple[str, ...]] = frozenset()) -> tuple[int, tuple[str, ...]] | None:
        """The longest phrase starting at toks[i]: its length and its replacement."""
        for n in self.lengths.get(toks[i], ()):
            canon = self.phrases.get(toks[i:i + n]) if i + n <= len(toks) else None
            if canon is not None and canon not in skip:
                return n, canon
        return None

    def rewrite(self, toks: tuple[str, ...] | list[str], skip: frozenset[tuple[str, ...]] = frozenset()) -> list[str]:
        toks = tuple(toks)
        out: list[str] = []
        i = 0
        while i < len(toks):
            found = self.match_at(toks, i, skip)
            if found is None:
                out.append(toks[i])
                i += 1
            else:
                out.extend(found[1])
                i += found[0]
        return out

    def positions(self, toks: tuple[str, ...]) -> set[int]:
        """Indexes of the words that are part of some phrase."""
        out: set[int] = set()
        for i in range(len(toks)):
            found = self.match_at(toks, i)
            if found is not None:
                out.update(range(i, i + found[0]))
        return out


class Analyzer:
    """Folding plus the domain's abbreviations, synonyms, uncovered terms and typo repair."""

    def __init__(self, synonyms: SynonymFile):
        self.abbreviations: dict[str, tuple[str, ...]] = {}
        for abbr, expansion in synonyms.abbreviations.items():
            key = tuple(self._norm_token(t) for t in tokens(abbr))
            if len(key) == 1:
                self.abbreviations[key[0]] = tuple(self._norm_token(t) for t in tokens(expansion))
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
        # A term the content does not cover becomes one word that no entry has,
        # weighing as much as the words it replaces: "cờ thi đua" must not be
        # answered from entries that merely share "thi đua".
        # They are rewritten in a pass of their own, before the synonyms, so that
        # a synonym such as "đề nghị huân chương" cannot swallow half of
        # "huân chương bảo vệ tổ quốc".
        self.uncovered: dict[str, int] = {}
        uncovered_phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        # The terms as written, by their first folded word, to tell "cờ thi đua"
        # from a typed "có thi đua" that folds the same.
        self._uncovered_spelled: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], str]]] = defaultdict(list)
        for term in synonyms.not_covered:
            words = self._expand(tokens(term))
            if words:
                token = "~" + "-".join(words)
                uncovered_phrases[words] = (token,)
                self.uncovered[token] = len(words)
                spelled = tuple(accented_word_list(term))
                folded = tuple(strip_diacritics(w) for w in spelled)
                if folded:
                    self._uncovered_spelled[folded[0]].append((folded, spelled, token))
        self._uncovered_pass = _PhraseTable(uncovered_phrases)
        for phrase in POLITE_PHRASES:
            self.phrases.setdefault(phrase, ())
        for phrase in synonyms.context:
            words = self._expand(tokens(phrase))
            if words:
                self.phrases[words] = ()
        self._synonym_pass = _PhraseTable(self.phrases)
        compounds = {}
        for phrase in synonyms.compounds:
            words = self._expand(tokens(phrase))
            if len(words) > 1:
                compounds[words] = ("_".join(words),)
        self._compound_pass = _PhraseTable(compounds)
        self.vocabulary: set[str] = set()
        self.frequency: dict[str, int] = {}
        self._by_length: dict[int, list[str]] = defaultdict(list)
        self._by_length_initial: dict[tuple[int, str], list[str]] = defaultdict(list)
        self._corrections: dict[str, list[tuple[str, int]]] = {}
        self._splits: dict[str, list[str]] = {}
        self.pairs: set[tuple[str, str]] = set()

    @staticmethod
    def _norm_token(tok: str) -> str:
        if tok.isdigit():
            return tok.lstrip("0") or "0"
        # "ký"/"kí", "lý"/"lí", "mỹ"/"mĩ": Vietnamese writes a final i or y after
        # a consonant either way.
        if len(tok) >= 2 and tok[-1] == "y" and tok[-2] in "bcdghklmnpqrstvx":
            return tok[:-1] + "i"
        return tok

    def _expand(self, toks: list[str]) -> tuple[str, ...]:
        out: list[str] = []
        for tok in toks:
            tok = self._norm_token(tok)
            whole = self.abbreviations.get(tok)
            if whole is not None:
                out.extend(whole)
                continue
            if ("/" in tok or "-" in tok) and any(c.isalpha() for c in tok):
                # A document number: keep it whole and index its parts too.
                out.append(tok)
                for part in tok.replace("/", " ").replace("-", " ").split():
                    if "/" not in tok and part.isdigit():
                        continue  # the 19 of "covid-19" is no document number (unlike "19/ct-ttg")
                    part = self._norm_token(part)
                    out.extend(self.abbreviations.get(part, (part,)))
                continue
            out.append(tok)  # words, and dates or ranges such as 08/11/2021, 2021-2025
            if YEARS_IN.fullmatch(tok):
                out.extend(y for y in re.split(r"[/\-]", tok) if len(y) == 4)  # "năm 2021" finds them
        return tuple(out)

    def _rewrite(self, toks: tuple[str, ...], skip: frozenset[tuple[str, ...]] = frozenset()) -> list[str]:
        out = self._synonym_pass.rewrite(self._uncovered_pass.rewrite(toks, skip))
        if self._compound_pass.phrases:
            out = self._compound_pass.rewrite(out)
        return out + _sections(out)

    def contradicted_terms(self, text: str) -> frozenset[tuple[str, ...]]:
        """Uncovered terms whose folded form is in `text` but whose words were
        typed with other diacritics: "có thi đua" is not "cờ thi đua". A word
        typed without diacritics could be either, so it never contradicts."""
        if text.isascii():
            return frozenset()  # nothing typed with diacritics: nothing contradicts
        words = accented_word_list(text)
        folded = [strip_diacritics(w) for w in words]
        out = set()
        for i, first in enumerate(folded):
            for term, spelled, token in self._uncovered_spelled.get(first, ()):
                typed = words[i:i + len(term)]
                if tuple(folded[i:i + len(term)]) == term and any(
                        t != f and not same_spelling(t, s) for t, f, s in zip(typed, term, spelled, strict=True)):
                    out.add((token,))
        return frozenset(out)

    def analyze(self, text: str) -> list[str]:
        return self._rewrite(self._expand(tokens(text)))

    def analyze_query(self, text: str) -> tuple[list[str], set[str]]:
        """Like `analyze`, repairing typos first; also returns the repaired words."""
        raw = tokens(text)
        fixed: set[str] = set()
        if self.vocabulary:
            # Words of a term the content does not cover are no typos of words it
            # does: "anh hung lao dong" must not become "anh huong lao dong".
            keep = self._uncovered_pass.positions(tuple(self._norm_token(t) for t in raw))
            repaired: list[str] = []
            for i, t in enumerate(raw):
                if i in keep:
                    repaired.append(t)
                    continue
                prev = repaired[-1] if repaired else None
                nxt = raw[i + 1] if i + 1 < len(raw) else None
                r = self._correct(t, prev, nxt)
                if r != t:
                    fixed.add(r)
                    repaired.append(r)
                    continue
                parts = self._split(t)
                if len(parts) > 1:
                    fixed.update(parts)
                repaired.extend(parts)
            raw = repaired
        return self._rewrite(self._expand(raw), self.contradicted_terms(text)), fixed

    def _split(self, tok: str) -> list[str]:
        """Syllables typed together ("bangkhen", "thutuong", "hoso"), when the content
        has them side by side; otherwise the token as it is."""
        if (len(tok) < 4 or not tok.isalpha() or tok in self.vocabulary or tok in self.abbreviations
                or is_syllable(tok)):
            return [tok]
        cached = self._splits.get(tok)
        if cached is not None:
            return cached
        out = [tok]
        for cut in range(2, len(tok) - 1):
            left, right = tok[:cut], tok[cut:]
            if left not in self.vocabulary or not is_syllable(left):
                continue
            rest = [right] if right in self.vocabulary and is_syllable(right) else self._split(right)
            if all(r in self.vocabulary for r in rest) and (left, rest[0]) in self.pairs:
                out = [left, *rest]
                break
        self._splits[tok] = out
        return out

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

    def _correct(self, tok: str, prev: str | None = None, nxt: str | None = None) -> str:
        norm = self._norm_token(tok)
        if (norm in self.vocabulary or norm in self.abbreviations or norm in STOPWORDS or norm in EVERYDAY
                or len(tok) < 3 or not tok.isalpha()):
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


YEARS_IN = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{4}")
# Words after which a number names a document or a part of one.
DOCUMENT_WORDS = frozenset("hoach tu thi quyet dinh van dieu muc khoan chi phap nhom ct kh nq tt qd".split())


def _identifiers(toks: list[str]) -> frozenset[str]:
    """Numbers that name a document or a part ("kế hoạch 200", "thông tư số 05")."""
    out = set()
    for i, tok in enumerate(toks):
        if not tok.isdigit() or i == 0:
            continue
        before = toks[i - 1]
        if before in DOCUMENT_WORDS or (before == "so" and i > 1 and toks[i - 2] in DOCUMENT_WORDS):
            out.add(tok)
    return frozenset(out)


def _scaled(parts: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """The parts end to end, each multiplied by its weight. Done in one go, since
    numpy's per-call overhead, not the arithmetic, is what costs here."""
    return np.concatenate(parts) * np.repeat(weights, [len(p) for p in parts])


def _sections(toks: list[str]) -> list[str]:
    """Section tokens ("§giai-phap-7") for each heading followed by a number."""
    out = []
    for i, tok in enumerate(toks):
        if tok not in _SECTION_FIRST:
            continue
        for length in (2, 1):
            head = SECTION_HEADS.get(tuple(toks[i:i + length]))
            if head is not None and i + length < len(toks) and SECTION_NUMBER.fullmatch(toks[i + length]):
                out.append(f"{SECTION_MARK}{head}-{toks[i + length]}")
                break
    return out


def _content(toks: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for t in toks:
        if t not in STOPWORDS:
            seen.setdefault(t, None)
    return list(seen)


def _bigrams(toks: list[str]) -> set[str]:
    """Adjacent content-word pairs, as strings (whose hashes Python caches)."""
    content = [t for t in toks if t not in STOPWORDS]
    return {f"{a} {b}" for a, b in zip(content, content[1:], strict=False)}


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
        self.common_idf = math.log((n + 1) / (0.3 * n + 0.5))  # as a word a third of the entries use
        # Typos are repaired towards words as written in the content (before any
        # synonym rewrite: "mấy" must stay "mấy", not become the nearby "mã").
        written: dict[str, int] = defaultdict(int)
        pairs: set[tuple[str, str]] = set()
        for entry in self.kb.entries:
            for text in [entry.title, *entry.questions, *entry.keywords, entry.answer]:
                words = tokens(text)
                pairs.update(zip(words, words[1:], strict=False))
            for w in set(tokens(" ".join([entry.title, *entry.questions, *entry.keywords, entry.answer]))):
                written[w] += 1
        for group in self.kb.synonyms.synonyms:
            for w in tokens(" ".join(group)):
                written[w] += 1
        for w in [*an.abbreviations, *STOPWORDS, *df]:
            written[w] += 1
        an.learn(written, pairs)
        self.docs: list[_Doc] = []
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        accent_postings: dict[str, list[int]] = defaultdict(list)
        for i, (entry, phr_tokens, core, answer, bigrams) in enumerate(raw_docs):
            text = " ".join([entry.title, *entry.questions, *entry.keywords, entry.answer])
            doc = _Doc(entry=entry, core=frozenset(core), answer=frozenset(answer), bigrams=frozenset(bigrams),
                       accented=frozenset(accented_words(text)))
            # Keywords widen coverage but are no phrasings: "hồ sơ" alone must not
            # look like a perfect match for every dossier entry.
            for toks in phr_tokens[: 1 + len(entry.questions)]:
                weights = {t: self.idf.get(t, 0.0) for t in _content(toks)}
                norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
                doc.phrasings.append(_Phrasing(weights=weights, norm=norm, text=" ".join(_content(toks))))
            self.docs.append(doc)
            for t in core:
                postings[t].append((i, 1.0))
            for t in answer:
                postings[t].append((i, ANSWER_WEIGHT))
            for w in doc.accented:
                accent_postings[w].append(i)
        # Per word: the entries that have it and how much it counts there, as
        # arrays, so scoring a question is a few vector additions.
        self.postings = {
            t: (np.fromiter((i for i, _ in p), dtype=np.int32, count=len(p)),
                np.fromiter((g for _, g in p), dtype=np.float64, count=len(p)))
            for t, p in postings.items()
        }
        self.accent_postings = {w: np.asarray(p, dtype=np.int32) for w, p in accent_postings.items()}
        # Phrasings of all entries side by side (entry i owns starts[i]:starts[i+1]),
        # with word -> (phrasing, weight / phrasing norm) postings for the cosine.
        self.phrasing_texts: list[str] = []
        starts: list[int] = []
        phr_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for doc in self.docs:
            starts.append(len(self.phrasing_texts))
            for p in doc.phrasings:
                j = len(self.phrasing_texts)
                # Words pre-sorted: fuzz.ratio on these is token_sort_ratio without re-sorting per question.
                self.phrasing_texts.append(" ".join(sorted(p.text.split())))
                for t, w in p.weights.items():
                    phr_postings[t].append((j, w / p.norm))
        self.starts = np.asarray(starts, dtype=np.int64)
        self.ends = np.append(self.starts[1:], len(self.phrasing_texts))
        self._bounds = list(zip(self.starts.tolist(), self.ends.tolist(), strict=True))
        self.phr_postings = {
            t: (np.fromiter((j for j, _ in p), dtype=np.int32, count=len(p)),
                np.fromiter((w for _, w in p), dtype=np.float64, count=len(p)))
            for t, p in phr_postings.items()
        }

    def weight(self, tok: str, identifiers: frozenset[str] = frozenset()) -> float:
        known = self.idf.get(tok)
        if tok in COMMON_WORDS:
            return min(known, self.common_idf) if known is not None else self.common_idf
        if known is not None:
            return known
        if tok.isdigit() and len(tok) != 4 and tok not in identifiers:
            # A number the content lacks is a count ("cho 10 đồng chí", "(25)"), not
            # another subject; but "Kế hoạch 200" names a document the content does
            # not have, and a year it never mentions ("Luật 2022") another matter:
            # those count in full.
            return self.common_idf
        return self.unknown_idf * self.analyzer.uncovered.get(tok, 1)

    def _analyze(self, question: str) -> tuple[list[str], set[str], str]:
        """Tokens, repaired words, and the filler-free text, for one message or part of one."""
        question = drop_fillers(question)
        toks, repaired = self.analyzer.analyze_query(question)
        return toks, repaired, question

    def rank(self, question: str, limit: int = 5,
             analyzed: tuple[list[str], set[str], str] | None = None) -> tuple[list[Candidate], str]:
        toks, repaired, question = analyzed or self._analyze(question)
        content = _content(toks)
        normalized = " ".join(content)
        if not content:
            return [], normalized
        # A section the content does not have ("tiêu chí 9") is no evidence either way.
        content = [t for t in content if t[0] != SECTION_MARK or t in self.idf]
        if not content:
            return [], normalized
        identifiers = _identifiers(toks)
        weights = {t: self.weight(t, identifiers) for t in content}
        total = sum(weights.values())
        qnorm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        qbigrams = _bigrams(toks)
        qtext = " ".join(sorted(content))

        # Words the person typed with diacritics, by their folded form. A folded form
        # also typed bare ("thì" and "thi" in one message) says nothing either way.
        forms: dict[str, set[str]] = defaultdict(set)
        for w in accented_words(question):
            forms[strip_diacritics(w)].add(w)
        typed = {f: ws for f, ws in forms.items() if f not in ws}
        n = len(self.docs)
        idx_parts, gain_parts, scale = [], [], []
        for t, w in weights.items():
            posting = self.postings.get(t)
            if posting is None:
                continue
            idx, gains = posting
            w = w * REPAIRED_WEIGHT if t in repaired else w
            exact = typed.get(t)
            if exact is not None:
                has = np.zeros(n, dtype=bool)
                for form in exact:
                    has[self.accent_postings.get(form, np.empty(0, dtype=np.int32))] = True
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
            posting = self.phr_postings.get(t)
            if posting is not None:
                pidx.append(posting[0])
                pval.append(posting[1])
                pscale.append(w / qnorm)
        if pidx:
            cos = np.bincount(np.concatenate(pidx), _scaled(pval, pscale), minlength=len(self.phrasing_texts))
        else:
            cos = np.zeros(len(self.phrasing_texts))
        best_cos = np.maximum.reduceat(cos, self.starts)
        coverage = covered / total
        rough = 0.5 * coverage + 0.35 * 0.7 * best_cos
        k = min(SHORTLIST, hits)
        shortlist = np.argpartition(-rough, k - 1)[:k]

        scored: list[tuple[float, int, float]] = []
        short = shortlist.tolist()
        for i, cov_i in zip(short, coverage[shortlist].tolist(), strict=True):
            lo, hi = self._bounds[i]
            local = cos[lo:hi].tolist()
            # The string ratio rewards word order and near-misses; only the two
            # closest phrasings by cosine are worth comparing letter by letter.
            closest = sorted(range(len(local)), key=local.__getitem__, reverse=True)[:2]
            best_phr = max(0.7 * local[j] + 0.3 * fuzz.ratio(qtext, self.phrasing_texts[lo + j])
                           / 100.0 for j in closest)
            pair = len(qbigrams & self.docs[i].bigrams) / len(qbigrams) if qbigrams else cov_i
            score = 0.5 * cov_i + 0.35 * best_phr + 0.15 * pair
            scored.append((score, i, cov_i))
        scored.sort(key=lambda c: c[0], reverse=True)
        return [Candidate(entry=self.docs[i].entry, score=sc, coverage=cv) for sc, i, cv in scored[:limit]], normalized

    def windows(self, question: str) -> list[str]:
        """The message itself and, when it is long, the parts that may be the real
        question: what follows the last "cho em hỏi", the last clause or two."""
        return [text for text, _asked in self._windows(question)]

    def _windows(self, question: str) -> list[tuple[str, bool]]:
        """Like `windows`, each part marked True when an asking phrase introduced it."""
        text = unicodedata.normalize("NFC", question)
        if len(_content(tokens(text))) < LONG_QUESTION:
            return [(text, False)]
        parts = []
        asks = list(ASKING.finditer(fold_aligned(text)))
        if asks:
            parts.append((text[asks[-1].end():], True))
        clauses = [c for c in CLAUSE.split(text) if c.strip()]
        if len(clauses) > 1:
            parts.append((clauses[-1], False))
            parts.append((", ".join(clauses[-2:]), False))
        out = [(text, False)]
        for part, asked in parts:
            part = part.strip()
            if part and part not in [t for t, _ in out] and len(_content(tokens(part))) >= WINDOW_WORDS:
                out.append((part, asked))
        return out

    def match(self, question: str) -> MatchResult:
        # Parts of a long message often read the same once analysed ("cho em hỏi X"
        # and "X"): each distinct reading is scored once.
        results, seen = [], set()
        whole_weight = 0.0
        for part, asked in self._windows(question):
            analyzed = self._analyze(part)
            key = tuple(analyzed[0])
            if key in seen:
                continue
            seen.add(key)
            # A part must carry a fair share of what the message asks about (in words
            # the content knows; the rest is story): the last clause of "nâng cao chất
            # lượng đội ngũ ..., khen thưởng bằng cách nào" is not the question alone.
            weight = sum(self.idf.get(t, 0.0) for t in _content(analyzed[0]))
            if not results:
                whole_weight = weight
            elif not asked and weight < WINDOW_SHARE * whole_weight:
                continue
            results.append(self._match_one(part, analyzed))
        whole = results[0]
        rank = {"answer": 2, "clarify": 1, "fallback": 0}
        best = whole
        for r in results[1:]:
            # When the whole message is answered, a part (which may have lost the
            # subject: "HCLĐ ... Hồ sơ gồm những gì") does not overrule it.
            if whole.kind != "answer" and (rank[r.kind], r.score * WINDOW_DISCOUNT) > (rank[best.kind], best.score):
                best = r
        return self._compare(question) or best

    def _compare(self, question: str) -> MatchResult | None:
        """Both sides of a comparison, when each is answered confidently by an entry of its own."""
        text = unicodedata.normalize("NFC", question).strip().rstrip("?!. ")
        plain = fold_aligned(text)
        if "khac" not in plain and "giong" not in plain and "so sanh" not in plain:
            return None
        for pattern in COMPARISON:
            m = pattern.match(plain)
            if m is None:
                continue
            a, b = text[m.start("a"):m.end("a")], text[m.start("b"):m.end("b")]
            if max(len(a.split()), len(b.split())) > MAX_SIDE_WORDS:
                continue
            aspect = text[m.start("aspect"):m.end("aspect")] if m.group("aspect") else ""
            sides = []
            for side, other in ((a, b), (b, a)):
                # Each side must name something the content knows ("BK TTg"), not be
                # the rest of an ordinary sentence ("đơn vị khác phải làm gì").
                if self._match_one(side).kind == "fallback":
                    break
                # The aspect may follow the comparison ("... về tiêu chuẩn") or sit
                # in the longer side ("BK TTg và BK VKSTC nộp hồ sơ khác nhau").
                tail = " ".join(other.split()[len(side.split()):])
                tries = [f"{side} {aspect}"] if aspect else [side, f"{side} {tail}", f"{DEFAULT_ASPECT} {side}"]
                found = next((r for r in map(self._match_one, dict.fromkeys(t.strip() for t in tries))
                              if r.kind == "answer"), None)
                if found is None:
                    break
                sides.append(found)
            if len(sides) == 2 and sides[0].entry is not None and sides[1].entry is not None \
                    and sides[0].entry.id != sides[1].entry.id:
                first, second = sides
                return MatchResult("answer", first.entry, min(first.score, second.score), first.candidates,
                                   first.normalized, also=(second.entry,))
        return None

    def _match_one(self, question: str, analyzed: tuple[list[str], set[str], str] | None = None) -> MatchResult:
        th = self.thresholds
        ranked, normalized = self.rank(question, analyzed=analyzed)
        if not ranked:
            return MatchResult("fallback", None, 0.0, (), normalized)
        best = ranked[0]
        runner = ranked[1].score if len(ranked) > 1 else 0.0
        gap = best.score - runner
        close = tuple(c for c in ranked[:3] if best.score - c.score <= th.spread)
        # Confident: a good score, or a fair one far ahead of every other entry.
        confident = (best.score >= th.answer and best.coverage >= th.coverage) or (
            best.score >= th.lead_answer and best.coverage >= th.lead_coverage and gap >= th.lead)
        # One or two words ("HCLĐ", "bằng khen") name a subject, not a question:
        # unless one entry clearly stands out, ask which aspect is meant. A real
        # question is answered from the best entry; a close runner-up is offered
        # first among the follow-ups (MatchResult.candidates[1]).
        terse = len([t for t in tokens(question) if t not in STOPWORDS]) <= 2
        if confident and (not terse or gap >= th.terse_margin):
            return MatchResult("answer", best.entry, best.score, tuple(ranked[:3]), normalized)
        if best.score >= th.clarify and best.coverage >= th.lead_coverage:
            return MatchResult("clarify", None, best.score, close if len(close) >= 2 else tuple(ranked[:2]),
                               normalized)
        return MatchResult("fallback", None, best.score, tuple(ranked[:3]), normalized)
