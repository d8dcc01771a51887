"""Periodic jobs of a running bot, on APScheduler: reminder passes, re-running updates
whose turn was never committed, and pruning old rows and the stored files no row refers to."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.delivery import Delivery
from bot.kernel.inbound import Inbound
from bot.reminders import reminder_job
from content.loader import ContentError

log = logging.getLogger(__name__)

SWEEP_EVERY = 60  # seconds between looks for updates left unfinished
REMINDERS_EVERY = 60  # seconds between reminder passes
PRUNE_EVERY = 3600  # seconds between prunes of the inbox and the outbox
KEEP = timedelta(days=7)  # sent outbox rows are kept this long (inbox rows: the redelivery window)


async def recovery_sweep(inbound: dict[str, Inbound]) -> None:
    for name, side in inbound.items():
        try:
            await side.recover_pending()
        except Exception:
            log.exception("recovery sweep failed for %s", name)


async def content_refresh(app: App) -> None:
    """A new version of the content saved by the Office (on any instance) is loaded here."""
    try:
        if await asyncio.to_thread(app.knowledge.refresh):
            log.info("content reloaded: version %d, %d entries", app.knowledge.version, len(app.knowledge.kb.entries))
    except ContentError as exc:
        log.error("the content saved by the Office does not load, keeping the current one:\n%s", exc)
    except Exception:
        log.exception("looking for a new version of the content failed")


async def prune(app: App) -> None:
    inbox = await asyncio.to_thread(app.repo.prune_updates)
    outbox = await asyncio.to_thread(app.outbox.prune, KEEP)
    questions = await asyncio.to_thread(app.repo.prune_questions, timedelta(days=app.settings.question_log_days))
    if questions:
        log.info("deleted %d logged questions older than %d days (QUESTION_LOG_DAYS)", questions,
                 app.settings.question_log_days)
    if inbox or outbox:
        log.info("pruned %d finished inbox rows and %d outbox rows older than %d days", inbox, outbox, KEEP.days)
    files, freed = await asyncio.to_thread(app.files.remove_orphans)
    if files:
        log.info("removed %d stored files no row refers to (%d bytes)", files, freed)


def make_scheduler(app: App, inbound: dict[str, Inbound], delivery: Delivery | None = None) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=app.settings.tz)
    # Reminders: a pass every minute writes the due ones to the outbox (each once, whatever
    # the number of instances: outbox keys are unique); the delivery worker sends them.
    scheduler.add_job(reminder_job, "interval", seconds=REMINDERS_EVERY, args=[app, delivery], id="reminders",
                      coalesce=True, max_instances=1, next_run_time=datetime.now(app.settings.tz))
    # coalesce + max_instances=1: a slow pass is never run twice at once, nor caught up in a burst.
    scheduler.add_job(recovery_sweep, "interval", seconds=SWEEP_EVERY, args=[inbound], id="recovery_sweep",
                      coalesce=True, max_instances=1)
    scheduler.add_job(prune, "interval", seconds=PRUNE_EVERY, args=[app], id="prune", coalesce=True,
                      max_instances=1)
    scheduler.add_job(content_refresh, "interval", seconds=app.settings.content_poll_seconds, args=[app],
                      id="content_refresh", coalesce=True, max_instances=1)
    return scheduler
