"""Reading a text the way the index is built: fold, expand abbreviations,
rewrite synonyms to one canonical phrase, mark terms the content does not
cover, and (for questions) repair typos first.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict

from content.concepts import Concepts
from content.lexicon import Lexicon, default_lexicon
from content.normalize import accented_word_list, same_spelling, strip_diacritics, tokens
from content.schema import SynonymFile
from content.spelling import Speller

SECTION_NUMBER = re.compile(r"(?:\d+|[ivx]+)(?:\.\d+)*")
SECTION_MARK = "§"
UNCOVERED_MARK = "~"  # starts the one word a `not_covered` term becomes


def names_uncovered(toks) -> bool:  # noqa: ANN001 - any iterable of analysed words
    """Whether analysed words hold a term the content deliberately does not cover."""
    return any(t.startswith(UNCOVERED_MARK) for t in toks)
YEARS_IN = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{4}")


class PhraseTable:
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
        lengths, phrases = self.lengths, self.phrases
        i, end = 0, len(toks)
        # match_at inlined: this loop runs over every word of every entry at start-up.
        while i < end:
            tok = toks[i]
            for n in lengths.get(tok, ()):
                canon = phrases.get(toks[i:i + n]) if i + n <= end else None
                if canon is not None and canon not in skip:
                    out.extend(canon)
                    i += n
                    break
            else:
                out.append(tok)
                i += 1
        return out

    def positions(self, toks: tuple[str, ...]) -> set[int]:
        """Indexes of the words that are part of some phrase."""
        out: set[int] = set()
        for i in range(len(toks)):
            found = self.match_at(toks, i)
            if found is not None:
                out.update(range(i, i + found[0]))
        return out


def norm_token(tok: str) -> str:
    if tok.isdigit():
        return tok.lstrip("0") or "0"
    # "ký"/"kí", "lý"/"lí", "mỹ"/"mĩ": Vietnamese writes a final i or y after
    # a consonant either way.
    if len(tok) >= 2 and tok[-1] == "y" and tok[-2] in "bcdghklmnpqrstvx":
        return tok[:-1] + "i"
    return tok


_REMEMBERED_QUERIES = 4096
_REMEMBERED_TEXTS = 50_000  # every text of a few thousand entries


class Analyzer:
    """Folding plus the domain's abbreviations, synonyms, uncovered terms and typo repair."""

    def __init__(self, synonyms: SynonymFile, lexicon: Lexicon | None = None, concepts: Concepts | None = None,
                 words_memo: dict[tuple[str, ...], tuple[str, ...]] | None = None):
        """`words_memo`: what `analyze_words` found, shared by analyzers of the same word lists
        (content/matcher.py): a reload reads every entry's texts again."""
        self._words = {} if words_memo is None else words_memo
        self.lexicon = lexicon = lexicon or default_lexicon()
        self.concepts = concepts or Concepts()
        self.speller = Speller()
        # A message is read several ways (whole, by sentence, as a follow-up), each asking
        # for the same texts again: the last few thousand are remembered.
        self._queries = functools.lru_cache(maxsize=_REMEMBERED_QUERIES)(self._analyze_query)
        self.abbreviations: dict[str, tuple[str, ...]] = {}
        for abbr, expansion in synonyms.abbreviations.items():
            key = tuple(norm_token(t) for t in tokens(abbr))
            if len(key) == 1:
                self.abbreviations[key[0]] = tuple(norm_token(t) for t in tokens(expansion))
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
                token = UNCOVERED_MARK + "-".join(words)
                uncovered_phrases[words] = (token,)
                self.uncovered[token] = len(words)
                spelled = tuple(accented_word_list(term))
                folded = tuple(strip_diacritics(w) for w in spelled)
                if folded:
                    self._uncovered_spelled[folded[0]].append((folded, spelled, token))
        self._uncovered_pass = PhraseTable(uncovered_phrases)
        for phrase in lexicon.polite:
            self.phrases.setdefault(phrase, ())
        for phrase in synonyms.context:
            words = self._expand(tokens(phrase))
            if words:
                self.phrases[words] = ()
        self._synonym_pass = PhraseTable(self.phrases)
        compounds = {}
        for phrase in synonyms.compounds:
            words = self._expand(tokens(phrase))
            if len(words) > 1:
                compounds[words] = ("_".join(words),)
        self._compound_pass = PhraseTable(compounds)

    @property
    def vocabulary(self) -> set[str]:
        return self.speller.vocabulary

    def learn(self, frequency: dict[str, int], pairs: set[tuple[str, str]] | None = None) -> None:
        self.speller.learn(frequency, pairs)
        self._queries.cache_clear()  # the repairs depend on what was learned

    def analyze_query(self, text: str) -> tuple[list[str], set[str]]:
        """Like `analyze`, repairing typos first; also returns the repaired words (copies of
        what is remembered)."""
        toks, fixed = self._queries(text)
        return list(toks), set(fixed)

    def _expand(self, toks: list[str]) -> tuple[str, ...]:
        out: list[str] = []
        for tok in toks:
            tok = norm_token(tok)
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
                    part = norm_token(part)
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
        return out + self._sections(out)

    def _sections(self, toks: list[str]) -> list[str]:
        """Section tokens ("§giai-phap-7") for each heading followed by a number."""
        heads, first = self.lexicon.section_heads, self.lexicon.section_first
        out = []
        for i, tok in enumerate(toks):
            if tok not in first:
                continue
            for length in (2, 1):
                head = heads.get(tuple(toks[i:i + length]))
                if head is not None and i + length < len(toks) and SECTION_NUMBER.fullmatch(toks[i + length]):
                    out.append(f"{SECTION_MARK}{head}-{toks[i + length]}")
                    break
        return out

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
        return self.analyze_words(tokens(text))

    def analyze_words(self, words: list[str]) -> list[str]:
        """`analyze` for a text already split into folded words."""
        key = tuple(words)
        found = self._words.get(key)
        if found is None:
            found = tuple(self._rewrite(self._expand(words)))
            if len(self._words) < _REMEMBERED_TEXTS:  # full: a larger base than that is analysed afresh
                self._words[key] = found
        return list(found)

    def _analyze_query(self, text: str) -> tuple[tuple[str, ...], frozenset[str]]:
        raw = tokens(text)
        fixed: set[str] = set()
        if self.speller.vocabulary:
            # Words of a term the content does not cover are no typos of words it
            # does: "anh hung lao dong" must not become "anh huong lao dong".
            keep = self._uncovered_pass.positions(tuple(norm_token(t) for t in raw))
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
                parts = self.speller.split(t, self.abbreviations)
                if len(parts) > 1:
                    fixed.update(parts)
                repaired.extend(parts)
            raw = repaired
        expanded = self._expand(raw)
        return tuple(self._rewrite(expanded, self.contradicted_terms(text)) + self._concepts(expanded)), frozenset(fixed)

    def _concepts(self, words: tuple[str, ...]) -> list[str]:
        """The plan's terms the question's situations point to (content/concepts.py), analysed,
        added after its own words: "làm clip đăng facebook" also asks about "tuyên truyền"."""
        if not self.concepts:
            return []
        out: list[str] = []
        for means in self.concepts.named(words):
            out.extend(self._rewrite(self._expand(tokens(means))))
        return out

    def _correct(self, tok: str, prev: str | None, nxt: str | None) -> str:
        norm = norm_token(tok)
        lex = self.lexicon
        if norm in self.abbreviations or norm in lex.stopwords or norm in lex.everyday:
            return tok  # words of their own, never slips
        return self.speller.correct(tok, norm, prev, nxt)
