"""Start-up failures are one line naming the setting (issue 11, fault 6). Probe: an
unreachable DATABASE_URL or an unusable DATA_DIR printed 38-125 lines of traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.procs import clean_env, free_port


def _run(tmp_path: Path, *args: str, **settings: object) -> subprocess.CompletedProcess:
    env = clean_env(TELEGRAM_BOT_TOKEN="123456:TEST-token_abcdefghijklmnopqrstuvwx",
                    TELEGRAM_API_URL="http://127.0.0.1:9", **settings)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.parametrize("args", [["run"], ["db", "upgrade"], ["outbox"]])
def test_an_unreachable_database_is_one_line_naming_database_url(tmp_path: Path, args: list[str]) -> None:
    url = f"postgresql://thidua:s3cret-pw@127.0.0.1:{free_port()}/thidua"
    done = _run(tmp_path, *args, DATABASE_URL=url, DATA_DIR=tmp_path / "data")
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert "DATABASE_URL" in lines[0] and "s3cret-pw" not in lines[0] and "Traceback" not in done.stderr
    assert "Connection refused" in lines[0] or "connection failed" in lines[0]


@pytest.mark.parametrize("make", ["a file", "unwritable"])
def test_an_unusable_data_dir_is_one_line_naming_data_dir(tmp_path: Path, make: str) -> None:
    data = tmp_path / "data"
    if make == "a file":
        data.write_text("not a directory")
    else:
        data.mkdir()
        data.chmod(0o500)
        probe = data / "probe"
        try:
            probe.write_text("x")
            probe.unlink()
            pytest.skip("running as a user who can write anywhere (root)")
        except PermissionError:
            pass
    done = _run(tmp_path, "run", DATA_DIR=data)
    data.chmod(0o700) if data.is_dir() else None
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert f"DATA_DIR={data}" in lines[0] and "Traceback" not in done.stderr


def test_a_data_dir_under_a_missing_mount_is_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path, "unanswered", DATA_DIR="/proc/no-such-dir/data")
    assert done.returncode == 1 and done.stderr.strip().splitlines() == [
        "Cannot start: DATA_DIR=/proc/no-such-dir/data is not a writable directory (No such file or directory)"]


def test_an_unsupported_database_url_is_named(tmp_path: Path) -> None:
    done = _run(tmp_path, "db", "upgrade", DATABASE_URL="mysql://x@localhost/db")
    assert done.returncode == 2 and "DATABASE_URL" in done.stderr and "Traceback" not in done.stderr


async def test_a_port_in_use_is_one_line_naming_port(tmp_path: Path) -> None:
    # Probe: PORT held by another program printed 103 lines with two tracebacks, and never PORT.
    import asyncio
    import socket

    from tests.fake_telegram import FakeTelegram

    fake = FakeTelegram("123456:TEST-token_abcdefghijklmnopqrstuvwx")
    await fake.start()
    holder = socket.create_server(("0.0.0.0", 0))  # another program listening on the port
    port = holder.getsockname()[1]
    env = clean_env(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.url, TELEGRAM_WEBHOOK_SECRET="s3cret-hook",
                    PORT=port, DATA_DIR=tmp_path / "data")
    try:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", "--webhook", cwd=tmp_path,
                                                    env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                    stderr=subprocess.STDOUT)
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        holder.close()
        await fake.close()
    lines = out.decode().strip().splitlines()
    assert proc.returncode == 1 and lines == [
        f"Cannot start: PORT={port} is already in use by another program; stop it or set PORT to a free port"], lines
