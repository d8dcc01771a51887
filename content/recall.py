"""What the last few turns of a conversation were about, as candidates for a message
that points back at them.

The conversation state (the `about` dict content.dialogue returns) keeps, besides the
subject and aspect of the last answer, `recent`: the subjects of the last few answers,
most recent first, and `docs`: the documents "văn bản đó" may mean after the last answer,
in order of preference, each as [kind, name] ("kế hoạch", "Kế hoạch 127/KH-VKSTC"), and `bodies`:
the bodies the last answer named ("Văn phòng VKSND tỉnh"), which "đơn vị đó" may mean.
A message reads them only through words that point back ("cái kia", "mức đó",
"kế hoạch đó") or that correct the last question ("à không, ý em là giấy khen cơ");
a complete new question never does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from content.normalize import fold, fold_aligned

if TYPE_CHECKING:
    from content.dialogue_file import Corrections, PointingBack

RECENT = 3  # subjects remembered, most recent first
# A document named in a question or an answer: its kind and number ("Kế hoạch số 127/KH-VKSTC",
# "KH 515", "Thông tư 01/2019/TT-VKSTC", "Nghị quyết 128/NQ-CP").
_KINDS = {"ke hoach": "ke hoach", "kh": "ke hoach", "thong tu": "thong tu", "tt": "thong tu",
          "nghi quyet": "nghi quyet", "nq": "nghi quyet", "chi thi": "chi thi", "ct": "chi thi"}
DOCUMENT_KINDS = frozenset(_KINDS.values())  # what dialogue.yaml's pointing_back.documents may name
_KIND_WORDS = "|".join(sorted(_KINDS, key=len, reverse=True))  # as written in a folded text
DOCUMENT = re.compile(rf"\b({_KIND_WORDS})\s+(?:so\s+)?(\d+(?:/[\w\-]+)*)(?![\w/])(?!\s+nam\b)", re.IGNORECASE)
# Asking which document ("căn cứ văn bản nào", "theo quy định nào"): then "văn bản đó" is the one
# the answer named, not the one asked about.
ASKS_DOCUMENT = re.compile(r"\bcan cu\b|\b(?:van ban|quy dinh|ke hoach|thong tu|nghi quyet|chi thi)\s+(?:nao|gi)\b")


def either(phrases: list[str]) -> str:
    """The phrases, folded, as one regex alternative, longest first (never matches when empty)."""
    folded = sorted({fold(p) for p in phrases if fold(p)}, key=len, reverse=True)
    return "|".join(map(re.escape, folded)) or "(?!)"


@dataclass(frozen=True)
class RecallWords:
    """The words of dialogue.yaml's `corrections` and `pointing_back`, as patterns on folded text
    (content.normalize.fold_aligned)."""

    # "à không, ý em là giấy khen cơ", "nhầm, em hỏi BK VKSTC chứ", "BK TTg mới đúng": the last
    # question asked again about another subject.
    correction: re.Pattern[str]
    # "cái kia", "mức trước": the subject before the last one; "mức đó", "hình thức này": the last one
    # ("nó", "cái đó" stay content.dialogue's references: in a long message they may mean its own story).
    earlier: re.Pattern[str]
    # "cái đầu tiên em hỏi", "phong trào em hỏi lúc đầu": the first subject remembered (not "cái đầu
    # tiên trong số đó", the first of a list the last answer gave).
    first: re.Pattern[str]
    last: re.Pattern[str]
    # "kế hoạch đó", "văn bản trên", "thông tư này": a document pointed back at (group 1: its kind).
    document_reference: re.Pattern[str]
    any_document: frozenset[str]  # kinds that mean any document: "văn bản"
    # "cái thứ hai", "hình thức đầu tiên trong số đó": a place in the list the last answer gave
    # (groups: `place`, and `of_list` when said).
    listed: re.Pattern[str]
    places: dict[str, int]  # folded ordinal -> its place (1-based; -1 the last)
    first_words: frozenset[str]
    last_word: re.Pattern[str]  # a word pointing back ("đó", "này", "lúc nãy"), after a word
    source_asked: re.Pattern[str]  # "nằm trong kế hoạch nào": where the last answer comes from
    # "đơn vị đó", "bên đó": the body the last answer named first (`bodies`: each name and its pattern).
    body_reference: re.Pattern[str]
    bodies: tuple[tuple[str, re.Pattern[str]], ...]

    @classmethod
    def of(cls, corrections: Corrections, pointing: PointingBack) -> RecallWords:
        c, p = corrections, pointing
        # A kind of document is also pointed at by its abbreviation ("KH đó", "ct này"), as staff type it.
        kinds = {fold(d) for d in p.documents}
        short = [a for a, kind in _KINDS.items() if kind in kinds and a != kind]
        asked = rf"(?:(?:{either(p.asked_words)})\s+)?"
        # The word after a denial is matched by its beginning, as it always was ("không có" and
        # "không cơ" alike are no correction).
        correction = re.compile(
            rf"^\W*(?:(?:{either(c.leads)})\s+)?(?:{either(c.denials)})\b(?!\s+(?:{either(c.not_after_denial)}))"
            rf"|\b(?:{either(c.phrases)})\b"
            rf"|\b(?:{either(c.askers)}) [^?]*\b(?:{either(c.endings)})\W*$")
        return cls(
            correction=correction,
            earlier=re.compile(rf"\b(?:{either(p.earlier_things)})\s+{asked}(?:{either(p.earlier_words)})\b"),
            first=re.compile(rf"\b(?:{either(p.earlier_things)})\s+{asked}(?:{either(p.first_words)})\b"
                             rf"(?!\s+(?:{either(p.first_not_before)})\b)"),
            last=re.compile(rf"\b(?:{either(p.last_things)})\s+(?:{either(p.last_words)})\b"),
            document_reference=re.compile(
                rf"\b({either(p.documents + short + p.any_documents)})\s+({either(p.document_words)})\b"),
            any_document=frozenset(fold(d) for d in p.any_documents),
            listed=re.compile(rf"\b(?:(?P<thing>{either(p.list_things)})\s+)?(?P<place>{either(list(p.ordinals))})\b"
                              rf"(?:\s+(?P<of_list>{either(p.of_list)})\b)?"),
            places={fold(k): v for k, v in p.ordinals.items()},
            first_words=frozenset(fold(w) for w in p.first_words),
            last_word=re.compile(rf"(\w+)\s+(?:{either(p.last_words + p.earlier_words)})\b"),
            source_asked=re.compile(rf"\b(?:{either(p.source_asked)})\b"),
            body_reference=re.compile(rf"\b(?:{either(p.body_things)})\s+(?:{either(p.last_words)})\b"),
            bodies=tuple((name, re.compile(rf"\b(?:{either([name, *written])})\b")) for name, written in p.bodies.items()),
        )

    def bodies_named(self, text: str) -> list[str]:
        """The bodies a text names, in the order it first names them."""
        plain = fold(text)
        found = sorted((m.start(), name) for name, pattern in self.bodies if (m := pattern.search(plain)))
        return [name for _, name in found]

    def body_pointed(self, text: str, context: dict | None) -> tuple[str, str] | None:
        """("đơn vị đó", "Văn phòng VKSND tỉnh"): the words pointing back at a body and the body the last
        answer named first; None when the message names a body itself or the last answer named none."""
        bodies = told_bodies(context)
        if not bodies or self.bodies_named(text):
            return None
        m = self.body_reference.search(fold_aligned(text))
        return None if m is None else (m.group(0), bodies[0])

    def place_pointed(self, plain: str) -> tuple[str, int] | None:
        """("cái thứ hai", 2): the words pointing at a place of the last answer's list, and the place
        (-1: the last), in folded text; None when there are none. "cái đầu tiên" alone is the first
        subject asked (`first`), not the first of a list; a place without a thing ("cao nhất trong số
        đó") needs the words of the list after it."""
        for m in self.listed.finditer(plain):
            place = m.group("place")
            if place in self.first_words and m.group("of_list") is None:
                continue
            if m.group("thing") is None and m.group("of_list") is None:
                continue  # "thứ hai" alone is no pointer; "cao nhất trong số đó" is
            return m.group(0), self.places[place]
        return None

    def document_pointed(self, text: str, context: dict | None) -> tuple[str, str] | None:
        """("kế hoạch đó", "Kế hoạch 127/KH-VKSTC"): the words pointing back at a document and the
        document they mean, from the documents of the last answer; None when there is none."""
        docs = told_documents(context)
        if not docs:
            return None
        m = self.document_reference.search(fold_aligned(text))
        if m is None:
            return None
        kind = _KINDS.get(m.group(1), m.group(1))
        return next(((m.group(0), name) for d_kind, name in docs if kind in self.any_document or d_kind == kind), None)


def told_documents(context: dict | None) -> list[tuple[str, str]]:
    """The documents of the last answer, best first, as (kind, name); what stored state holds is checked."""
    docs = (context or {}).get("docs")
    return [(str(d[0]), str(d[1])) for d in docs if isinstance(d, list) and len(d) == 2] if isinstance(docs, list) else []


def told_bodies(context: dict | None) -> list[str]:
    """The bodies the last answer named, in its order; what stored state holds is checked."""
    bodies = (context or {}).get("bodies")
    return [b for b in bodies if isinstance(b, str)] if isinstance(bodies, list) else []


# Not a length of time: "kế hoạch 5 năm" is a five-year plan, not plan number 5 ("KH 15 năm 2021",
# "CT 19 ngày 16/7/2021" are numbers, a date after them).
_NUMBERED = re.compile(rf"\b(?:{_KIND_WORDS})\s*(?:so\s*)?0*(\d+)\b(?!\s*(?:nam|thang|tuan|ngay)\b(?!\s*\d))")


def document_numbers(text: str) -> set[str]:
    """The numbers of the documents a text names, typed with or without a space ("CT19", "KH 515"):
    not the numbers of anything else ("COVID-19", "2021")."""
    return set(_NUMBERED.findall(fold(text)))


_KIND_ASKED = re.compile(rf"\b({_KIND_WORDS})\s+(?:nao|gi|so may|so bao nhieu)\b")


def kinds_asked(text: str) -> set[str]:
    """The kinds of document a question asks which one of ("nghị quyết nào", "chỉ thị số mấy"), but
    not a kind it names by number: "KH 515 căn cứ kế hoạch nào" may be answered by KH 515's entry."""
    return {_KINDS[k] for k in _KIND_ASKED.findall(fold(text))} - kinds_named(text)


def kinds_named(text: str) -> set[str]:
    """The kinds of the documents a text names by number."""
    return {kind for kind, _, _ in documents(text)}


def documents(text: str) -> list[tuple[str, str, str]]:
    """The documents a text names, in order: (kind, number, name as written)."""
    plain = fold_aligned(text)
    aligned = len(plain) == len(text)
    seen, found = set(), []
    for m in DOCUMENT.finditer(plain):
        kind, number = _KINDS[m.group(1).lower()], m.group(2).lower()
        key = number.split("/")[0].lstrip("0") or "0"
        if (kind, key) not in seen:
            seen.add((kind, key))
            found.append((kind, key, text[m.start():m.end()] if aligned else m.group(0)))
    return found


def documents_after(question: str, answer_title: str, answer: str) -> list[list[str]]:
    """The documents "văn bản đó" may mean after `answer` replied to `question`, best first:
    when the question asked which document, those the answer named and the question did not;
    then those the question named, then those of the answer's title, then the rest of the answer."""
    asked = documents(question)
    titled = documents(answer_title)
    # The document asked about may be named by the answer's title only ("KH 515 căn cứ văn bản
    # nào" answering "kế hoạch của VKS tỉnh căn cứ vào văn bản nào"): it is not the one told. A
    # question that names its own ("KH thực hiện CT 19 yêu cầu tuyên truyền văn bản nào của Bộ Chính
    # trị") may be answered by an entry whose title names the one told ("..., CT 34").
    asked_keys = {(k, n) for k, n, _ in (asked or titled)}
    told = documents(answer)
    order = []
    if ASKS_DOCUMENT.search(fold(question)):
        order += [d for d in told if (d[0], d[1]) not in asked_keys]
    order += asked + titled + told
    # One place per document, named by its fullest form ("Chỉ thị 19/CT-TTg" over "chỉ thị 19").
    names: dict[tuple[str, str], str] = {}
    for kind, key, name in order:
        if len(name) > len(names.get((kind, key), "")):
            names[(kind, key)] = name
    out = [[kind, names[(kind, key)]] for kind, key in dict.fromkeys((k, n) for k, n, _ in order)]
    return out[:4]


def _remembered(context: dict | None, key: str, last_key: str, kind: type) -> list:
    """A list the conversation keeps (`key`), most recent first, with the last answer's own
    (`last_key`) in front when the list lacks it; what stored state holds is checked, not trusted."""
    if not context:
        return []
    got = context.get(key)
    items = [x for x in got if isinstance(x, kind)] if isinstance(got, list) else []
    last = context.get(last_key)
    if isinstance(last, kind) and last not in items:
        items.insert(0, last)
    return items


def _ahead(first: object, rest: list) -> list:
    """`rest` with `first` in front, once."""
    return [first, *[x for x in rest if x != first]]


def recent(context: dict | None, n_subjects: int) -> list[int]:
    """The subjects of the last few answers, most recent first."""
    return [s for s in _remembered(context, "recent", "subject", int) if 0 <= s < n_subjects][:RECENT]


def remember(about: dict | None, before: dict | None, n_subjects: int, docs: list[list[str]],
             listed: list[int] | None = None, bodies: list[str] | None = None) -> dict | None:
    """`about` with the subjects of the turns before it, the documents of this answer, and the
    subjects its list named in order (for "cái thứ hai")."""
    if about is None:
        return None
    subjects = recent(before, n_subjects)
    if isinstance(about.get("subject"), int):
        subjects = _ahead(about["subject"], subjects)
    # The entries of the last answers, most recent first ("cái phương châm lúc nãy").
    entries = recent_entries(before)
    if isinstance(about.get("entry"), str):
        entries = _ahead(about["entry"], entries)
    return {**about, "recent": subjects[:RECENT], "docs": docs, "listed": listed or [], "entries": entries[:RECENT],
            "bodies": bodies or []}


def recent_entries(context: dict | None) -> list[str]:
    """The entries of the last few answers, most recent first."""
    return _remembered(context, "entries", "entry", str)[:RECENT]


def listed_at(context: dict | None, place: int, n_subjects: int) -> int | None:
    """The subject at `place` (1-based, -1 the last) of the list the last answer gave."""
    got = (context or {}).get("listed")
    listed = [s for s in got if isinstance(s, int) and 0 <= s < n_subjects] if isinstance(got, list) else []
    if not listed or place == 0 or abs(place) > len(listed):
        return None
    return listed[place - 1] if place > 0 else listed[place]


def replace_folded(text: str, folded_span: str, by: str) -> str:
    """`text` with the words whose folded form is `folded_span` replaced by `by` (folding keeps
    the length of Vietnamese text, so the span found in the folded text cuts the original)."""
    plain = fold_aligned(text)
    if len(plain) != len(text) or folded_span not in plain:
        return f"{by} {text}"
    # Every place it is said: "... lên hình thức này, tiêu chuẩn để được hình thức này là gì".
    while (i := plain.find(folded_span)) >= 0:
        text = text[:i] + by + text[i + len(folded_span):]
        plain = plain[:i] + fold_aligned(by) + plain[i + len(folded_span):]
        if len(plain) != len(text):
            break
    return text
