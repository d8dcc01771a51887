"""A fork server for the bot processes of the end-to-end tests.

Starting `python -m bot run` costs about 5 s of CPU before the bot does anything,
four of them importing aiogram (pydantic builds a schema for each of its ~450 Bot
API types). The multi-process tests start some twenty bots, one after another,
on a machine with two cores: most of the suite's critical path was that import.

This process imports the bot's modules once (imports only: no settings read, no
engine, no event loop, no thread) and builds the shipped content once (so that a
child's own build finds its files already validated), then, for each request on
its Unix socket, forks a child that becomes the bot: its own environment, working
directory, log file and arguments, then `bot.cli.main(args)` as `python -m bot
ARGS` would run it. The child is a separate OS process like any other (SIGKILL
kills it mid-work, its database connections die with it); what it shares with its
siblings is the code already imported and the hash seed.

One server serves every pytest worker of a run (tests/procs.py starts it on first
use): each worker starting its own meant four more imports of aiogram at the start
of every run. It ends when the process named by --owner (the run's pytest) is gone.

Protocol, one connection a request, one JSON object a line: {"args", "env", "cwd",
"log"} in, {"pid"} out. When a child ends, its wait status goes to the file
`<log>.exit` (written then renamed, so a reader never sees half of it).
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import socket
import sys

_children: dict[int, str] = {}


def _reap(*_: object) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        log = _children.pop(pid, None)
        if log is not None:
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            with open(log + ".exit.tmp", "w") as f:
                f.write(str(code))
            os.replace(log + ".exit.tmp", log + ".exit")


def _become_bot(request: dict, sockets: tuple[socket.socket, ...]) -> None:
    """In the child: never returns."""
    code = 1
    try:
        for sock in sockets:  # the server's, not the bot's (their objects are never used again)
            os.close(sock.fileno())
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(devnull)
        sys.argv = [os.path.join(os.path.dirname(sys.modules["bot"].__file__), "__main__.py"), *request["args"]]
        from bot.cli import main

        try:
            code = main(request["args"]) or 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the child must end here, whatever happened
        import traceback

        traceback.print_exc()
    finally:
        try:
            import logging

            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:  # a zombie (ended, not reaped yet) is gone too
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True)
    parser.add_argument("--owner", type=int, required=True)
    options = parser.parse_args()
    # What `python -m bot run` spends its start-up on, imported here once: aiogram (most of
    # it), the PostgreSQL driver (about 1 s of CPU in every child otherwise), the
    # migrations' machinery and the web server.
    import alembic.command  # noqa: F401
    import psycopg  # noqa: F401
    import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401

    import bot.cli  # noqa: F401
    import bot.kernel.wiring  # noqa: F401
    import bot.runner  # noqa: F401
    import bot.telegram.channel  # noqa: F401
    import bot.web.app  # noqa: F401
    from content import DEFAULT_CONTENT_DIR
    from content.service import build

    build(DEFAULT_CONTENT_DIR)  # its validated files and folded texts, inherited by every child

    signal.signal(signal.SIGCHLD, _reap)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(options.socket)
    except FileNotFoundError:  # its folder is gone: the run ended while this was importing
        return
    listener.listen(64)
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    # The pipe to the worker that started it is read once; its children write to their logs.
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    while _alive(options.owner):
        if not select.select([listener], [], [], 1.0)[0]:
            continue
        conn, _ = listener.accept()
        with conn, conn.makefile("rw", encoding="utf-8") as stream:
            line = stream.readline()
            if not line:
                continue
            request = json.loads(line)
            if request.get("quit"):
                break
            # A child that ends at once must find its log path known to _reap.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
            pid = os.fork()
            if pid == 0:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
                _become_bot(request, (listener, conn))
            _children[pid] = request["log"]
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            stream.write(json.dumps({"pid": pid}) + "\n")
            stream.flush()
    # The run is over: its tests killed their children (or were killed with them).
    listener.close()


if __name__ == "__main__":
    main()
