"""`python -m bot backup` and `restore`: a bot's data (a console conversation with
the Office, a stored file) backed up through the real command, restored into an
empty data directory, and compared table by table and byte by byte; a backup
taken while turns keep being committed; refusals (data already there, a damaged
or foreign archive); and the PostgreSQL path (files and manifest only)."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.backup import DB_MEMBER, MANIFEST, BackupError, backup, restore
from bot.console import run_console
from bot.settings import load_settings
from tests.conftest import REAL_CONTENT, Talk
from tests.incli import run_cli
from tests.people import person
from tests.procs import clean_env

OUT_OF_SCOPE = "thủ tục làm hộ chiếu công vụ"
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def cli(args: list[str], data_dir: Path, cwd: Path, **env: object) -> subprocess.CompletedProcess:
    return run_cli(args, cwd, clean_env(DATA_DIR=data_dir, **env))


def tables(path: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                           "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}
    finally:
        con.close()


def blobs(data_dir: Path) -> dict[str, bytes]:
    root = data_dir / "files"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def bot_with_history(data_dir: Path) -> App:
    """A staff member asks the Office in the console and an officer answers; a photo
    is kept in the file store, as a handler keeps what users send."""
    app = build_app(load_settings(data_dir=data_dir, content_dir=REAL_CONTENT, admin_ids="console:chi"))
    lines = [OUT_OF_SCOPE, "1", "Gửi", "1", "Đồng chí liên hệ Phòng Tổ chức cán bộ.", "Gửi",
             "bằng khen thủ tướng cần mấy bộ hồ sơ"]
    assert run_console(app, io.StringIO("\n".join(lines) + "\n"), io.StringIO(), user_id="chi") == 0
    chi = person(app.repo, "console", "chi")
    app.files.put(PHOTO, mime_type="image/png", original_name="khen-thuong.png", owner_user_id=chi.id,
                  channel="console")
    return app


def test_backup_restored_into_an_empty_data_dir_is_the_same_data(tmp_path: Path):
    live = tmp_path / "live"
    bot_with_history(live)
    archive = tmp_path / "backups" / "thidua.tar.gz"

    made = cli(["backup", "--out", str(archive)], live, tmp_path)
    assert made.returncode == 0, made.stderr
    assert "users 1" in made.stdout and "office questions 1" in made.stdout and "files 1" in made.stdout
    assert archive.stat().st_mode & 0o077 == 0  # staff's messages: the bot's user only

    fresh = tmp_path / "fresh"
    done = cli(["restore", str(archive)], fresh, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "restored from" in done.stdout and "office questions 1" in done.stdout

    assert tables(fresh / "bot.sqlite3") == tables(live / "bot.sqlite3")
    assert blobs(fresh) == blobs(live) and PHOTO in blobs(fresh).values()
    # The restored data serves the curators' command as the original did.
    listed = cli(["unanswered"], fresh, tmp_path)
    assert OUT_OF_SCOPE in listed.stdout and "Phòng Tổ chức cán bộ" in listed.stdout


def test_a_backup_taken_while_turns_are_committed_is_consistent(tmp_path: Path):
    app = bot_with_history(tmp_path / "live")
    talk = Talk(app)
    stop, turns, turned = threading.Event(), [], threading.Condition()

    def staff_keep_asking() -> None:
        while not stop.is_set():
            talk(f"giá vàng hôm nay {len(turns)}", user="busy")
            with turned:
                turns.append(1)
                turned.notify_all()

    writer = threading.Thread(target=staff_keep_asking)
    writer.start()
    try:
        taken = []
        for i in range(3):
            before = len(turns)
            taken.append(backup(app.settings, tmp_path / f"b{i}.tar.gz"))
            # The bot was not held up: its turns go on after each backup.
            with turned:
                assert turned.wait_for(lambda n=before: len(turns) > n or not writer.is_alive(), timeout=60)
    finally:
        stop.set()
        writer.join()
    assert len(turns) >= 3
    live_log = set(tables(app.settings.data_dir / "bot.sqlite3")["question_log"])
    for i, b in enumerate(taken):
        target = tmp_path / f"restored{i}"
        restore(load_settings(data_dir=target, content_dir=REAL_CONTENT), b.path)
        copy = tables(target / "bot.sqlite3")
        assert {t: len(rows) for t, rows in copy.items()} == {**b.manifest["tables"],
                                                               "alembic_version": 1}
        assert set(copy["question_log"]) <= live_log  # a state the live database went through
        assert blobs(target) and all((target / "files" / n).exists() for n in blobs(target))


def test_restore_refuses_a_data_dir_with_data_unless_forced(tmp_path: Path):
    archive = backup(bot_with_history(tmp_path / "a").settings, tmp_path / "a.tar.gz").path
    other = build_app(load_settings(data_dir=tmp_path / "b", content_dir=REAL_CONTENT))
    Talk(other)("giá vàng hôm nay", user="someone-else")
    before = tables(tmp_path / "b" / "bot.sqlite3")

    refused = cli(["restore", str(archive)], tmp_path / "b", tmp_path)
    assert refused.returncode == 1 and "already holds data" in refused.stderr and "--force" in refused.stderr
    assert tables(tmp_path / "b" / "bot.sqlite3") == before

    forced = cli(["restore", "--force", str(archive)], tmp_path / "b", tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert tables(tmp_path / "b" / "bot.sqlite3") == tables(tmp_path / "a" / "bot.sqlite3")
    assert not (tmp_path / "b" / "bot.sqlite3-wal").exists() or \
        (tmp_path / "b" / "bot.sqlite3-wal").stat().st_size == 0  # no old log replayed into the restored copy


def _rewrite(src: Path, dst: Path, change: dict[str, bytes | None]) -> None:
    """A copy of an archive with members replaced (bytes), dropped (None) or added."""
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
        for m in tin.getmembers():
            data = tin.extractfile(m).read()  # type: ignore[union-attr]
            if m.name in change:
                data = change.pop(m.name)
                if data is None:
                    continue
            m.size = len(data)
            tout.addfile(m, io.BytesIO(data))
        for name, data in change.items():
            info = tarfile.TarInfo(name)
            info.size = len(data or b"")
            tout.addfile(info, io.BytesIO(data or b""))


@pytest.mark.parametrize("damage", ["flipped byte", "member dropped", "path outside", "not an archive"])
def test_a_damaged_or_foreign_archive_is_refused_and_nothing_is_written(tmp_path: Path, damage: str):
    good = backup(bot_with_history(tmp_path / "a").settings, tmp_path / "good.tar.gz").path
    with tarfile.open(good, "r:gz") as t:
        blob = next(n for n in t.getnames() if n.startswith("files/"))
        data = t.extractfile(blob).read()  # type: ignore[union-attr]
    bad = tmp_path / "bad.tar.gz"
    if damage == "flipped byte":
        _rewrite(good, bad, {blob: bytes([data[0] ^ 1]) + data[1:]})
    elif damage == "member dropped":
        _rewrite(good, bad, {DB_MEMBER: None})
    elif damage == "path outside":
        _rewrite(good, bad, {"../../outside.txt": b"x"})
    else:
        bad.write_bytes(b"PK\x03\x04 certainly not a tar.gz")
    target = tmp_path / "target"
    with pytest.raises(BackupError) as refused:
        restore(load_settings(data_dir=target, content_dir=REAL_CONTENT), bad)
    assert {"flipped byte": "checksum", "member dropped": "does not match its manifest",
            "path outside": "never contains", "not an archive": "not a backup archive"}[damage] in str(refused.value)
    assert not (target / "bot.sqlite3").exists() and not (target / "files").exists()
    assert not (tmp_path / "outside.txt").exists()


def test_backup_without_a_database_says_where_it_looked(tmp_path: Path):
    made = cli(["backup", "--out", str(tmp_path / "x.tar.gz")], tmp_path / "nothing-here", tmp_path)
    assert made.returncode == 1 and "no database at" in made.stderr and "nothing-here" in made.stderr
    assert not (tmp_path / "x.tar.gz").exists()


def test_postgresql_backup_holds_the_file_store_and_the_manifest(tmp_path: Path, pg_url: str):
    app = build_app(load_settings(data_dir=tmp_path / "live", content_dir=REAL_CONTENT, database_url=pg_url))
    talk = Talk(app)
    talk("bằng khen thủ tướng cần mấy bộ hồ sơ", user="lan")
    talk(OUT_OF_SCOPE, user="lan")
    lan = person(app.repo, "zalo", "lan")
    app.files.put(PHOTO, mime_type="image/png", owner_user_id=lan.id, channel="zalo")
    app.files.put(b"%PDF-1.4 to trinh", original_name="to-trinh.pdf", owner_user_id=lan.id, channel="zalo")

    made = backup(app.settings, tmp_path / "pg.tar.gz")
    assert "pg_dump" in made.summary()
    with tarfile.open(made.path, "r:gz") as t:
        names = set(t.getnames())
        manifest = json.loads(t.extractfile(MANIFEST).read())  # type: ignore[union-attr]
    assert DB_MEMBER not in names and len([n for n in names if n.startswith("files/")]) == 2
    assert manifest["database"] == "postgresql" and manifest["revision"]
    assert manifest["tables"]["users"] == 1 and manifest["tables"]["question_log"] == 2
    assert manifest["tables"]["stored_files"] == 2 and manifest["files"]["count"] == 2

    # The database comes back with pg_restore; `restore` brings the files beside it.
    target = tmp_path / "restored"
    report = restore(load_settings(data_dir=target, content_dir=REAL_CONTENT, database_url=pg_url), made.path)
    assert "pg_restore" in report and "files 2" in report
    assert blobs(target) == blobs(tmp_path / "live")
    with pytest.raises(BackupError, match="already holds data"):
        restore(load_settings(data_dir=target, content_dir=REAL_CONTENT, database_url=pg_url), made.path)


def test_nightly_backups_keep_the_newest_and_each_restores(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch):
    # The systemd timer and the compose service run `backup --dir DIR --keep N` every night.
    from datetime import datetime, timedelta

    from bot import cli as bot_cli
    from bot.backup import backup_rotating

    data = tmp_path / "data"
    app = bot_with_history(data)
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not an archive of ours", encoding="utf-8")
    night = datetime(2026, 12, 1, 2, 30)
    for day in range(5):
        backup_rotating(app.settings, folder, keep=3, now=night + timedelta(days=day))
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == ["notes.txt", "thidua-bot-20261203-023000.tar.gz", "thidua-bot-20261204-023000.tar.gz",
                    "thidua-bot-20261205-023000.tar.gz"]
    # The command line, as the timer runs it.
    monkeypatch.setenv("DATA_DIR", str(data))
    assert bot_cli.main(["backup", "--dir", str(folder), "--keep", "2"]) == 0
    out = capsys.readouterr().out
    assert "removed 2 older archive(s), keeping the newest 2" in out
    archives = sorted(p for p in folder.glob("thidua-bot-*.tar.gz"))
    assert len(archives) == 2
    assert bot_cli.main(["backup", "--dir", str(folder), "--keep", "0"]) == 1
    assert "--keep must be at least 1" in capsys.readouterr().err
    restored = tmp_path / "restored"
    restore(load_settings(data_dir=restored, content_dir=REAL_CONTENT), archives[-1])
    assert blobs(restored) == blobs(data)
