"""Real `python -m bot` subprocesses for end-to-end tests: started with a clean
environment, waited for (GET /healthz, or a line in their log), killed with
SIGKILL or stopped with SIGTERM, their output collected in a file per process.

    with Procs(tmp_path) as procs:
        a = procs.start("a", ["run", "--webhook"], env={...}, port=free_port())
        await a.wait_healthy()
        a.kill()

Leaving the `with` block (or calling `close()`) kills every process still
running, whatever happened in the test.

The processes are forked from a fork server that has imported the bot once
(tests/zygote.py): a cold `python -m bot` spends ~5 s of CPU importing (aiogram
most of it), which made these tests most of the suite's wall time.
BOT_PROCS_EXEC=1 starts each one with `python -m bot` instead.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent

# Settings of the developer's shell must not reach a bot under test: every field of
# Settings (whatever is added later), and anything of the two messengers.
_DROP_PREFIXES = ("TELEGRAM_", "ZALO_")
_DROP = {name.upper() for name in Settings.model_fields}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**settings: object) -> dict[str, str]:
    """This process's environment without bot settings, plus `settings` (None drops one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_PREFIXES) and k not in _DROP}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    for key, value in settings.items():
        if value is not None:
            env[key] = str(value)
    return env


class _Forked:
    """The part of subprocess.Popen the tests use, for a child of the fork server
    (which reaps it and writes its exit status next to its log)."""

    def __init__(self, pid: int, log_path: Path):
        self.pid = pid
        self._exit = Path(f"{log_path}.exit")
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and self._exit.exists():
            self.returncode = int(self._exit.read_text())
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:  # not reaped yet, so the pid is still this process's
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


# Where the run's fork server listens, and the process whose end ends it: set by the run's
# pytest before its workers start (tests/conftest.py), so every worker finds the same one.
ZYGOTE_DIR = "TDKT_ZYGOTE_DIR"
ZYGOTE_OWNER = "TDKT_ZYGOTE_OWNER"


class _Zygote:
    """The run's one fork server (tests/zygote.py), started by the first worker that needs it."""

    _lock = threading.Lock()
    _own_dir: str | None = None

    @classmethod
    def _where(cls) -> tuple[Path, int]:
        if os.environ.get(ZYGOTE_DIR):
            return Path(os.environ[ZYGOTE_DIR]), int(os.environ[ZYGOTE_OWNER])
        if cls._own_dir is None:  # not under the suite's conftest: this process's own server
            cls._own_dir = tempfile.mkdtemp(prefix="tdkt-z-")
            atexit.register(shutil.rmtree, cls._own_dir, True)
        return Path(cls._own_dir), os.getpid()

    @classmethod
    def _ask(cls, sock_path: Path, request: dict) -> dict:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(sock_path))
            with conn.makefile("rw", encoding="utf-8") as stream:
                stream.write(json.dumps(request) + "\n")
                stream.flush()
                return json.loads(stream.readline())

    @classmethod
    def fork(cls, args: list[str], env: dict[str, str], cwd: Path, log_path: Path) -> _Forked:
        folder, owner = cls._where()
        sock_path = folder / "zygote.sock"
        request = {"args": args, "env": env, "cwd": str(cwd), "log": str(log_path)}
        with cls._lock:
            try:
                return _Forked(cls._ask(sock_path, request)["pid"], log_path)
            except (FileNotFoundError, ConnectionRefusedError):
                pass
            with open(folder / "zygote.lock", "w") as lock:  # one worker starts it; the others wait
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    return _Forked(cls._ask(sock_path, request)["pid"], log_path)
                except (FileNotFoundError, ConnectionRefusedError):
                    sock_path.unlink(missing_ok=True)
                server = subprocess.Popen(
                    [sys.executable, "-u", "-m", "tests.zygote", "--socket", str(sock_path), "--owner", str(owner)],
                    cwd=REPO, env=clean_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
                    start_new_session=True)  # outlives this worker: the others use it too
                ready = server.stdout.readline()  # type: ignore[union-attr]
                server.stdout.close()  # type: ignore[union-attr]
                assert ready.strip(), "the fork server did not start"
            return _Forked(cls._ask(sock_path, request)["pid"], log_path)


def stop_fork_server(folder: Path) -> None:
    """At the end of the run: the server ends (it would within a second of the run anyway)."""
    with contextlib.suppress(OSError, ValueError):  # none running; or it ended without answering, as it does
        _Zygote._ask(folder / "zygote.sock", {"quit": True})  # noqa: SLF001


def spawn(args: list[str], env: dict[str, str], cwd: Path, log_path: Path, log: Any = None) -> subprocess.Popen | _Forked:
    """`python -m bot ARGS` as a separate process, its output (stdout and stderr) in
    `log_path` (`log`: that file, already open for writing)."""
    if os.environ.get("BOT_PROCS_EXEC"):
        with open(log_path, "ab") if log is None else contextlib.nullcontext(log) as out:
            return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=cwd, env=env,
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    return _Zygote.fork(args, env, cwd, log_path)


class BotProcess:
    def __init__(self, name: str, args: list[str], env: dict[str, str], workdir: Path, port: int | None = None,
                 log_path: Path | None = None):
        self.name = name
        self.args = args
        self.port = port
        self.log_path = log_path or workdir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in wait()/close()
        self.started = time.monotonic()  # nothing this process does can happen before this
        # The working directory has no .env, so only `env` configures the bot.
        self.popen = spawn(args, env, workdir, self.log_path, self._log)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def url(self) -> str:
        assert self.port is not None, f"{self.name} has no port"
        return f"http://127.0.0.1:{self.port}"

    def running(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def _dead(self) -> AssertionError:
        return AssertionError(f"{self.name} (pid {self.pid}) exited with {self.popen.returncode}:\n{self.tail()}")

    async def wait_healthy(self, timeout: float = 30.0) -> None:
        """Wait until GET /healthz answers 200 (the webhook server is up)."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while True:
                if not self.running():
                    raise self._dead()
                try:
                    async with http.get(f"{self.url}/healthz") as resp:
                        if resp.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.name} not healthy after {timeout}s:\n{self.tail()}")
                await asyncio.sleep(0.05)

    async def wait_log(self, text: str, timeout: float = 30.0) -> None:
        """Wait until `text` appears in the process's output."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if not self.running():
                raise self._dead()
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no {text!r} after {timeout}s:\n{self.tail()}")
            await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when the machine or the OOM killer stops it."""
        if self.running():
            self.popen.send_signal(signal.SIGKILL)
        self.wait(10)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not stop within `timeout`."""
        if self.running():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
        return self.wait(10)

    def wait(self, timeout: float) -> int | None:
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._log.close()
        return code


class Procs:
    """Every bot process of one test; `close()` kills those still running."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.all: list[BotProcess] = []

    def start(self, name: str, args: list[str], env: dict[str, str], port: int | None = None) -> BotProcess:
        log_path = self.workdir / f"proc{len(self.all) + 1}-{name}.log"
        proc = BotProcess(name, args, env, self.workdir, port, log_path)
        self.all.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.all:
            if proc.running():
                proc.popen.kill()
        for proc in self.all:
            proc.wait(10)

    def logs(self) -> str:
        """Where each process's output is (for failure messages)."""
        return "; ".join(f"{p.name}: {p.log_path}" for p in self.all)

    def __enter__(self) -> Procs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
