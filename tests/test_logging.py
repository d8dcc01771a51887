"""Logs as an operator reads them: one line per handled message with the channel and
a short user reference, never what the person wrote; LOG_FORMAT=json gives one JSON
object per line with the same fields; secrets stay masked in both formats; times in
the bot's TIMEZONE, written the same way in both; no scheduler chatter at INFO."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App, build_app, setup_logging
from bot.logs import event_kind
from bot.settings import load_settings
from handlers.events import Attachment, IncomingEvent
from tests.conftest import REAL_CONTENT, Talk

TOKEN = "123456:SECRET-token-abc"
PRIVATE = "con tôi ốm nằm viện, bằng khen thủ tướng cần mấy bộ hồ sơ"


@pytest.fixture
def logged() -> io.StringIO:
    """A buffer for the production handler (setup_logging) to write into; conftest's
    _restore_logging puts the root logger's handlers, filters and level back afterwards."""
    return io.StringIO()


def app_with_logs(tmp_path: Path, stream: io.StringIO, log_format: str) -> App:
    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, log_format=log_format,
                             telegram_bot_token=TOKEN)
    setup_logging(settings)
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_bot_handler", False))
    handler.setStream(stream)  # type: ignore[attr-defined]
    return build_app(settings)


def test_one_text_line_per_message_without_what_was_written(tmp_path: Path, logged: io.StringIO):
    app = app_with_logs(tmp_path, logged, "text")
    talk = Talk(app, channel="telegram")
    talk(PRIVATE, user="777001")
    talk("/start", user="777001")
    talk("thủ tục làm hộ chiếu công vụ", user="777002")
    lines = [line for line in logged.getvalue().splitlines() if " bot.turns: " in line]
    assert len(lines) == 3, logged.getvalue()
    assert "INFO bot.turns: telegram u1 text -> answer [" in lines[0] and "1 reply" in lines[0]
    assert "telegram u1 /start -> -" in lines[1]
    assert "telegram u2 text -> fallback" in lines[2]
    everything = logged.getvalue()
    for private in ("ốm", "nằm viện", "hộ chiếu", "777001", "777002"):
        assert private not in everything


def test_json_lines_carry_the_turn_fields_and_mask_secrets(tmp_path: Path, logged: io.StringIO):
    app = app_with_logs(tmp_path, logged, "json")
    Talk(app, channel="zalo")(PRIVATE, user="6ede9afa66")
    try:
        raise RuntimeError(f"https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError:
        logging.getLogger("bot.telegram").exception("call failed for %s", TOKEN)
    records = [json.loads(line) for line in logged.getvalue().splitlines()]
    turn = next(r for r in records if r["logger"] == "bot.turns")
    assert turn["channel"] == "zalo" and turn["user"] == "u1" and turn["event"] == "text"
    assert turn["outcome"] == "answer" and turn["entry"] and turn["replies"] == 1 and turn["ms"] >= 0
    assert turn["level"] == "INFO" and turn["time"].endswith("+07:00")  # the bot's TIMEZONE
    failure = next(r for r in records if r["logger"] == "bot.telegram")
    assert failure["level"] == "ERROR" and "Traceback" in failure["exception"]
    raw = logged.getvalue()
    assert TOKEN not in raw and "SECRET" not in raw and "6ede9afa66" not in raw and "nằm viện" not in raw


@pytest.mark.parametrize(("zone", "offset"), [("Asia/Ho_Chi_Minh", "+07:00"), ("UTC", "+00:00")])
def test_times_are_in_the_bots_time_zone_and_written_alike_in_both_formats(tmp_path: Path, logged: io.StringIO,
                                                                          zone: str, offset: str):
    # Probe: text lines had the machine's local time ("2026-05-02 03:15:02,114"), JSON lines
    # UTC, while the bot tells people times in +07.
    times = []
    for log_format in ("text", "json"):
        settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, log_format=log_format,
                                 timezone=zone)
        setup_logging(settings)
        handler = next(h for h in logging.getLogger().handlers if getattr(h, "_bot_handler", False))
        handler.setStream(io.StringIO())  # type: ignore[attr-defined]
        logging.getLogger("bot.test").warning("one line")
        line = handler.stream.getvalue().strip()  # type: ignore[attr-defined]
        times.append(json.loads(line)["time"] if log_format == "json" else line.split(" ", 1)[0])
    for stamp in times:
        moment = datetime.fromisoformat(stamp)
        assert stamp.endswith(offset) and abs((datetime.now(UTC) - moment).total_seconds()) < 60, stamp
    assert len(times[0]) == len(times[1]) == len("2026-05-02T10:15:02.114+07:00")


async def test_the_scheduler_says_nothing_at_info(tmp_path: Path, logged: io.StringIO):
    # Probe: APScheduler wrote about 4 INFO lines a minute (added, running, executed).
    from apscheduler.events import EVENT_JOB_EXECUTED

    from bot.scheduler import make_scheduler

    app = app_with_logs(tmp_path, logged, "text")
    scheduler = make_scheduler(app, {})
    ran = asyncio.Event()
    scheduler.add_listener(lambda _event: ran.set(), EVENT_JOB_EXECUTED)
    scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), 10)  # the reminder pass runs once at start
    finally:
        scheduler.shutdown(wait=False)
    assert "apscheduler" not in logged.getvalue(), logged.getvalue()
    logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed by 0:01:00")
    assert "missed by" in logged.getvalue()  # its warnings still reach the operator


def test_an_invalid_log_format_names_the_setting():
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match="LOG_FORMAT"):
        load_settings(log_format="xml")


@pytest.mark.parametrize(("event", "kind"), [
    (IncomingEvent("telegram", "1", "1", text="/hoi giấy khen cần gì"), "/hoi"),
    (IncomingEvent("telegram", "1", "1", text="/start@ThiDuaBot"), "/start"),
    (IncomingEvent("telegram", "1", "1", text="/tên riêng"), "text"),
    (IncomingEvent("telegram", "1", "1", choice="t:ho-so"), "button"),
    (IncomingEvent("zalo", "1", "1", unsupported="sticker"), "sticker"),
    (IncomingEvent("zalo", "1", "1", attachments=(Attachment(kind="photo"),)), "file"),
    (IncomingEvent("zalo", "1", "1", text="   "), "empty"),
])
def test_the_kind_of_a_message_never_includes_its_words(event: IncomingEvent, kind: str):
    assert event_kind(event) == kind


def test_a_record_that_cannot_be_written_is_reported_without_the_token(tmp_path: Path, logged: io.StringIO,
                                                                       capsys: pytest.CaptureFixture):
    # Probe: a handler left on a closed stream (seen in this suite) made logging print its own
    # report on stderr, the traceback chained to the exception being handled, token and all.
    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, telegram_bot_token=TOKEN)
    setup_logging(settings)
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_bot_handler", False))
    closed = io.StringIO()
    closed.close()
    handler.setStream(closed)  # type: ignore[attr-defined]
    try:
        raise RuntimeError(f"handler failed while holding {TOKEN}")
    except RuntimeError:
        logging.getLogger("bot.test").exception("handler failed")
    err = capsys.readouterr().err
    assert "--- Logging error ---" in err and "I/O operation on closed file" in err
    assert "handler failed while holding ***" in err  # the chained exception, masked
    assert TOKEN not in err and TOKEN.split(":", 1)[1] not in err
