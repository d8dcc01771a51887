"""The console channel end to end, as a staff member at a terminal would use it:
`python -m bot chat` (and `python -m bot` with no token) fed through a pipe."""

from __future__ import annotations

import os
import pwd
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.app import build_app
from bot.settings import load_settings
from storage import db, profiles
from storage import reminders as q
from storage.models import Deadline, OutboxMessage
from storage.repo import Repository
from tests.incli import run_cli
from tests.people import person

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def run_bot(args: list[str], stdin: str, data_dir: Path, extra: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(data_dir), "DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT),
           **(extra or {})}
    return run_cli(args, data_dir, env, stdin)


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


def test_a_reminder_queued_for_the_console_user_comes_before_their_next_answer(tmp_path: Path):
    """`reminders dispatch` (no messenger running) queues a reminder for the console user:
    the next `chat` session shows it, then answers; before, every reply stayed behind it
    and the console printed nothing."""
    now = datetime.now(TZ)
    # Quiet hours far from now, so the pass sends at once whatever the hour of the test run.
    env = {"QUIET_HOURS": f"{(now.hour + 12) % 24:02d}:00-{(now.hour + 13) % 24:02d}:00"}
    app = build_app(load_settings(data_dir=tmp_path, **{k.lower(): v for k, v in env.items()}))
    me = person(app.repo, "console", pwd.getpwuid(os.getuid()).pw_name)  # who `chat` is
    with app.repo.session() as s:
        profiles.save_profile(s, me.id, unit_id="van-phong", is_leader=False, reminders=True)  # type: ignore[arg-type]
        q.save_deadline(s, Deadline(key="test:quy", title="Nộp báo cáo thi đua quý", due_at=now + timedelta(days=2),
                                    audience="all", offsets=[7]))
        s.commit()
    dispatched = run_bot(["reminders", "dispatch"], "", tmp_path, env)
    assert "wait in the outbox: no messenger token is set" in dispatched.stderr, dispatched.stdout + dispatched.stderr

    proc = run_bot(["chat"], "giấy khen cần mấy bộ hồ sơ\ncảm ơn\n", tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.index("Nhắc hạn: Nộp báo cáo thi đua quý") < out.index("01 bộ") < out.index("Rất vui được hỗ trợ")
    with app.repo.session() as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.channel == "console")).all()
    assert {r.kind for r in rows} == {"notice", "reply"} and {r.status for r in rows} == {"sent"}
