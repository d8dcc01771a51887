"""Start-up failures are one line naming the setting (issue 11, fault 6). Probe: an
unreachable DATABASE_URL or an unusable DATA_DIR printed 38-125 lines of traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.incli import run_cli
from tests.procs import clean_env, free_port


def _run(tmp_path: Path, *args: str, **settings: object) -> subprocess.CompletedProcess:
    env = clean_env(TELEGRAM_BOT_TOKEN="123456:TEST-token_abcdefghijklmnopqrstuvwx",
                    TELEGRAM_API_URL="http://127.0.0.1:9", **settings)
    return run_cli(list(args), tmp_path, env)


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
        # In a thread: the fake Bot API keeps answering on this test's loop meanwhile.
        proc = await asyncio.wait_for(asyncio.to_thread(run_cli, ["run", "--webhook"], tmp_path, env), 60)
    finally:
        holder.close()
        await fake.close()
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert proc.returncode == 1 and lines == [
        f"Cannot start: PORT={port} is already in use by another program; stop it or set PORT to a free port"], lines


# --- no token, unknown settings, fatal lines as JSON (issue 20, items 3 and 4) ----------------

def _bot(tmp_path: Path, *args: str, stdin: str | None = None, **settings: object) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` with only `settings` set; standard input is `stdin`, or empty
    and not a terminal, as under systemd or Docker."""
    env = clean_env(**{"DATA_DIR": tmp_path / "data", **settings})
    return run_cli(list(args), tmp_path, env, stdin if stdin is not None else "")


def test_run_with_no_token_and_nothing_to_read_says_so_and_fails(tmp_path: Path) -> None:
    # Probe: exit 0 and not a word; with restart-always, a restart loop with empty logs.
    done = _bot(tmp_path, "run")
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("Chưa đặt mã bot") and "TELEGRAM_BOT_TOKEN" in line and "ZALO_BOT_TOKEN" in line
    # A question piped in is still answered, and the run ends well.
    done = _bot(tmp_path, "run", stdin="bằng khen thủ tướng cần mấy bộ hồ sơ\n")
    assert done.returncode == 0 and "04 bộ" in done.stdout and done.stderr == ""


def test_a_misspelt_setting_is_named_with_the_one_meant(tmp_path: Path) -> None:
    # Probe: TELEGRAM_BOT_TOKN=... ran the console in silence, as if no token were set.
    (tmp_path / ".env").write_text("PORT=8081\nDATABSE_URL=sqlite:///x.db\nLOG_COLOUR=1\n", encoding="utf-8")
    done = _bot(tmp_path, "run", TELEGRAM_BOT_TOKN="123456:TEST-token_abcdefghijklmnopqrstuvwx")
    warning, no_token = done.stderr.strip().splitlines()
    assert done.returncode == 2 and no_token.startswith("Chưa đặt mã bot")
    assert warning.startswith("Cảnh báo:") and "TELEGRAM_BOT_TOKN (biến môi trường; có phải TELEGRAM_BOT_TOKEN?)" in warning
    assert "DATABSE_URL (trong .env; có phải DATABASE_URL?)" in warning and "LOG_COLOUR (trong .env" in warning
    assert "PORT" not in warning.replace("TOKEN", "") and "abcdefghij" not in done.stderr
    # Known settings only: no warning.
    (tmp_path / ".env").write_text("PORT=8081\n", encoding="utf-8")
    done = _bot(tmp_path, "run", stdin="/start\n")
    assert done.returncode == 0 and done.stderr == ""


@pytest.mark.parametrize(("args", "settings", "code", "start"), [
    (["run"], {"PORT": "99999"}, 2, "Invalid settings: PORT"),
    (["unanswered"], {"DATA_DIR": "/proc/no-such-dir/data"}, 1, "Cannot start: DATA_DIR="),
    (["run", "--webhook"], {"TELEGRAM_BOT_TOKEN": "123456:TEST-token_abcdefghijklmnopqrstuvwx",
                            "TELEGRAM_API_URL": "http://127.0.0.1:9"}, 1, "Cannot run: TELEGRAM_WEBHOOK_SECRET"),
    (["run"], {}, 2, "Chưa đặt mã bot"),
])
def test_fatal_lines_are_json_with_log_format_json(tmp_path: Path, args: list[str], settings: dict, code: int,
                                                   start: str) -> None:
    # Probe: with LOG_FORMAT=json, "Cannot start", "Invalid settings" and "Cannot run" were plain text.
    import json

    done = _bot(tmp_path, *args, **{"LOG_FORMAT": "json", **settings})
    records = [json.loads(line) for line in done.stderr.strip().splitlines()]  # every line is JSON
    assert done.returncode == code and [r["message"][:len(start)] for r in records] == [start], done.stderr
    assert records[0]["level"] == "ERROR" and records[0]["time"].endswith("+07:00")
