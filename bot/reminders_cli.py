"""`python -m bot deadlines ...` and `python -m bot reminders ...`: deadlines managed
from a terminal or cron, and one reminder pass sent through the messengers' APIs."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta

from content.deadlines import (
    AUDIENCE_ALL,
    UNIT_PREFIX,
    check_audience,
    check_offsets,
    due_utc,
)

MAX_DRAIN_ROUNDS = 50  # delivery passes a dispatch waits for before it reports
LOCK_WAIT = 30.0  # seconds a dispatch waits for the worker lock before leaving the sending to its holder


def register(sub: argparse._SubParsersAction) -> dict:
    dl = sub.add_parser("deadlines", help="deadlines staff are reminded of")
    dl_sub = dl.add_subparsers(dest="action", required=True)
    add = dl_sub.add_parser("add", help="add a deadline; prints its id")
    add.add_argument("--title", required=True, help="what is due, as staff will read it")
    add.add_argument("--due", required=True, help='local date and time, "YYYY-MM-DD HH:MM"')
    add.add_argument("--audience", default=AUDIENCE_ALL, help="all | unit_leaders | unit:<unit id> (default all)")
    add.add_argument("--offsets", default="7,3,1,0", help="days before the deadline to remind, e.g. 7,3,1,0")
    add.add_argument("--note", help="a line added to each reminder")
    add.add_argument("--entry", help="id of the knowledge entry that explains what to submit")
    add.add_argument("--repeat", choices=["yearly"], help="repeat every year")
    lst = dl_sub.add_parser("list", help="active deadlines")
    lst.add_argument("--json", action="store_true", help="one JSON array")
    cancel = dl_sub.add_parser("cancel", help="cancel a deadline (reminders not yet sent are dropped)")
    cancel.add_argument("id", type=int, help="the deadline's id, as `deadlines list` shows it")
    rem = sub.add_parser("reminders", help="reminder passes")
    rem_sub = rem.add_subparsers(dest="action", required=True)
    disp = rem_sub.add_parser("dispatch", help="one pass: send the reminders due now, print the counts, exit")
    disp.add_argument("--now", help="pretend it is this moment (ISO 8601, e.g. 2026-12-08T08:00+07:00)")
    rem_sub.add_parser("status", help="what was sent, deferred, skipped and failed, per deadline")
    return {"deadlines": _cmd_deadlines, "reminders": _cmd_reminders}


def _app(settings):  # noqa: ANN001, ANN202
    from bot.app import build_app

    return build_app(settings)


def _cmd_deadlines(settings, args) -> int:  # noqa: ANN001
    from handlers.deadlines.flow import shown_title
    from handlers.deadlines.reminders import occurrence
    from storage import reminders as q
    from storage.models import Deadline, utcnow

    app = _app(settings)
    kb = app.knowledge.kb
    if args.action == "add":
        problems = []
        try:
            due = due_utc(args.due.strip(), settings.tz)
            if due <= utcnow():
                problems.append(f"--due {args.due}: that moment has passed")
        except ValueError:
            problems.append(f'--due {args.due!r}: expected "YYYY-MM-DD HH:MM" (local time)')
        try:
            offsets = check_offsets([int(x) for x in args.offsets.replace(" ", "").split(",") if x])
        except ValueError:
            problems.append(f"--offsets {args.offsets!r}: expected whole numbers of days 0-365, e.g. 7,3,1,0")
        try:
            check_audience(args.audience)
            if args.audience.startswith(UNIT_PREFIX) and args.audience[len(UNIT_PREFIX):] not in {u.id for u in kb.units}:
                problems.append(f"--audience {args.audience}: unknown unit (see content/units.yaml)")
        except ValueError as exc:
            problems.append(f"--audience {args.audience!r}: {exc}")
        if args.entry and args.entry not in kb.by_id:
            problems.append(f"--entry {args.entry!r}: no such knowledge entry")
        if not args.title.strip():
            problems.append("--title: empty")
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 2
        with app.repo.session() as s:
            row = q.save_deadline(s, Deadline(key=f"cli:{uuid.uuid4().hex[:12]}", title=args.title.strip()[:300],
                                              due_at=due, audience=args.audience, offsets=offsets, note=args.note,
                                              entry_id=args.entry, repeat=args.repeat, created_by="cli"))
            s.commit()
            print(row.id)
        return 0
    if args.action == "cancel":
        with app.repo.session() as s:
            row = q.cancel_deadline(s, args.id)
            s.commit()
        if row is None:
            print(f"no active deadline {args.id}", file=sys.stderr)
            return 1
        print(f"cancelled {row.id}: {row.title}")
        return 0
    # list
    from bot.reminders import sync_content

    sync_content(app)
    now = utcnow()
    with app.repo.session() as s:
        rows = [(d, occurrence(d, now)) for d in q.active_deadlines(s)]
    if args.json:
        print(json.dumps([{"id": d.id, "key": d.key, "title": d.title, "due": due.astimezone(settings.tz).isoformat(),
                           "audience": d.audience, "offsets": d.offsets, "repeat": d.repeat, "note": d.note,
                           "example": q.is_example(d)}
                          for d, due in rows], ensure_ascii=False, indent=1))
        return 0
    if not rows:
        print("no active deadline")
    for d, due in rows:
        print(f"{d.id:>4}  {due.astimezone(settings.tz):%Y-%m-%d %H:%M}  {d.audience:20} "
              f"{','.join(map(str, d.offsets)):10} {shown_title(d)}")
    return 0


def _cmd_reminders(settings, args) -> int:  # noqa: ANN001
    if args.action == "status":
        return _status(settings)
    try:
        now = datetime.fromisoformat(args.now) if args.now else None
    except ValueError:
        print(f"--now {args.now!r}: expected ISO 8601, e.g. 2026-12-08T08:00+07:00", file=sys.stderr)
        return 2
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=settings.tz)
    return asyncio.run(_dispatch(settings, now.astimezone(UTC) if now else None))


async def _dispatch(settings, now: datetime | None) -> int:  # noqa: ANN001
    from bot.delivery import Delivery
    from bot.kernel.wiring import make_channels, rate_limits
    from bot.leader import worker_lock
    from bot.reminders import dispatch_now
    from storage.models import utcnow

    app = _app(settings)
    now = now or utcnow()
    channels = make_channels(settings)
    delivery = Delivery(app.outbox, channels, limits=rate_limits(settings),  # type: ignore[arg-type]
                        lease=timedelta(seconds=settings.outbox_lease_seconds), files=app.files)
    gave_up = asyncio.Event()
    asyncio.get_running_loop().call_later(LOCK_WAIT, gave_up.set)
    held = False
    try:
        result = await asyncio.to_thread(dispatch_now, app, now)
        # Sending takes the worker lock, so the rate limits hold with a running bot or a second
        # dispatcher; when another holds it for long, that one sends what this pass queued.
        async with worker_lock(app.repo.engine, gave_up, retry_every=0.5) as held:
            for _ in range(MAX_DRAIN_ROUNDS if held else 0):
                if not channels or not await delivery.run_once(now=now):
                    break
    finally:
        for ch in channels.values():
            await ch.close()
    # What this process did: with two dispatchers at once, each reports its own sends,
    # and the two add up to what the messengers received.
    c = delivery.counts
    print(f"sent {c['sent']}, deferred {len(result.deferred)}, skipped {result.skipped}, "
          f"failed {c['failed'] + c['blocked']}")
    if not channels and result.queued:
        print(f"{len(result.queued)} reminder(s) wait in the outbox: no messenger token is set", file=sys.stderr)
    elif not held and result.queued:
        print(f"{len(result.queued)} reminder(s) queued for the instance that sends the outbox", file=sys.stderr)
    return 0


def _status(settings) -> int:  # noqa: ANN001
    from handlers.deadlines.flow import shown_title
    from handlers.deadlines.reminders import occurrence
    from storage import reminders as q
    from storage.models import utcnow

    app = _app(settings)
    now = utcnow()
    with app.repo.session() as s:
        deadlines = q.active_deadlines(s)
        if not deadlines:
            print("no active deadline")
        for d in deadlines:
            due = occurrence(d, now)
            c = q.outbox_counts(s, q.reminder_prefix(d.id, due))
            acks = q.ack_names(s, d.id, due)  # type: ignore[arg-type]
            print(f"{d.id:>4}  {due.astimezone(settings.tz):%Y-%m-%d %H:%M}  {shown_title(d)}"
                  + (" - never sent" if q.is_example(d) else "") + "\n"
                  f"      sent {c.get('sent', 0)}, waiting {c.get('pending', 0) + c.get('sending', 0)}, "
                  f"failed {c.get('failed', 0)}, blocked {c.get('blocked', 0)}, skipped {c.get('skipped', 0)}, "
                  f"cancelled {c.get('cancelled', 0)}; done: {len(acks)}" + (f" ({', '.join(acks[:10])})" if acks else ""))
    return 0
