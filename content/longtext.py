"""Messages that are more than one plain question: a long message whose real
question follows some context ("..., cho em hỏi X"), and a comparison of two
things ("HCLĐ với BK TTg khác nhau thế nào") answered one side at a time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING

from content.index import content_words
from content.lexicon import Lexicon
from content.normalize import fold_aligned, tokens

if TYPE_CHECKING:
    from content.matcher import MatchResult

CLAUSE = re.compile(r"[,.;!?\n]+")
LONG_QUESTION = 10  # content words; a message this long may carry context before its question
WINDOW_WORDS = 4  # a part of it must have this many to be matched on its own

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


def windows(question: str, lexicon: Lexicon) -> list[tuple[str, bool]]:
    """The message itself and, when it is long, the parts that may be the real
    question: what follows the last "cho em hỏi", the last clause or two. Each
    part is marked True when an asking phrase introduced it."""
    text = unicodedata.normalize("NFC", question)
    stop = lexicon.stopwords
    if len(content_words(tokens(text), stop)) < LONG_QUESTION:
        return [(text, False)]
    parts = []
    asks = list(lexicon.asking.finditer(fold_aligned(text)))
    if asks:
        parts.append((text[asks[-1].end():], True))
    clauses = [c for c in CLAUSE.split(text) if c.strip()]
    if len(clauses) > 1:
        parts.append((clauses[-1], False))
        parts.append((", ".join(clauses[-2:]), False))
    out = [(text, False)]
    for part, asked in parts:
        part = part.strip()
        if part and part not in [t for t, _ in out] and len(content_words(tokens(part), stop)) >= WINDOW_WORDS:
            out.append((part, asked))
    return out


def compare(question: str, match_one: Callable[[str], MatchResult], default_aspect: str) -> MatchResult | None:
    """Both sides of a comparison, when each is answered confidently by an entry of its own."""
    from content.matcher import MatchResult

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
