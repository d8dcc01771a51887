"""The Office's edits from the shell: `content export --out DIR` (the effective content as
YAML to commit upstream), `content conflicts` (entries the Office edited that the
repository changed since), and what `content check` says of them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(content: argparse._SubParsersAction) -> None:
    ex = content.add_parser("export", help="write the content with the Office's edits as YAML to a folder",
                            description="Write the content of CONTENT_DIR with the Office's edits (stored in the "
                            "database) over it to a folder, as YAML a developer can commit: only the edited "
                            "entries change, new entries go to the file of their topic.")
    ex.add_argument("--out", required=True, metavar="DIR", type=Path, help="folder to write (must not exist, or be empty)")
    content.add_parser("conflicts", help="entries the Office edited that the repository changed since",
                       description="List the entries the Office edited in the console whose version in "
                       "CONTENT_DIR changed since (a content upgrade): the bot answers with the Office's version; "
                       "settle each by editing it again or going back to the repository's version. Exit code 1 "
                       "when there are any.")


def _store(settings, migrate: bool = True):  # noqa: ANN001, ANN202
    from storage import db
    from storage.content_edits import EditStore

    if migrate:
        db.upgrade(settings.db_url)
        return EditStore(db.make_engine(settings.db_url))
    # A check of the YAML must not hang on a database host that does not answer.
    return EditStore(db.make_engine(settings.db_url, **({} if settings.db_url.startswith("sqlite") else
                                                        {"connect_args": {"connect_timeout": 5}})))


def cmd_export(settings, args) -> int:  # noqa: ANN001
    from content.export import export
    from content.loader import load
    from storage.content_edits import UNITS_KEY, is_entry_key

    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        print(f"{out}: not empty; give a new folder", file=sys.stderr)
        return 2
    overlay = _store(settings).overlay()
    load(settings.content_dir, overlay.entries)  # what is exported must load (raises ContentError)
    changed = export(settings.content_dir, overlay.entries, out)
    edited = sum(1 for k, d in overlay.entries.items() if d is not None and is_entry_key(k))
    units = " and the units list" if overlay.entries.get(UNITS_KEY) is not None else ""
    print(f"content written to {out}: version {overlay.version}, {edited} entries{units} edited by the Office"
          + (f", in {', '.join(str(p.relative_to(out)) for p in changed)}" if changed else ""))
    return 0


def cmd_conflicts(settings, args) -> int:  # noqa: ANN001
    from content.loader import load
    from handlers.curation_service import upstream_conflicts

    found = upstream_conflicts(_store(settings), load(settings.content_dir).by_id)
    for line in conflict_lines(found):
        print(line)
    if not found:
        print("no conflicts: no entry the Office edited was changed in the repository since")
    return 1 if found else 0


def conflict_lines(found: list) -> list[str]:  # noqa: ANN001
    return [f"entry {c.entry_id}: edited by the Office (version {c.version}) and "
            + ("changed in the repository since" if c.repository else "added to the repository since")
            + "; the bot answers with the Office's version" for c in found]


def check_lines(settings, kb) -> list[str]:  # noqa: ANN001
    """For `content check`: the Office's edits loaded over the content (ContentError when they
    do not load), and the conflicts with the repository. Nothing without a database yet."""
    if not settings.database_url and not (settings.data_dir / "bot.sqlite3").exists():
        return []
    from sqlalchemy.exc import SQLAlchemyError

    from content.loader import load
    from handlers.curation_service import upstream_conflicts
    from storage.content_edits import is_entry_key

    store = _store(settings, migrate=False)
    try:
        overlay = store.overlay()
    except SQLAlchemyError:  # no table yet (an older database) or none reachable: nothing edited here
        store.engine.dispose()
        return []
    try:
        if not overlay.entries:
            return []
        load(settings.content_dir, overlay.entries)
        edited = sum(1 for k, d in overlay.entries.items() if d is not None and is_entry_key(k))
        return [f"the Office's edits load over it: {edited} entries edited, content version {overlay.version}",
                *conflict_lines(upstream_conflicts(store, kb.by_id))]
    finally:
        store.engine.dispose()
