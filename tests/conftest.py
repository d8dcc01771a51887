"""Shared fixtures: settings on a fresh SQLite file (a copy of one migrated once per
run), the assembled app, the PostgreSQL URL when CI provides one, and the content
index built once per run; the multi-process tests collected first (for xdist)."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

import bot.app
import content.service
from bot.app import App, build_app
from bot.pipeline import FloodGuard, Pipeline
from bot.settings import Settings, load_settings
from content import DEFAULT_CONTENT_DIR
from handlers.events import IncomingEvent, Reply
from storage import db
from tests.procs import ZYGOTE_DIR, ZYGOTE_OWNER, Procs, stop_fork_server

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
REAL_CONTENT = DEFAULT_CONTENT_DIR
_RealKnowledge = content.service.Knowledge
_SHARED: dict[Path, content.service.Knowledge] = {}


def shared_knowledge(path: Path = REAL_CONTENT) -> content.service.Knowledge:
    """The real content's index, built once for the whole run (it takes a few seconds);
    tests that edit content use a copy elsewhere and get a fresh index."""
    path = Path(path).resolve()
    if path not in _SHARED:
        _SHARED[path] = _RealKnowledge(path)
    return _SHARED[path]


def _knowledge(content_dir: Path, edits=None) -> content.service.Knowledge:  # noqa: ANN001
    if Path(content_dir).resolve() == Path(REAL_CONTENT).resolve():
        # With the app's store of the Office's edits: the shared index, while there are none.
        return shared_knowledge(content_dir) if edits is None else shared_knowledge(content_dir).with_edits(edits)
    return _RealKnowledge(content_dir, edits)


# Tests that run bot processes and wait on them, drive a browser, or train the learned ranker
# for content of their own (about 5 s of CPU each): started first, the longest first, so that
# with pytest-xdist (`make test` runs `-n auto`) the other workers work through the rest
# meanwhile instead of one worker being left with them at the end.
SLOW_FIRST = ("tests/test_reminders_multiprocess.py", "tests/test_web_browser.py", "tests/test_ask.py::test_explain", "tests/test_web_curation.py::test_a_group_marked",
              "tests/test_content_edits.py::test_a_group_marked", "tests/test_multiprocess.py",
              "tests/test_content_live_multiprocess.py", "tests/test_web_curation_browser.py",
              "tests/test_reports_multiprocess.py")


# The tests' files (SQLite databases, file stores, logs) in memory where the machine has a
# tmpfs: each SQLite close checkpoints its WAL with an fsync, and on a virtual disk the
# waits added up to a quarter of the in-process tests' time. `--basetemp` or
# TEST_TMP_PARENT choose otherwise. A passing run removes its directory; a failing one
# leaves it for reading (the path is printed).
_MEMORY_TMP = Path("/dev/shm")


def pytest_configure(config: pytest.Config) -> None:
    # The suite allocates much and keeps little: the collector's default, a pass every 700
    # new objects, cost a tenth of its CPU (measured on the content and quality tests).
    gc.set_threshold(100_000, 50, 100)
    if hasattr(config, "workerinput"):  # a worker of xdist: the run's pytest has set up what follows
        return
    # The fork server of the bot processes (tests/procs.py), one for the run: its socket's folder
    # (short, as Unix socket paths must be), known to the workers through their environment.
    config._tdkt_zygote = tempfile.mkdtemp(prefix="tdkt-z-")  # noqa: SLF001
    os.environ[ZYGOTE_DIR] = config._tdkt_zygote  # noqa: SLF001
    os.environ[ZYGOTE_OWNER] = str(os.getpid())
    # The learned ranker's models (content/ranker.py) in a folder of this run, shared by its
    # workers and bot processes: a run trains what a fresh machine (CI) trains, and leaves
    # nothing in the user's ~/.cache. RANKER_CACHE_DIR set by hand is kept.
    if not os.environ.get("RANKER_CACHE_DIR"):
        config._tdkt_ranker = tempfile.mkdtemp(prefix="tdkt-ranker-")  # noqa: SLF001
        os.environ["RANKER_CACHE_DIR"] = config._tdkt_ranker  # noqa: SLF001
    if config.option.basetemp:  # set by hand
        return
    parent = Path(os.environ.get("TEST_TMP_PARENT") or _MEMORY_TMP)
    if not (parent.is_dir() and os.access(parent, os.W_OK)):
        return
    config.option.basetemp = tempfile.mkdtemp(prefix="tdkt-tests-", dir=parent)
    config._tdkt_basetemp = config.option.basetemp  # noqa: SLF001 - removed at the end of a passing run


def pytest_unconfigure(config: pytest.Config) -> None:
    zygote = getattr(config, "_tdkt_zygote", None)
    if zygote is not None:
        stop_fork_server(Path(zygote))
        shutil.rmtree(zygote, ignore_errors=True)
    if getattr(config, "_tdkt_ranker", None) is not None:
        shutil.rmtree(config._tdkt_ranker, ignore_errors=True)  # noqa: SLF001
    path = getattr(config, "_tdkt_basetemp", None)
    if path is None:
        return
    if getattr(config, "_tdkt_failed", False):
        print(f"\nthe failed run's files are kept in {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.freeze()  # the imported modules and the collected tests live to the end: never scanned again


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._tdkt_failed = exitstatus not in (0, 5)  # noqa: SLF001 - 5: no tests collected


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers a core. The multi-process, browser and network tests spend much
    of their time waiting on other processes; the extra workers fill it. The whole suite with
    PostgreSQL on 2 quiet cores, measured here: 2 workers 177 s, 3: 152 s, 4: 133 s, 6: 147 s."""
    return 2 * (os.cpu_count() or 1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Stable and the same in every worker, as xdist requires.
    items.sort(key=lambda item: next((i for i, slow in enumerate(SLOW_FIRST) if item.nodeid.startswith(slow)),
                                     len(SLOW_FIRST)))


_real_upgrade = db.upgrade


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run (per worker with xdist)."""
    path = tmp_path_factory.mktemp("template") / "bot.sqlite3"
    _real_upgrade(f"sqlite:///{path}")
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, so copying it is enough
    finally:
        con.close()
    return path


@pytest.fixture(autouse=True)
def _migrated_from_template(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                            _sqlite_template: Path) -> None:
    """A new SQLite database migrated to head is a copy of the template: the same schema
    and alembic_version as running the migrations (about 0.1 s each, for hundreds of app
    fixtures). Tests marked real_migrations (tests/test_storage.py) run them every time."""
    if request.node.get_closest_marker("real_migrations"):
        return

    def upgrade(url: str, revision: str = "head") -> None:
        normalized = db.normalize_url(url)
        path = normalized.split("///", 1)[-1] if normalized.startswith("sqlite:///") else ""
        if revision == "head" and path and path != ":memory:" and "?" not in path and not Path(path).exists():
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_sqlite_template, path)
            return
        _real_upgrade(url, revision)

    monkeypatch.setattr(db, "upgrade", upgrade)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Commands run in process (bot.cli.main) call setup_logging, which adds a handler bound
    to the test's captured stderr: the root logger's handlers, their filters and its level
    are put back after every test, and a handler a test added is closed. A later test
    would otherwise find that handler, bound to a closed stream, and reuse it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    filters = {h: list(h.filters) for h in handlers}
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    for h in handlers:
        h.filters[:] = filters[h]
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The developer's own .env and tokens must not leak into tests.
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "ZALO_")) or name in {"DATABASE_URL", "DATA_DIR", "CONTENT_DIR", "ADMIN_IDS",
                                                               "PORT", "LOG_LEVEL", "TIMEZONE", "QUIET_HOURS",
                                                               "OUTBOX_LEASE_SECONDS"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    # Every in-process build of the app reuses the one index of the real content.
    monkeypatch.setattr(bot.app, "Knowledge", _knowledge)
    monkeypatch.setattr(content.service, "Knowledge", _knowledge)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT)


@pytest.fixture
def app(settings: Settings) -> App:
    return build_app(settings)


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set (CI sets it to the machine's PostgreSQL)")
    return url


@contextlib.contextmanager
def pg_schema(postgres_url: str, prefix: str = "t_") -> Iterator[str]:
    """A throw-away schema in the CI database, so runs never see each other's rows.
    Every connection to it carries the schema's name as its application_name, so
    teardown can end those a killed bot process left behind."""
    schema = f"{prefix}{uuid.uuid4().hex[:10]}"
    admin = db.make_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_url else "?"
    try:
        # synchronous_commit off: a commit is seen by every connection as before and survives a
        # killed client, which is what the tests check; only the server's own crash could lose
        # the last ones, and the wait for its disk flush was most of a PostgreSQL test's time.
        yield (f"{postgres_url}{sep}options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
               f"&application_name={schema}")
    finally:
        with admin.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = :s AND pid <> pg_backend_pid()"), {"s": schema})
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    with pg_schema(postgres_url) as url:
        yield url


@pytest.fixture
def procs(tmp_path: Path, pg_url: str) -> Iterator[Procs]:
    """Bot processes of the test (tests/procs.py); all killed at teardown, before the schema
    is dropped, and their logs printed."""
    group = Procs(tmp_path)
    try:
        yield group
    finally:
        group.close()
        print(f"\nbot logs: {group.logs()}")


class Talk:
    """Plays one or more staff members against the app's pipeline in-process: each
    message is a committed turn (inbox, state, outbox), as on a messenger."""

    def __init__(self, app: App, channel: str = "zalo"):
        self.app = app
        self.channel = channel
        self.pipeline = Pipeline(app.conversation, app.repo, flood=FloodGuard(limit=1_000_000))
        self.n = 0
        self.prefix = uuid.uuid4().hex[:6]

    def __call__(self, text: str = "", user: str = "u1", choice: str | None = None, **kw) -> list[Reply]:  # noqa: ANN003
        self.n += 1
        key = f"{self.prefix}-{self.n}"
        self.app.repo.accept_update(self.channel, key, {"text": text}, user)
        event = IncomingEvent(channel=self.channel, chat_id=user, user_id=user, text=text, choice=choice,
                              message_id=key, **kw)
        turn = self.pipeline.commit_turn(event, key)
        assert turn is not None
        return turn.replies


@pytest.fixture
def talk(app: App) -> Talk:
    return Talk(app)
