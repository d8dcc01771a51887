"""Running the reminder passes: every minute in the running bot (APScheduler), or
once from the command line. The pass itself (handlers/deadlines/reminders.py) only
writes outbox rows; the delivery worker sends them."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.app import App
from bot.delivery import Delivery
from handlers.deadlines.reminders import PassResult, content_fields, run_pass
from storage import reminders as q
from storage.models import utcnow

log = logging.getLogger(__name__)


def dispatch_now(app: App, now: datetime | None = None) -> PassResult:
    """One pass, committed in one transaction. Two instances starting together may both
    write a new content deadline; the one that loses simply runs its pass again."""
    for attempt in range(2):
        with app.repo.session() as s:
            try:
                result = run_pass(s, now=now or utcnow(), tz=app.settings.tz, quiet=app.settings.quiet,
                                  specs=app.knowledge.kb.deadlines)
                s.commit()
                return result
            except IntegrityError:
                s.rollback()
                if attempt:
                    raise
    raise AssertionError("unreachable")  # pragma: no cover


def sync_content(app: App) -> int:
    """Bring content/deadlines.yaml into the database (the reminder pass does it too)."""
    with app.repo.session() as s:
        changed = q.sync_content_deadlines(s, content_fields(app.knowledge.kb.deadlines, app.settings.tz))
        s.commit()
    return changed


async def reminder_job(app: App, delivery: Delivery | None) -> None:
    try:
        result = await asyncio.to_thread(dispatch_now, app)
    except Exception:
        log.exception("reminder pass failed")
        return
    if result.queued or result.deferred or result.skipped:
        log.info("reminders: %d queued, %d deferred, %d skipped", len(result.queued), len(result.deferred),
                 result.skipped)
    if result.queued and delivery is not None:
        delivery.wake.set()
