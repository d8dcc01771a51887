"""Messages that are more than one plain question: a long message whose real
question follows some context ("..., cho em hỏi X"), and a comparison of two
things ("HCLĐ với BK TTg khác nhau thế nào") answered one side at a time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from content.index import content_words
from content.lexicon import Lexicon
from content.match_result import MatchResult
from content.normalize import fold_aligned, tokens

CLAUSE = re.compile(r"[,.;!?\n]+")
LONG_QUESTION = 10  # content words; a message this long may carry context before its question
WINDOW_WORDS = 4  # a part of it must have this many to be matched on its own



def _either(words: tuple[str, ...]) -> str:
    return "(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + ")" if words else "(?!)"


@lru_cache(maxsize=8)
def comparisons(words: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]) -> tuple[re.Pattern[str], ...]:
    """"A với B khác nhau thế nào (về X)", "A khác B chỗ nào", "so sánh A và B (về X)",
    matched on the folded text; the sides are then asked about one by one. The words
    that may end it, the questions "A khác B" needs and the words opening an aspect
    are lexicon.yaml's `comparison`."""
    endings, asks, aspect_words = words
    aspect = r"(?:\s+" + _either(aspect_words) + r"\s+(?P<aspect>.+?))?"
    ending = r"(?:\s+" + _either(endings) + ")*"
    return (
        re.compile(r"^(?:so sanh\s+)?(?P<a>.+?)\s+(?:voi|va|vs|so voi)\s+(?P<b>.+?)\s+(?:co\s+)?(?:gi\s+)?"
                   r"(?:khac nhau|giong nhau|khac|giong)" + ending + aspect + ending + r"$"),
        # "A khác B" alone is also "đơn vị khác ..." (other units): it needs "khác gì",
        # "khác với", or a question such as "thế nào", "chỗ nào" after B.
        re.compile(r"^(?P<a>.+?)\s+(?:khac gi so voi|khac gi voi|khac gi|khac voi|khac so voi)\s+(?P<b>.+?)"
                   + ending + aspect + ending + r"$"),
        re.compile(r"^(?P<a>.+?)\s+khac\s+(?P<b>.+?)\s+" + _either(asks) + ending + aspect + ending + r"$"),
        re.compile(r"^so sanh\s+(?P<a>.+?)\s+(?:voi|va)\s+(?P<b>.+?)" + aspect + ending + r"$"),
    )
MAX_SIDE_WORDS = 8  # a side names a thing ("Bằng khen Thủ tướng"); longer is an ordinary sentence


def windows(question: str, lexicon: Lexicon) -> list[tuple[str, bool]]:
    """The message itself and, when it is long, the parts that may be the real
    question: what follows the last "cho em hỏi", the last clause or two. Each
    part is marked True when an asking phrase introduced it."""
    text = unicodedata.normalize("NFC", question)
    stop = lexicon.stopwords
    if len(content_words(tokens(text), stop)) < LONG_QUESTION:
        return [(text, False)]
    parts = []
    # The last asking phrase that still has a question after it: "nhờ anh chị chỉ giúp"
    # may open the question or only close the message.
    asks = [m for m in lexicon.asking.finditer(fold_aligned(text))
            if len(content_words(tokens(text[m.end():]), stop)) >= WINDOW_WORDS]
    if asks:
        parts.append((text[asks[-1].end():], True))
    clauses = [c for c in CLAUSE.split(text) if c.strip()]
    if len(clauses) > 1:
        # A last clause opening with "và", "rồi" asks more about what the clause before
        # it spoke of ("chế độ nghỉ ..., và phải nộp giấy tờ gì"): never a question alone.
        if not lexicon.continuation.match(fold_aligned(clauses[-1])):
            parts.append((clauses[-1], False))
        parts.append((", ".join(clauses[-2:]), False))
    out = [(text, False)]
    for part, asked in parts:
        part = part.strip()
        if part and part not in [t for t, _ in out] and len(content_words(tokens(part), stop)) >= WINDOW_WORDS:
            out.append((part, asked))
    return out


def compare(question: str, match_one: Callable[[str], MatchResult], lexicon: Lexicon) -> MatchResult | None:
    """Both sides of a comparison, when each is answered confidently by an entry of its own."""
    text = unicodedata.normalize("NFC", question).strip().rstrip("?!. ")
    plain = fold_aligned(text)
    if "khac" not in plain and "giong" not in plain and "so sanh" not in plain:
        return None
    default_aspect = lexicon.default_aspect
    for pattern in comparisons(lexicon.comparison):
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
            if match_one(side).kind == "fallback":
                break
            # The aspect may follow the comparison ("... về tiêu chuẩn") or sit
            # in the longer side ("BK TTg và BK VKSTC nộp hồ sơ khác nhau").
            tail = " ".join(other.split()[len(side.split()):])
            tries = [f"{side} {aspect}"] if aspect else [side, f"{side} {tail}", f"{default_aspect} {side}"]
            found = next((r for r in map(match_one, dict.fromkeys(t.strip() for t in tries))
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
