"""`python -m bot content verify --sources DIR`: check the content against the text of
the plans it cites.

Given the plans as text files, every section a source line cites must exist in the
document it names, every section an answer names ("mục II.6.b", "giải pháp 5") must
be one its source line cites, and every number, date and document number in an
answer must appear in a cited section. A number that is a count ("7 tiêu chí") is
also accepted when a cited section has exactly that many items. Each mismatch names
its file and entry.

The plans are split into sections by their headings: "I." (Roman), "1.", "1.1."
and "a)"; the text before section I is the preamble (title, the documents it rests
on), the text from the document's `closing_starts` on is the closing (signature,
recipients).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from content.loader import ContentError, _parse_entries, load
from content.normalize import fold
from content.report_form import ReportForm
from content.schema import Entry
from content.sources import (
    SECTION_RE,
    SOURCES_FILE,
    Citation,
    Document,
    SourcesFile,
    label_refs,
    parse_source,
)
from content.verify_bindings import (
    DATE,
    DOCNO,
    LONG_DATE,
    PlanClause,
    Subject,
    clauses,
    dated_documents,
    document_relations,
    make_subjects,
    naming_terms,
    plan_clauses,
    poorly_supported,
    quantity_problems,
    subjects_of,
    term_weights,
    terms,
    weighted_support,
)
from content.yaml_reader import yaml_load

PREAMBLE, CLOSING = "preamble", "closing"

_ROMAN = re.compile(r"^([IVX]+)\.\s+\S")
_SUB = re.compile(r"^(\d+)\.(\d+)\.?\s+\S")
_NUM = re.compile(r"^(\d+)\.\s+\S")
_LETTER = re.compile(r"^([a-z])\)\s+\S")
_BULLET = re.compile(r"^([-+•])\s+\S")

# Facts in a text: a date and a document number (DATE, LONG_DATE, DOCNO of verify_bindings);
# a name with a number ("COVID-19") is neither; any other number "05", "2.1", "48", and "5K".
_NAMED = re.compile(r"[A-Za-zĐđ]+-\d+")
_NUMBER = re.compile(r"(?<![\w/.-])\d+(?:[.,]\d+)*[A-Za-z]?(?![\w/])")
# A section named in an answer: dotted ("II.7.b", "I.1") anywhere; a bare one ("V") after "mục".
_MUC = re.compile(r"(?i)\bmục\s+([IVX]+)(?![\w.])")


@dataclass
class Plan:
    document: Document
    path: Path
    text: str
    lines: list[tuple[str, str]] = field(default_factory=list)  # (address, line)
    children: Counter = field(default_factory=Counter)  # address -> numbered children
    runs: dict[str, set[int]] = field(default_factory=dict)  # address -> lengths of item runs
    _terms: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _weights: dict[str, float] | None = field(default=None, repr=False)

    def has(self, address: str) -> bool:
        return any(a == address for a, _ in self.lines)

    @property
    def addresses(self) -> list[str]:
        return list(dict.fromkeys(a for a, _ in self.lines))

    def siblings(self, address: str) -> list[str]:
        """Sections at the same level under the same parent ("IV.2.2" for "IV.2.1")."""
        if address in (PREAMBLE, CLOSING):
            return []
        parent = address.rsplit(".", 1)[0] if "." in address else ""
        depth = address.count(".")
        return [a for a in self.addresses if a != address and a not in (PREAMBLE, CLOSING)
                and a.count(".") == depth and (not parent or a.startswith(parent + "."))]

    def section_terms(self, address: str) -> set[str]:
        if address not in self._terms:
            self._terms[address] = terms(self.section_text(address))
        return self._terms[address]

    @property
    def weights(self) -> dict[str, float]:
        if self._weights is None:
            self._weights = term_weights({a: self.section_text(a) for a in self.addresses})
        return self._weights

    def support(self, said: set[str], address: str) -> float:
        return weighted_support(said, self.section_terms(address), self.weights)

    def section_text(self, address: str) -> str:
        return "\n".join(line for a, line in self.lines if a == address or a.startswith(address + "."))

    def counts(self, address: str) -> set[int]:
        """How many items the section and the sections under it list."""
        out: set[int] = set()
        for a in {a for a, _ in self.lines if a == address or a.startswith(address + ".")}:
            out |= self.runs.get(a, set())
            if self.children[a]:
                out.add(self.children[a])
        return out


def parse_plan(document: Document, path: Path, text: str) -> Plan:
    plan = Plan(document, path, text)
    roman = num = ""
    address = PREAMBLE
    run: dict[str, int] = {}  # open item runs of the current section, by marker

    def close_runs() -> None:
        for n in run.values():
            plan.runs.setdefault(address, set()).add(n)
        run.clear()

    closing_starts = [fold(s) for s in document.closing_starts]
    for raw in text.splitlines():
        line = raw.replace("**", "").replace("*", "").strip()
        if not line:
            continue
        if address != CLOSING and any(fold(line).startswith(s) for s in closing_starts):
            close_runs()
            address = CLOSING
        elif address != CLOSING and (m := _ROMAN.match(line)):
            close_runs()
            roman, num, address = m.group(1), "", m.group(1)
            plan.children[PREAMBLE + "-romans"] += 1
        elif address not in (PREAMBLE, CLOSING) and (m := _SUB.match(line)):
            close_runs()
            num = m.group(1)
            address = f"{roman}.{num}.{m.group(2)}"
            plan.children[f"{roman}.{num}"] += 1
        elif address not in (PREAMBLE, CLOSING) and (m := _NUM.match(line)):
            close_runs()
            num = m.group(1)
            address = f"{roman}.{num}"
            plan.children[roman] += 1
        elif address not in (PREAMBLE, CLOSING) and num and (m := _LETTER.match(line)):
            close_runs()
            address = f"{roman}.{num}.{m.group(1)}"
            plan.children[f"{roman}.{num}"] += 1
        elif m := _BULLET.match(line):
            marker = m.group(1)
            level = "-+•".index(marker)
            for deeper in [k for k in run if "-+•".index(k) > level]:
                plan.runs.setdefault(address, set()).add(run.pop(deeper))
            run[marker] = run.get(marker, 0) + 1
        else:
            close_runs()
        plan.lines.append((address, line))
    close_runs()
    return plan


def plan_romans(plan: Plan) -> int:
    return plan.children[PREAMBLE + "-romans"]


@dataclass
class Facts:
    dates: set[tuple[int, int, int]] = field(default_factory=set)
    docnos: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    counts: set[str] = field(default_factory=set)  # numbers written as a count ("7 tiêu chí")

    def __len__(self) -> int:
        return len(self.dates) + len(self.docnos) + len(self.numbers)


def _number_key(token: str) -> str:
    return str(int(token)) if token.isdigit() else token.upper()


def facts_of(text: str, *, plan_text: bool = False, count_words: list[str] = ()) -> Facts:
    out = Facts()
    for word in count_words:  # no leading zero: "04 bộ" is a quantity the plan writes, not a count
        out.counts |= set(re.findall(rf"(?i)(?<![\w./-])([1-9]\d*)\s+{re.escape(word)}(?!\w)", text))
    if plan_text:
        for m in LONG_DATE.finditer(text):
            out.dates.add((int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in DATE.finditer(text):
        out.dates.add((int(m.group(1)), int(m.group(2)), int(m.group(3))))
    text = DATE.sub(" ", text)
    for m in DOCNO.finditer(text):
        out.docnos.add(fold(m.group(0)))
        if plan_text:  # "KH 515" names the document 515/KH-VKS
            out.numbers.add(_number_key(m.group(1)))
    text = DOCNO.sub(" ", text)
    text = _NAMED.sub(" ", text)
    for m in _NUMBER.finditer(text):
        out.numbers.add(_number_key(m.group(0)))
    if plan_text:  # a date's year counts as a number said ("năm 2021")
        out.numbers |= {str(y) for _, _, y in out.dates}
    return out


def inline_sections(answer: str, cites: list[Citation]) -> tuple[list[str], str]:
    """Sections the answer names, and the answer with those names taken out."""
    refs: list[str] = []

    def take(m: re.Match) -> str:
        if "." in m.group(1):
            refs.append(m.group(1))
            return " "
        return m.group(0)

    rest = SECTION_RE.sub(take, answer)
    refs += _MUC.findall(rest)
    rest = _MUC.sub(" ", rest)
    for c in cites:
        refs += label_refs(rest, c.document)
        for label in c.document.labels:
            rest = re.sub(rf"(?i)(?<!\w){re.escape(label)}\s+(?:số\s+)?\d+(?:\.\d+)*(?![\d\w])", " ", rest)
    return list(dict.fromkeys(refs)), rest


@dataclass
class Report:
    mismatches: list[str] = field(default_factory=list)
    entries: int = 0
    sections: int = 0  # cited sections checked to exist
    references: int = 0  # sections named in answers
    facts: int = 0  # numbers, dates and document numbers checked
    counted: int = 0  # of them, counts accepted by a section's number of items
    skipped: list[str] = field(default_factory=list)  # entries citing only documents without text


def find_plans(sources_dir: Path, documents: list[Document]) -> tuple[dict[str, Plan], list[str]]:
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in sorted(Path(sources_dir).glob("*"))
             if p.is_file() and p.suffix.lower() in (".txt", ".md", "")}
    plans: dict[str, Plan] = {}
    problems = []
    for d in documents:
        if d.external:
            continue
        found = [p for p, t in texts.items() if d.find and d.find in t]
        if not found:
            problems.append(f"document {d.id} ({d.cite}): no file in {sources_dir} holds {d.find!r}")
        elif len(found) > 1:
            problems.append(f"document {d.id} ({d.cite}): several files hold {d.find!r}: "
                            + ", ".join(p.name for p in found))
        else:
            plans[d.id] = parse_plan(d, found[0], texts[found[0]])
    return plans, problems


def _covered(ref: str, cite: Citation) -> bool:
    return cite.whole or any(ref == s or ref.startswith(s + ".") for s in cite.sections)


def verify_entry(path: Path, entry: Entry, documents: list[Document], plans: dict[str, Plan],
                 report: Report, count_words: list[str] = (), bindings: Bindings | None = None) -> None:
    where = f"{path}: entry {entry.id}"
    cites, unknown = parse_source(entry.source, documents)
    for segment in unknown:
        report.mismatches.append(f"{where}: source {segment!r} names no known document")
    checked = [c for c in cites if c.document.id in plans]
    if not checked:
        if cites and all(c.document.external for c in cites):
            report.skipped.append(entry.id)
        return
    report.entries += 1
    pool_text = []
    for c in checked:
        plan = plans[c.document.id]
        for s in c.sections:
            report.sections += 1
            if not plan.has(s):
                report.mismatches.append(f"{where}: cites mục {s}, which {c.document.cite} does not have")
        for part in c.parts:
            report.sections += 1
            if not plan.section_text(part).strip():
                report.mismatches.append(f"{where}: cites the {part} of {c.document.cite}, which was not found")
        if c.whole:
            pool_text.append(_without_headings(plan.text))
        # Without the headings' own numbers: "3." of a heading is no "03 bộ" and no "mục 3".
        pool_text += [_without_headings(plan.section_text(s)) for s in c.sections]
        pool_text += [_without_headings(plan.section_text(p)) for p in c.parts]
        pool_text += [c.document.cite, c.document.short, c.document.dated]  # its own number and date
    said_text = entry.answer + (f"\n\n{entry.short}" if entry.short else "")  # the short answer says things too
    refs, rest = inline_sections(said_text, checked)
    for ref in refs:
        report.references += 1
        holders = [c for c in checked if plans[c.document.id].has(ref)]
        if not holders:
            report.mismatches.append(f"{where}: the answer names mục {ref}, which no cited document has")
        elif not any(_covered(ref, c) for c in holders):
            report.mismatches.append(f"{where}: the answer names mục {ref}, which the source line does not cite")
    pool = facts_of("\n".join(pool_text), plan_text=True)
    said = facts_of(rest, count_words=count_words)
    report.facts += len(said)
    for d, m, y in sorted(said.dates - pool.dates):
        report.mismatches.append(f"{where}: date {d:02d}/{m:02d}/{y} is not in the cited sections")
    for no in sorted(said.docnos - pool.docnos):
        report.mismatches.append(f"{where}: document number {no.upper()} is not in the cited sections")
    counts: set[int] = set()
    for c in checked:
        plan = plans[c.document.id]
        if c.whole:
            counts.add(plan_romans(plan))
            counts |= {n for a in {a for a, _ in plan.lines} for n in plan.counts(a)}
        for s in c.sections:
            counts |= plan.counts(s)
    for n in sorted(said.numbers - pool.numbers):
        if n in said.counts and int(n) in counts:
            report.counted += 1
            continue
        report.mismatches.append(f"{where}: number {n} is not in the cited sections")
    if bindings is not None:
        report.mismatches += [f"{where}: {p}" for p in bindings.problems(entry, checked, plans)]


# A heading's own number ("3. Hồ sơ", "IV. KHEN THƯỞNG", "a) ..."); dotted ones ("2.1.") stay:
# answers name criteria by them.
_HEADING = re.compile(r"(?m)^\s*(?:(?:[IVX]+|\d+)\.|[a-z]\))\s+(?=\S)")


def _without_headings(text: str) -> str:
    return _HEADING.sub("", text)


class Bindings:
    """The checks of content/verify_bindings.py over the plans: each fact with what it is about."""

    def __init__(self, sources: SourcesFile, plans: dict[str, Plan]):
        self.subjects: list[Subject] = make_subjects(sources.subjects)
        self.words = sources.quantity_words
        self.dated: set = set()  # (document key, date) as the plans and sources.yaml date documents
        self.relations: set = set()  # (acting, acted on): one document amends, guides... another
        for plan in plans.values():
            self.dated |= dated_documents(plan.text)
            self.relations |= document_relations(plan.text)
        for d in sources.documents:  # "KH 515 ban hành ngày 08/11/2021": the date each document bears
            self.dated |= dated_documents(d.dated)
        self.dated_keys = {k for k, _ in self.dated}
        self._clauses: dict[tuple[str, str], list[PlanClause]] = {}

    def clauses_of(self, plan: Plan, address: str | None) -> list[PlanClause]:
        key = (plan.document.id, address or "")
        if key not in self._clauses:
            lines = [(a, _without_headings(t)) for a, t in plan.lines
                     if address is None or a == address or a.startswith(address + ".")]
            self._clauses[key] = plan_clauses(lines, self.subjects, self.words)
        return self._clauses[key]

    def problems(self, entry: Entry, checked: list[Citation], plans: dict[str, Plan]) -> list[str]:
        said_text = entry.answer + (f"\n\n{entry.short}" if entry.short else "")
        out = []
        # Quantities, with the subject they count.
        pool = [pc for c in checked for address in ([None] if c.whole else [*c.sections, *c.parts])
                for pc in self.clauses_of(plans[c.document.id], address)]
        out += quantity_problems(said_text, subjects_of(entry.title, self.subjects), pool, self.subjects, self.words)
        # Dates, with the document they date.
        for key, (d, m, y) in sorted(dated_documents(said_text) - self.dated):
            if key in self.dated_keys:
                known = ", ".join(f"{dd:02d}/{mm:02d}/{yy}" for k, (dd, mm, yy) in sorted(self.dated) if k == key)
                out.append(f"date {d:02d}/{m:02d}/{y} is given to document {key}, which the plans date {known}")
        # What one document does to another, the way round the plans say.
        for a, b in sorted(document_relations(said_text)):
            if (b, a) in self.relations and (a, b) not in self.relations:
                out.append(f"says document {a} amends or guides {b}; the plans say {b} does so to {a}")
        # Sections named in the answer support the clause that names them.
        for clause in clauses(said_text):
            refs, _ = inline_sections(clause, checked)
            for ref in refs:
                holder = next((c for c in checked if plans[c.document.id].has(ref) and _covered(ref, c)), None)
                if holder is None:
                    continue  # reported above
                out += self._weakly_supported(plans[holder.document.id], ref, clause, exclude=())
        # The source line's sections support what the answer draws from each.
        for c in checked:
            plan = plans[c.document.id]
            sections = [s for s in c.sections if plan.has(s)]
            if not sections:
                continue
            name = naming_terms(c.document.cite, c.document.short)
            drawn: dict[str, set[str]] = {s: set() for s in sections}
            for clause in clauses(entry.answer):
                said = terms(clause) - name
                if len(said) >= 3:
                    drawn[max(sections, key=lambda s: plan.support(said, s))] |= said
            for s, said in drawn.items():
                if said:
                    out += self._weakly_supported(plan, s, None, exclude=sections, said=said)
        return out

    @staticmethod
    def _weakly_supported(plan: Plan, address: str, clause: str | None, exclude: tuple | list,
                          said: set[str] | None = None) -> list[str]:
        if said is None:
            said = terms(clause or "") - naming_terms(plan.document.cite, plan.document.short)
        if len(said) < 3:
            return []
        own = plan.support(said, address)
        siblings = {x: plan.support(said, x) for x in plan.siblings(address) if x not in exclude}
        if not siblings:
            return []
        best = max(siblings, key=siblings.__getitem__)
        if not poorly_supported(own, siblings[best]):
            return []
        if clause is not None:
            return [f"names mục {address} for {clause[:70]!r}, but its words are in mục {best} "
                    f"({own:.0%} against {siblings[best]:.0%} of them)"]
        return [f"cites mục {address}, but what the answer draws from it is in mục {best} "
                f"({own:.0%} against {siblings[best]:.0%} of its words)"]


def verify_form(path: Path, documents: list[Document], plans: dict[str, Plan], bindings: Bindings) -> list[str]:
    """The report form against the plans: each award's copies as the plan states them for
    that award (the exported award list prints them), each criterion's label in the words
    of the criterion it names."""
    form = ReportForm.model_validate(yaml_load(path.read_text(encoding="utf-8")))
    out = []
    everywhere = [pc for plan in plans.values() for pc in bindings.clauses_of(plan, None)]
    for a in form.awards:
        for p in quantity_problems(f"{a.name}: {a.copies:02d} bộ", {a.id}, everywhere, bindings.subjects, ["bộ"]):
            out.append(f"{path}: award {a.id}: {p}")
    for option in form.criteria:
        if not option.source:
            continue
        cites, _ = parse_source(option.source, documents)
        for c in cites:
            plan = plans.get(c.document.id)
            if plan is None:
                continue
            named = [r for r in label_refs(option.source, c.document) if plan.has(r)] or list(c.sections)
            words = terms(re.sub(r"^\d+(?:\.\d+)*\s+", "", option.label))
            plan_words = set().union(*(plan.section_terms(r) for r in named)) if named else set()
            missing = sorted(words - plan_words)
            if named and missing:
                out.append(f"{path}: criterion {option.id}: the label's words {', '.join(missing)} are not in "
                           f"mục {', '.join(named)} of {c.document.cite}")
    return out


def verify(content_dir: Path, sources_dir: Path) -> Report:
    """Check the content in `content_dir` against the plans in `sources_dir`."""
    load(content_dir)  # the content must be valid first (raises ContentError)
    sources_path = Path(content_dir) / SOURCES_FILE
    if not sources_path.exists():
        raise ContentError([f"{sources_path}: missing (content verify needs the list of documents)"])
    sources = SourcesFile.model_validate(yaml_load(sources_path.read_text(encoding="utf-8")))
    documents = sources.documents
    report = Report()
    plans, problems = find_plans(sources_dir, documents)
    report.mismatches += problems
    for d_id, plan in plans.items():
        doc = plan.document
        own = facts_of(doc.cite + " " + doc.dated)
        whole = facts_of(plan.text, plan_text=True)
        missing = (own.dates - whole.dates, own.docnos - whole.docnos, own.numbers - whole.numbers)
        if any(missing):
            report.mismatches.append(f"{SOURCES_FILE}: document {d_id}: its cite and dated say "
                                     f"{sorted(map(str, set().union(*missing)))}, not found in {plan.path.name}")
    bindings = Bindings(sources, plans)
    problems_list: list[str] = []
    for path in sorted((Path(content_dir) / "entries").glob("*.yaml")):
        for entry in _parse_entries(path, problems_list):
            verify_entry(path, entry, documents, plans, report, sources.count_words, bindings)
    form_path = Path(content_dir) / "report_form.yaml"
    if form_path.exists():
        report.mismatches += verify_form(form_path, documents, plans, bindings)
    return report
