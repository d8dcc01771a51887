"""The console channel end to end, as a staff member at a terminal would use it:
`python -m bot chat` (and `python -m bot` with no token) fed through a pipe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from storage import db
from storage.repo import Repository

ROOT = Path(__file__).resolve().parent.parent


def run_bot(args: list[str], stdin: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(data_dir), "DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=data_dir, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_piped_question_with_no_token_is_answered_and_logged(tmp_path: Path):
    proc = run_bot([], "bằng khen thủ tướng cần mấy bộ hồ sơ\n", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "04 bộ" in proc.stdout
    assert "Nguồn: KH 515/KH-VKS" in proc.stdout
    repo = Repository(db.make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}"))
    log = repo.question_log()
    assert [(r.text, r.outcome) for r in log] == [("bằng khen thủ tướng cần mấy bộ hồ sơ", "answer")]
    assert log[0].entry_id and log[0].channel == "console"


def test_menu_browsing_by_numbers_and_fallback(tmp_path: Path):
    script = "\n".join([
        "/start",          # main menu
        "4",               # Hồ sơ - thủ tục
        "1",               # first entry of that topic
        "thủ tục làm hộ chiếu",  # out of scope
        "/trogiup",
        "",                # empty line
        "cảm ơn",
    ]) + "\n"
    proc = run_bot(["chat"], script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "1. Hỏi đáp" in out and "4. Hồ sơ - thủ tục" in out
    assert "Hồ sơ - thủ tục" in out
    assert out.count("Nguồn:") >= 1  # the chosen entry, with its source
    assert "chưa có thông tin" in out  # honest fallback
    assert "Văn phòng" in out
    assert "/huy" in out  # help lists the commands
    assert "chưa nhập nội dung" in out
    assert "Rất vui được hỗ trợ" in out
    repo = Repository(db.make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}"))
    outcomes = [(r.text, r.outcome) for r in repo.question_log()]
    assert ("thủ tục làm hộ chiếu", "fallback") in outcomes
    rows = repo.unanswered()
    assert rows and rows[0].text == "thủ tục làm hộ chiếu"


def test_unanswered_command_lists_what_was_not_answered(tmp_path: Path):
    run_bot(["chat"], "giá vàng hôm nay\ngiá vàng hôm nay\nthủ tục làm hộ chiếu\n", tmp_path)
    proc = run_bot(["unanswered"], "", tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any("giá vàng hôm nay" in line and line.strip().startswith("2") for line in lines), proc.stdout
    assert any("thủ tục làm hộ chiếu" in line for line in lines)
