"""`python -m bot ...`: run the bot, chat in the console, ask, check content, manage the database."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from bot import content_edits_cli, curation_cli, export_cli, reminders_cli, units_cli
from bot.settings import Settings, SettingsError, load_settings, raw_setting, unknown_settings
from bot.web import cli as web_cli
from content.loader import ContentError

_RESUME_HELP = "continue the last console conversation instead of starting a fresh one"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="Trợ lý Thi đua - Khen thưởng. "
                                "Without a command: the same as `run`.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, summary: str, description: str | None = None) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=description or summary)

    run = command("run", "serve the channels whose tokens are set (console chat when none is)")
    run.add_argument("--webhook", action="store_true",
                     help="serve webhooks on PORT (POST /webhook/telegram, /webhook/zalo, GET /healthz) "
                          "instead of long polling")
    run.add_argument("--resume", action="store_true", help=_RESUME_HELP + " (console chat only)")
    chat = command("chat", "chat in the terminal through the same pipeline as the messengers",
                   "Chat in the terminal, reading standard input until EOF. Each run starts a fresh "
                   "conversation unless --resume is given.")
    chat.add_argument("--resume", action="store_true", help=_RESUME_HELP)
    ask = command("ask", "answer a question, or every line of standard input; writes nothing",
                  "Answer QUESTION, or each line of standard input; nothing is written to the database.")
    ask.add_argument("--json", action="store_true",
                     help="one JSON object per question (kind, text, entry, score, sources), for evaluation")
    ask.add_argument("--explain", action="store_true",
                     help="after each answer, why: the parts, each source's top candidates with their "
                          "scores, the features, and the decision with its margin")
    ask.add_argument("--office-edits", action="store_true",
                     help="answer with the Office's edits from the database too (its phrasings, entries, "
                          "out-of-scope examples), as the running bot does; read only")
    ask.add_argument("question", nargs="*", help="the question (several words need no quotes)")

    content = command("content", "curated content").add_subparsers(dest="action", metavar="ACTION", required=True)
    content.add_parser("check", help="validate the YAML content", description="Validate the YAML content in "
                       "CONTENT_DIR and build its index; errors name file and entry, exit code 1.")
    cv = content.add_parser("verify", help="check the content against the text of the plans it cites",
                            description="Check that every section a source line cites exists in the plan it "
                            "names, that every section an answer names is cited, and that every number, date and "
                            "document number in an answer appears in a cited section, bound to what it is about: "
                            "a quantity ('05 bộ') to the award it counts, a date to the document it dates, two "
                            "documents the way round the plan relates them, a section named or cited to the "
                            "text that says it (no sibling section clearly closer); the report form's copies and "
                            "criterion labels too. Each mismatch names file and entry; exit code 1 on any.")
    cv.add_argument("--sources", required=True, metavar="DIR", type=Path,
                    help="folder with the plans as text files (each recognised by the `find` text of "
                         "content/sources.yaml)")
    content_edits_cli.register(content)
    dbp = command("db", "database").add_subparsers(dest="action", metavar="ACTION", required=True)
    dbp.add_parser("upgrade", help="apply database migrations", description="Apply the database migrations to "
                   "DATABASE_URL (also done on every start).")

    ob = command("outbox", "messages waiting to be sent, and those that could not be")
    ob.add_argument("--failed", action="store_true", help="only messages given up (failed) or to people who "
                    "blocked the bot")
    ob.add_argument("--limit", type=int, default=50, metavar="N", help="show at most N messages (default 50)")

    wh = command("webhook", "register or remove a channel's webhook").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    for action, summary in (("set", "register the webhook (needs the channel's WEBHOOK_SECRET)"),
                            ("delete", "remove the webhook, e.g. before going back to long polling")):
        a = wh.add_parser(action, help=summary, description=summary[0].upper() + summary[1:] + ".")
        a.add_argument("--channel", required=True, choices=["telegram", "zalo"], help="which messenger")
        if action == "set":
            a.add_argument("--url", required=True, metavar="URL",
                           help="public HTTPS address, e.g. https://bot.example.gov.vn/webhook/telegram")

    bk = command("backup", "write the database and the stored files to one archive",
                 "Write a consistent copy of the SQLite database (safe while the bot runs) and the file store "
                 "under DATA_DIR/files to a .tar.gz, with a manifest of counts and checksums. On PostgreSQL "
                 "the archive holds the files and the manifest; dump the database with pg_dump.")
    where = bk.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", metavar="FILE.tar.gz", help="the archive to write")
    where.add_argument("--dir", metavar="DIR", type=Path,
                       help="write thidua-bot-<date>-<time>.tar.gz in DIR (for a nightly job; see --keep)")
    bk.add_argument("--keep", type=int, default=14, metavar="N",
                    help="with --dir: keep the newest N archives of DIR, remove older ones (default 14)")
    command("health", "exit 0 if the bot running with this DATA_DIR is alive (for Docker and monitoring)",
            "Read the heartbeat the running bot writes to DATA_DIR every 30 seconds and, in webhook mode, "
            "ask its GET /healthz. Prints one line; exit code 0 when alive, 1 otherwise.")
    rs = command("restore", "restore an archive written by `backup`",
                 "Check an archive's checksums, then restore its database (SQLite) and stored files into "
                 "DATA_DIR. Stop the bot first.")
    rs.add_argument("archive", metavar="FILE.tar.gz", help="the archive written by `backup`")
    rs.add_argument("--force", action="store_true",
                    help="replace a database and files that already hold data")
    command("clean", "delete stored files that no database row refers to",
            "Delete the files under DATA_DIR/files that no stored_files row refers to (refused uploads, "
            "turns that did not complete, rows deleted since) and temporary files a crash left, once they "
            "are an hour old. A running bot does this every hour.")
    _COMMANDS.update(reminders_cli.register(sub))  # deadlines, reminders
    _COMMANDS.update(curation_cli.register(sub))  # unanswered, stats
    _COMMANDS.update(export_cli.register(sub))  # export reports
    _COMMANDS.update(units_cli.register(sub))  # units usage, units migrate
    _COMMANDS.update(web_cli.register(sub))  # web, web login: the officers' console
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
        _say(str(exc))
        return 2
    unknown = unknown_settings()
    if unknown:
        # A misspelt name leaves its setting unset without a word (TELEGRAM_BOT_TOKN: no bot).
        _say("Cảnh báo: bot không biết thiết lập " + ", ".join(unknown) + " nên bỏ qua; kiểm tra lại tên.", settings,
             logging.WARNING)
    from bot.startup import NO_STORAGE, StartupError, check_data_dir, database_problem

    try:
        if command not in NO_STORAGE:
            check_data_dir(settings)
        return _COMMANDS[command](settings, args)
    except StartupError as exc:
        _say(str(exc), settings)
        return 1
    except ContentError as exc:
        _say("Content problems:\n" + "\n".join(f"  {p}" for p in exc.problems), settings)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Imported here: SQLAlchemy costs `ask` 0.2 s of start-up, and only a failure needs it.
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):  # an unreachable or refused DATABASE_URL: one line, no traceback
            _say(database_problem(settings, exc), settings)
            return 1
        raise


def _say(text: str, settings: Settings | None = None, level: int = logging.ERROR) -> None:
    """A line for the operator on standard error, in LOG_FORMAT: a log collector reading
    JSON must get the lines that say why the bot stopped as JSON too. Without valid
    settings, LOG_FORMAT and TIMEZONE are read as given."""
    if settings is not None:
        log_format, zone = settings.log_format, settings.timezone
    else:
        log_format = (raw_setting("LOG_FORMAT") or "text").strip().lower()
        zone = raw_setting("TIMEZONE") or Settings.model_fields["timezone"].default
    if log_format == "json":
        from datetime import UTC
        from zoneinfo import ZoneInfo

        from bot.logs import JsonFormatter

        try:
            tz = ZoneInfo(zone)
        except (ValueError, KeyError):  # an invalid TIMEZONE is itself the problem being said
            tz = UTC
        text = JsonFormatter(tz).format(logging.LogRecord("bot", level, __file__, 0, text, None, None))
    print(text, file=sys.stderr)


def _cmd_content(settings, args) -> int:  # noqa: ANN001
    from content.deadlines import inert_examples_line
    from content.loader import load
    from content.matcher import Matcher

    if args.action == "verify":
        return _content_verify(settings, args)
    if args.action == "export":
        return content_edits_cli.cmd_export(settings, args)
    if args.action == "conflicts":
        return content_edits_cli.cmd_conflicts(settings, args)
    kb = load(settings.content_dir)
    Matcher(kb)  # the index must build too
    # A replaced units.yaml leaves profiles, reports and deadlines pointing at nothing.
    stored = units_cli.stored_unit_problems(settings, kb)
    if stored:
        raise ContentError(stored)
    print(f"content OK: {len(kb.entries)} entries, {len(kb.topics)} topics, {len(kb.units)} units, "
          f"{len(kb.deadlines)} deadlines, {len(kb.synonyms.abbreviations)} abbreviations, "
          f"{len(kb.synonyms.synonyms)} synonym groups")
    examples = inert_examples_line(kb.deadlines)
    if examples:
        print(examples)
    for line in content_edits_cli.check_lines(settings, kb):  # the Office's edits in the database
        print(line)
    return 0


def _content_verify(settings, args) -> int:  # noqa: ANN001
    from content.verify import verify

    if not args.sources.is_dir():
        print(f"{args.sources}: not a folder", file=sys.stderr)
        return 2
    report = verify(settings.content_dir, args.sources)
    for line in report.mismatches:
        print(line)
    print(f"checked {report.entries} entries: {report.sections} cited sections, {report.references} sections "
          f"named in answers, {report.facts} numbers, dates and document numbers ({report.counted} of them "
          f"counts of listed items); {len(report.mismatches)} mismatches"
          + (f"; not checked (no text of their source): {', '.join(report.skipped)}" if report.skipped else ""))
    return 1 if report.mismatches else 0


def _cmd_db(settings, args) -> int:  # noqa: ANN001
    from storage import db

    db.upgrade(settings.db_url)
    print("database is up to date")
    return 0


def _cmd_ask(settings, args) -> int:  # noqa: ANN001
    from bot.rendering import numbered
    from content.service import Knowledge
    from handlers.conversation import Conversation

    # No database: `ask` writes nothing, so it is safe for evaluation. With --office-edits it
    # reads (never migrates nor writes) the Office's edits, to see what the bot answers today.
    edits = None
    if getattr(args, "office_edits", False):
        if not settings.database_url and not (settings.data_dir / "bot.sqlite3").exists():
            print(f"no database at {settings.data_dir / 'bot.sqlite3'}: nothing edited by the Office", file=sys.stderr)
            return 2
        from bot.content_edits_cli import _store

        edits = _store(settings, migrate=False)
    conversation = Conversation(Knowledge(settings.content_dir, edits), tz=settings.tz)
    questions = [" ".join(args.question)] if args.question else None
    lines = questions if questions is not None else (line.rstrip("\r\n") for line in sys.stdin)
    out = sys.stdout
    for q in lines:
        # One question, one reply: nobody can ask `ask` for the details, so it prints whole answers.
        result = conversation.answer(q, record=False, full=True)
        if args.json:
            text = "\n\n".join(numbered(r) for r in result.reply_list)
            m = result.match
            entry = m.entry.id if m and m.entry else None
            sources = [m.entry.source] if m and m.entry else []
            out.write(json.dumps({"kind": result.kind, "text": text, "entry": entry,
                                  "score": round(result.score, 4), "sources": sources}, ensure_ascii=False) + "\n")
        else:
            out.write(_under_question(q, result.reply_list))
        if args.explain:
            from content.explain import explain

            out.write(explain(conversation.knowledge, q).text() + "\n\n")
        out.flush()
    return 0


def _under_question(question: str, replies: list) -> str:  # noqa: ANN001
    """The answer indented under its question. Choices are plain lines: nobody can
    answer "2" to `ask`, so the numbered hint would only mislead."""
    parts = []
    for r in replies:
        parts.append(r.full_text + ("\n\n" + "\n".join(f"- {c.label}" for c in r.choices) if r.choices else ""))
    body = "\n\n".join(parts)
    indented = "\n".join(f"  {line}" if line else "" for line in body.splitlines())
    return f"Hỏi: {question}\n{indented}\n\n"


def _cmd_chat(settings, args) -> int:  # noqa: ANN001
    from bot.app import build_app
    from bot.console import run_console

    app = build_app(settings)
    return run_console(app, resume=getattr(args, "resume", False))


NO_TOKEN = ("Chưa đặt mã bot (TELEGRAM_BOT_TOKEN hoặc ZALO_BOT_TOKEN) và không có câu hỏi nào ở đầu vào: "
            "đặt mã trong .env hoặc biến môi trường để chạy bot; muốn thử trong cửa sổ lệnh thì chạy "
            "`python -m bot chat`.")


def _cmd_run(settings, args) -> int:  # noqa: ANN001
    if not settings.telegram_bot_token and not settings.zalo_bot_token:
        if getattr(args, "webhook", False):
            _say("--webhook needs TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN", settings)
            return 2
        from bot.app import build_app
        from bot.console import NoInput, run_console

        try:
            # Nothing to read and no terminal (systemd, Docker): exiting 0 in silence made a
            # restart loop with empty logs.
            return run_console(build_app(settings), resume=getattr(args, "resume", False), require_input=True)
        except NoInput:
            _say(NO_TOKEN, settings)
            return 2
    from bot.app import build_app, setup_logging
    from bot.channel import ChannelError
    from bot.runner import serve

    setup_logging(settings)
    app = build_app(settings)
    try:
        asyncio.run(serve(app, webhook=getattr(args, "webhook", False)))
    except ChannelError as exc:
        _say(f"Cannot run: {exc}", settings)
        return 1
    return 0


def _local(at, tz) -> str:  # noqa: ANN001
    from storage.models import aware

    if at is None:
        return ""
    return aware(at).astimezone(tz).strftime("%d/%m/%Y %H:%M")


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
    from bot.app import setup_logging
    from bot.kernel.wiring import make_channels

    setup_logging(settings)
    if args.action == "set" and not args.url.startswith("https://"):
        print("webhook set needs --url https://...", file=sys.stderr)
        return 2
    channels = make_channels(settings)  # only to call the Bot API
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
        from bot.kernel.redact import Redactor, secrets_of

        message = Redactor(secrets_of(settings))(exc)
        print(f"Cannot {args.action} the {args.channel} webhook: {message}", file=sys.stderr)
        return 1
    print(f"{args.channel} webhook {'set to ' + args.url if args.action == 'set' else 'deleted'}")
    return 0


def _cmd_backup(settings, args) -> int:  # noqa: ANN001
    from bot.backup import BackupError, backup, backup_rotating

    try:
        if args.dir is None:
            print(backup(settings, Path(args.out)).summary())
        else:
            made, removed = backup_rotating(settings, args.dir, args.keep)
            print(made.summary())
            if removed:
                print(f"removed {len(removed)} older archive(s), keeping the newest {args.keep}: "
                      + ", ".join(p.name for p in removed))
    except BackupError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _cmd_restore(settings, args) -> int:  # noqa: ANN001
    from bot.backup import BackupError, restore

    try:
        print(restore(settings, Path(args.archive), force=args.force))
    except BackupError as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return 1
    return 0


def _cmd_health(settings, args) -> int:  # noqa: ANN001, ARG001
    from bot.health import check

    alive, line = check(settings)
    print(line, file=sys.stdout if alive else sys.stderr)
    return 0 if alive else 1


def _cmd_clean(settings, args) -> int:  # noqa: ANN001
    from storage import db
    from storage.files import FileStore

    db.upgrade(settings.db_url)
    removed, freed = FileStore(settings.data_dir, db.make_engine(settings.db_url)).remove_orphans()
    print(f"removed {removed} stored file(s) no row refers to, {freed} bytes")
    return 0


_COMMANDS = {
    "run": _cmd_run, "chat": _cmd_chat, "ask": _cmd_ask, "content": _cmd_content, "db": _cmd_db,
    "webhook": _cmd_webhook, "outbox": _cmd_outbox,
    "backup": _cmd_backup, "restore": _cmd_restore, "health": _cmd_health, "clean": _cmd_clean,
}
