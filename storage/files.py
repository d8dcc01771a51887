"""A content-addressed file store: the bytes under DATA_DIR/files/ab/cd/<sha256>, a
`stored_files` row (size, mime type, original name, owner, channel, platform
reference) for each time a file is kept.

Blobs are written once, atomically (a temporary file in the same directory, then
os.replace), so a reader never sees half a file and two writers of the same bytes
cannot corrupt each other. A blob whose row was never committed (the caller's
transaction rolled back) or whose rows were all deleted is removed by
`remove_orphans` (the hourly prune, `python -m bot clean`) once it is an hour old:
nothing stays on disk that no row refers to.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import mimetypes
import os
import re
import tempfile
import time
import unicodedata
import zipfile
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.models import StoredFile

GENERIC_MIME = "application/octet-stream"
# What platforms send when they do not know, or for an Office file (a ZIP inside).
GENERIC_MIMES = frozenset({"", GENERIC_MIME, "binary/octet-stream", "application/binary", "application/unknown",
                           "application/zip", "application/x-zip-compressed", "application/x-zip"})
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_MAX_NAME = 256
# A blob with no row is kept this long: the turn that wrote it may not have committed yet.
ORPHAN_GRACE = timedelta(hours=1)


def exceeds_limit(size: int | None, max_bytes: int | None) -> bool:
    """True when a known size is over the limit. An unknown size or no limit is not
    over it; the caller then counts bytes while downloading."""
    return size is not None and max_bytes is not None and size > max_bytes


def sniff_mime(data: bytes) -> str | None:
    """The type the first bytes show, for the formats users send: JPEG, PNG, GIF,
    WebP, PDF, and the ZIP-based DOCX/XLSX/PPTX (told apart by their main part).
    None when the bytes are none of these."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:1024].lstrip(b"\xef\xbb\xbf\r\n\t ").startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    return None


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return "application/zip"
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    if "ppt/presentation.xml" in names:
        return PPTX
    return "application/zip"


def _clean_mime(mime_type: str | None) -> str:
    return (mime_type or "").split(";", 1)[0].strip().lower()


def resolve_mime(data: bytes, given: str | None, original_name: str | None = None) -> str:
    """The platform's type when it is specific; otherwise what the bytes show, then
    what the file name suggests, then application/octet-stream."""
    given = _clean_mime(given)
    if given and given not in GENERIC_MIMES:
        return given[:128]
    sniffed = sniff_mime(data)
    if sniffed and (sniffed != "application/zip" or not given):
        return sniffed
    if original_name:
        guessed, _ = mimetypes.guess_type(original_name, strict=False)
        if guessed:
            return guessed
    return (sniffed or given or GENERIC_MIME)[:128]


def clean_name(name: str | None) -> str | None:
    """A file name as sent, without any folder part or control characters, within 256 characters."""
    if not name:
        return None
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in ("", ".", ".."):
        return None
    if len(name) > _MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[:_MAX_NAME - len(ext) - 1] + "." + ext
        else:
            name = name[:_MAX_NAME]
    return name


class FileStore:
    """Files kept under `root` (the DATA_DIR) with their rows in the database of `engine`."""

    def __init__(self, root: Path, engine: Engine):
        self.root = Path(root)
        self.files_dir = self.root / "files"
        self.engine = engine

    # --- where blobs live ---------------------------------------------------------
    def blob_path(self, sha256: str) -> Path:
        if not _SHA256_RE.fullmatch(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.files_dir / sha256[:2] / sha256[2:4] / sha256

    def path_of(self, row: StoredFile) -> Path:
        return self.blob_path(row.sha256)

    # --- writing --------------------------------------------------------------
    def put(self, data: bytes, *, mime_type: str | None = None, original_name: str | None = None,
            owner_user_id: int | None = None, channel: str | None = None, source_ref: str | None = None,
            session: Session | None = None) -> StoredFile:
        """Keep `data` and record it. With `session`, the row is added and flushed
        (so it has its id) but not committed: the caller commits it with its own
        work. Without, the row is committed at once."""
        sha256 = hashlib.sha256(data).hexdigest()
        self._write_blob(sha256, data)
        name = clean_name(original_name)
        row = StoredFile(sha256=sha256, size=len(data), mime_type=resolve_mime(data, mime_type, name),
                         original_name=name, owner_user_id=owner_user_id, channel=channel,
                         source_ref=source_ref[:512] if source_ref else None)
        if session is not None:
            session.add(row)
            session.flush()
            return row
        with Session(self.engine, expire_on_commit=False) as s:
            s.add(row)
            s.commit()
            s.refresh(row)
        return row

    def _write_blob(self, sha256: str, data: bytes) -> Path:
        path = self.blob_path(sha256)
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_size == len(data):
                # The same bytes are already kept (content-addressed). Touched, so that
                # remove_orphans sees them as new until this row is committed.
                os.utime(path)
                return path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{sha256[:8]}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(path.parent)
        return path

    def drop_unreferenced(self, sha256s: Iterable[str]) -> int:
        """Remove the blobs of these digests that no stored_files row refers to any more
        (their rows were deleted and committed); returns how many were removed. Checked
        again here, after the commit: bytes someone else kept too stay for their row."""
        wanted = {h for h in sha256s if _SHA256_RE.fullmatch(h)}
        if not wanted:
            return 0
        with Session(self.engine) as s:
            used = set(s.exec(select(StoredFile.sha256).where(col(StoredFile.sha256).in_(wanted))))
        removed = 0
        for sha256 in sorted(wanted - used):
            try:
                self.blob_path(sha256).unlink()
            except FileNotFoundError:
                continue
            removed += 1
        return removed

    # --- reading --------------------------------------------------------------
    def get(self, file_id: int) -> StoredFile | None:
        with Session(self.engine, expire_on_commit=False) as s:
            return s.get(StoredFile, file_id)

    def open(self, file_id: int) -> bytes:
        """The bytes of a stored file. KeyError when there is no such row;
        FileNotFoundError when its blob is gone; OSError when the blob does not
        match its recorded digest (damaged on disk)."""
        row = self.get(file_id)
        if row is None:
            raise KeyError(f"no stored file {file_id}")
        data = self.path_of(row).read_bytes()
        if hashlib.sha256(data).hexdigest() != row.sha256:
            raise OSError(f"stored file {file_id}: the blob does not match its sha256")
        return data


    # --- removing what no row refers to ------------------------------------------------
    def remove_orphans(self, older_than: timedelta = ORPHAN_GRACE) -> tuple[int, int]:
        """Delete blobs no stored_files row refers to, and temporary files a crashed write
        left, when untouched for `older_than` (a put in a turn not yet committed is newer).
        Returns (files removed, bytes freed)."""
        if not self.files_dir.is_dir():
            return 0, 0
        cutoff = time.time() - older_than.total_seconds()
        with Session(self.engine) as s:
            referenced = set(s.exec(select(StoredFile.sha256).distinct()))
        removed = freed = 0
        for path in self.files_dir.glob("??/??/*"):
            if path.name in referenced or not path.is_file():
                continue
            if not (_SHA256_RE.fullmatch(path.name) or path.name.endswith(".tmp")):
                continue  # not ours
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                if stat.st_mtime < cutoff:
                    path.unlink()
                    removed += 1
                    freed += stat.st_size
        return removed, freed


def _fsync_dir(path: Path) -> None:
    """Make the rename itself durable where the platform allows it (not on Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
