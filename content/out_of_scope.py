"""Questions the Office marked "not our subject", and whether a new question is one of them.

In the console's "Chưa trả lời được" an officer marks a group of unanswered questions
"không thuộc phạm vi" (storage/content_edits.py keeps them with the content version). A
staff member asking the same question again, or a near rewording of it, gets the usual
fallback ("Hỏi Văn phòng") rather than a wrong entry or a choice among wrong entries.

The test is deliberately conservative: it compares the questions' content words (folded,
without the words every question has: "cho em hỏi", "thế nào", "ạ": lexicon.yaml's
`out_of_scope`) and declines only when they are nearly the same set, or the same words
with a typo. A question that only shares a part with an example ("thi đua ra sao" beside
"bánh chưng xanh thi đua ra sao") is not declined: it may well be ours.
"""

from __future__ import annotations

from collections import Counter

from pydantic import Field
from rapidfuzz import fuzz

from content.lexicon import Lexicon, default_lexicon
from content.normalize import fold, tokens
from content.schema import Strict

OUT_OF_SCOPE_FILE = "out_of_scope.yaml"

MIN_SHARED = 3  # content words both share, at least: shorter examples only catch themselves
MIN_OVERLAP = 0.8  # shared / all content words of the two (one word more or less in five)
MAX_DIFFERENT = 2  # content words only one of the two has, at most, however long they are
MIN_SPELLING = 92  # rapidfuzz ratio of the sorted content words: the same words with a typo


class OutOfScopeFile(Strict):
    """Messages staff send that the plans do not answer (content/out_of_scope.yaml). The learned
    ranker (content/ranker.py) learns them as one more class beside the entries, with the questions
    the Office marks "không thuộc phạm vi": a message like them is declined rather than answered
    from the nearest entry."""

    examples: list[str] = Field(default_factory=list)


def file_problems(data: OutOfScopeFile) -> list[str]:
    """What `content check` says of the file, in Vietnamese: the Office edits it."""
    out, seen = [], set()
    for i, text in enumerate(data.examples):
        key = fold(text)
        if not key:
            out.append(f"examples[{i}]: câu trống")
        elif key in seen:
            out.append(f"examples[{i}]: trùng một câu ở trên: {text!r}")
        seen.add(key)
    return out


def content_words(text: str, fillers: frozenset[str]) -> list[str]:
    return [t for t in tokens(text) if t not in fillers]


def _numbers(words: set[str]) -> set[str]:
    """The words with a digit ("01/2019/tt-vkstc", "2020"), as written."""
    return {w for w in words if any(c.isdigit() for c in w)}


class OutOfScope:
    """The examples of one content version; `example_for` is pure and cheap (a few hundred examples).
    The words it leaves out and the negations are the lexicon's (lexicon.yaml `out_of_scope`;
    the shipped one by default)."""

    def __init__(self, examples: tuple[str, ...] | list[str], lexicon: Lexicon | None = None):
        lexicon = lexicon or default_lexicon()
        self.fillers, self.negations = lexicon.scope_fillers, lexicon.scope_negations
        self.examples = [(e, words) for e in examples if (words := content_words(e, self.fillers))]
        # Which examples a question can be near: those sharing a word with it, and those of as many
        # words (a typo changes letters, not the number of words). Hundreds of examples
        # (content/out_of_scope.yaml) are then not all compared with every message.
        self._with_word: dict[str, list[int]] = {}
        self._of_length: dict[int, list[int]] = {}
        # What each comparison reads of an example, read once: every message is compared with dozens.
        self._read = [(set(words), bool(set(words) & self.negations), _numbers(set(words)), " ".join(sorted(words)))
                      for _, words in self.examples]
        for i, (_, words) in enumerate(self.examples):
            for w in set(words):
                self._with_word.setdefault(w, []).append(i)
            self._of_length.setdefault(len(words), []).append(i)

    def __bool__(self) -> bool:
        return bool(self.examples)

    def example_for(self, question: str) -> str | None:
        """The recorded example `question` is (nearly) the same as, if any."""
        if not self.examples:
            return None
        asked = content_words(question, self.fillers)
        if not asked:
            return None
        asked_set, asked_sorted = set(asked), " ".join(sorted(asked))
        negated, numbers = bool(asked_set & self.negations), _numbers(asked_set)
        # Sharing as many words as the rules below need: all of the question's, or MIN_SHARED and all
        # but MAX_DIFFERENT of them.
        need = min(len(asked_set), max(MIN_SHARED, len(asked_set) - MAX_DIFFERENT))
        shared_words = Counter(i for w in asked_set for i in self._with_word.get(w, ()))
        near = {i for i, n in shared_words.items() if n >= need}
        near.update(self._of_length.get(len(asked), ()))
        for i in sorted(near):  # in the examples' order, as the first near one is named
            example, words = self.examples[i]
            mine, their_negation, their_numbers, theirs = self._read[i]
            # "Thông tư 01/2019" is not "Thông tư 01/2020": numbers are the question's subject.
            if their_negation != negated or their_numbers != numbers:
                continue
            shared, both = len(asked_set & mine), len(asked_set | mine)
            if shared == both or (shared >= MIN_SHARED and shared / both >= MIN_OVERLAP
                                  and both - shared <= MAX_DIFFERENT):
                return example
            # A typo changes letters, not the number of words.
            if len(asked) == len(words) and min(len(asked_sorted), len(theirs)) >= 12 \
                    and fuzz.ratio(asked_sorted, theirs) >= MIN_SPELLING:
                return example
        return None
