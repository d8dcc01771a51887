"""The Office teaches the bot: what the console's content pages call (issue 23).

Entries listed, searched, shown with their history; an edit tried on a question before
it is saved (`preview`), saved with the checks of `content check` (and `content verify`
when the plans' text is configured), refused whole with the problems beside their
fields, or refused because another officer saved the entry first (`Conflict` with
the difference); any earlier version brought back (`revert`, one more version); the
unanswered questions grouped, each group made a phrasing of an entry, a new entry, or
"not our subject".

Every save is a row of storage/content_edits.py; the instance that saved reloads at
once, the others within CONTENT_POLL_SECONDS (bot/scheduler.py `content_refresh`).
The pages stay thin: each action is one call, its result a plain dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from content.curation import Filter, LoggedQuestion, gaps
from content.entry_problems import (
    FIELDS,
    GENERAL,
    Problems,
    content_problems,
    entry_data,
    form_to_entry,
    merge,
    shape_problems,
    verify_problems,
)
from content.loader import ContentError, load
from content.normalize import fold
from content.schema import Entry
from content.service import Knowledge
from storage.content_edits import (
    AS_NEW_ENTRY,
    AS_PHRASING,
    EDIT,
    NEW,
    OUT_OF_SCOPE,
    PHRASING,
    REVERT,
    Conflict,
    ContentEdit,
    EditStore,
    Overlay,
    entry_hash,
    is_entry_key,
)
from storage.models import aware
from storage.repo import Repository


@dataclass(frozen=True)
class EntrySummary:
    id: str
    topic: str
    title: str
    version: int  # 0: the repository's
    edited: bool  # the Office changed it (or made it)


@dataclass(frozen=True)
class HistoryItem:
    version: int
    kind: str  # edit | new | revert | phrasing
    by: str
    by_name: str | None
    at: datetime
    data: dict | None  # the whole entry as saved; None: back to the repository's
    note: str | None


@dataclass(frozen=True)
class EntryView:
    entry: Entry  # as the bot answers it now
    version: int  # what an edit of it is based on (pass it back to `save`)
    repository: Entry | None  # the repository's version (None: the Office made the entry)
    history: list[HistoryItem]  # newest first; empty: never edited


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str  # the field as the form names it
    base: object  # in the version the officer started from
    theirs: object  # as the other officer saved it
    mine: object  # in the edit refused


@dataclass(frozen=True)
class ConflictInfo:
    """The entry was saved by someone else after the officer opened it."""

    entry_id: str
    base_version: int
    current_version: int
    by: str | None
    by_name: str | None
    at: datetime | None
    changes: list[FieldChange]  # the fields that differ between base, theirs and mine


@dataclass(frozen=True)
class SaveResult:
    saved: bool
    version: int | None = None  # the entry's (and the content's) new version
    problems: Problems = field(default_factory=dict)  # field -> Vietnamese messages ("" : not one field's)
    conflict: ConflictInfo | None = None


@dataclass(frozen=True)
class Preview:
    problems: Problems  # non-empty: the edit does not load, there is no answer
    kind: str | None = None  # answer | clarify | fallback
    text: str = ""  # the bot's reply, as it would be sent (whole answers)
    entry_id: str | None = None
    score: float = 0.0


@dataclass(frozen=True)
class UnansweredGroup:
    text: str  # the spelling asked most
    texts: list[str]  # every spelling (pass them back to the decisions)
    count: int
    last_asked: datetime
    suggested_entry: str | None  # what the engine picks now
    suggested_title: str | None
    score: float
    from_office: int  # of `count`, questions sent to "Hỏi Văn phòng"


@dataclass(frozen=True)
class UpstreamConflict:
    """An entry the Office edited that the repository changed since: the Office's version is kept."""

    entry_id: str
    version: int
    office: dict | None
    repository: dict | None


class _Fixed:
    """An edit source that is one overlay: the content as it would be with an edit."""

    def __init__(self, overlay: Overlay):
        self._overlay = overlay

    def version(self) -> int:
        return self._overlay.version

    def overlay(self) -> Overlay:
        return self._overlay


class Curation:
    def __init__(self, knowledge: Knowledge, edits: EditStore, repo: Repository | None = None,
                 sources_dir: Path | None = None):
        self.knowledge = knowledge
        self.edits = edits
        self.repo = repo
        self.sources_dir = sources_dir
        self._repository: tuple[tuple, dict[str, Entry]] | None = None

    # --- reading ---------------------------------------------------------------------
    def entries(self, query: str = "", topic: str | None = None) -> list[EntrySummary]:
        """The entries as the bot answers them now; `query` keeps those whose id, title,
        phrasings, examples, keywords or answer hold its words (without diacritics, any order)."""
        versions = {r.entry_id: r.id for r in self.edits.edited()}
        words = fold(query).split()
        out = []
        for e in self.knowledge.kb.entries:
            if topic and e.topic != topic:
                continue
            if words:
                hay = fold(" ".join([e.id, e.title, *e.questions, *e.examples, *e.keywords, e.short or "",
                                     e.answer]))
                if not all(w in hay for w in words):
                    continue
            out.append(EntrySummary(e.id, e.topic, e.title, versions.get(e.id, 0), e.id in versions))
        return out

    def entry(self, entry_id: str) -> EntryView | None:
        history = [_item(r) for r in self.edits.history(entry_id)]
        current = self._effective(entry_id)
        if current is None:
            return None
        return EntryView(current, history[0].version if history else 0, self.repository().get(entry_id), history)

    def topics(self) -> list[tuple[str, str]]:
        """(id, title) of the topics, for the form's choice of topic."""
        return [(t.id, t.title) for t in self.knowledge.kb.topics]

    def changes(self, entry_id: str, version: int) -> list[FieldChange]:
        """What `version` of the entry changed from the version before it (for the history page):
        `base` the field before, `theirs` and `mine` both the field as that version saved it."""
        rows = self.edits.history(entry_id)
        at = next((i for i, r in enumerate(rows) if r.id == version), None)
        if at is None:
            return []
        repo = self.repository().get(entry_id)
        repo_data = entry_data(repo) if repo else {}
        before = rows[at + 1].data if at + 1 < len(rows) and rows[at + 1].data is not None else repo_data
        after = rows[at].data if rows[at].data is not None else repo_data
        return [FieldChange(f, label, before.get(f), after.get(f), after.get(f)) for f, label in FIELDS.items()
                if before.get(f) != after.get(f)]

    # --- trying and saving --------------------------------------------------------------
    def check(self, edit: dict) -> Problems:
        """What `save` would refuse the edit for (empty: nothing)."""
        data = form_to_entry(edit)
        problems = shape_problems(data)
        if problems:
            return problems
        overlay = self.edits.overlay()
        entries = dict(overlay.entries)
        entries[data["id"]] = data
        problems = content_problems(self.knowledge.content_dir, entries, data["id"])
        if problems:  # only then: those the content had before the edit are not the edit's
            problems = content_problems(self.knowledge.content_dir, entries, data["id"], self._known_problems(overlay))
        if not problems and self.sources_dir is not None:
            problems = verify_problems(self.knowledge.content_dir, self.sources_dir, Entry.model_validate(data))
        return problems

    def preview(self, edit: dict, question: str) -> Preview:
        """How the bot would answer `question` with the edit applied, nothing saved."""
        from handlers.conversation import Conversation

        data = form_to_entry(edit)
        problems = shape_problems(data)
        if problems:
            return Preview(problems)
        overlay = self.edits.overlay()
        entries = {**overlay.entries, data["id"]: data}
        try:
            trial = Knowledge(self.knowledge.content_dir, _Fixed(Overlay(overlay.version, entries)))
        except ContentError:  # _first falls back only on a broken stored overlay; this one is checked
            return Preview(self.check(edit))
        if trial.kb.by_id.get(data["id"]) is None or trial.kb.by_id[data["id"]].model_dump() != \
                Entry.model_validate(data).model_dump():
            return Preview(self.check(edit) or {GENERAL: ["Nội dung có sửa đổi này chưa tải được."]})
        result = Conversation(trial).answer(question, record=False, full=True)
        text = "\n\n".join(r.full_text for r in result.reply_list)
        m = result.match
        entry = m.entry.id if m is not None and m.entry is not None else None
        return Preview({}, result.kind, text, entry, result.score)

    def save(self, edit: dict, by: str, base_version: int, *, by_name: str | None = None,
             kind: str | None = None, note: str | None = None) -> SaveResult:
        """Save the whole entry `edit` (a form's fields) as a new version, edited from the
        entry's `base_version` (EntryView.version when the form was opened; 0 for a new one)."""
        data = form_to_entry(edit)
        problems = self.check(data)
        if problems:
            return SaveResult(False, problems=problems)
        entry_id = data["id"]
        if base_version == 0 and self._effective(entry_id) is None:
            kind = kind or NEW
        repo = self.repository().get(entry_id)
        try:
            row = self.edits.save(entry_id, entry_data(Entry.model_validate(data)), base_version=base_version, by=by,
                                  by_name=by_name, kind=kind or EDIT, note=note,
                                  repo_hash=entry_hash(entry_data(repo)) if repo else None)
        except Conflict as exc:
            return SaveResult(False, conflict=self._conflict(exc, data))
        self._reload()
        return SaveResult(True, version=row.id)

    def revert(self, entry_id: str, version: int, by: str, *, by_name: str | None = None,
               base_version: int | None = None) -> SaveResult:
        """Bring back the entry as it was at `version` (0: the repository's), as one more
        version. `base_version`: the entry's version the officer saw (default: its current)."""
        base = self.edits.entry_version(entry_id) if base_version is None else base_version
        if version == 0:
            data = None
        else:
            row = self.edits.get(version)
            if row is None or row.entry_id != entry_id:
                return SaveResult(False, problems={GENERAL: [f"Mục {entry_id} không có phiên bản {version}."]})
            data = row.data
        if data is not None:
            problems = self.check(data)
        else:
            overlay = self.edits.overlay()
            problems = content_problems(self.knowledge.content_dir, {**overlay.entries, entry_id: None}, entry_id,
                                        self._known_problems(overlay))
            if entry_id not in self.repository():  # a new entry gone: nothing may point at it
                problems = merge(problems, self._without(entry_id, overlay))
        if problems:
            return SaveResult(False, problems=problems)
        repo = self.repository().get(entry_id)
        try:
            row = self.edits.save(entry_id, data, base_version=base, by=by, by_name=by_name, kind=REVERT,
                                  note=f"về phiên bản {version}" if version else "về bản gốc của kho nội dung",
                                  repo_hash=entry_hash(entry_data(repo)) if repo else None)
        except Conflict as exc:
            return SaveResult(False, conflict=self._conflict(exc, data or {}))
        self._reload()
        return SaveResult(True, version=row.id)

    # --- unanswered questions --------------------------------------------------------------
    def unanswered(self, since: datetime | None = None) -> list[UnansweredGroup]:
        """Questions the bot declined or asked back about, and those sent to "Hỏi Văn phòng",
        grouped by similarity (content/curation.py, as `unanswered` does), most asked first;
        groups the Office decided about are no longer listed."""
        assert self.repo is not None, "Curation(repo=...) is needed for the question log"
        decided = {fold(t) for d in self.edits.decisions() for t in d.texts}
        rows = [LoggedQuestion(r.text, r.normalized, r.entry_id, r.score, aware(r.created_at))
                for r in self.repo.questions(since=since, outcomes=("fallback", "clarify"))]
        office = [LoggedQuestion(q.question, "", None, 0.0, aware(q.created_at))
                  for q in self.repo.office_questions(limit=None, since=since)]  # type: ignore[arg-type]
        rows = [r for r in rows + office if fold(r.text) not in decided]
        found = gaps(rows, Filter.load(self.knowledge.content_dir))
        out = []
        for g in found.groups:
            texts = [g.text, *g.variants]
            m = self.knowledge.match(g.text)
            pick = m.entry or (m.candidates[0].entry if m.candidates else None)
            out.append(UnansweredGroup(g.text, texts, g.count, g.last_asked, pick.id if pick else g.best_entry,
                                       pick.title if pick else None, round(m.score, 4),
                                       sum(1 for q in office if q.text in texts)))
        return out

    def add_phrasing(self, texts: list[str], entry_id: str, by: str, *, phrasing: str | None = None,
                     base_version: int | None = None, by_name: str | None = None) -> SaveResult:
        """The group's question (`phrasing`, else its first spelling) becomes a phrasing of
        `entry_id`; the group is no longer listed."""
        view = self.entry(entry_id)
        if view is None:
            return SaveResult(False, problems={"id": [f"Mục {entry_id} không có."]})
        data = entry_data(view.entry)
        new = (phrasing or texts[0]).strip()
        if fold(new) not in {fold(q) for q in data["questions"]}:
            data["questions"] = [*data["questions"], new]
        result = self.save(data, by, view.version if base_version is None else base_version, by_name=by_name,
                           kind=PHRASING, note=new)
        if result.saved:
            self.edits.decide(AS_PHRASING, texts, by, entry_id)
        return result

    def new_entry(self, texts: list[str], edit: dict, by: str, *, by_name: str | None = None) -> SaveResult:
        """A new entry for the group (its spellings are added as phrasings when the form has none)."""
        data = form_to_entry(edit)
        data.setdefault("questions", [texts[0]])
        if self._effective(str(data.get("id", ""))) is not None:
            return SaveResult(False, problems={"id": ["Mã mục này đã được dùng cho một mục khác."]})
        result = self.save(data, by, 0, by_name=by_name, kind=NEW)
        if result.saved:
            self.edits.decide(AS_NEW_ENTRY, texts, by, data["id"])
        return result

    def not_our_subject(self, texts: list[str], by: str) -> None:
        """Not a question the content answers: no longer listed, kept as an out-of-scope example
        that the bot declines from the content version it makes (this instance at once)."""
        self.edits.decide(OUT_OF_SCOPE, texts, by)
        self._reload()

    def out_of_scope_examples(self) -> list[str]:
        return [t for d in self.edits.decisions(OUT_OF_SCOPE) for t in d.texts]

    # --- the repository's content under the edits ----------------------------------------
    def repository(self) -> dict[str, Entry]:
        """The repository's entries (without the Office's edits), read again when a file changed."""
        folder = Path(self.knowledge.content_dir)
        stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*.yaml")))
        if self._repository is None or self._repository[0] != stamp:
            self._repository = (stamp, load(folder).by_id)
        return self._repository[1]

    def upstream_conflicts(self) -> list[UpstreamConflict]:
        return upstream_conflicts(self.edits, self.repository())

    # --- helpers ---------------------------------------------------------------------------
    def _effective(self, entry_id: str) -> Entry | None:
        """The entry as the last saved version has it (the database, not this instance's copy,
        which may be up to a poll behind)."""
        rows = self.edits.history(entry_id)
        if rows and rows[0].data is not None:
            return Entry.model_validate(rows[0].data)
        return self.repository().get(entry_id)

    def _known_problems(self, overlay: Overlay) -> set[str]:
        """The content's problems before the edit (normally none): not the edit's fault."""
        try:
            load(self.knowledge.content_dir, overlay.entries)
        except ContentError as exc:
            return set(exc.problems)
        return set()

    def _without(self, entry_id: str, overlay: Overlay) -> Problems:
        pointing = [e.id for e in self.knowledge.kb.entries if entry_id in e.related]
        return {GENERAL: [f"Các mục {', '.join(pointing)} còn liên quan đến mục này."]} if pointing else {}

    def _conflict(self, exc: Conflict, mine: dict) -> ConflictInfo:
        rows = {r.id: r for r in self.edits.history(exc.entry_id)}
        repo = self.repository().get(exc.entry_id)
        repo_data = entry_data(repo) if repo else {}

        def at(version: int) -> dict:
            row = rows.get(version)
            return row.data if row is not None and row.data is not None else repo_data

        base, theirs = at(exc.base_version), at(exc.current)
        changes = [FieldChange(f, label, base.get(f), theirs.get(f), mine.get(f)) for f, label in FIELDS.items()
                   if not (base.get(f) == theirs.get(f) == mine.get(f))]
        last = rows.get(exc.current)
        return ConflictInfo(exc.entry_id, exc.base_version, exc.current, last.by if last else None,
                            last.by_name if last else None, last.at if last else None, changes)

    def _reload(self) -> None:
        # This instance answers from the new version at once; the others at their next poll.
        try:
            self.knowledge.reload()
        except ContentError:  # checked before saving; a repository changed meanwhile: the poll says why
            pass


def _item(r: ContentEdit) -> HistoryItem:
    return HistoryItem(r.id or 0, r.kind, r.by, r.by_name, aware(r.at), r.data, r.note)


def upstream_conflicts(edits: EditStore, repository: dict[str, Entry]) -> list[UpstreamConflict]:
    """Entries the Office edited whose repository version changed since (or appeared, for an
    entry the Office made): the Office's version is what the bot answers; listed to be settled."""
    out = []
    for row in edits.edited():
        if row.data is None or not is_entry_key(row.entry_id):  # the units list and deadlines: not entries
            continue
        repo = repository.get(row.entry_id)
        now = entry_hash(entry_data(repo)) if repo else None
        if now != row.repo_hash:
            out.append(UpstreamConflict(row.entry_id, row.id or 0, row.data, entry_data(repo) if repo else None))
    return out
