"""A long name spelt out once per reply.

Answers introduce an abbreviation the way the plans do, "Viện kiểm sát nhân dân
tối cao (VKSND tối cao)". Each answer does so on its own, so a reply built of
several texts (an answer and its note, two answers of a comparison, the
answers to several questions) would spell the same name out again and again.
`once` keeps the first expansion of each abbreviation and shortens the later
ones to the abbreviation alone.

An expansion is recognised by its shape, not by a list: the capitals of the
abbreviation are the initials of the name's first words, and the words after
them begin the rest of the name ("Viện kiểm sát nhân dân tỉnh Tây Ninh (VKSND
tỉnh)", "Kiểm sát nhân dân (KSND)").
"""

from __future__ import annotations

import re
import unicodedata

# "(VKSND tối cao)": two or more capitals, then at most three words.
_ABBREVIATION = re.compile(r" \((?P<caps>[A-ZĐ]{2,})(?P<tail>(?: [^\s()]+){0,3})\)")
MAX_REST = 4  # words of the name after those the capitals stand for


def _initial(word: str) -> str:
    return unicodedata.normalize("NFD", word[:1])[:1].upper()


def _name_before(text: str, end: int, caps: str, tail: list[str]) -> int | None:
    """Where the name the abbreviation stands for starts, if the words before `end` are one."""
    words = list(re.finditer(r"[^\s()]+", text[:end]))
    for rest in range(len(tail), MAX_REST + 1):
        first = len(words) - rest - len(caps)
        if first < 0:
            return None
        named = words[first:first + len(caps)]
        after = [w.group() for w in words[first + len(caps):]]
        if "".join(_initial(w.group()) for w in named) == caps and after[:len(tail)] == tail:
            return named[0].start()
    return None


def once(texts: list[str]) -> list[str]:
    """The texts, read in order as one reply, with each abbreviation spelt out only
    the first time: later "Viện kiểm sát nhân dân tối cao (VKSND tối cao)" become
    "VKSND tối cao"."""
    seen: set[str] = set()
    out = []
    for text in texts:
        pieces, last = [], 0
        for m in _ABBREVIATION.finditer(text):
            caps, tail = m.group("caps"), m.group("tail").split()
            start = _name_before(text, m.start(), caps, tail)
            if start is None or start < last:
                continue
            abbreviation = " ".join([caps, *tail])
            if abbreviation in seen:
                pieces += [text[last:start], abbreviation]
                last = m.end()
            seen.add(abbreviation)
        out.append("".join(pieces) + text[last:])
    return out
