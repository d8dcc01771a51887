"""Small helpers the channels and the web server share: a log line at most once a
minute per source, an exception as one line, and mention stripping."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class OncePer:
    """At most one log line per key every `seconds` (a flood of bad requests must not
    flood the log): `due(key)` is None while the key is quiet, else how many were held
    back since its last line."""

    def __init__(self, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000):
        self.seconds = seconds
        self.clock = clock
        self.max_keys = max_keys
        self._seen: dict[str, tuple[float, int]] = {}

    def due(self, key: str) -> int | None:
        now = self.clock()
        last = self._seen.get(key)
        if last is not None and now - last[0] < self.seconds:
            self._seen[key] = (last[0], last[1] + 1)
            return None
        if len(self._seen) >= self.max_keys:  # many sources: forget the quiet ones
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.seconds}
        self._seen[key] = (now, 0)
        return last[1] if last is not None else 0


def one_line(exc: BaseException) -> str:
    """An exception as one short line for the log (a driver's message spans several)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def strip_mention(text: str, names: tuple[str, ...], prefix: str = "@") -> tuple[bool, str]:
    """Whether `text` mentions one of `names` (as `@name`), and the text without it."""
    found = False
    for name in sorted((n for n in names if n), key=len, reverse=True):
        pattern = re.compile(rf"(?<![\w@]){re.escape(prefix)}{re.escape(name)}(?!\w)", re.IGNORECASE)
        if pattern.search(text):
            found = True
            text = pattern.sub("", text)
    if found:
        text = re.sub(r"[ \t]{2,}", " ", text).lstrip(" \t,:;").strip()
    return found, text
