"""`python -m bot ARGS` run inside the test process: bot.cli.main with ARGS, the
given environment, working directory and standard input, its standard output and
error captured. Each `python -m bot` subprocess re-imports the whole stack (about a
second on the CI machine); in process it costs the command's own work. Tests whose
point is a separate process (two instances, kill -9, the entry point itself, a hash
seed) keep using subprocesses (tests/procs.py).

    done = run_cli(["ask", "--json"], cwd=tmp_path, env=clean_env(DATA_DIR=...), stdin="...")
    assert done.returncode == 0, done.stderr

The result is a subprocess.CompletedProcess, so a test reads it as it read the
subprocess's. Process-wide state the command changes (the environment, the working
directory, sys.std*, the root logger's handlers, filters and levels) is put back.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import threading
import traceback
from pathlib import Path

from bot import cli

# Loggers whose levels bot.app.setup_logging sets.
_LOGGERS = ("", "httpx", "sqlalchemy", "alembic", "apscheduler")


class _Stdin(io.StringIO):
    """Piped input: not a terminal (the console tells a pipe from a person by isatty)."""

    def isatty(self) -> bool:
        return False


def run_cli(args: list[str], cwd: Path | str, env: dict[str, str], stdin: str = "",
            timeout: float | None = None) -> subprocess.CompletedProcess:  # noqa: ARG001 - same call as subprocess.run
    out, err = io.StringIO(), io.StringIO()
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_std = sys.stdin, sys.stdout, sys.stderr
    root = logging.getLogger()
    saved_handlers = list(root.handlers)
    saved_filters = {h: list(h.filters) for h in saved_handlers}
    saved_levels = {name: logging.getLogger(name).level for name in _LOGGERS}
    result: list[int] = []

    def call() -> None:
        # In a thread of its own: commands that run an event loop (asyncio.run) must not
        # find the test's loop running.
        try:
            result.append(cli.main(list(args)))
        except SystemExit as exc:  # argparse (--help, a bad option), as `python -m bot` exits
            code = exc.code
            if code is None or isinstance(code, int):
                result.append(code or 0)
            else:
                print(code, file=sys.stderr)
                result.append(1)
        except BaseException:  # noqa: BLE001 - an uncaught exception: a traceback and status 1, as Python does
            traceback.print_exc(file=sys.stderr)
            result.append(1)

    os.environ.clear()
    os.environ.update(env)
    try:
        os.chdir(cwd)
        sys.stdin, sys.stdout, sys.stderr = _Stdin(stdin), out, err
        worker = threading.Thread(target=call, name=f"cli {' '.join(args)}")
        worker.start()
        worker.join()
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_std
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for handler in list(root.handlers):
            if handler not in saved_handlers:
                root.removeHandler(handler)
                handler.close()
        for handler, filters in saved_filters.items():
            handler.filters[:] = filters
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
    return subprocess.CompletedProcess([sys.executable, "-m", "bot", *args], result[0] if result else 1,
                                       out.getvalue(), err.getvalue())
