"""Knowledge of the language and the domain that the matcher needs, read from
content/lexicon.yaml so that the Office can see and correct it.

`LexiconFile` is the file as written (words with or without diacritics);
`Lexicon` is the same lists folded the way the matcher compares words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import Field

from content.normalize import fold, strip_diacritics, tokens
from content.schema import Strict
from content.yaml_reader import yaml_load

LEXICON_FILE = "lexicon.yaml"


class Comparison(Strict):
    """How a comparison of two things is said (words; the grammar is content/longtext.py's)."""

    endings: list[str] = []  # may close it: "thế nào", "gì", "ạ"
    asks: list[str] = []  # must follow "A khác B" for it to be one: "thế nào", "chỗ nào"
    aspect_words: list[str] = []  # open the aspect compared: "về" (tiêu chuẩn)


class OutOfScopeWords(Strict):
    """The words content/out_of_scope.py weighs apart when it compares a question with the
    examples the Office marked "not our subject" (compared folded: "là" also stands for "la")."""

    # Say "this is a question" or are politeness, not its subject. Only words with no other
    # meaning once folded: not "hỏi" ("hội thao" folds to it), nor "không" (a negation, below).
    fillers: list[str] = ["à", "ạ", "ah", "ak", "ad", "admin", "bot", "các", "cho", "của", "đã", "dc", "được",
                          "giúp", "kia", "là", "lòng", "một", "nha", "nhé", "nhỉ", "những", "ơi", "rồi", "sẽ", "và",
                          "vậy", "với", "vui", "em", "anh", "nào", "sao", "gì", "như", "thế", "ra", "xin", "hả"]
    # One question negated and the other not are never the same question.
    negations: list[str] = ["không", "ko", "k", "chưa", "chẳng"]


class LexiconFile(Strict):
    stopwords: list[str] = Field(min_length=1)
    common_words: list[str] = []
    everyday_words: list[str] = []
    polite_phrases: list[str] = []
    asking_phrases: list[str] = []
    asking_words: list[str] = []
    continuations: list[str] = []
    section_heads: dict[str, str] = {}
    document_words: list[str] = []
    fillers: list[str] = []
    default_aspect: str = Field(min_length=1)
    comparison: Comparison = Comparison()
    shorthand: dict[str, list[str]] = {}
    out_of_scope: OutOfScopeWords = OutOfScopeWords()


def problems(lex: LexiconFile) -> list[str]:
    """What `content check` reports about the lists, beyond their shape."""
    out = []
    for name in ("stopwords", "common_words", "everyday_words", "document_words"):
        for word in getattr(lex, name):
            if len(tokens(word)) != 1:
                out.append(f"{name}: {word!r} must be one word")
    for name in ("fillers", "negations"):
        for word in getattr(lex.out_of_scope, name):
            if len(tokens(word)) != 1:
                out.append(f"out_of_scope.{name}: {word!r} must be one word")
    for name in ("polite_phrases", "asking_phrases", "asking_words", "continuations"):
        for phrase in getattr(lex, name):
            if not tokens(phrase):
                out.append(f"{name}: {phrase!r} has no words")
    for head, token in lex.section_heads.items():
        if not tokens(head):
            out.append(f"section_heads: {head!r} has no words")
        if not re.fullmatch(r"[a-z]+(?:-[a-z]+)*", token):
            out.append(f"section_heads: {head!r}: {token!r} must be lowercase ASCII words joined by '-'")
    for name in ("endings", "asks", "aspect_words"):
        for phrase in getattr(lex.comparison, name):
            if not tokens(phrase):
                out.append(f"comparison.{name}: {phrase!r} has no words")
    for full, shorts in lex.shorthand.items():
        if not tokens(full):
            out.append(f"shorthand: {full!r} has no words")
        for short in shorts:
            if len(tokens(short)) != 1:
                out.append(f"shorthand: {full!r}: {short!r} must be one word")
    if not tokens(lex.default_aspect):
        out.append("default_aspect: has no words")
    return out


def filler_pattern(fillers: list[str]) -> re.Pattern[str]:
    """Fillers matched as typed, with their diacritics, longest first."""
    words = sorted({unicodedata.normalize("NFC", f).lower().strip() for f in fillers if f.strip()}, key=len,
                   reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)") if words else re.compile(r"(?!)")


MAX_SPELLINGS = 32  # of one phrase: "có được không ạ" has a dozen, none needs more


def spellings(phrase: str, shorthand: dict[tuple[str, ...], tuple[str, ...]]) -> list[str]:
    """The phrase, folded, as written in full and with its words typed short ("không
    biết" -> "khong biet", "ko biet", "k biet"...)."""
    words = tuple(tokens(phrase))
    out = {" ".join(words)}
    frontier = [words]
    while frontier and len(out) < MAX_SPELLINGS:
        current = frontier.pop()
        for full, shorts in shorthand.items():
            n = len(full)
            for i in range(len(current) - n + 1):
                if current[i:i + n] == full:
                    for short in shorts:
                        variant = (*current[:i], short, *current[i + n:])
                        text = " ".join(variant)
                        if text not in out and len(out) < MAX_SPELLINGS:
                            out.add(text)
                            frontier.append(variant)
    return sorted(out, key=len, reverse=True)


def _words(items: list[str]) -> frozenset[str]:
    return frozenset(w for item in items for w in tokens(item))


@dataclass(frozen=True)
class Lexicon:
    stopwords: frozenset[str]
    common: frozenset[str]
    everyday: frozenset[str]  # includes `common`
    polite: tuple[tuple[str, ...], ...]
    asking: re.Pattern[str]  # on folded text
    continuation: re.Pattern[str]  # at the start of a folded clause
    section_heads: dict[tuple[str, ...], str]
    section_first: frozenset[str]
    document_words: frozenset[str]
    default_aspect: str
    fillers: re.Pattern[str]  # on lowercase text with its diacritics
    # A comparison's endings, asks and aspect words, folded (content/longtext.py builds its patterns).
    comparison: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())
    # Generic words of asking ("nội dung nào", "có đúng không"), as written: content/second_opinion.py.
    asking_words: tuple[str, ...] = ()
    # Words of asking as typed short ("ko" for "không"), folded: full words -> short forms.
    shorthand: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    # The words content/out_of_scope.py leaves out of a question, and its negations, folded.
    scope_fillers: frozenset[str] = frozenset()
    scope_negations: frozenset[str] = frozenset()

    def spellings(self, phrases: list[str]) -> list[str]:
        """The phrases, folded, in full and typed short, longest first."""
        return sorted({s for p in phrases for s in spellings(p, self.shorthand)}, key=len, reverse=True)

    @classmethod
    def of(cls, lex: LexiconFile) -> Lexicon:
        common = _words(lex.common_words)
        heads = {tuple(tokens(h)): token for h, token in lex.section_heads.items()}
        shorthand = {tuple(tokens(full)): tuple(dict.fromkeys(fold(s) for s in shorts if fold(s)))
                     for full, shorts in lex.shorthand.items() if tokens(full)}
        # Longest phrase first, so that "cho em hỏi" is taken whole rather than as "cho ... hỏi".
        asking = sorted({s for p in lex.asking_phrases for s in spellings(p, shorthand)}, key=len, reverse=True)
        joins = sorted({s for p in lex.continuations for s in spellings(p, shorthand)}, key=len, reverse=True)
        return cls(
            stopwords=_words(lex.stopwords),
            common=common,
            everyday=common | _words(lex.everyday_words),
            polite=tuple(tuple(tokens(p)) for p in lex.polite_phrases if tokens(p)),
            asking=re.compile(r"\b(?:" + "|".join(map(re.escape, asking)) + r")\b") if asking else re.compile(r"(?!)"),
            continuation=re.compile(r"\s*(?:" + "|".join(map(re.escape, joins)) + r")\b") if joins
            else re.compile(r"(?!)"),
            section_heads=heads,
            section_first=frozenset(h[0] for h in heads),
            document_words=_words(lex.document_words),
            default_aspect=lex.default_aspect,
            fillers=filler_pattern(lex.fillers),
            comparison=tuple(tuple(dict.fromkeys(fold(p) for p in getattr(lex.comparison, name) if fold(p)))
                             for name in ("endings", "asks", "aspect_words")),  # type: ignore[arg-type]
            asking_words=tuple(lex.asking_words),
            shorthand=shorthand,
            scope_fillers=_words(lex.out_of_scope.fillers),
            scope_negations=_words(lex.out_of_scope.negations),
        )


def read(path: Path) -> LexiconFile:
    """The file parsed and validated; raises OSError, yaml.YAMLError or pydantic's ValidationError."""
    return LexiconFile.model_validate(yaml_load(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The lexicon shipped beside this module, for an analyzer built without a knowledge base."""
    return Lexicon.of(read(Path(__file__).resolve().parent / LEXICON_FILE))


_ANH_RE = re.compile(r"(?<!\w)anh(?!\w)")


def drop_fillers(text: str, fillers: re.Pattern[str] | None = None) -> str:
    """The text without the pronouns and particles that only pad a question
    (`fillers`: the shipped lexicon's, content/lexicon.yaml, by default). Matched as typed,
    with their diacritics, so "mình" goes and "minh" (as in "minh bạch") stays;
    "anh" goes only from a message typed with diacritics, where "ảnh" would have
    been written as such."""
    text = unicodedata.normalize("NFC", text).lower()
    accented = strip_diacritics(text) != text
    if not accented:
        return text
    if fillers is None:
        fillers = default_lexicon().fillers
    return _ANH_RE.sub(" ", fillers.sub(" ", text))
