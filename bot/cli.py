"""`python -m bot ...`: run the bot, chat in the console, ask, check content, manage the database."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.settings import SettingsError, load_settings
from content.loader import ContentError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="Trợ lý Thi đua - Khen thưởng")
    sub = p.add_subparsers(dest="command")
    run = sub.add_parser("run", help="serve the channels whose tokens are set (console chat when none is)")
    run.add_argument("--webhook", action="store_true", help="serve webhooks on PORT instead of long polling")
    sub.add_parser("chat", help="chat in the terminal")
    ask = sub.add_parser("ask", help="answer a question, or every line of standard input")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("question", nargs="*")
    content = sub.add_parser("content", help="curated content")
    content.add_argument("action", choices=["check"])
    dbp = sub.add_parser("db", help="database")
    dbp.add_argument("action", choices=["upgrade"])
    un = sub.add_parser("unanswered", help="most frequent questions the bot could not answer")
    un.add_argument("--limit", type=int, default=20)
    un.add_argument("--days", type=int, default=None, help="only the last N days")
    ob = sub.add_parser("outbox", help="messages waiting to be sent, and those that could not be")
    ob.add_argument("--failed", action="store_true", help="only failed and blocked ones")
    ob.add_argument("--limit", type=int, default=50)
    wh = sub.add_parser("webhook", help="register or remove a channel's webhook")
    wh.add_argument("action", choices=["set", "delete"])
    wh.add_argument("--channel", required=True, choices=["telegram", "zalo"])
    wh.add_argument("--url", help="public HTTPS address, e.g. https://bot.example.gov.vn/webhook/telegram")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    command = args.command or "run"
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        return _COMMANDS[command](settings, args)
    except ContentError as exc:
        print("Content problems:\n" + "\n".join(f"  {p}" for p in exc.problems), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _cmd_content(settings, args) -> int:  # noqa: ANN001
    from content.loader import load
    from content.matcher import Matcher

    kb = load(settings.content_dir)
    Matcher(kb)  # the index must build too
    print(f"content OK: {len(kb.entries)} entries, {len(kb.topics)} topics, {len(kb.units)} units, "
          f"{len(kb.synonyms.abbreviations)} abbreviations, {len(kb.synonyms.synonyms)} synonym groups")
    return 0


def _cmd_db(settings, args) -> int:  # noqa: ANN001
    from storage import db

    db.upgrade(settings.db_url)
    print("database is up to date")
    return 0


def _cmd_ask(settings, args) -> int:  # noqa: ANN001
    from bot.rendering import numbered
    from content.service import Knowledge
    from handlers.conversation import Conversation

    # No database: `ask` writes nothing, so it is safe for evaluation.
    conversation = Conversation(Knowledge(settings.content_dir))
    questions = [" ".join(args.question)] if args.question else None
    lines = questions if questions is not None else (line.rstrip("\r\n") for line in sys.stdin)
    out = sys.stdout
    for q in lines:
        result = conversation.answer(q, record=False)
        text = "\n\n".join(numbered(r) for r in result.reply_list)
        if args.json:
            m = result.match
            entry = m.entry.id if m and m.entry else None
            sources = [m.entry.source] if m and m.entry else []
            out.write(json.dumps({"kind": result.kind, "text": text, "entry": entry,
                                  "score": round(result.score, 4), "sources": sources}, ensure_ascii=False) + "\n")
        else:
            out.write(text + "\n\n")
        out.flush()
    return 0


def _cmd_chat(settings, args) -> int:  # noqa: ANN001
    from bot.app import build_app
    from bot.console import run_console

    app = build_app(settings)
    return run_console(app)


def _cmd_run(settings, args) -> int:  # noqa: ANN001
    if not settings.telegram_bot_token and not settings.zalo_bot_token:
        if getattr(args, "webhook", False):
            print("--webhook needs TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN", file=sys.stderr)
            return 2
        return _cmd_chat(settings, args)
    from bot.app import build_app, setup_logging
    from bot.channel import ChannelError
    from bot.runner import serve

    setup_logging(settings)
    app = build_app(settings)
    try:
        asyncio.run(serve(app, webhook=getattr(args, "webhook", False)))
    except ChannelError as exc:
        print(f"Cannot run: {exc}", file=sys.stderr)
        return 1
    return 0


def _cmd_unanswered(settings, args) -> int:  # noqa: ANN001
    from datetime import UTC, datetime, timedelta

    from storage import db
    from storage.repo import Repository

    db.upgrade(settings.db_url)
    repo = Repository(db.make_engine(settings.db_url))
    since = datetime.now(UTC) - timedelta(days=args.days) if args.days else None
    rows = repo.unanswered(limit=args.limit, since=since)
    if not rows:
        print("Chưa có câu hỏi nào bị bỏ ngỏ.")
    else:
        print(f"{'lần':>4}  {'lần cuối':16}  câu hỏi  [mục gần nhất, điểm]")
        for r in rows:
            when = r.last_asked.astimezone(settings.tz).strftime("%d/%m/%Y %H:%M") if r.last_asked else ""
            hint = f"  [{r.best_entry}, {r.best_score:.2f}]" if r.best_entry else ""
            print(f"{r.count:>4}  {when:16}  {r.text}{hint}")
    asked = repo.office_questions(limit=args.limit, since=since)
    if asked:
        print("\nCâu hỏi gửi Văn phòng (mới nhất trước):")
        for q in asked:
            when = _local(q.created_at, settings.tz)
            print(f"  #{q.id}  {when}  {q.asker_name or '?'} ({q.channel}): {q.question}")
            if q.status == "answered":
                print(f"        đã trả lời ({q.answerer_name or q.answered_by}, {_local(q.answered_at, settings.tz)}): "
                      f"{q.answer}")
            else:
                print("        chưa trả lời")
    return 0


def _local(at, tz) -> str:  # noqa: ANN001
    from datetime import UTC

    if at is None:
        return ""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(tz).strftime("%d/%m/%Y %H:%M")


def _cmd_outbox(settings, args) -> int:  # noqa: ANN001
    from storage import db
    from storage.outbox import OutboxStore

    db.upgrade(settings.db_url)
    store = OutboxStore(db.make_engine(settings.db_url))
    counts = store.counts()
    print("outbox: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"))
    statuses = ("failed", "blocked") if args.failed else ("pending", "sending", "failed", "blocked")
    for row in store.rows(statuses, limit=args.limit):
        text = str((row.payload.get("reply") or {}).get("text") or "").replace("\n", " ")
        text = text if len(text) <= 70 else text[:67] + "..."
        error = f"  [{row.last_error}]" if row.last_error else ""
        print(f"  {row.id:>6}  {row.status:8} {row.channel}:{row.chat_id}  {_local(row.created_at, settings.tz)}"
              f"  tries {row.attempts}  {text}{error}")
    return 0


def _cmd_webhook(settings, args) -> int:  # noqa: ANN001
    from bot.app import build_app, setup_logging
    from bot.pipeline import Pipeline
    from bot.runner import make_channels

    setup_logging(settings)
    if args.action == "set" and not (args.url and args.url.startswith("https://")):
        print("webhook set needs --url https://...", file=sys.stderr)
        return 2
    app = build_app(settings)
    channels = make_channels(app, Pipeline(app.conversation, app.repo))  # only to call the Bot API
    ch = channels.get(args.channel)
    if ch is None:
        print(f"{args.channel.upper()}_BOT_TOKEN is not set", file=sys.stderr)
        return 2
    secret = getattr(settings, f"{args.channel}_webhook_secret")
    if args.action == "set" and secret is None:
        print(f"{args.channel.upper()}_WEBHOOK_SECRET must be set before registering a webhook", file=sys.stderr)
        return 2

    async def go() -> None:
        try:
            if args.action == "set":
                await ch.set_webhook(args.url)
            else:
                await ch.delete_webhook()
        finally:
            await ch.close()

    try:
        asyncio.run(go())
    except Exception as exc:  # noqa: BLE001 - an officer at a terminal needs one readable line
        from bot.app import secrets_of
        from bot.plumbing import mask

        message = mask(f"{type(exc).__name__}: {exc}", secrets_of(settings))
        print(f"Cannot {args.action} the {args.channel} webhook: {message}", file=sys.stderr)
        return 1
    print(f"{args.channel} webhook {'set to ' + args.url if args.action == 'set' else 'deleted'}")
    return 0


_COMMANDS = {
    "run": _cmd_run, "chat": _cmd_chat, "ask": _cmd_ask, "content": _cmd_content, "db": _cmd_db,
    "unanswered": _cmd_unanswered, "webhook": _cmd_webhook, "outbox": _cmd_outbox,
}
