"""`python -m bot` as an operator meets it: every command's own --help, `ask`
printing answers under their questions, `unanswered` saying what it left out,
and the console starting a fresh conversation unless --resume is given."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import pytest

from bot import cli
from bot.app import build_app
from bot.settings import load_settings
from tests.conftest import REAL_CONTENT, Talk
from tests.incli import run_cli
from tests.procs import clean_env


def run(args: list[str], cwd: Path, stdin: str = "", **env: object) -> subprocess.CompletedProcess:
    return run_cli(args, cwd, clean_env(**env), stdin)


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):  # noqa: ANN201
    """(command path, its parser) for every command and sub-command."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for sub in subs:
        for name, child in sub.choices.items():
            yield from commands(child, (*path, name))


def test_every_command_has_its_own_help_describing_each_option(capsys: pytest.CaptureFixture):
    found = dict(commands(cli._parser()))
    assert {("content", "check"), ("db", "upgrade"), ("webhook", "set"), ("webhook", "delete"), ("backup",),
            ("restore",), ("unanswered",), ("ask",), ("chat",), ("run",), ("outbox",)} <= set(found)
    for path, parser in found.items():
        undocumented = [a.dest for a in parser._actions if not a.help]
        assert not undocumented, f"{' '.join(path)}: {undocumented} have no help"
        with pytest.raises(SystemExit) as exit_:
            cli.main([*path, "--help"])
        assert exit_.value.code == 0
        shown = capsys.readouterr().out
        assert shown.startswith(f"usage: python -m bot {' '.join(path)}"), shown
        for action in parser._actions:
            assert action.help.split("(")[0].split()[0] in shown


def test_ask_prints_each_answer_under_its_question_without_choice_hints(tmp_path: Path):
    done = run(["ask"], tmp_path, "bằng khen thủ tướng cần mấy bộ hồ sơ\nkhen thưởng\n", DATA_DIR=tmp_path / "d")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    first, second = out.index("Hỏi: bằng khen thủ tướng cần mấy bộ hồ sơ\n"), out.index("Hỏi: khen thưởng\n")
    assert first == 0 and "04 bộ" in out[first:second]
    assert "- Các hình thức khen thưởng" in out[second:]  # the close entries, as plain lines
    assert "Trả lời bằng số" not in out and "Trả lời 1" not in out
    body = [line for line in out.splitlines() if line and not line.startswith("Hỏi: ")]
    assert all(line.startswith("  ") for line in body)  # each answer sits under its question
    assert not (tmp_path / "d").exists()  # ask writes nothing


def test_unanswered_counts_the_rows_it_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture):
    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT)
    talk = Talk(build_app(settings))
    for q in ("giá vàng hôm nay", "thủ tục làm hộ chiếu", "lịch chiếu phim", "giá vàng hôm nay"):
        talk(q, user="lan")
    monkeypatch.setattr(cli, "load_settings", lambda: settings)
    assert cli.main(["unanswered", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "giá vàng hôm nay" in out and "... và 1 dòng nữa không hiển thị" in out
    assert cli.main(["unanswered"]) == 0
    assert "dòng nữa" not in capsys.readouterr().out


def test_each_console_run_starts_afresh_unless_resumed(tmp_path: Path):
    env = {"DATA_DIR": tmp_path / "data"}
    assert run(["chat"], tmp_path, "/start\n", **env).returncode == 0
    fresh = run(["chat"], tmp_path, "2\n", **env)
    assert fresh.returncode == 0 and "Bạn> 2\nTiêu chí thi đua\n" not in fresh.stdout  # not read against the old menu
    # `make run` runs `python -m bot run`, which chats when no token is set.
    assert run(["run"], tmp_path, "/start\n", **env).returncode == 0
    resumed = run(["run", "--resume"], tmp_path, "2\n", **env)
    assert resumed.returncode == 0 and "Bạn> 2\nTiêu chí thi đua\n" in resumed.stdout
