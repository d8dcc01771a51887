"""Shared fixtures: settings on a fresh SQLite file, the assembled app, and the
PostgreSQL URL when CI provides one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.settings import Settings, load_settings
from content import DEFAULT_CONTENT_DIR

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
REAL_CONTENT = DEFAULT_CONTENT_DIR


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The developer's own .env and tokens must not leak into tests.
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "ZALO_")) or name in {"DATABASE_URL", "DATA_DIR", "CONTENT_DIR", "ADMIN_IDS",
                                                               "PORT", "LOG_LEVEL", "TIMEZONE"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT)


@pytest.fixture
def app(settings: Settings) -> App:
    return build_app(settings)


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set (CI sets it to the machine's PostgreSQL)")
    return url
