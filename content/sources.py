"""The documents the content cites (content/sources.yaml), and the rules the loader
applies by them: how a source line names a document and its sections, the date
each answer's source line carries, and the notes added to answers by topic or tag
(written once, e.g. that the 2022 Law now governs procedures).

Used by the loader (`content check`, `/reload`) and by `content verify`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from content.normalize import fold

SOURCES_FILE = "sources.yaml"

# A section address in a source line or an answer: "IV.2.2", "II.7.b", "V", "III.5".
SECTION_RE = re.compile(r"(?<![\w.])([IVX]+(?:\.\d+)*(?:\.[a-z])?)(?![\w])")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Document(_Strict):
    id: str
    # How source lines name the document, exactly: "KH 515/KH-VKS".
    cite: str = Field(min_length=1)
    # Its short name ("KH 515"), as answers may call it.
    short: str = ""
    # A sentence with its date or period, shown after the source line of every answer citing it.
    dated: str = ""
    # No text of it is available (a message of another ministry...): `content verify` skips it.
    external: bool = False
    # `content verify --sources DIR`: the text file that holds this string is this document.
    find: str = ""
    # Parts without a section number: name in a source line -> "preamble" (before section I)
    # or "closing" (from the first of `closing_starts`).
    parts: dict[str, str] = {}
    closing_starts: list[str] = []
    # Words that name a numbered part in answers: "giải pháp 5" is section III.5,
    # "tiêu chí 2.6" is section II.2.6 ("tiêu chí": "II").
    labels: dict[str, str] = {}


class NoteRule(_Strict):
    id: str
    text: str = Field(min_length=1)
    topics: list[str] = []
    tags: list[str] = []
    # An answer containing one of these (folded) must get the note: content check says so.
    required_when: list[str] = []
    # The note in one line, said with the short answer itself (not only behind "Xem chi tiết").
    short: str = ""
    # A question naming one of these (folded) that the content does not answer gets `short`
    # with the fallback: what is known of the subject, and who to confirm it with.
    asked_about: list[str] = []


class SourcesFile(_Strict):
    documents: list[Document]
    tags: list[str] = []
    notes: list[NoteRule] = []
    # Words no answer may use about the 2019-2021 texts ("hiện hành"): they are not current.
    outdated_claims: list[str] = []
    # `content verify`: a number followed by one of these ("7 tiêu chí") is a count, also
    # accepted when a cited section lists that many items.
    count_words: list[str] = []
    # `content verify`: a number followed by one of these ("05 bộ", "30 ngày") is a quantity,
    # which must be stated by the cited sections of the same subject.
    quantity_words: list[str] = []
    # The things quantities are said of (the awards): id -> the ways texts name it. An
    # award of report_form.yaml uses its own id here.
    subjects: dict[str, list[str]] = {}


@dataclass(frozen=True)
class Citation:
    """One document named in a source line, with the sections and parts cited from it."""

    document: Document
    sections: tuple[str, ...]  # "IV.2.2", ...; empty with no parts: the whole document
    parts: tuple[str, ...]  # "preamble" | "closing"

    @property
    def whole(self) -> bool:
        return not self.sections and not self.parts


def parse_source(source: str, documents: list[Document]) -> tuple[list[Citation], list[str]]:
    """The citations of a source line, and the segments (split at ';') naming no known document."""
    out: list[Citation] = []
    unknown: list[str] = []
    by_length = sorted(documents, key=lambda d: -len(d.cite))
    for segment in (s.strip() for s in source.split(";")):
        if not segment:
            continue
        doc = next((d for d in by_length if d.cite in segment), None)
        if doc is None:
            unknown.append(segment)
            continue
        rest = segment.split(doc.cite, 1)[1]
        sections = tuple(dict.fromkeys(SECTION_RE.findall(rest)))
        folded = fold(rest)
        parts = tuple(dict.fromkeys(kind for name, kind in doc.parts.items() if fold(name) in folded))
        out.append(Citation(doc, sections, parts))
    return out, unknown


def label_refs(answer: str, doc: Document) -> list[str]:
    """Sections an answer names by the document's labels ("giải pháp 5" -> "III.5")."""
    out = []
    for label, roman in doc.labels.items():
        for m in re.finditer(rf"(?i)(?<!\w){re.escape(label)}\s+(?:số\s+)?(\d+(?:\.\d+)*)(?![\d\w])", answer):
            out.append(f"{roman}.{m.group(1)}")
    return out


def load_sources(content_dir: Path, read) -> SourcesFile | None:  # noqa: ANN001
    """sources.yaml parsed by the loader's `read(path, model)`; None when there is none."""
    path = Path(content_dir) / SOURCES_FILE
    return read(path, SourcesFile) if path.exists() else None


def dated_source(source: str, documents: list[Document]) -> str:
    """The source line as shown: followed by the date or period of each document it cites."""
    cites, _ = parse_source(source, documents)
    dated = list({c.document.id: c.document.dated for c in cites if c.document.dated}.values())
    if not dated:
        return source
    return f"{source.rstrip('.')}. {'. '.join(dated)}."


def apply(sources: SourcesFile, entries: list, topic_ids: set[str], where: Path) -> tuple[dict, dict, list[str]]:
    """Check the rules and the entries against them. Returns the note added to each
    entry (id -> text), each entry's shown source (id -> text) and the problems, each
    naming its file and entry. `entries` holds (path, Entry) pairs."""
    problems: list[str] = []
    docs = sources.documents
    seen_docs: set[str] = set()
    for d in docs:
        if d.id in seen_docs:
            problems.append(f"{where}: document {d.id}: duplicate id")
        seen_docs.add(d.id)
        for name, kind in d.parts.items():
            if kind not in ("preamble", "closing"):
                problems.append(f"{where}: document {d.id}: part {name!r} must be preamble or closing, not {kind!r}")
        if not d.external and not d.find:
            problems.append(f"{where}: document {d.id}: needs `find` (a string of its text) or `external: true`")
    known_tags = set(sources.tags)
    for rule in sources.notes:
        for t in rule.topics:
            if t not in topic_ids:
                problems.append(f"{where}: note {rule.id}: unknown topic {t!r}")
        for t in rule.tags:
            if t not in known_tags:
                problems.append(f"{where}: note {rule.id}: unknown tag {t!r} (declare it under tags)")
        if not rule.topics and not rule.tags:
            problems.append(f"{where}: note {rule.id}: applies to nothing (give topics or tags)")
    notes: dict[str, str] = {}
    shown: dict[str, str] = {}
    claims = [(c, f" {fold(c)} ") for c in sources.outdated_claims]
    for path, e in entries:
        name = f"{path}: entry {e.id}"
        for t in e.tags:
            if t not in known_tags:
                problems.append(f"{name}: unknown tag {t!r} (sources.yaml lists the tags)")
        # A source naming a document sources.yaml does not list is allowed here (the Office may
        # cite a new text at once); `content verify` reports it.
        shown[e.id] = dated_source(e.source, docs)
        folded_answer = f" {fold(e.answer)} {fold(e.short or '')} "
        for claim, folded in claims:
            if folded in folded_answer:
                problems.append(f"{name}: the answer calls a text {claim!r}; the plans date from 2021 and the "
                                "2022 Law now governs: say which text and year instead")
        applied = [r for r in sources.notes if e.topic in r.topics or set(e.tags) & set(r.tags)]
        for rule in sources.notes:
            if any(r.id == rule.id for r in applied):
                continue
            hit = next((w for w in rule.required_when if f" {fold(w)} " in folded_answer), None)
            if hit:
                problems.append(f"{name}: the answer mentions {hit!r} but does not get note {rule.id}; "
                                f"give it a tag of {rule.tags} or move it to a topic of {rule.topics}")
        if applied:
            notes[e.id] = "".join(f"\n\n{r.text.strip()}" for r in applied)
    return notes, shown, problems
