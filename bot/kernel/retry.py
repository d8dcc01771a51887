"""The one retry and back-off policy: every wait before trying again (a messenger call,
a poll that failed, an update the inbox could not store, a delivery pass or a message
the messenger refused for now) is computed here.

The n-th wait is `initial * 2**(n-1)`, capped at `maximum`, spread by `jitter` so that
many chats do not retry in step. A caller either counts attempts itself (`delay(n)`,
with `attempts` bounding the tries) or lets the policy count (`next()`, `reset()` after
a success)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace


@dataclass
class Backoff:
    initial: float = 1.0  # seconds before the second try
    maximum: float = 30.0  # no wait is longer
    attempts: int = 0  # tries in all, the first included (0: no bound)
    jitter: float = 0.0  # each wait is multiplied by a random factor in [1 - jitter/2, 1 + jitter/2]
    max_retry_after: float = 300.0  # a longer wait asked by a messenger (429) gives up instead
    _failures: int = field(default=0, init=False, repr=False, compare=False)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after the `attempt`-th failure (1 for the first)."""
        wait = min(self.maximum, self.initial * 2 ** max(attempt - 1, 0))
        if self.jitter:
            wait *= 1 - self.jitter / 2 + random.random() * self.jitter
        return wait

    def gives_up(self, attempt: int) -> bool:
        """Whether the `attempt`-th failure was the last try allowed."""
        return bool(self.attempts) and attempt >= self.attempts

    def next(self) -> float:
        """The wait after one more failure in a row."""
        self._failures += 1
        return self.delay(self._failures)

    def reset(self) -> None:
        """A success: the next failure waits `initial` again."""
        self._failures = 0

    def fresh(self, **changes: float) -> Backoff:
        """The same policy (with `changes`), counting its own failures."""
        return replace(self, **changes)
