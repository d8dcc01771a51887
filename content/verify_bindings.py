"""Facts bound to what they are about, for `content verify`.

Finding a number somewhere in the cited sections proves little: a section headed
"3." lends its 3 to any answer, and "04 bộ" of one award supports "04 bộ" of
another. Here each fact is read with the words around it, in its clause (a line,
or a part of one between semicolons or sentences), and must be found in the plan
with the same binding:

- a quantity ("05 bộ", "30 ngày": a number and the word after it, from
  `quantity_words`) with the subject it counts (an award of `subjects`, named in
  its clause or else by the entry's title): some clause of the cited sections
  says the same quantity of the same subject;
- a date with the document it dates ("Thông tư 01/2019/TT-VKSTC ngày 14/5/2019",
  "KH 515 ... ngày 08/11/2021"): the plan dates that document so (or the
  document's own `dated` line does);
- two document numbers in one clause ("Thông tư 01/2019 ..., sửa đổi bởi Thông
  tư 01/2020"): where a plan clause names both, in the same order;
- a section named in an answer ("mục II.7.b", "tiêu chí 2.3"), and the sections of
  the source line: their text supports the clause (or the answer) at least about
  as well as any sibling section does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from content.normalize import fold

# Words that say nothing about what a clause is about (folded).
_STOP = set("""
cua va cac theo duoc cho voi trong la co de tu den khi nay do nhung mot ve tai thi hoac boi nhu da se
phai can nao gi the ra vao len tren duoi sau truoc ma con cung deu moi lai nua neu vi nen tuy hay
khong chua rat qua o bang muc ii iii iv vi vii viii ix
""".split())
# Words that name a document rather than say what it says (answers spell the name out).
_NAMING = {"vien", "kiem", "sat", "nhan", "dan", "vksnd", "ke", "hoach", "kh"}


def naming_terms(cite: str, short: str = "") -> set[str]:
    """The words a clause uses to name this document: not evidence of which section it cites."""
    return terms(f"{cite} {short}") | _NAMING
_WORD = re.compile(r"[a-z0-9]+")
_CLAUSE_SPLIT = re.compile(r"\n|;|(?<=[^\d\s.][.!?])\s+(?=[A-ZĐÀ-Ỹ(\-+•])")
# A document number "515/KH-VKS", "34-CT/TW", "01/2019/TT-VKSTC" (its number and year captured);
# a date "08/11/2021", or "ngày 08 tháng 11 năm 2021" as a plan writes it. content/verify.py
# reads facts with the same three.
DOCNO = re.compile(r"(?<![\w/-])(\d+)(?:/(\d{4}))?(?:[/-][0-9A-Za-zĐđ]+)*[/-][A-Za-zĐđ][0-9A-Za-zĐđ]*(?:[/-][0-9A-Za-zĐđ]+)*")
DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])")
LONG_DATE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
# A document called by its kind and number: "Chỉ thị 19", "KH 515", "Thông tư 01/2019".
_LABELLED = re.compile(r"(?i)\b(?:chỉ thị|chi thi|kế hoạch|ke hoach|kh|thông tư|thong tu|nghị định|nghi dinh|"
                       r"nghị quyết|nghi quyet|quyết định|quyet dinh|luật|ct|tt)\s+(?:số\s+)?(\d+)(?:/(\d{4}))?(?!\d)")


def terms(text: str) -> set[str]:
    """The clause's meaningful words: folded syllables, no stop words, no numbers."""
    return {w for w in _WORD.findall(fold(text)) if w not in _STOP and not w.isdigit() and len(w) > 1}


def clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_SPLIT.split(text) if c and c.strip()]


def _key(number: str, year: str | None) -> str:
    return f"{int(number)}/{year}" if year else str(int(number))


def doc_keys(text: str) -> list[tuple[int, str]]:
    """(position, key) of each document the text names, in order: "515/KH-VKS" and "KH 515"
    are both "515"; "01/2019/TT-VKSTC" and "Thông tư 01/2019" are "1/2019"."""
    numbers = list(DOCNO.finditer(text))
    found = [(m.start(), _key(m.group(1), m.group(2))) for m in numbers]
    taken = [(m.start(), m.end()) for m in numbers]
    for m in _LABELLED.finditer(text):
        if not any(a <= m.start(1) < b for a, b in taken):
            found.append((m.start(1), _key(m.group(1), m.group(2))))
    return sorted(found)


def dates_in(text: str) -> list[tuple[int, tuple[int, int, int]]]:
    out = [(m.start(), (int(m.group(1)), int(m.group(2)), int(m.group(3)))) for m in DATE.finditer(text)]
    out += [(m.start(), (int(m.group(1)), int(m.group(2)), int(m.group(3)))) for m in LONG_DATE.finditer(text)]
    return sorted(out)


# Between a document's number and its date: "515/KH-VKS ngày ", "KH 515 (năm 2021) ban hành ngày ".
_DATED_GAP = re.compile(r"\s*(?:\([^)]{0,30}\)\s*)?,?\s*(?:(?:ban hành|ký)\s+)?(?:ngày|ngay)\s*", re.IGNORECASE)


def dated_documents(text: str) -> set[tuple[str, tuple[int, int, int]]]:
    """(document key, date) for each date written right after a document's number
    ("Thông tư 01/2019/TT-VKSTC ngày 14/5/2019"): the date that document bears."""
    out = set()
    for clause in clauses(text):
        ends = [(m.end(), _key(m.group(1), m.group(2))) for m in DOCNO.finditer(clause)]
        ends += [(m.end(), _key(m.group(1), m.group(2))) for m in _LABELLED.finditer(clause)]
        for at, date in dates_in(clause):
            for end, key in ends:
                gap = clause[end:at]
                if _DATED_GAP.fullmatch(gap) or (gap.strip() == "" and clause[at:at + 4].lower() == "ngày"):
                    out.add((key, date))
    return out


_ACTS = re.compile(r"(?i)sửa đổi|sua doi|bổ sung|bo sung|thay thế|thay the|hướng dẫn|huong dan|bãi bỏ|bai bo")
_BY = re.compile(r"(?i)\b(?:bởi|boi)\b")


def document_relations(text: str) -> set[tuple[str, str]]:
    """(acting, acted on) for two documents joined in a clause by what one does to the other:
    "Thông tư 01/2020 sửa đổi, bổ sung Thông tư 01/2019" and "Thông tư 01/2019, sửa đổi bởi
    Thông tư 01/2020" both give (1/2020, 1/2019)."""
    out = set()
    for clause in clauses(text):
        keys = doc_keys(clause)
        for (a_at, a), (b_at, b) in zip(keys, keys[1:], strict=False):
            between = clause[a_at:b_at]
            if a != b and _ACTS.search(between):
                out.add((b, a) if _BY.search(between) else (a, b))
    return out


@dataclass(frozen=True)
class Subject:
    id: str
    phrases: tuple[str, ...]  # folded

    def named_in(self, folded: str) -> bool:
        return any(re.search(rf"(?<![a-z0-9]){re.escape(p)}(?![a-z0-9])", folded) for p in self.phrases)


def make_subjects(spec: dict[str, list[str]]) -> list[Subject]:
    return [Subject(sid, tuple(fold(p) for p in phrases)) for sid, phrases in spec.items()]


def subjects_of(text: str, subjects: Iterable[Subject]) -> set[str]:
    folded = fold(text)
    return {s.id for s in subjects if s.named_in(folded)}


def quantities(text: str, words: Iterable[str]) -> list[tuple[int, str]]:
    """(number, word) of each "05 bộ", "30 ngày" in the text (the word folded: "bo")."""
    folded = fold(text)
    out = []
    for word in sorted({fold(w) for w in words}, key=len, reverse=True):
        for m in re.finditer(rf"(?<![a-z0-9./])(\d+)\s+{re.escape(word)}(?![a-z0-9])", folded):
            out.append((int(m.group(1)), word))
    return out


@dataclass
class PlanClause:
    address: str
    text: str
    subjects: frozenset[str]
    quantities: frozenset[tuple[int, str]]


def plan_clauses(lines: list[tuple[str, str]], subjects: list[Subject], words: list[str]) -> list[PlanClause]:
    out = []
    for address, line in lines:
        for clause in clauses(line):
            out.append(PlanClause(address, clause, frozenset(subjects_of(clause, subjects)),
                                  frozenset(quantities(clause, words))))
    return out


def quantity_problems(text: str, fallback_subjects: set[str], pool: list[PlanClause],
                      subjects: list[Subject], words: list[str]) -> list[str]:
    """Each quantity of the text that no clause of `pool` states for the same subject."""
    problems = []
    for clause in clauses(text):
        said_subjects = subjects_of(clause, subjects) or fallback_subjects
        for q in quantities(clause, words):
            holders = [p for p in pool if q in p.quantities]
            shown = f"{q[0]:02d} {next((w for w in words if fold(w) == q[1]), q[1])}"
            if not holders:
                problems.append(f"'{shown}' ({clause[:60]!r}) is not stated in the cited sections")
            elif said_subjects and not any(not p.subjects or p.subjects & said_subjects for p in holders):
                of = ", ".join(sorted({s for p in holders for s in p.subjects}))
                problems.append(f"'{shown}' is said of {', '.join(sorted(said_subjects))}, but the cited sections "
                                f"state it of {of}")
    return problems


# No sibling of a section named or cited may support what is said clearly better: by more
# than BETTER_BY of its (weighted) words. Measured on the shipped content against the two
# plans: no real citation is refused (0 of 149 source sections, 0 of 91 sections named in
# answers; at 0.15, 2 source sections were). Of the ways of replacing one by a sibling, 324
# of 339 are refused for sections named in answers, 186 of 360 for source lines (in 119 more
# the answer draws nothing from the wrong section, which is not refused: real entries cite
# such sections too).
BETTER_BY = 0.2


def term_weights(plan_sections: dict[str, str]) -> dict[str, float]:
    """How much a word says about which section is meant: rare across the plan's sections
    weighs more (inverse document frequency); a word the plan never uses weighs most."""
    df: dict[str, int] = {}
    for text in plan_sections.values():
        for t in terms(text):
            df[t] = df.get(t, 0) + 1
    n = len(plan_sections)
    return {t: math.log((1 + n) / (1 + k)) for t, k in df.items()}


UNKNOWN_WEIGHT = 3.0  # a word the plan never uses


def weighted_support(said: set[str], section: set[str], weights: dict[str, float]) -> float:
    total = sum(weights.get(t, UNKNOWN_WEIGHT) for t in said)
    return sum(weights.get(t, UNKNOWN_WEIGHT) for t in said & section) / total if total else 1.0


def poorly_supported(own: float, best_sibling: float) -> bool:
    return best_sibling > own + BETTER_BY
