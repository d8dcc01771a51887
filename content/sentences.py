"""The sentences of a message: where the real question of a long message starts,
and the several questions one message may ask (which sentences ask is
content/questions.py's).

Vietnamese marks a question with a question word more than with "?", and staff
tell a story before asking; the words that tell these apart are in
content/dialogue.yaml (question_words, clause_openers) and content/lexicon.yaml
(asking phrases such as "cho em hỏi").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from content.normalize import fold_aligned, tokens
from content.questions import Questions, phrase_re
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


def _last_word(text: str) -> str:
    words = tokens(text[-40:])
    return words[-1] if words else ""


def _first_word(text: str) -> str:
    words = tokens(text[:40])
    return words[0] if words else ""


def _comma_pairs(text: str) -> set[tuple[str, str]]:
    return {(_last_word(text[:m.start()]), _first_word(text[m.end():])) for m in re.finditer(r",\s*", text)}


class Sentences:
    def __init__(self, questions: Questions, clause_openers: list[str], entries: Iterable[Entry],
                 continuation: re.Pattern[str] | None = None,
                 spell: Callable[[list[str]], list[str]] | None = None, comma_phrases: Iterable[str] = ()):
        self.questions = questions  # which sentences ask (content/questions.py)
        self.continuation = continuation  # "và", "rồi" opening a clause that goes on from the one before
        self.clause_openers = phrase_re(clause_openers, spell)
        # Word pairs the content itself writes with a comma between them ("thi đua, khen
        # thưởng", "cán bộ, công chức"): such a comma in a message lists, it does not
        # end a clause.
        self.listed: set[tuple[str, str]] = set()
        for e in entries:
            for text in (e.title, *e.questions, e.answer):
                if "," in text:
                    self.listed.update(_comma_pairs(text))
        # Names written with a comma (dialogue.yaml comma_phrases): never two clauses of a message.
        self.named: set[tuple[str, str]] = {pair for phrase in comma_phrases for pair in _comma_pairs(phrase)}

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
            if piece.endswith(".") and n < len(pieces) - 1 and not self.questions.asks_surely(piece):
                story.append(piece)  # "Em tổng hợp hồ sơ cả mấy mức một lúc." tells, and the next asks
                continue
            # "hồ sơ gồm những gì, nộp mấy bộ, ai thẩm định": commas between questions. A clause
            # after the last question ("..., để em in một lần cho đủ") only says why, and is
            # left out; one before the first is story ("anh ấy trực chốt mấy tháng, vậy ..."),
            # so the piece is then read whole.
            commas = [c.strip() for c in self._clauses(piece) if c.strip()]
            asked = 0
            while asked < len(commas) and self.questions.is_question(commas[asked]) and len(tokens(commas[asked])) >= 2:
                asked += 1
            if asked > 1 and not any(self.questions.is_question(c) for c in commas[asked:]):
                out.append(" ".join([*story, commas[0]]))
                out.extend(commas[1:asked])
                story = []
                continue
            # "chủ đề là gì và đơn vị nào tham mưu": two questions joined by "và"; the
            # second is read with the first as its context, so it may leave things out.
            joined = [c.strip() for c in JOINED.split(piece) if c.strip()]
            if len(joined) > 1 and all(self.questions.is_question(c) and len(tokens(c)) >= 3 for c in joined):
                out.append(" ".join([*story, joined[0]]))
                out.extend(joined[1:])
                story = []
                continue
            if self.questions.is_question(piece):
                out.append(" ".join([*story, piece]))
                story = []
            else:
                story.append(piece)
        if story and out:
            out[-1] = " ".join([out[-1], *story])
        return out or [text.strip()]

    def _clauses(self, piece: str) -> list[str]:
        """The piece cut at its commas, except those inside a name (dialogue.yaml comma_phrases: "Luật
        Thi đua, khen thưởng năm 2022 có hiệu lực từ ngày nào" is one question, not two)."""
        cuts = [m for m in re.finditer(r",\s*", piece)
                if (_last_word(piece[:m.start()]), _first_word(piece[m.end():])) not in self.named]
        bounds = [0, *(b for m in cuts for b in (m.start(), m.end())), len(piece)]
        return [piece[bounds[i]:bounds[i + 1]] for i in range(0, len(bounds), 2)]

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
        strong = [m.end() for m in self.questions.asking.finditer(plain)]
        strong += [m.end() for m in re.finditer(r"[.!?]+\s+|\n+", text)]  # not the dot of "2.5"
        commas = [m.end() for m in re.finditer(r"[,;]\s*", text)
                  if (_last_word(text[:m.start()]), _first_word(text[m.end():])) not in self.listed
                  and not (self.continuation and self.continuation.match(plain, m.end()))]
        if self.clause_openers:
            strong += [c for c in commas if self.clause_openers.match(plain, c)]

        def last(starts: list[int]) -> int:
            return max((s for s in starts if s < len(text) and len(tokens(text[s:])) >= 2
                        and self.questions.is_question(text[s:].rstrip(" ?"))), default=-1)

        out = []
        for start in dict.fromkeys((last(strong), last(commas))):
            question, story = text[start:].strip(" ,.;"), text[:start]
            if start > 0 and len(tokens(question)) >= 2 and tokens(story):
                out.append((question, story))
        return out
