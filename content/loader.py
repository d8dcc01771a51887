"""Load the curated YAML and check it; every problem names its file and entry."""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from content import sources as content_sources
from content.commands import COMMANDS_FILE, CommandsFile
from content.commands import problems as commands_problems
from content.concepts import CONCEPTS_FILE, ConceptFile
from content.concepts import problems as concept_problems
from content.deadlines import UNIT_PREFIX, DeadlineFile, DeadlineSpec
from content.dialogue_file import DIALOGUE_FILE, DialogueFile
from content.dialogue_file import problems as dialogue_problems
from content.lexicon import LEXICON_FILE, LexiconFile
from content.lexicon import problems as lexicon_problems
from content.normalize import fold
from content.out_of_scope import OUT_OF_SCOPE_FILE, OutOfScopeFile
from content.out_of_scope import file_problems as out_of_scope_problems
from content.report_form import ReportForm
from content.schema import Entry, SynonymFile, Topic, TopicFile, Unit, UnitFile
from content.smalltalk import SMALLTALK_FILE, SmallTalkFile
from content.smalltalk import problems as smalltalk_problems
from content.sources import NoteRule
from content.verify_bindings import clauses, make_subjects, quantities
from content.yaml_reader import yaml_load
from storage.edit_keys import DEADLINE_PREFIX, OUT_OF_SCOPE_KEY, UNITS_KEY, is_entry_key

# The short answer a phone shows first (the entry's `short`, else its answer's first
# paragraph): at most this many characters and two sentences, so that with its title,
# source line and choices a reply stays near 700 characters.
SHORT_MAX = 300
SHORT_SENTENCES = 2
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
# A sentence ends at . ! ? followed by a capital (not "mục IV.2.2" or "01/2019/TT-VKSTC").
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈẺẼẸÍÌỈĨỊÓÒỎÕỌÚÙỦŨỤÝỲỶỸỴ“\"])")


def short_answer(entry: Entry) -> str:
    """The direct answer, first: the entry's `short`, or its answer's first paragraph."""
    return entry.short or _PARAGRAPH.split(entry.answer, 1)[0].strip()


def short_problems(entry: Entry) -> list[str]:
    """Why an entry's short answer does not read well alone on a phone (for `content check`)."""
    text = short_answer(entry)
    what = "its `short`" if entry.short else "the first paragraph of its answer (the short answer)"
    out = []
    if len(text) > SHORT_MAX:
        out.append(f"{what} has {len(text)} characters, more than {SHORT_MAX}: "
                   "write a `short:` of one or two sentences")
    if len(_SENTENCE_END.split(text)) > SHORT_SENTENCES:
        out.append(f"{what} has more than {SHORT_SENTENCES} sentences: write a `short:` of one or two")
    if text.endswith(":"):
        out.append(f"{what} introduces a list (ends with ':'): write a `short:` that answers on its own")
    if entry.short and entry.short == _PARAGRAPH.split(entry.answer, 1)[0].strip():
        out.append("its `short` repeats the answer's first paragraph, which is the short answer anyway: remove it")
    return out


def _example_problems(entries: list[tuple[Path, Entry]]) -> list[str]:
    """An example (how staff write, read by the learned ranker alone) that another entry
    has as a phrasing or an example, spelled the same without diacritics: the ranker
    would learn one message for two entries."""
    owners: dict[str, set[str]] = {}
    for _, e in entries:
        for text in (*e.questions, *e.examples):
            owners.setdefault(fold(text), set()).add(e.id)
    out = []
    for path, e in entries:
        for text in e.examples:
            others = sorted(owners[fold(text)] - {e.id})
            if others:
                out.append(f"{path}: entry {e.id}: example {text!r} is also a phrasing or example of "
                           f"{', '.join(others)}")
    return out


@functools.lru_cache(maxsize=1 << 15)  # a reload asks again for the same texts and terms
def _uncovered_in(text: str, terms: tuple[str, ...]) -> tuple[str, ...]:
    """The terms (synonyms.yaml `not_covered`) that `text` names."""
    padded = f" {fold(text)} "
    # One scan finds a text holding any of the terms (few or none); only those are looked at term by term.
    if not _any_term(terms).search(padded):
        return ()
    return tuple(term for term in terms if f" {fold(term)} " in padded)


@functools.lru_cache(maxsize=4)
def _any_term(terms: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(re.escape(f" {fold(term)} ") for term in terms))


class ContentError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class KnowledgeBase:
    entries: list[Entry]
    topics: list[Topic]
    synonyms: SynonymFile
    units: list[Unit] = field(default_factory=list)
    deadlines: list[DeadlineSpec] = field(default_factory=list)
    # The language's and the domain's word lists (lexicon.yaml); None: the ones shipped with the code.
    lexicon: LexiconFile | None = None
    # What follow-ups and several questions are read by (dialogue.yaml); None: the one shipped with the code.
    dialogue: DialogueFile | None = None
    # Small talk (smalltalk.yaml); None: the list shipped with the code.
    small_talk: SmallTalkFile | None = None
    # Words typed instead of a command (commands.yaml); None: the ones shipped with the code.
    commands: CommandsFile | None = None
    # Situations that point to the plans' terms (concepts.yaml); None: none.
    concepts: ConceptFile | None = None
    report_form: ReportForm | None = None
    units_note: str | None = None
    # sources.yaml: the note each entry's answer gets by its topic or tags, and its
    # source line as shown (with the date of each document cited).
    notes: dict[str, str] = field(default_factory=dict)
    shown_sources: dict[str, str] = field(default_factory=dict)
    # The note rules themselves (their one-line forms, the subjects they answer for).
    note_rules: list[NoteRule] = field(default_factory=list)
    by_id: dict[str, Entry] = field(default_factory=dict)
    # Questions the Office marked "not our subject" in the console (storage/content_edits.py):
    # the bot declines these and near rewordings of them (content/out_of_scope.py).
    out_of_scope: tuple[str, ...] = ()
    # Messages the plans do not answer (out_of_scope.yaml): with the marked ones above, the
    # learned ranker's class of messages to decline (content/ranker.py).
    outside: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.by_id = {e.id: e for e in self.entries}

    def unit_name(self, unit_id: str | None) -> str:
        """A unit as people read it: its name in units.yaml; an id no longer there (the
        list was replaced and stored rows not yet mapped) in a readable form, never raw."""
        if not unit_id:
            return ""
        unit = next((u for u in self.units if u.id == unit_id), None)
        return unit.name if unit else readable_unit_id(unit_id)

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def entries_of(self, topic_id: str) -> list[Entry]:
        return [e for e in self.entries if e.topic == topic_id]

    def answer_text(self, entry: Entry) -> str:
        """The answer as shown: the entry's text and the notes rules add to it."""
        return entry.answer + self.notes.get(entry.id, "")

    def source_text(self, entry: Entry) -> str:
        return self.shown_sources.get(entry.id, entry.source)

    def short_text(self, entry: Entry) -> str:
        """The direct answer shown first on a phone; the source line goes with it."""
        return short_answer(entry)

    def short_note(self, entry: Entry) -> str:
        """The one-line notes an entry's short answer carries (the 2022 Law for procedures)."""
        return "\n\n".join(r.short.strip() for r in self.note_rules
                             if r.short and (entry.topic in r.topics or set(entry.tags) & set(r.tags)))

    def note_asked(self, question: str) -> str | None:
        """The one-line note of a subject the question names ("Luật Thi đua, khen thưởng 2022",
        "còn hiệu lực"), for a question the entries do not answer."""
        folded = f" {' '.join(fold(question).replace('/', ' / ').split())} "
        for r in self.note_rules:
            if r.short and any(f" {' '.join(fold(w).replace('/', ' / ').split())} " in folded for w in r.asked_about):
                return r.short.strip()
        return None

    def has_details(self, entry: Entry) -> bool:
        """Whether the whole answer (with its notes) says more than the short one."""
        return self.answer_text(entry).strip() != short_answer(entry)


# Abbreviations in unit ids that are written in capitals (vks-go-dau -> "VKS Go Dau").
_UNIT_ABBREVIATIONS = {"vks", "vksnd", "vkstc", "tp", "tx", "ks", "ksdt", "ksxx", "thads", "thahs", "khtt", "tt"}


def readable_unit_id(unit_id: str) -> str:
    words = [w for w in re.split(r"[-_.]+", unit_id) if w]
    shown = " ".join(w.upper() if w in _UNIT_ABBREVIATIONS else w.capitalize() for w in words)
    return f"{shown or unit_id} (đơn vị cũ)"


def _read_text(path: Path, problems: list[str]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot read: {exc}")
    return None


def _yaml_of(path: Path, text: str, problems: list[str]) -> object:
    try:
        return yaml_load(text)
    except yaml.YAMLError as exc:
        problems.append(f"{path}: not valid YAML: {exc}")
    return None


class _ValidatedFiles:
    """What a file's text validated to, by its text: every save of the Office reloads the
    content on every instance, and the files that did not change (all of them, usually)
    need not be parsed and validated again; that was most of a reload. Only results
    without problems are kept (a problem names its file), and they are frozen models, so
    two versions may share them. The newest few texts are kept, whatever their path."""

    def __init__(self, size: int = 64):
        self._size = size
        self._held: dict[tuple[object, bytes], object] = {}
        self._lock = threading.Lock()

    def get(self, kind: object, text: str, make):  # noqa: ANN001, ANN201
        key = (kind, hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest())
        with self._lock:
            if key in self._held:
                self._held[key] = self._held.pop(key)  # the most recently used goes last
                return self._held[key]
        problems: list[str] = []
        value = make(problems)
        if problems:
            return value, problems
        with self._lock:
            self._held[key] = (value, [])
            while len(self._held) > self._size:
                self._held.pop(next(iter(self._held)))
        return value, []


_VALIDATED = _ValidatedFiles()


def _validation_problems(path: Path, exc: ValidationError, data: object) -> list[str]:
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        # Name the entry by its id when the error sits inside a list item.
        if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data, dict):
            items = data.get(loc[0]) or []
            if loc[1] < len(items) and isinstance(items[loc[1]], dict) and items[loc[1]].get("id"):
                where = f"{loc[0]}[{loc[1]}] (id {items[loc[1]]['id']})" + (
                    "." + ".".join(str(p) for p in loc[2:]) if loc[2:] else "")
        out.append(f"{path}: {where}: {err['msg']}")
    return out


def _parse_entries(path: Path, problems: list[str]) -> list[Entry]:
    text = _read_text(path, problems)
    if text is None:
        return []
    entries, found = _VALIDATED.get("entries", text, lambda out: _validate_entries(path, text, out))
    problems.extend(found)
    return list(entries)


def _validate_entries(path: Path, text: str, problems: list[str]) -> tuple[Entry, ...]:
    """Entries are validated one by one, so one broken entry does not hide the
    problems (or the links) of the others in the same file."""
    data = _yaml_of(path, text, problems)
    if data is None:
        return ()
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        problems.append(f"{path}: expected a mapping with a list under 'entries'")
        return ()
    extra = set(data) - {"entries"}
    if extra:
        problems.append(f"{path}: unexpected top-level keys: {', '.join(sorted(map(str, extra)))}")
    out = []
    for i, item in enumerate(data["entries"]):
        try:
            out.append(Entry.model_validate(item))
        except ValidationError as exc:
            name = f"entries[{i}]"
            if isinstance(item, dict) and item.get("id"):
                name += f" (id {item['id']})"
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"])
                problems.append(f"{path}: {name}{'.' + field if field else ''}: {err['msg']}")
    return tuple(out)


def _apply_overlay(entries: list[tuple[Path, Entry]], overlay: dict[str, dict | None], folder: Path,
                   problems: list[str]) -> list[tuple[Path, Entry]]:
    """The Office's edits (storage/content_edits.py) over the repository's entries: an edited
    entry replaces the file's in place, a new one goes after the others (in the file of its
    topic, for the problems' names and for `content export`); None keeps the file's."""
    out = list(entries)
    for entry_id, data in overlay.items():
        if data is None or not is_entry_key(entry_id):
            continue
        at = next((i for i, (_, e) in enumerate(out) if e.id == entry_id), None)
        path = out[at][0] if at is not None else folder / f"{data.get('topic', 'van-phong')}.yaml"
        try:
            entry = Entry.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"])
                problems.append(f"{path}: entry {entry_id} (edited by the Office){'.' + field if field else ''}: "
                                f"{err['msg']}")
            continue
        if at is None:  # after the last entry of its file, files in name order: where `content export` puts it
            out.insert(sum(1 for p, _ in out if p.name <= path.name), (path, entry))
        else:
            out[at] = (path, entry)
    return out


def _overlay_deadlines(specs: list[DeadlineSpec], overlay: dict[str, dict | None], path: Path,
                       problems: list[str]) -> list[DeadlineSpec]:
    """The deadlines the Office changed in the console (an example made real) replace the file's."""
    out = list(specs)
    for key, data in overlay.items():
        if not key.startswith(DEADLINE_PREFIX) or data is None:
            continue
        try:
            spec = DeadlineSpec.model_validate(data)
        except ValidationError as exc:
            problems.extend(f"{path}: deadline {key[len(DEADLINE_PREFIX):]} (edited by the Office): {e['msg']}"
                            for e in exc.errors())
            continue
        at = next((i for i, d in enumerate(out) if d.id == spec.id), None)
        if at is None:
            out.append(spec)
        else:
            out[at] = spec
    return out


def _validate(path: Path, text: str, model, problems: list[str]):  # noqa: ANN001, ANN202
    data = _yaml_of(path, text, problems)
    if data is None:
        if not problems:
            problems.append(f"{path}: file is empty")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_validation_problems(path, exc, data))
        return None


def load(content_dir: Path, overlay: dict[str, dict | None] | None = None) -> KnowledgeBase:
    """Load and cross-check the content; raise ContentError listing every problem.
    `overlay`: the Office's edits, entry id -> the whole entry (None: the file's)."""
    content_dir = Path(content_dir)
    problems: list[str] = []
    if not content_dir.is_dir():
        raise ContentError([f"{content_dir}: content directory not found"])

    def parse(path: Path, model):  # noqa: ANN001, ANN202
        text = _read_text(path, problems)
        if text is None:
            return None
        value, found = _VALIDATED.get(model, text, lambda out: _validate(path, text, model, out))
        problems.extend(found)
        return value

    topics_file = content_dir / "topics.yaml"
    topics = parse(topics_file, TopicFile) if topics_file.exists() else None
    if not topics_file.exists():
        problems.append(f"{topics_file}: missing")
    syn_file = content_dir / "synonyms.yaml"
    synonyms = (parse(syn_file, SynonymFile) if syn_file.exists() else SynonymFile()) or SynonymFile()
    units_file = content_dir / "units.yaml"
    units = parse(units_file, UnitFile) if units_file.exists() else None
    if overlay and overlay.get(UNITS_KEY) is not None:  # the Office's units list replaces the file's
        try:
            units = UnitFile.model_validate(overlay[UNITS_KEY])
        except ValidationError as exc:
            units = None
            problems.extend(_validation_problems(Path(f"{units_file} (edited by the Office)"), exc,
                                                 overlay[UNITS_KEY]))
    lexicon_file = content_dir / LEXICON_FILE
    lexicon = parse(lexicon_file, LexiconFile) if lexicon_file.exists() else None
    if lexicon is not None:
        problems.extend(f"{lexicon_file}: {p}" for p in lexicon_problems(lexicon))
    smalltalk_file = content_dir / SMALLTALK_FILE
    small_talk = parse(smalltalk_file, SmallTalkFile) if smalltalk_file.exists() else None
    if small_talk is not None:
        problems.extend(f"{smalltalk_file}: {p}" for p in smalltalk_problems(small_talk))
    commands_file = content_dir / COMMANDS_FILE
    commands = parse(commands_file, CommandsFile) if commands_file.exists() else None
    if commands is not None:
        problems.extend(f"{commands_file}: {p}" for p in commands_problems(commands))
    concepts_file = content_dir / CONCEPTS_FILE
    concepts = parse(concepts_file, ConceptFile) if concepts_file.exists() else None
    if concepts is not None:
        problems.extend(f"{concepts_file}: {p}" for p in concept_problems(concepts))
    outside_file = content_dir / OUT_OF_SCOPE_FILE
    outside = parse(outside_file, OutOfScopeFile) if outside_file.exists() else None
    if outside is not None:
        problems.extend(f"{outside_file}: {p}" for p in out_of_scope_problems(outside))
    dialogue_file = content_dir / DIALOGUE_FILE
    dialogue = parse(dialogue_file, DialogueFile) if dialogue_file.exists() else None

    entries: list[tuple[Path, Entry]] = []
    entry_files = sorted((content_dir / "entries").glob("*.yaml"))
    if not entry_files:
        problems.append(f"{content_dir / 'entries'}: no entry files (*.yaml)")
    for path in entry_files:
        entries.extend((path, e) for e in _parse_entries(path, problems))
    if overlay:
        entries = _apply_overlay(entries, overlay, content_dir / "entries", problems)

    topic_list = topics.topics if topics else []
    seen_topics: dict[str, Topic] = {}
    for t in topic_list:
        if t.id in seen_topics:
            problems.append(f"{topics_file}: topic {t.id}: duplicate id")
        seen_topics[t.id] = t

    seen: dict[str, Path] = {}
    for path, e in entries:
        if e.id in seen:
            problems.append(f"{path}: entry {e.id}: duplicate id (also in {seen[e.id].name})")
        else:
            seen[e.id] = path
    for path, e in entries:
        problems.extend(f"{path}: entry {e.id}: {p}" for p in short_problems(e))
        if topics and e.topic not in seen_topics:
            problems.append(f"{path}: entry {e.id}: unknown topic {e.topic!r}")
        for rel in e.related:
            if rel not in seen:
                problems.append(f"{path}: entry {e.id}: related entry {rel!r} does not exist")
            elif rel == e.id:
                problems.append(f"{path}: entry {e.id}: related to itself")
    problems.extend(_example_problems(entries))
    used = {e.topic for _, e in entries}
    if dialogue is not None:
        problems.extend(f"{dialogue_file}: {p}" for p in dialogue_problems(dialogue, set(seen_topics)))
    for t in topic_list:
        if t.id not in used:
            problems.append(f"{topics_file}: topic {t.id}: has no entries")

    if synonyms:
        for abbr, expansion in synonyms.abbreviations.items():
            if not abbr.strip() or not expansion.strip():
                problems.append(f"{syn_file}: abbreviation {abbr!r}: blank")
        for i, group in enumerate(synonyms.synonyms):
            if len(group) < 2:
                problems.append(f"{syn_file}: synonyms[{i}]: a group needs at least two phrases")

    if synonyms and synonyms.not_covered:
        terms = tuple(synonyms.not_covered)
        for path, e in entries:
            for text in (e.title, *e.questions, *e.keywords, *e.examples):
                for term in _uncovered_in(text, terms):
                    which = "an example " if text in e.examples else ""
                    problems.append(f"{path}: entry {e.id}: {which}asks about {term!r}, which synonyms.yaml "
                                    "lists under not_covered; remove it from that list")

    unit_list = units.units if units else []
    unit_ids = {u.id for u in unit_list}
    for u in unit_list:
        if u.parent and u.parent not in unit_ids:
            problems.append(f"{units_file}: unit {u.id}: parent {u.parent!r} does not exist")

    deadlines_file = content_dir / "deadlines.yaml"
    deadline_file = (parse(deadlines_file, DeadlineFile) if deadlines_file.exists() else None) or DeadlineFile()
    deadline_specs = _overlay_deadlines(list(deadline_file.deadlines), overlay or {}, deadlines_file, problems)
    seen_deadlines: set[str] = set()
    for d in deadline_specs:
        where = f"{deadlines_file}: deadline {d.id}"
        if d.id in seen_deadlines:
            problems.append(f"{where}: duplicate id")
        seen_deadlines.add(d.id)
        if d.audience.startswith(UNIT_PREFIX) and d.audience[len(UNIT_PREFIX):] not in unit_ids:
            problems.append(f"{where}: unknown unit {d.audience[len(UNIT_PREFIX):]!r} (see units.yaml)")
        if d.entry and d.entry not in seen:
            problems.append(f"{where}: entry {d.entry!r} does not exist")

    sources = content_sources.load_sources(content_dir, parse)
    form_file = content_dir / "report_form.yaml"
    form = parse(form_file, ReportForm) if form_file.exists() else None
    for a in form.awards if form else []:
        # The copies come from the plan: the entry that answers "mấy bộ" must say the same,
        # of this award (its clause names it: "04 bộ" of another award does not count).
        entry = next((e for _, e in entries if e.id == a.entry), None) if a.entry else None
        if a.entry and entry is None:
            problems.append(f"{form_file}: award {a.id}: entry {a.entry!r} does not exist")
        elif entry is not None:
            subject = next((s for s in make_subjects(sources.subjects if sources else {}) if s.id == a.id), None)
            named = [c for c in clauses(entry.answer) if subject is not None and subject.named_in(fold(c))]
            stated = {n for c in named for n, w in quantities(c, ["bộ"])}
            if subject is None:
                problems.append(f"{form_file}: award {a.id}: no subject {a.id!r} in sources.yaml says how "
                                "texts name it")
            elif a.copies not in stated:
                problems.append(f"{form_file}: award {a.id}: entry {a.entry} does not state {a.copies:02d} bộ "
                                f"for {a.name}" + (f" (it says {', '.join(f'{n:02d}' for n in sorted(stated))})"
                                                   if stated else ""))

    notes, shown_sources = {}, {}
    if sources is not None:
        notes, shown_sources, source_problems = content_sources.apply(
            sources, entries, set(seen_topics), content_dir / content_sources.SOURCES_FILE)
        problems.extend(source_problems)

    if outside is not None:
        # A message both an entry's phrasing and one the plans do not answer would teach the ranker both.
        asked = {fold(q): e.id for _, e in entries for q in (*e.questions, *e.examples)}
        problems.extend(f"{outside_file}: examples[{i}]: {text!r} là một cách hỏi của mục {asked[fold(text)]}: "
                        "bỏ câu ở một trong hai nơi" for i, text in enumerate(outside.examples) if fold(text) in asked)
    if problems:
        raise ContentError(problems)
    marked = (overlay or {}).get(OUT_OF_SCOPE_KEY) or {}
    out_of_scope = tuple(str(t) for t in marked.get("examples", ()) if isinstance(t, str) and t.strip())
    return KnowledgeBase(entries=[e for _, e in entries], topics=topic_list, synonyms=synonyms, units=unit_list,
                         deadlines=deadline_specs, report_form=form, out_of_scope=out_of_scope,
                         units_note=units.note if units else None, notes=notes, shown_sources=shown_sources,
                         note_rules=list(sources.notes) if sources is not None else [],
                         lexicon=lexicon, dialogue=dialogue, small_talk=small_talk,
                         commands=commands, concepts=concepts,
                         outside=tuple(outside.examples) if outside is not None else ())
