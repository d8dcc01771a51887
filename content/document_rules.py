"""Questions that name a document (content/dialogue.py reads every question with these rules).

A question may name a document as where to look ("chủ đề thi đua trong kế hoạch thực hiện Chỉ
thị 19 là gì", "theo KH 515 thì Văn phòng làm gì", "KH thực hiện CT 19 nói gì về X"): it asks
about something in that document, and is also read without the document's name
(dialogue.yaml `document_setting`). Or it names a document by its number ("kế hoạch 515 căn
cứ vào kế hoạch số mấy"): an answer from an entry that never names that document gives way
to a close one that does.

A mixin of content.dialogue.Dialogue: it reads the words compiled there (`setting`,
`setting_says`, `setting_words`) and asks it to read a question (`_read_one`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from content import recall
from content.match_result import MatchResult
from content.normalize import fold_aligned, tokens
from content.schema import Entry

if TYPE_CHECKING:
    from content.matcher import Matcher

# A question read without the document it names as its setting may score this much below the
# whole message and still win: the document's name ("kế hoạch thực hiện Chỉ thị 19/CT-TTg") lifts
# the entries about the document itself (its date, its basis, its purpose), whose titles carry it.
SETTING_MARGIN = 0.05


def numbers_named(entry: Entry) -> set[str]:
    """The numbers of the documents an entry names (its title, source or answer)."""
    return recall.document_numbers(f"{entry.title} {entry.source} {entry.answer}")


class DocumentRules:
    matcher: Matcher
    told_by: dict[str, re.Pattern[str]]  # aspect id -> the words an answer telling it holds
    setting: re.Pattern[str]
    setting_says: re.Pattern[str]
    setting_words: frozenset[str]

    def without_setting(self, text: str) -> tuple[str, set[str]] | None:
        """The question without the document it names as where to look, and that document's
        numbers: "chủ đề thi đua trong kế hoạch thực hiện Chỉ thị 19/CT-TTg là gì" -> ("chủ đề thi
        đua là gì", {"19"}); "về cải cách thủ tục hành chính, KH thực hiện CT19 yêu cầu gì" -> ("về cải
        cách thủ tục hành chính, yêu cầu gì", {"19"}). None when it names no numbered document so
        (dialogue.yaml `document_setting`)."""
        text = unicodedata.normalize("NFC", text)
        plain = fold_aligned(text)
        if len(plain) != len(text):
            return None
        named_to = 0  # the end of the last document's name: "CT 19" inside "kế hoạch thực hiện CT 19" is not another
        for m in self.setting.finditer(plain):
            if m.start() < named_to:
                continue
            end = m.end()
            for w in re.finditer(r"\S+", plain[m.end():]):
                word = w.group(0).rstrip(",.?!;:")
                if word not in self.setting_words and not any(c.isdigit() for c in word):
                    break
                end = m.end() + w.start() + len(word)
            named_to = end
            numbers = recall.document_numbers(plain[m.start():end])
            # Named after one of `before` ("trong KH 515"), or as what says something about a topic named
            # before it ("về cải cách thủ tục, KH 515 yêu cầu gì") or after "về" ("KH thực hiện CT 19 nói gì
            # về công tác điển hình tiên tiến"); "KH 515 yêu cầu gì" asks about the plan itself.
            about = False
            said = self.setting_says.match(plain[end:])
            if said is not None:
                after = end + said.end()
                topic = re.search(r"\bve\b", plain[after:])
                topic_words = len(self._tokens(text[after + topic.end():])) if topic else 0
                about = len(self._tokens(text[:m.start()])) >= 2 or topic_words >= 2
            if numbers and (m.group("before") or about):
                return " ".join((text[:m.start()] + " " + text[end:]).split()), numbers
        return None

    def _in_setting(self, text: str, own: MatchResult, context: dict | None, second: bool) -> MatchResult | None:
        """The entry answering the question without the document it names as its setting, when that
        entry comes from the document (its number in the entry's source or title) and reads about as
        well as the whole: "chủ đề thi đua trong kế hoạch thực hiện Chỉ thị 19" asks for the theme, not
        for the plan."""
        setting = self.without_setting(text)
        if setting is None:
            return None
        rest, numbers = setting
        stop = self.matcher.lexicon.stopwords
        if len([t for t in tokens(rest) if t not in stop]) < 2:
            return None  # "KH 515 ai ký": the document is what is asked about
        alt = self._read_one(rest, context, second)[0]  # read as any question is: its focus, the ranker...
        if alt.kind != "answer" or alt.entry is None or (own.kind == "answer" and alt.entry is own.entry):
            return None
        if not numbers & recall.document_numbers(f"{alt.entry.source} {alt.entry.title}"):
            return None
        if own.kind == "answer" and alt.score < own.score - SETTING_MARGIN:
            return None
        if own.kind == "answer" and own.candidates and own.candidates[0].entry is own.entry \
                and not numbers & recall.document_numbers(own.entry.title) \
                and self.matcher.ranker.rank(text, 1)[0].entry_id == own.entry.id:
            # The lexical engine's first for the whole message is also the learned ranker's, and it is not
            # an entry about the document itself (its title naming it): they agree on what is asked.
            return None
        return alt

    def _document_named(self, text: str, own: MatchResult) -> MatchResult | None:
        """For a question naming a document by its number ("kế hoạch 515 căn cứ vào kế hoạch số mấy"), an
        answer from an entry that never names that document gives way to a close candidate that does, when
        the learned ranker puts that candidate first: the number and two sources agree."""
        numbers = recall.document_numbers(text)
        if own.kind != "answer" or own.entry is None or not numbers:
            return None

        if numbers & numbers_named(own.entry):
            return None
        others = [c.entry for c in own.candidates[:3] if c.entry is not own.entry and numbers & numbers_named(c.entry)]
        if not others:
            return None
        first = self.matcher.ranker.rank(text, 1)[0].entry_id
        entry = next((e for e in others if e.id == first), None)
        return None if entry is None else MatchResult("answer", entry, own.score, own.candidates, own.normalized)

    def _kind_asked(self, text: str, own: MatchResult) -> MatchResult | None:
        """For a question asking which document of a kind ("KH 515 có nhắc nghị quyết nào của Chính phủ
        không"), an answer from an entry that names no document of that kind gives way to the
        learned ranker's first when its title does: the kind asked and the ranker agree. (The lexical
        engine read "Chính phủ" and answered the Prime Minister's directive.)"""
        if own.kind != "answer" or own.entry is None:
            return None
        kinds = recall.kinds_asked(text)

        def names_one(entry: Entry) -> bool:
            return bool(kinds & recall.kinds_named(f"{entry.title} {entry.answer}"))

        if not kinds or names_one(own.entry):
            return None  # its answer names one ("đối tượng ... theo Chỉ thị số 03/CT-VKSTC")
        for ranked in self.matcher.ranker.rank(text, 3):
            entry = self.matcher.kb.by_id.get(ranked.entry_id)
            if entry is not None and names_one(entry):
                return MatchResult("answer", entry, own.score, own.candidates, own.normalized, by_ranker=True)
        return None

    def _untold(self, text: str, result: MatchResult) -> bool:
        """Whether an answer about a document named by its number leaves out the aspect asked: "Kế hoạch
        127/KH-VKSTC do ai ký" answered by the entry on KH 127, which names no signer (dialogue.yaml
        aspects' `told_by`)."""
        if result.kind != "answer" or result.entry is None or not recall.document_numbers(text):
            return False
        told = self.told_by.get(self.frame(text).aspect or "")
        return told is not None and not told.search(unicodedata.normalize("NFC", result.entry.answer).lower())
