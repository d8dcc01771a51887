"""How often a person may get STAFF_INVITE_CODE wrong: at most `LIMIT` wrong codes within
`WINDOW`; the `LIMIT`-th locks them out for `LOCKOUT`, during which no code is checked,
not even the right one (otherwise guessing just goes on after the lockout message).

The count lives in the person's conversation state (kept per person, committed with
the turn), outside the form: cancelling the form or a restart does not reset it."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.state import ChatState

LIMIT = 5
WINDOW = timedelta(hours=1)
LOCKOUT = timedelta(hours=1)


def _load(state: ChatState) -> tuple[list[datetime], datetime | None]:
    data = state.invite_tries
    if data is None:
        return [], None
    wrong = [_time(t) for t in data.get("wrong") or [] if isinstance(t, str)]
    until = _time(data["until"]) if isinstance(data.get("until"), str) else None
    return [t for t in wrong if t is not None], until


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def locked_until(state: ChatState, now: datetime) -> datetime | None:
    """When the lockout ends, while one is on; None when a code may be tried."""
    _wrong, until = _load(state)
    return until if until is not None and until > now else None


def wrong(state: ChatState, now: datetime) -> int:
    """Count a wrong code; returns how many tries are left (0: locked out from now on)."""
    recent = [t for t in _load(state)[0] if now - t < WINDOW]
    recent.append(now)
    if len(recent) >= LIMIT:
        state.invite_tries = {"wrong": [], "until": (now + LOCKOUT).isoformat()}
        return 0
    state.invite_tries = {"wrong": [t.isoformat() for t in recent], "until": None}
    return LIMIT - len(recent)


def right(state: ChatState) -> None:
    """The right code: the count starts over."""
    state.invite_tries = None
