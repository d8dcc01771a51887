"""The sentences of a message: which are questions, where the real question of a
long message starts, and the several questions one message may ask.

Vietnamese marks a question with a question word more than with "?", and staff
tell a story before asking; the words that tell these apart are in
content/dialogue.yaml (question_words, clause_openers) and content/lexicon.yaml
(asking phrases such as "cho em hỏi").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from content.normalize import fold, fold_aligned, strip_diacritics, tokens
from content.schema import Entry
from content.smalltalk import only_chat

LONG_MESSAGE_WORDS = 14  # from this many words a message may tell a story before its question
ENUMERATED = re.compile(r"^\s*(?:(?:\d{1,2}|[a-eA-E])\s*[/.)]|[-•*+])\s+")  # "1/ ", "2. ", "a) ", "- "
JOINED = re.compile(r"\s+(?=(?:và|va|còn)\s)", re.IGNORECASE)  # before the "và" that may join two questions
TRAILING_NUMBER = re.compile(r"\s+\d{1,2}\s*[/.)]$")  # the "2." of "... gồm gì 2. ai thẩm định"
INLINE_NUMBER = re.compile(r"(?:(?<=\s)|(?<=^)|(?<=:))\s*(\d{1,2})\s*[/.)]\s")  # "1) ", "2. " within a line


def number_lines(text: str) -> str:
    """Numbered questions typed on one line ("cho hỏi 2 ý: 1) KH 515 ai ký 2) ban hành ngày
    nào") put one per line. Only a run numbered 1, 2, 3... counts, so that "Điều 48. Hồ sơ"
    or "tiêu chí 2.5" stays as it is."""
    chain: list[re.Match[str]] = []
    for m in INLINE_NUMBER.finditer(text):
        if int(m.group(1)) == len(chain) + 1:
            chain.append(m)
    if len(chain) < 2:
        return text
    # Each as "N) ...": a "1." would end a sentence where the message is split.
    ends = [m.start() for m in chain[1:]] + [len(text)]
    lines = [text[:chain[0].start()].rstrip()]
    lines += [f"{m.group(1)}) {text[m.end():end].strip()}" for m, end in zip(chain, ends, strict=True)]
    return "\n".join(line for line in lines if line.strip())


def phrase_re(phrases: list[str], spell: Callable[[list[str]], list[str]] | None = None) -> re.Pattern[str] | None:
    """The phrases, folded, as whole words, longest first; `spell` adds the ways they are
    typed short (Lexicon.spellings: "ko biết" for "không biết")."""
    folded = spell(phrases) if spell is not None else sorted({fold(p) for p in phrases if fold(p)}, key=len,
                                                               reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, folded)) + r")\b") if folded else None


def _as_written(word: str) -> str:
    return unicodedata.normalize("NFC", word).lower().strip()


def _written_re(words: list[str], spell: Callable[[list[str]], list[str]] | None) -> re.Pattern[str] | None:
    """The words as written (with their diacritics), and their short forms, which have none."""
    written = {_as_written(w) for w in words}
    if spell is not None:
        written |= {s for s in spell(words) if s not in {fold(w) for w in words}}
    ordered = sorted(written, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, ordered)) + r")(?!\w)") if ordered else None


def _last_word(text: str) -> str:
    words = tokens(text[-40:])
    return words[-1] if words else ""


def _first_word(text: str) -> str:
    words = tokens(text[:40])
    return words[0] if words else ""


def _comma_pairs(text: str) -> set[tuple[str, str]]:
    return {(_last_word(text[:m.start()]), _first_word(text[m.end():])) for m in re.finditer(r",\s*", text)}


class Sentences:
    def __init__(self, question_words: list[str], clause_openers: list[str], asking: re.Pattern[str],
                 entries: Iterable[Entry], continuation: re.Pattern[str] | None = None,
                 spell: Callable[[list[str]], list[str]] | None = None,
                 final: tuple[list[str], list[str]] = ([], []), weak: list[str] = (),
                 statements: list[str] = (), never: tuple[list[str], list[str]] = ([], [])):
        self.asking = asking  # on folded text
        self.continuation = continuation  # "và", "rồi" opening a clause that goes on from the one before
        self.clause_openers = phrase_re(clause_openers, spell)
        # Question words as written, for text typed with diacritics ("đầu" is not "đâu",
        # "sao y" not "sao"), and folded for text typed without; both with their short
        # forms ("ko", "dc ko"), which have no diacritics to tell them apart.
        # Some ask only at the end of a clause ("có được không ạ"); elsewhere they deny ("để
        # dịch không lây vào") or are another word ("a chị ơi": "à" typed without diacritics).
        final_words, particles = final
        last = {fold(w) for w in final_words}
        anywhere = [w for w in question_words if fold(w) not in last]
        self.question_words = phrase_re(anywhere, spell)
        self.question_words_written = _written_re(anywhere, spell)
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
        self.sure_written = _written_re(sure, spell)
        end = r"(?:\s+(?:" + "|".join(map(re.escape, sorted(
            {p for w in particles for p in (_as_written(w), fold(w))}, key=len, reverse=True))) + r"))*" if particles else ""
        end += r"\s*(?:[,;:?.!…]|$)"
        folded_final = phrase_re(final_words, spell)
        written_final = _written_re(final_words, spell)
        self.final_folded = re.compile(folded_final.pattern + end) if folded_final else None
        self.final_written = re.compile(written_final.pattern + end) if written_final else None
        # Word pairs the content itself writes with a comma between them ("thi đua, khen
        # thưởng", "cán bộ, công chức"): such a comma in a message lists, it does not
        # end a clause.
        self.listed: set[tuple[str, str]] = set()
        for e in entries:
            for text in (e.title, *e.questions, e.answer):
                if "," in text:
                    self.listed.update(_comma_pairs(text))

    def is_question(self, text: str) -> bool:
        if text.rstrip().endswith("?"):
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

    def split(self, text: str) -> list[str]:
        """The questions of a message, in order, each with the story told before it."""
        text = number_lines(unicodedata.normalize("NFC", text))
        pieces = [p.strip() for p in re.split(r"(?<=\?)|[\n;]+|(?<=[.!])\s+", text) if p.strip()]
        out: list[str] = []
        story: list[str] = []
        for n, piece in enumerate(pieces):
            # "1/ tiêu chuẩn BK TTg", "2. hồ sơ HCLĐ mấy bộ", "- ai thẩm định": a numbered
            # item is a question of its own, and its number is no part of it.
            piece, numbered = ENUMERATED.subn("", piece)
            piece = TRAILING_NUMBER.sub("", piece).strip()
            if only_chat(piece) or not tokens(piece):
                continue  # "Chào anh.", "cảm ơn ạ" between the questions
            if numbered:
                out.append(" ".join([*story, piece]))
                story = []
                continue
            if piece.endswith(":") and len(tokens(piece)) <= 6:
                continue  # "Em hỏi mấy ý:" only introduces the questions
            if piece.endswith(".") and n < len(pieces) - 1 and not self.asks_surely(piece):
                story.append(piece)  # "Em tổng hợp hồ sơ cả mấy mức một lúc." tells, and the next asks
                continue
            # "hồ sơ gồm những gì, nộp mấy bộ, ai thẩm định": commas between questions. A clause
            # after the last question ("..., để em in một lần cho đủ") only says why, and is
            # left out; one before the first is story ("anh ấy trực chốt mấy tháng, vậy ..."),
            # so the piece is then read whole.
            commas = [c.strip() for c in piece.split(",") if c.strip()]
            asked = 0
            while asked < len(commas) and self.is_question(commas[asked]) and len(tokens(commas[asked])) >= 2:
                asked += 1
            if asked > 1 and not any(self.is_question(c) for c in commas[asked:]):
                out.append(" ".join([*story, commas[0]]))
                out.extend(commas[1:asked])
                story = []
                continue
            # "chủ đề là gì và đơn vị nào tham mưu": two questions joined by "và"; the
            # second is read with the first as its context, so it may leave things out.
            joined = [c.strip() for c in JOINED.split(piece) if c.strip()]
            if len(joined) > 1 and all(self.is_question(c) and len(tokens(c)) >= 3 for c in joined):
                out.append(" ".join([*story, joined[0]]))
                out.extend(joined[1:])
                story = []
                continue
            if self.is_question(piece):
                out.append(" ".join([*story, piece]))
                story = []
            else:
                story.append(piece)
        if story and out:
            out[-1] = " ".join([out[-1], *story])
        return out or [text.strip()]

    def focus(self, text: str) -> list[tuple[str, str]]:
        """A long message as (its question, the story told before it), most likely first:
        the question follows the last asking phrase ("cho em hỏi"), sentence end, or comma
        before a clause opener ("..., vậy hồ sơ..."), whichever comes last and still has a
        question word; failing that, the last clause after any comma. Empty for a short
        message, or one with no question in it."""
        text = unicodedata.normalize("NFC", text).strip()
        if len(tokens(text)) < LONG_MESSAGE_WORDS:
            return []
        plain = fold_aligned(text)
        # A comma between two nouns ("thi đua, khen thưởng", "cán bộ, công chức") is no
        # boundary, so a comma counts first only before a clause opener.
        strong = [m.end() for m in self.asking.finditer(plain)]
        strong += [m.end() for m in re.finditer(r"[.!?]+\s+|\n+", text)]  # not the dot of "2.5"
        commas = [m.end() for m in re.finditer(r"[,;]\s*", text)
                  if (_last_word(text[:m.start()]), _first_word(text[m.end():])) not in self.listed
                  and not (self.continuation and self.continuation.match(plain, m.end()))]
        if self.clause_openers:
            strong += [c for c in commas if self.clause_openers.match(plain, c)]

        def last(starts: list[int]) -> int:
            return max((s for s in starts if s < len(text) and len(tokens(text[s:])) >= 2
                        and self.is_question(text[s:].rstrip(" ?"))), default=-1)

        out = []
        for start in dict.fromkeys((last(strong), last(commas))):
            question, story = text[start:].strip(" ,.;"), text[:start]
            if start > 0 and len(tokens(question)) >= 2 and tokens(story):
                out.append((question, story))
        return out
