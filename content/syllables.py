"""Whether a folded (unaccented) string can be one Vietnamese syllable.

Typo repair treats the two cases differently: "bên" or "nhiệt" typed without
accents are real words the content merely lacks and stay as typed unless the
next or previous word shows what was meant, while "tuog", "dih" or "chuonh"
can only be slips.
"""

from __future__ import annotations

import re

_INITIALS = "ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x"
# Vowel groups that end in a glide (ai, ao, êu, ươi...) take no final consonant.
_OPEN = "ai ao au ay eo eu iu oi ui uu ieu yeu uoi uou oai oay uay oao oeo uyu ia ua uya".split()
# The other vowel groups, with the final consonants each can take.
_CLOSED = {
    "a": "c ch m n ng nh p t", "e": "c ch m n ng nh p t", "i": "ch m n nh p t", "y": "",
    "o": "c m n ng p t", "u": "c m n ng p t", "oo": "c ng", "oa": "c ch m n ng nh p t",
    "oe": "n t", "ue": "ch n nh t", "uy": "ch n nh p t", "uye": "n t", "ie": "c m n ng p t",
    "ye": "m n ng t", "uo": "c i m n ng p t", "ua": "c n ng t",
}


def _pattern() -> re.Pattern[str]:
    rhymes = list(_OPEN) + list(_CLOSED)
    for nucleus, finals in _CLOSED.items():
        rhymes.extend(nucleus + f for f in finals.split())
    alternatives = "|".join(sorted(set(rhymes), key=len, reverse=True))
    return re.compile(rf"^(?:{_INITIALS})?(?:{alternatives})$")


_SYLLABLE = _pattern()


def is_syllable(word: str) -> bool:
    return bool(_SYLLABLE.match(word))
