"""Backup and restore of what the bot cannot rebuild: the database and the stored files.

An archive is a .tar.gz holding
    manifest.json          format, time, database kind, schema revision, rows per
                           table, and the sha256 of every other member
    db/bot.sqlite3         SQLite only: a consistent copy made with SQLite's online
                           backup API, so the bot may keep running meanwhile
    files/ab/cd/<sha256>   the file store, as under DATA_DIR/files

The database is copied before the files: a file's bytes are written before its
row is committed (storage/files.py), so every row in the copy finds its file.
On PostgreSQL the archive holds the manifest and the files; the database is
dumped with pg_dump, which is consistent on its own.

Restore checks every checksum into a staging directory inside DATA_DIR before
anything is replaced, so a damaged archive leaves the data as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text

from bot.settings import Settings
from storage import db

FORMAT = 1
MANIFEST = "manifest.json"
DB_MEMBER = "db/bot.sqlite3"
_BLOB = re.compile(r"files/([0-9a-f]{2})/([0-9a-f]{2})/(\1\2[0-9a-f]{60})")
# Tables an operator recognises, in the order the summary names them; any other
# table (those added later too) is listed after them by its own name.
LABELS = {"users": "users", "question_log": "questions", "office_questions": "office questions",
          "outbox": "outbox rows", "stored_files": "stored file records"}
# Bookkeeping that says nothing about how much the bot holds.
_QUIET_TABLES = {"alembic_version", "processed_updates", "conversation_states"}
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason for the operator."""


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: dict

    def summary(self) -> str:
        size = self.path.stat().st_size
        lines = [f"backup written to {self.path} ({_size(size)}): {describe(self.manifest)}"]
        if self.manifest.get("damaged"):
            lines.append(f"warning: {len(self.manifest['damaged'])} stored file(s) do not match their checksum "
                         f"(damaged on disk) and were copied as they are: {', '.join(self.manifest['damaged'])}")
        if self.manifest["database"] == "postgresql":
            lines.append("The PostgreSQL database is not in this archive: dump it with pg_dump "
                         "(README, section Backup and restore).")
        return "\n".join(lines)


def describe(manifest: dict) -> str:
    tables = manifest["tables"]
    parts = [f"{label} {tables[t]}" for t, label in LABELS.items() if t in tables]
    parts += [f"{t} {n}" for t, n in sorted(tables.items()) if t not in LABELS and t not in _QUIET_TABLES]
    parts.append(f"files {manifest['files']['count']} ({_size(manifest['files']['bytes'])})")
    return ", ".join(parts)


# --- backup -------------------------------------------------------------------------
ROTATED = "thidua-bot-%Y%m%d-%H%M%S.tar.gz"  # archives written by `backup --dir`, oldest first by name
_ROTATED = re.compile(r"thidua-bot-\d{8}-\d{6}\.tar\.gz")


def backup_rotating(settings: Settings, folder: Path, keep: int, now: datetime | None = None) -> tuple[Backup, list[Path]]:
    """A new archive in `folder`, named by the time, then the oldest archives of that name beyond
    the newest `keep` removed (only once the new one is complete, so a failed night keeps the
    old ones). Returns the backup and the archives removed."""
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    folder = Path(folder)
    made = backup(settings, folder / (now or datetime.now()).strftime(ROTATED))
    archives = sorted(p for p in folder.iterdir() if _ROTATED.fullmatch(p.name))
    removed = archives[:-keep]
    for old in removed:
        old.unlink()
    return made, removed


def backup(settings: Settings, out: Path) -> Backup:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sqlite_path = _sqlite_path(settings.db_url)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as tmp:
        members: dict[str, Path] = {}
        if sqlite_path is not None:
            copy = Path(tmp) / "bot.sqlite3"
            _copy_sqlite(sqlite_path, copy)
            tables, revision = _sqlite_counts(copy)
            members[DB_MEMBER] = copy
            kind = "sqlite"
        else:
            tables, revision = _sql_counts(settings.db_url)
            kind = "postgresql"
        checksums = {DB_MEMBER: _sha256(members[DB_MEMBER])} if DB_MEMBER in members else {}
        damaged, size = [], 0
        for name, path in _blobs(Path(settings.data_dir)):
            digest = _sha256(path)
            if digest != name.rsplit("/", 1)[1]:
                damaged.append(name)
            checksums[name] = digest
            members[name] = path
            size += path.stat().st_size
        manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "database": kind, "revision": revision, "tables": tables,
                    "files": {"count": len(checksums) - (DB_MEMBER in checksums), "bytes": size},
                    "damaged": damaged, "checksums": checksums}
        partial = Path(tmp) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
            for name, path in members.items():
                tar.add(path, arcname=name, recursive=False, filter=_plain)
        os.chmod(partial, 0o600)  # it holds what staff wrote: readable by the bot's user only
        os.replace(partial, out)
    return Backup(out, manifest)


def _copy_sqlite(src: Path, dst: Path) -> None:
    if not src.exists():
        raise BackupError(f"there is no database at {src} (check DATA_DIR or DATABASE_URL)")
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(dst)
    try:
        # One step (pages=-1): the copy is one read transaction of the source, so it
        # is a single consistent state; in WAL mode the bot keeps writing meanwhile.
        source.backup(target)
        # A self-contained file: no -wal beside it is needed to read the copy.
        target.execute("PRAGMA journal_mode=DELETE")
        if target.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"the copy of {src} failed SQLite's check; the database may be damaged")
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy {src}: {exc}") from exc
    finally:
        target.close()
        source.close()


def _sqlite_counts(path: Path) -> tuple[dict[str, int], str | None]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        tables = {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()[0] \
            if "alembic_version" in tables else None
        return tables, revision
    finally:
        con.close()


def _sql_counts(url: str) -> tuple[dict[str, int], str | None]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            names = sorted(inspect(conn).get_table_names())
            tables = {n: conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
                if "alembic_version" in tables else None
        return tables, revision
    except Exception as exc:  # noqa: BLE001 - any driver error: one readable line
        raise BackupError(f"cannot read the database: {type(exc).__name__}: {exc}") from exc
    finally:
        engine.dispose()


def _blobs(data_dir: Path) -> Iterator[tuple[str, Path]]:
    root = data_dir / "files"
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        name = path.relative_to(data_dir).as_posix()
        # Temporary files of a write in progress (".abcd1234.….tmp") do not match.
        if path.is_file() and not path.is_symlink() and _BLOB.fullmatch(name):
            yield name, path


# --- restore ------------------------------------------------------------------------
def restore(settings: Settings, archive: Path, force: bool = False) -> str:
    archive = Path(archive)
    try:
        tar = tarfile.open(archive, "r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{archive} is not a backup archive ({exc})") from exc
    with tar:
        manifest, members = _read_manifest(tar, archive)
        data_dir = Path(settings.data_dir)
        sqlite_path = _sqlite_path(settings.db_url)
        has_db = DB_MEMBER in members
        if has_db and sqlite_path is None:
            raise BackupError("this archive holds a SQLite database but DATABASE_URL points to PostgreSQL; "
                              "restore it with DATABASE_URL empty (SQLite in DATA_DIR)")
        _refuse_existing(data_dir, sqlite_path if has_db else None, force)
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=data_dir, prefix=".restore-") as tmp:
            staging = Path(tmp)
            for name in members:
                _extract_checked(tar, members[name], staging / name, manifest["checksums"][name])
            if has_db:
                _check_restored_db(staging / DB_MEMBER, manifest)
            _swap_files(staging, data_dir)
            if has_db:
                assert sqlite_path is not None
                _swap_db(staging / DB_MEMBER, sqlite_path)
    if has_db:
        db.upgrade(settings.db_url)  # an older backup is brought up to this version's schema
    made = manifest.get("created_at", "?")
    if has_db:
        return f"restored from {archive} (made {made}) into {data_dir}: {describe(manifest)}"
    return (f"restored the file store from {archive} (made {made}) into {data_dir}: "
            f"{manifest['files']['count']} files ({_size(manifest['files']['bytes'])}).\n"
            f"The archive was made on {manifest['database']}; restore the database itself with pg_restore "
            f"(README, section Backup and restore). Counts at backup time: {describe(manifest)}")


def _read_manifest(tar: tarfile.TarFile, archive: Path) -> tuple[dict, dict[str, tarfile.TarInfo]]:
    try:
        members = {m.name: m for m in tar.getmembers()}
        head = members.get(MANIFEST)
        if head is None or not head.isfile():
            raise BackupError(f"{archive} has no {MANIFEST}: it was not written by `python -m bot backup`")
        manifest = json.loads(tar.extractfile(head).read())  # type: ignore[union-attr]
    except (tarfile.TarError, OSError, EOFError, json.JSONDecodeError) as exc:
        raise BackupError(f"{archive} is damaged: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} has backup format {manifest.get('format')!r}; this version reads {FORMAT}")
    del members[MANIFEST]
    for name, member in members.items():
        # Only the names backup writes, as plain files: nothing can land outside DATA_DIR.
        if not member.isfile() or not (name == DB_MEMBER or _BLOB.fullmatch(name)):
            raise BackupError(f"{archive} holds {name!r}, which a backup never contains; refusing it")
    expected = manifest.get("checksums") or {}
    if set(members) != set(expected):
        missing = sorted(set(expected) - set(members))
        extra = sorted(set(members) - set(expected))
        raise BackupError(f"{archive} does not match its manifest (missing: {missing[:5]}, unlisted: {extra[:5]})")
    return manifest, members


def _refuse_existing(data_dir: Path, sqlite_path: Path | None, force: bool) -> None:
    rows = _rows_in(sqlite_path) if sqlite_path is not None else 0
    files = sum(1 for _ in _blobs(data_dir))
    if (rows or files) and not force:
        what = " and ".join(filter(None, [f"{rows} rows in the database" if rows else "",
                                          f"{files} stored files" if files else ""]))
        raise BackupError(f"{data_dir} already holds data ({what}); stop the bot and add --force to replace it")


def _rows_in(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        tables, _ = _sqlite_counts(path)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read the existing database {path}: {exc}") from exc
    return sum(n for t, n in tables.items() if t != "alembic_version")


def _extract_checked(tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path, expected: str) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    source = tar.extractfile(member)
    assert source is not None  # a regular file, checked in _read_manifest
    try:
        with source, open(dest, "wb") as f:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                f.write(chunk)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise BackupError(f"{member.name} cannot be read ({exc}): the archive is damaged; nothing was restored") from exc
    if digest.hexdigest() != expected:
        raise BackupError(f"{member.name} does not match its checksum: the archive is damaged; nothing was restored")


def _check_restored_db(path: Path, manifest: dict) -> None:
    con = sqlite3.connect(path)
    try:
        ok = con.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        con.close()
    if not ok or _sqlite_counts(path)[0] != manifest["tables"]:
        raise BackupError("the database in the archive does not match its manifest; nothing was restored")
    revision = manifest.get("revision")
    if revision is not None:
        from alembic.script import ScriptDirectory

        try:
            ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_revision(revision)
        except Exception as exc:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
            raise BackupError(f"the archive's database schema ({revision}) is newer than this version of the bot; "
                              "update the bot first") from exc


def _swap_files(staging: Path, data_dir: Path) -> None:
    new, live = staging / "files", data_dir / "files"
    if live.exists():
        live.rename(staging / "files.old")  # removed with the staging directory
    if new.exists():
        new.rename(live)


def _swap_db(new: Path, live: Path) -> None:
    live.parent.mkdir(parents=True, exist_ok=True)
    # A -wal left by the old database would be replayed into the restored one.
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{live}{suffix}")
    shutil.move(new, live)


# --- helpers ------------------------------------------------------------------------
def _sqlite_path(url: str) -> Path | None:
    url = db.normalize_url(url)
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1]
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # No owner names or ids of this machine in the archive; restore writes as its own user.
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"
