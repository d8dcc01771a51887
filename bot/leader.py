"""Which instance sends the outbox. On PostgreSQL one instance at a time holds
a session advisory lock and runs the delivery worker, so the messengers' rate
limits hold across instances for what the worker sends (notices, retries;
each instance sends the replies of its own turns itself); the others wait and
take over within seconds when it stops (its connection closes and PostgreSQL
releases the lock). The key includes the schema, so bots in two schemas of one
database do not wait for each other. SQLite
serves one host, and every process there may send: claims keep each message
to one sender."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

LOCK_KEY = 0x7468_6964_7561  # "thidua": any constant shared by every instance
# Advisory locks are per database: bots in other schemas of the same database get other keys.
KEY_SQL = "(:k # hashtext(current_schema())::bigint)"
RETRY_EVERY = 5.0  # seconds between tries to become the sender


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def _try_lock(engine: Engine) -> Connection | None:
    conn = engine.connect()
    try:
        got = conn.execute(text(f"SELECT pg_try_advisory_lock({KEY_SQL})"), {"k": LOCK_KEY}).scalar()
        conn.commit()
    except Exception:
        conn.close()
        raise
    if got:
        return conn
    conn.close()
    return None


@contextlib.asynccontextmanager
async def worker_lock(engine: Engine, stop: asyncio.Event, retry_every: float = RETRY_EVERY) -> AsyncIterator[bool]:
    """Yields True once this instance may run the worker, False if it stopped first."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    conn: Connection | None = None
    while not stop.is_set():
        try:
            conn = await asyncio.to_thread(_try_lock, engine)
        except Exception as exc:  # the database is down: keep trying, answers wait in the outbox
            log.warning("could not ask for the outbox lock: %s", exc)
        if conn is not None:
            break
        await _sleep_or_stop(stop, retry_every)
    try:
        yield conn is not None
    finally:
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(lambda: (conn.execute(text(f"SELECT pg_advisory_unlock({KEY_SQL})"),
                                                              {"k": LOCK_KEY}), conn.commit()))
            with contextlib.suppress(Exception):
                await asyncio.to_thread(conn.close)
