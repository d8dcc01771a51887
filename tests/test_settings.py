from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from tests.incli import run_cli

ROOT = Path(__file__).resolve().parent.parent


def test_defaults():
    s = load_settings()
    assert s.timezone == "Asia/Ho_Chi_Minh" and s.port == 8080
    assert s.db_url.startswith("sqlite:///") and s.db_url.endswith("data/bot.sqlite3")
    assert (s.content_dir / "topics.yaml").exists()


def test_admin_ids_parse_channel_and_user():
    s = load_settings(admin_ids="telegram:123456, zalo:6ede9afa66")
    assert s.is_admin("telegram", "123456") and s.is_admin("zalo", "6ede9afa66")
    assert not s.is_admin("zalo", "123456")


@pytest.mark.parametrize("env,name", [
    ({"PORT": "http"}, "PORT"),
    ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
    ({"ADMIN_IDS": "123456"}, "ADMIN_IDS"),
    ({"ZALO_WEBHOOK_SECRET": "short"}, "ZALO_WEBHOOK_SECRET"),
    ({"TELEGRAM_BOT_TOKEN": "not a token"}, "TELEGRAM_BOT_TOKEN"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
])
def test_invalid_settings_name_the_setting(monkeypatch: pytest.MonkeyPatch, env: dict, name: str):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert name in str(err.value)


def test_invalid_setting_stops_the_bot_with_a_message_and_no_secret(tmp_path: Path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PORT": "99999",
           "TELEGRAM_BOT_TOKEN": "123:SECRET-TOKEN-VALUE"}
    proc = run_cli(["run"], tmp_path, env | {"PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert "PORT" in proc.stderr
    assert "SECRET-TOKEN-VALUE" not in proc.stderr + proc.stdout


def test_env_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / ".env").write_text("PORT=9090\nADMIN_IDS=zalo:abc\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.port == 9090 and s.is_admin("zalo", "abc")


def test_log_filter_masks_secrets_even_in_malformed_log_calls():
    import io
    import logging

    from bot.app import RedactingFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(["123:SECRET"]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("calling https://api/bot%s/getMe", "123:SECRET")
        logger.warning("one placeholder, two values: %s", "https://api/bot123:SECRET/x", "extra")
        try:
            raise RuntimeError("failed at https://api/bot123:SECRET/getMe")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "SECRET" not in out
    assert out.count("***") == 4  # once per line, and once in the traceback


@pytest.mark.parametrize("entry", ["telegram:@nguyenvana", "zalo:Nguyễn Văn A", "telegram:123;zalo:abc",
                                   "zalo:ab cd", "telegram:12.5"])
def test_admin_ids_refuse_what_is_not_a_user_id_in_one_line_naming_it(entry: str):
    with pytest.raises(SettingsError) as err:
        load_settings(admin_ids=f"telegram:123456,{entry}")
    message = str(err.value)
    assert "ADMIN_IDS" in message and repr(entry) in message and "/toi" in message and "\n" not in message


def test_admin_ids_take_the_ids_each_channel_uses():
    s = load_settings(admin_ids="telegram:123456789, zalo:6ede9afa66b14ec1a2a3,zalo:cb-zalo, console:chi")
    assert s.is_admin("telegram", "123456789") and s.is_admin("zalo", "6ede9afa66b14ec1a2a3")
    assert s.is_admin("zalo", "cb-zalo") and s.is_admin("console", "chi")
