"""One setting, TIMEZONE, decides every local date; here the one a report's code
carries: its year is the year where the bot works, not in UTC."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import build_app
from bot.settings import DEFAULT_TZ, load_settings
from storage import reports
from tests.conftest import REAL_CONTENT, Talk
from tests.test_reports import STORY, pick, text

# 17:30 UTC on 31 December 2026: 00:30 on 1 January 2027 in Vietnam (UTC+7), still 2026 in UTC.
NEW_YEARS_EVE_UTC = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)


@pytest.mark.parametrize(("zone", "code"), [(DEFAULT_TZ, "GT-2027-0001"), ("UTC", "GT-2026-0001"),
                                            ("America/New_York", "GT-2026-0001")])
def test_a_report_codes_year_follows_the_timezone_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          zone: str, code: str) -> None:
    monkeypatch.setattr(reports, "utcnow", lambda: NEW_YEARS_EVE_UTC)
    app = build_app(load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, timezone=zone))
    t = Talk(app)
    r = t("/gui")
    r = t("nguyễn thị bình")  # the first report: the profile first
    r = t(pick(r, "Văn phòng"))
    r = t(pick(r, "bản thân"))
    r = t(pick(r, "2.1"))
    r = t(STORY)
    r = t("hôm qua")
    r = t(pick(r, "Không có tệp"))
    r = t(pick(r, "Gửi báo cáo"))
    assert f"mã {code}." in text(r)


def test_the_default_time_zone_is_written_once() -> None:
    """Every other place takes the zone from the settings, passed down; none falls back
    to a zone of its own (two did, and one of them decided the report code's year).
    The zone's name as a string in the code, that is: a comment may name it."""
    root = Path(__file__).resolve().parent.parent
    found = [str(p.relative_to(root)) for layer in ("bot", "handlers", "content", "storage")
             for p in sorted((root / layer).rglob("*.py"))
             for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
             if isinstance(node, ast.Constant) and node.value == DEFAULT_TZ]
    assert found == ["bot/settings.py"]
