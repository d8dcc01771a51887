"""Text folding shared by the matcher and the question log.

Staff type with or without diacritics, with abbreviations and typos; the
matcher compares everything in one folded, lowercase, unaccented form.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# A token keeps inner "/" and "-" so document numbers ("01/2019/tt-vkstc",
# "19/ct-ttg", "covid-19") survive as one unit; their parts are indexed too.
TOKEN_RE = re.compile(r"[a-z0-9]+(?:[/\-.][a-z0-9]+)*")


class _DiacriticsTable(dict):
    """Each character that carries a mark, mapped to its base letters; the
    combining marks themselves to nothing. One str.translate per text is several
    times faster than decomposing it character by character on every question.
    Filled as characters are met (a handful of Vietnamese letters in practice)
    rather than for the whole BMP at import, which cost a noticeable part of
    every start."""

    def __missing__(self, cp: int) -> str | None:
        ch = chr(cp)
        if unicodedata.category(ch) == "Mn":
            value: str | None = None
        elif ch in "đĐ":
            value = "d" if ch == "đ" else "D"
        else:
            decomposed = unicodedata.normalize("NFD", ch)
            value = "".join(c for c in decomposed if unicodedata.category(c) != "Mn") if decomposed != ch else ch
        self[cp] = value
        return value


_DIACRITICS = _DiacriticsTable()


def strip_diacritics(text: str) -> str:
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text).translate(_DIACRITICS)


# Remembered: the content's texts are folded again on every reload (each save of the
# Office's, on every instance) and by several readers of each; a few MB at most.
@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lowercase, remove diacritics (đ -> d), collapse punctuation to spaces."""
    text = strip_diacritics(unicodedata.normalize("NFC", text).lower())
    return " ".join(TOKEN_RE.findall(text))


def tokens(text: str) -> list[str]:
    return TOKEN_RE.findall(strip_diacritics(unicodedata.normalize("NFC", text).lower()))


WORD_RE = re.compile(r"\w+", re.UNICODE)


def accented_words(text: str) -> set[str]:
    """Lowercase words as written, diacritics kept."""
    return set(accented_word_list(text))


def accented_word_list(text: str) -> list[str]:
    """Lowercase words as written, diacritics kept, in order."""
    return WORD_RE.findall(unicodedata.normalize("NFC", text).lower())


_FINAL_Y = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")


def same_spelling(typed: str, written: str) -> bool:
    """Whether two accented words are one word, allowing a final i for y ("kí"/"ký")."""
    if typed == written:
        return True
    return len(typed) >= 2 and len(written) == len(typed) and typed[:-1] == written[:-1] \
        and typed[-1].translate(_FINAL_Y) == written[-1].translate(_FINAL_Y)


def has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


class _AlignedTable(dict):
    """Each character to the one character `fold_aligned` puts in its place, filled as met."""

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        value = "d" if ch in "đĐ" else unicodedata.normalize("NFD", ch)[0]
        self[cp] = value
        return value


_ALIGNED = _AlignedTable()


def fold_aligned(text: str) -> str:
    """Like `fold` (lowercase, no diacritics, đ → d) but one character for each
    character of `text`, so a position found in the result is a position in `text`."""
    return text.lower().translate(_ALIGNED)
