"""The two Vietnamese guides (docs/van-hanh.md for the IT officer, docs/content.md for
the curators) keep working: every `python -m bot ...` line they show runs in process,
in the order shown, on SQLite in a temporary DATA_DIR with the real content, and must
succeed (a renamed flag or command fails here); the placeholders the guides use are
mapped to real paths by PLACEHOLDERS. `run` and `webhook` need a messenger, so the
parser must accept them, and the webhook failure the guide quotes is checked for real.
`make` lines may only be the two commands, every setting the guide names is a real
setting, and the setting lines it tells the officer to write are accepted."""

from __future__ import annotations

import io
import logging
import re
import shlex
import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session

from bot import cli, console, health
from bot.settings import Settings, load_settings
from storage import db
from storage import reports as reports_q
from storage.models import User
from tests.conftest import FIXTURE_CONTENT, REAL_CONTENT

ROOT = Path(__file__).resolve().parent.parent
OPERATOR_GUIDE = ROOT / "docs" / "van-hanh.md"
CURATOR_GUIDE = ROOT / "docs" / "content.md"
PLANS = Path(__file__).parent / "fixtures" / "plans"
# Units the operator guide's `units migrate` example maps to: its step 2 ("edit units.yaml")
# adds them to the list before the migration runs.
NEW_UNITS = [{"id": "vks-kv-3", "name": "VKSND khu vực 3"}]
# What the guide says the officer should see, for the commands it says it of.
EXPECTED = {
    ("health",): "alive: process",
    ("db", "upgrade"): "database is up to date",
    ("backup",): "backup written to",
    ("restore",): "restored from",
    ("content", "check"): "content OK",
    ("content", "verify"): "0 mismatches",
    ("units", "migrate"): "changed ",
    ("deadlines", "list"): "(ví dụ)",
}
DRY_RUN_SEEN = "nothing was changed"
PARSE_ONLY = (("run",), ("webhook",))  # need a messenger (and, for webhook, the network)
# BOT_ARGS is read by the systemd unit, not by the bot; TELEGRAM_BOT_TOKN is the guide's
# example of a misspelt name the bot warns about.
SETTINGS_NOT_OURS = {"BOT_ARGS", "TELEGRAM_BOT_TOKN"}


@pytest.fixture(autouse=True)
def _logging_as_before() -> Iterator[None]:
    """The commands set up logging to this test's captured stderr, closed after it: later
    tests must not write to it."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    filters = {h: list(h.filters) for h in handlers}
    yield
    for h in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(h)
    for h, kept in filters.items():
        h.filters[:] = kept
    root.setLevel(level)


class Place:
    """The guides' placeholders and example paths, mapped to this test's temporary ones."""

    def __init__(self, tmp: Path):
        self.backups = tmp / "backups"
        self.table: dict[str, Callable[[], str]] = {
            "/đường/dẫn/thư-mục-văn-bản": lambda: str(PLANS),
            "/var/backups/thidua-bot": lambda: str(self.backups),
            # "the archive the officer picks": the newest one the guide's backup wrote
            "/var/backups/thidua-bot/thidua-bot-20261206-023000.tar.gz":
                lambda: str(max(self.backups.glob("thidua-bot-*.tar.gz"))),
        }

    def __call__(self, token: str) -> str:
        return self.table[token]() if token in self.table else token


def code_blocks(text: str, lang: str) -> Iterator[str]:
    for match in re.finditer(rf"(?ms)^[ \t]*```{lang}\n(.*?)^[ \t]*```", text):
        yield from (line.strip() for line in match.group(1).splitlines() if line.strip())


def inline_commands(text: str) -> Iterator[str]:
    """Commands written in the prose or a table, as `... python -m bot ...` or `make ...`."""
    for span in re.findall(r"`([^`\n]+)`", text):
        if (re.search(r"(^|\s)(\.venv/bin/)?python -m bot\b", span) or re.match(r"(sudo )?make ", span)) \
                and not span.endswith("..."):
            yield span


def shell_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [*code_blocks(text, "sh"), *inline_commands(text)]


def bot_command(line: str) -> tuple[list[str], str] | None:
    """(argv after `python -m bot`, standard input) of a line that runs the bot, else None."""
    tokens = shlex.split(line, comments=True)
    for i in range(len(tokens) - 2):
        if tokens[i] in ("python", ".venv/bin/python") and tokens[i + 1:i + 3] == ["-m", "bot"]:
            break
    else:
        return None
    stdin = ""
    before = tokens[:i]
    if "|" in before:  # printf '...' | python -m bot chat
        producer = before[:before.index("|")]
        assert producer[0] == "printf" and len(producer) == 2, line
        stdin = producer[1].encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
    argv = []
    for token in tokens[i + 3:]:
        if token in ("|", ">", "&&", ";"):
            break
        argv.append(token)
    return argv, stdin


def make_targets(line: str) -> list[str] | None:
    tokens = shlex.split(line, comments=True)
    if tokens[:1] == ["sudo"]:
        tokens = tokens[1:]
    if tokens[:1] != ["make"]:
        return None
    return [t for t in tokens[1:] if "=" not in t]


def seed(settings: Settings) -> None:
    """A database in use: a staff member of vks-go-dau who sent a report (what
    `units migrate` moves, what a backup must bring back)."""
    db.upgrade(settings.db_url)
    with Session(db.make_engine(settings.db_url)) as s:
        user = User(channel="zalo", external_id="6ede9afa66b14ec1a2a3", display_name="Nguyễn Văn A")
        s.add(user)
        s.flush()
        new = reports_q.NewReport(user_id=user.id, channel="zalo", chat_id=user.external_id,  # type: ignore[arg-type]
                                  submitter_name="Nguyễn Văn A", submitter_unit_id="vks-go-dau",
                                  subject_kind="self", subject_name="Nguyễn Văn A", subject_unit_id="vks-go-dau",
                                  criterion="2.1", story="Trực chốt kiểm dịch 30 ngày liền, không nghỉ ngày nào.",
                                  happened_on=date(2026, 2, 20), submit_key="guide-1")
        reports_q.submit(s, new, (), by="zalo:6ede9afa66b14ec1a2a3", now=datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
                       tz=UTC)
        s.commit()


def run_guide(path: Path, tmp: Path, content_dir: Path, monkeypatch: pytest.MonkeyPatch,
              capsys: pytest.CaptureFixture[str]) -> list[tuple[list[str], str]]:
    """Run every bot command of the guide in order; returns (argv, output) of each run."""
    place = Place(tmp)
    place.backups.mkdir()
    data = tmp / "data"
    monkeypatch.setenv("DATA_DIR", str(data))
    monkeypatch.setenv("CONTENT_DIR", str(content_dir))
    settings = load_settings()
    seed(settings)
    real_console = console.run_console
    # The console reads the standard input of this moment (the piped text), not the one of import time.
    monkeypatch.setattr(console, "run_console",
                        lambda app, **kw: real_console(app, stdin=sys.stdin, stdout=sys.stdout, **kw))
    ran, fresh = [], 0
    for line in shell_lines(path):
        targets = make_targets(line)
        if targets is not None:
            assert targets in (["run"], ["test"]), f"{path.name}: `{line}`: the two commands are make run, make test"
            continue
        found = bot_command(line)
        if found is None:
            continue
        argv, stdin = found
        argv = [place(t) for t in argv]
        if "--help" in argv:
            with pytest.raises(SystemExit) as exit_:
                cli.main(argv)
            assert exit_.value.code == 0, line
            capsys.readouterr()
            continue
        if tuple(argv[:1]) in PARSE_ONLY:
            cli._parser().parse_args(argv)  # a renamed flag or command exits 2 here
            ran.append((argv, ""))
            continue
        if argv[0] == "restore" and "--force" not in argv:  # the guide: onto a new machine, DATA_DIR empty
            fresh += 1
            monkeypatch.setenv("DATA_DIR", str(tmp / f"new-machine-{fresh}"))
        if argv == ["health"]:  # the running bot's heartbeat (this process plays the bot)
            health.write_heartbeat(health.heartbeat_path(load_settings()), webhook=False, port=8080)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = cli.main(argv)
        out = capsys.readouterr()
        assert code == 0, f"{path.name}: `{line}` exited {code}:\n{out.out}\n{out.err}"
        monkeypatch.setenv("DATA_DIR", str(data))
        ran.append((argv, out.out + out.err))
    return ran


def check_expected(guide: str, ran: list[tuple[list[str], str]]) -> None:
    for argv, output in ran:
        if "--dry-run" in argv:
            assert DRY_RUN_SEEN in output and DRY_RUN_SEEN in guide, output
            continue
        for prefix, seen in EXPECTED.items():
            if tuple(argv[:len(prefix)]) == prefix:
                assert seen in output, f"{argv}: the guide says it shows {seen!r}:\n{output}"
                assert seen.strip() in guide, f"{seen!r} is checked but no longer in the guide"


def test_every_command_of_the_operator_guide_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]):
    content = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content)
    units = yaml.safe_load((content / "units.yaml").read_text(encoding="utf-8"))
    units["units"] += NEW_UNITS
    (content / "units.yaml").write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    ran = run_guide(OPERATOR_GUIDE, tmp_path, content, monkeypatch, capsys)
    guide = OPERATOR_GUIDE.read_text(encoding="utf-8")
    done = {tuple(argv[:2]) for argv, _ in ran} | {tuple(argv[:1]) for argv, _ in ran}
    # The guide covers what the officer runs: if a section's command goes, this says which.
    assert {("health",), ("db", "upgrade"), ("backup", "--dir"), ("restore",), ("content", "check"),
            ("content", "verify"), ("units", "usage"), ("units", "migrate"), ("deadlines", "list"),
            ("deadlines", "add"), ("deadlines", "cancel"), ("reminders", "status"), ("chat",), ("unanswered",),
            ("outbox", "--failed"), ("clean",), ("webhook", "set"), ("webhook", "delete")} <= done, done
    check_expected(guide, ran)
    chat = next(out for argv, out in ran if argv == ["chat"])
    assert "04 bộ" in chat and "1. Xem chi tiết" in chat
    # The migration moved the seeded rows; the restore onto a "new machine" brought them back.
    migrate = next(out for argv, out in ran if argv[:2] == ["units", "migrate"] and "--dry-run" not in argv)
    assert "vks-go-dau -> vks-kv-3" in migrate
    restored = [out for argv, out in ran if argv[0] == "restore"]
    assert restored and all("reports 1" in out for out in restored), restored


def test_every_command_of_the_curator_guide_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]):
    ran = run_guide(CURATOR_GUIDE, tmp_path, REAL_CONTENT, monkeypatch, capsys)
    assert {("content", "check"), ("content", "verify"), ("chat",), ("ask",), ("unanswered",), ("stats",)} <= \
        {tuple(argv[:2]) for argv, _ in ran} | {tuple(argv[:1]) for argv, _ in ran}
    check_expected(CURATOR_GUIDE.read_text(encoding="utf-8"), ran)
    # "chi tiết", typed as the second line, opens the rest of the answer, as the guide says.
    chat = next(out for argv, out in ran if argv == ["chat"] and "bk ttg" in out)
    assert chat.count("04 bộ") >= 2 and "Điều 48" in chat


def test_the_webhook_and_admin_failures_the_guide_quotes(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str], tmp_path: Path):
    guide = OPERATOR_GUIDE.read_text(encoding="utf-8")
    webhook = next(found[0] for found in map(bot_command, shell_lines(OPERATOR_GUIDE))
                   if found and found[0][:2] == ["webhook", "set"])
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONTENT_DIR", str(FIXTURE_CONTENT))  # small: the content plays no part here
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:AAH-ma-bot-cua-BotFather")
    webhook = ["webhook", "set", "--channel", "telegram", *webhook[4:]]
    assert cli.main(webhook) == 2
    said = capsys.readouterr().err.strip()
    assert said == "TELEGRAM_WEBHOOK_SECRET must be set before registering a webhook" and said in guide
    # A name where ADMIN_IDS needs an id: the bot refuses to start and names the setting.
    monkeypatch.setenv("ADMIN_IDS", "telegram:@nguyenvana")
    assert cli.main(["health"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Invalid settings: ADMIN_IDS") and "Invalid settings: ..." in guide, err


def test_the_settings_the_guides_name_are_real_and_their_lines_are_accepted():
    fields = {name.upper() for name in Settings.model_fields}
    for path in (OPERATOR_GUIDE, CURATOR_GUIDE):
        text = path.read_text(encoding="utf-8")
        named = set(re.findall(r"`([A-Z][A-Z0-9]*_[A-Z0-9_]+)`", text))
        lines = dict(line.split("=", 1) for line in code_blocks(text, "ini"))
        unknown = (named | set(lines)) - fields - SETTINGS_NOT_OURS
        assert not unknown, f"{path.name} names settings the bot does not have: {unknown}"
        # Each line the officer is told to write, written as shown, is a valid setting.
        load_settings(**{k.lower(): v for k, v in lines.items() if k in fields})
        if path == OPERATOR_GUIDE:
            assert {"TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN", "ADMIN_IDS", "PUBLIC_URL", "DATABASE_URL", "DATA_DIR",
                    "TELEGRAM_WEBHOOK_SECRET", "ZALO_WEBHOOK_SECRET", "PORT"} <= set(lines)
        for file in re.findall(r"deploy/[\w-]+(?:\.[\w-]+)+|deploy/Dockerfile", text):
            assert (ROOT / file).exists(), f"{path.name} names {file}, which is not in the repository"


ENTRY = """entries:
  - id: ho-so-bk-ttg
    topic: ho-so
{title}
    questions:
      - Hồ sơ bằng khen thủ tướng chính phủ cần mấy bộ
{question}
    answer: "04 bộ (bản chính)."
    source: KH 515/KH-VKS, mục IV.4
"""
TITLE = "    title: Hồ sơ Bằng khen Thủ tướng"


@pytest.mark.parametrize(("title", "question", "said"), [
    (TITLE, "      - hồ sơ: gồm những gì", "questions.1: Input should be a valid string"),
    (TITLE, "\t- hồ sơ gồm những gì", "found a tab character that violates indentation"),
    (" " + TITLE, "      - hồ sơ gồm những gì", "mapping values are not allowed in this context"),
    (TITLE[1:], "      - hồ sơ gồm những gì", "did not find expected '-' indicator"),
    (TITLE, '      - "hồ sơ: gồm những gì"', None),  # the fix the guide gives
], ids=["colon", "tab", "title-one-space-right", "title-one-space-left", "quoted"])
def test_the_yaml_mistakes_the_curator_guide_names_are_what_content_check_says(
        tmp_path: Path, title: str, question: str, said: str | None):
    from content.loader import ContentError, load

    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    (content / "entries" / "a.yaml").write_text(ENTRY.format(title=title, question=question), encoding="utf-8")
    guide = CURATOR_GUIDE.read_text(encoding="utf-8")
    if said is None:
        assert "hồ sơ: gồm những gì" in load(content).entries[0].questions
        assert question.strip() in guide
        return
    with pytest.raises(ContentError) as problems:
        load(content)
    assert said in "\n".join(problems.value.problems)
    assert said in " ".join(guide.split()), f"content.md no longer quotes {said!r}"
