"""Is the bot alive? A heartbeat file the running bot rewrites, read by `python -m bot health`.

Docker's HEALTHCHECK and monitoring need an answer in both modes: long polling opens
no port, so a request alone cannot tell. The running bot rewrites DATA_DIR/heartbeat.json
every HEARTBEAT_EVERY seconds from its event loop (so a stuck loop goes stale); the check
reads it and, in webhook mode, also asks GET /healthz of the port it serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.settings import Settings

HEARTBEAT_EVERY = 30.0  # seconds between two writes
STALE_AFTER = 90.0  # seconds without a write before the bot counts as stuck
FILE = "heartbeat.json"


def heartbeat_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / FILE


def write_heartbeat(path: Path, *, webhook: bool, port: int, now: float | None = None) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps({"pid": os.getpid(), "at": time.time() if now is None else now,
                               "webhook": webhook, "port": port}), encoding="utf-8")
    tmp.replace(path)  # atomic: the check never reads half a file


async def beat(path: Path, stop: asyncio.Event, *, webhook: bool, port: int,
               every: float = HEARTBEAT_EVERY) -> None:
    """Rewrites the heartbeat until `stop`, then removes it (a stopped bot is not alive)."""
    try:
        while not stop.is_set():
            with contextlib.suppress(OSError):  # a full disk must not stop the bot; the check then fails
                write_heartbeat(path, webhook=webhook, port=port)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def check(settings: Settings, now: float | None = None) -> tuple[bool, str]:
    """(alive, one line saying why)."""
    path = heartbeat_path(settings)
    try:
        beat_ = json.loads(path.read_text(encoding="utf-8"))
        pid, at, webhook, port = int(beat_["pid"]), float(beat_["at"]), bool(beat_["webhook"]), int(beat_["port"])
    except FileNotFoundError:
        return False, f"not running: no heartbeat in {path.parent} (is DATA_DIR the bot's?)"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return False, f"unreadable heartbeat {path}: {exc}"
    age = (time.time() if now is None else now) - at
    if not _process_alive(pid):
        return False, f"not running: process {pid} of the last heartbeat ({age:.0f} s ago) is gone"
    if age > STALE_AFTER:
        return False, f"stuck: process {pid} has not written its heartbeat for {age:.0f} s"
    if webhook:
        url = f"http://127.0.0.1:{port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - our own loopback port
                status = resp.status
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            return False, f"webhook server not answering: GET {url}: {exc}"
        if status != 200:
            return False, f"webhook server answered {status} to GET {url}"
        return True, f"alive: process {pid}, webhook server on port {port}, heartbeat {age:.0f} s ago"
    return True, f"alive: process {pid}, long polling, heartbeat {age:.0f} s ago"
