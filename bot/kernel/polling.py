"""The one long-poll loop. Before each fetch it waits while too many people's updates
are in hand (back-pressure counts lanes, so one flooding person is one). A failed fetch
is retried with back-off; an update the inbox cannot store (the database is away) is
kept here and stored again with its own back-off, and nothing more is fetched meanwhile:
Zalo never sends an update again once getUpdates returned it, and Telegram's offset
moves on only with the next fetch."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from bot.channel import ChannelError, RetryAfter, Transient
from bot.kernel.redact import shared
from bot.kernel.retry import Backoff
from bot.plumbing import one_line

if TYPE_CHECKING:
    from bot.kernel.inbound import Inbound

log = logging.getLogger(__name__)

FAST_EMPTY = 0.1  # seconds: an empty answer sooner than this ignored the long-polling timeout


async def poll(inbound: Inbound) -> None:
    """Long-poll the channel until cancelled; a refused token (ChannelError) ends it."""
    channel = inbound.channel
    fetch_backoff, store_backoff = inbound.backoff.fresh(), inbound.backoff.fresh()
    try:
        await channel.before_polling()
    except ChannelError as exc:
        log.error("%s polling stopped: %s", channel.title, shared(exc))
        raise
    while True:
        await inbound.lanes.wait_room(channel.max_in_flight)
        asked = time.monotonic()
        try:
            updates = await channel.get_updates()
        except asyncio.CancelledError:
            raise
        except ChannelError as exc:
            log.error("%s polling stopped: %s", channel.title, shared(exc))
            raise
        except RetryAfter as exc:
            await asyncio.sleep(min(exc.seconds, inbound.backoff.max_retry_after))
            continue
        except Exception as exc:  # noqa: BLE001 - anything else: back off and fetch again
            delay = fetch_backoff.next()
            # Network trouble is expected now and then; anything else is worth an error line.
            transient = isinstance(exc, Transient)
            log.log(logging.WARNING if transient else logging.ERROR, "%s getUpdates failed: %s; retrying in %.1f s",
                    channel.title, shared(str(exc) if transient else exc), delay)
            await inbound.sleep(delay)
            continue
        fetch_backoff.reset()
        if not updates and time.monotonic() - asked < FAST_EMPTY:
            await asyncio.sleep(0.5)  # an API server that ignores the timeout: do not hammer it
        for update in updates:
            await _store(inbound, update, store_backoff)


async def _store(inbound: Inbound, update: dict, backoff: Backoff) -> None:
    while True:
        try:
            await inbound.take(update)
        except Exception as exc:  # noqa: BLE001 - any storage failure: retry, one line each
            delay = backoff.next()
            log.error("could not store %s update (%s); keeping it and retrying in %.1f s", inbound.name,
                      shared(one_line(exc)), delay)
            await inbound.sleep(delay)
            continue
        backoff.reset()
        return
