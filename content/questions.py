"""Whether a text asks something: the one question detector.

Vietnamese marks a question with a question word more than with "?", so the words
decide: question words and asking statements (content/dialogue.yaml), asking
phrases (content/lexicon.yaml: "cho em hỏi"), and the endings that make a line a
question (content/report_form.yaml: "... là gì", "... không ạ"). Four readings, for
four uses, all here so that they cannot drift apart:

- `is_question`: does this sentence ask (splitting a message into its questions,
  finding where the question of a long message starts);
- `asks_surely`: does it ask even without "?" and whatever else it says (a sentence
  closed by a full stop asks only by the surest signs);
- `typed_as_question`: a line typed where a form's step expects an answer (a name, a
  story) is a question only by the plainest signs: "?", an ending that asks, or an
  asking phrase opening it. A story may well contain a question word;
- `asks_by_word`: does it ask by a "?" or a question word, not by an asking phrase or
  statement alone (which part of a message split in several is its real question).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from content.normalize import fold, fold_aligned, strip_diacritics


def ends_with_question_mark(text: str) -> bool:
    return text.rstrip().endswith("?")


def phrase_re(phrases: list[str], spell: Callable[[list[str]], list[str]] | None = None) -> re.Pattern[str] | None:
    """The phrases, folded, as whole words, longest first; `spell` adds the ways they are
    typed short (Lexicon.spellings: "ko biết" for "không biết")."""
    folded = spell(phrases) if spell is not None else sorted({fold(p) for p in phrases if fold(p)}, key=len,
                                                               reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, folded)) + r")\b") if folded else None


def _as_written(word: str) -> str:
    return unicodedata.normalize("NFC", word).lower().strip()


def written_re(words: list[str], spell: Callable[[list[str]], list[str]] | None = None) -> re.Pattern[str] | None:
    """The words as written (with their diacritics), and their short forms, which have none."""
    written = {_as_written(w) for w in words}
    if spell is not None:
        written |= {s for s in spell(words) if s not in {fold(w) for w in words}}
    ordered = sorted(written, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, ordered)) + r")(?!\w)") if ordered else None


class Questions:
    def __init__(self, question_words: list[str], asking: re.Pattern[str],
                 spell: Callable[[list[str]], list[str]] | None = None,
                 final: tuple[list[str], list[str]] = ([], []), weak: list[str] = (),
                 statements: list[str] = (), never: tuple[list[str], list[str]] = ([], []),
                 endings: list[str] = (), openings: list[str] = ()):
        self.asking = asking  # asking phrases with their short spellings, on folded text
        # Question words as written, for text typed with diacritics ("đầu" is not "đâu",
        # "sao y" not "sao"), and folded for text typed without; both with their short
        # forms ("ko", "dc ko"), which have no diacritics to tell them apart.
        # Some ask only at the end of a clause ("có được không ạ"); elsewhere they deny ("để
        # dịch không lây vào") or are another word ("a chị ơi": "à" typed without diacritics).
        final_words, particles = final
        last = {fold(w) for w in final_words}
        anywhere = [w for w in question_words if fold(w) not in last]
        self.question_words = phrase_re(anywhere, spell)
        self.question_words_written = written_re(anywhere, spell)
        # "em chưa làm bao giờ": a question word after a negation says "never", and asks nothing.
        negations, never_words = never
        neg, ever = phrase_re(list(negations), spell), phrase_re(list(never_words), spell)
        self.never = re.compile(neg.pattern + r"(?:\s+\S+){0,3}?\s+" + ever.pattern) if neg and ever else None
        # "mình quên mất tiêu chuẩn ...", "em chưa rõ ...": asking without a question word.
        self.statements = phrase_re(list(statements), spell)
        # Words that ask in some sentences and not in others ("có mấy anh em góp tiền"): a
        # sentence closed by a full stop before the next one does not ask by these alone.
        unsure = {fold(w) for w in weak}
        sure = [w for w in anywhere if fold(w) not in unsure]
        self.sure_folded = phrase_re(sure, spell)
        self.sure_written = written_re(sure, spell)
        end = r"(?:\s+(?:" + "|".join(map(re.escape, sorted(
            {p for w in particles for p in (_as_written(w), fold(w))}, key=len, reverse=True))) + r"))*" if particles else ""
        end += r"\s*(?:[,;:?.!…]|$)"
        folded_final = phrase_re(final_words, spell)
        written_final = written_re(final_words, spell)
        self.final_folded = re.compile(folded_final.pattern + end) if folded_final else None
        self.final_written = re.compile(written_final.pattern + end) if written_final else None
        # A typed line that ends so asks ("... là gì", "... không ạ"); one opening with an
        # asking phrase ("cho em hỏi ...") too: both folded, padded as they are compared.
        self.endings = tuple(" " + fold(e) for e in endings)
        self.openings = tuple(fold(p) + " " for p in openings)

    def is_question(self, text: str) -> bool:
        """Whether a sentence asks: a "?", an asking statement ("em chưa rõ ..."), or a
        question word (one that asks only at the end of a clause, there)."""
        if ends_with_question_mark(text):
            return True
        if self._states_a_question(text):
            return True
        return self._has_question_word(text, (self.question_words_written, self.final_written),
                                       (self.question_words, self.final_folded))

    def asks_surely(self, text: str) -> bool:
        """A question by an asking phrase ("cho em hỏi", "em quên mất"), a question word that
        always asks ("gì", "ai", "bao nhiêu"), or one at the end of the clause ("... không ạ")."""
        if self.asking.search(fold(text)) or self._states_a_question(text):
            return True
        return self._has_question_word(text, (self.sure_written, self.final_written),
                                       (self.sure_folded, self.final_folded))

    def _states_a_question(self, text: str) -> bool:
        return self.statements is not None and bool(self.statements.search(fold(text)))

    def _has_question_word(self, text: str, written: tuple[re.Pattern[str] | None, ...],
                           folded: tuple[re.Pattern[str] | None, ...]) -> bool:
        """Typed with diacritics: read as written. A message typed without them but for a
        particle ("ko biet nop may bo ạ") is read folded, or its "may" would not be "mấy"."""
        text = unicodedata.normalize("NFC", text)
        if self.never is not None:
            # Without its "chưa làm bao giờ" (folded keeps the length, so the text is cut alike).
            for m in reversed(list(self.never.finditer(fold_aligned(text)))):
                text = text[:m.start()] + " " + text[m.end():]
        lowered = text.lower()
        words = lowered.split()
        if 3 * sum(strip_diacritics(w) != w for w in words) >= len(words):
            return any(p is not None and p.search(lowered) for p in written)
        plain = fold(text)
        return any(p is not None and p.search(plain) for p in folded)

    def asks_by_word(self, text: str) -> bool:
        """Whether a sentence asks by a "?" or a question word, not only by an asking phrase or statement
        ("xin cho biết tiêu chí đánh giá", "hỏi kế toán mà chưa rõ" ask by those alone). Closed by a full
        stop, it asks only by a word that always asks ("... chở hàng mấy tháng liền." tells)."""
        if ends_with_question_mark(text):
            return True
        if text.rstrip().endswith("."):
            return self._has_question_word(text, (self.sure_written, self.final_written),
                                           (self.sure_folded, self.final_folded))
        return self._has_question_word(text, (self.question_words_written, self.final_written),
                                       (self.question_words, self.final_folded))

    def typed_as_question(self, text: str) -> bool:
        """A line typed at a form's step that is a question, not the step's answer: "Tiêu chí
        2.1 là gì?", "cho em hỏi ...", "... nộp mấy bộ không ạ"."""
        if ends_with_question_mark(text):
            return True
        folded = fold(text)
        padded = " " + folded
        return any(padded.endswith(e) for e in self.endings) or any(folded.startswith(o) for o in self.openings)
