"""Settings from the environment or `.env`; every field is documented in `.env.example`."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from content import DEFAULT_CONTENT_DIR

CHANNELS = ("telegram", "zalo", "console")
ENV_FILE = ".env"
# Names in the environment with these prefixes are the messengers' settings: one the bot
# does not know is a misspelling (TELEGRAM_BOT_TOKN) that leaves a setting unset.
OUR_PREFIXES = ("TELEGRAM_", "ZALO_")
# What a user id looks like on each channel (what /toi shows): Telegram's are integers, Zalo's
# strings of letters and digits ("6ede9afa66b14ec1a2a3"), the console's a login name. A name,
# an @username or two entries glued with ";" is none of these, and would never match anyone.
USER_ID_SHAPES = {"telegram": (r"[0-9]{1,20}", "a number"),
                  "zalo": (r"[A-Za-z0-9_-]{1,128}", "letters, digits, - and _ (e.g. 6ede9afa66b14ec1a2a3)"),
                  "console": (r"[A-Za-z0-9_.-]{1,64}", "a login name")}


class SettingsError(Exception):
    """Raised with a message that names the offending setting."""


# The bot's time zone unless TIMEZONE says otherwise; everything else takes `Settings.tz`,
# passed down, so that one setting decides every local date (a report code's year too).
DEFAULT_TZ = "Asia/Ho_Chi_Minh"


class Settings(BaseSettings):
    # Empty values (as in a copied .env.example) mean "use the default".
    model_config = SettingsConfigDict(env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore",
                                      env_ignore_empty=True)

    data_dir: Path = Path("./data")
    database_url: str | None = None
    content_dir: Path = DEFAULT_CONTENT_DIR
    # Seconds between looks for a new version of the content saved by the Office (one query):
    # an edit saved on one instance is answered by every instance within this time.
    content_poll_seconds: float = Field(default=30.0, gt=0, le=600)
    # The plans' text (as for `content verify --sources`): when set, an edit saved in the
    # console is checked against them too.
    content_sources_dir: Path | None = None
    timezone: str = DEFAULT_TZ
    # No reminder is sent between these local times; those due are sent when they end.
    quiet_hours: str = "21:00-07:00"
    admin_ids: Annotated[frozenset[tuple[str, str]], NoDecode] = frozenset()

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_secret: SecretStr | None = None

    zalo_bot_token: SecretStr | None = None
    zalo_api_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_secret: SecretStr | None = None
    # Hosts the bot may download Zalo photos from; an entry also covers its subdomains.
    # Zalo serves users' photos and files from its own delivery network, subdomains of
    # zdn.vn and zadn.vn (photo-stal.zdn.vn in the Bot API samples, f*-zpc.zdn.vn,
    # s*-ava-talk.zadn.vn): a link anywhere else did not come from Zalo. A host written
    # exactly as an entry may resolve to any address, even a local one (a test server).
    zalo_file_hosts: Annotated[tuple[str, ...], NoDecode] = ("zdn.vn", "zadn.vn")

    # Messages a second the delivery worker sends (overall, per messenger). Telegram
    # allows about 30; Zalo publishes no figure.
    telegram_rate_limit: float = Field(default=25.0, gt=0, le=30)
    zalo_rate_limit: float = Field(default=20.0, gt=0, le=1000)
    # Seconds a message claimed by a worker stays its own; after a crash it is sent once this has passed.
    outbox_lease_seconds: int = Field(default=60, ge=1, le=3600)
    # Logged questions (what staff typed, for `unanswered` and `stats`) are deleted after this many days.
    question_log_days: int = Field(default=365, ge=1)

    # Largest file a user may send (photos and documents kept as evidence), in MB.
    max_file_mb: int = Field(default=10, ge=1, le=20)
    # Seconds one file download may take in all (a photo of a few MB takes a few seconds);
    # a server that drips a byte at a time is cut off here. At most 60: a turn waits 90 s.
    file_download_seconds: float = Field(default=30.0, gt=0, le=60)
    # When set, a person's first good-example report asks for this code once (staff only).
    staff_invite_code: SecretStr | None = None

    port: int = Field(default=8080, ge=1, le=65535)
    # The https address the webhook server is reached at from outside (the reverse proxy),
    # e.g. https://bot.example.vn: the base of one-time download links for officers on Zalo.
    public_url: str | None = None
    log_level: str = "INFO"
    # text: one readable line per event; json: one JSON object per line, for log collectors.
    log_format: Literal["text", "json"] = "text"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admins(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        import re

        pairs = set()
        for item in filter(None, (part.strip() for part in value.split(","))):
            channel, sep, user = item.partition(":")
            if not sep or channel not in CHANNELS or not user.strip():
                raise ValueError(f"expected channel:user_id (channel one of {', '.join(CHANNELS)}), got {item!r}")
            shape, what = USER_ID_SHAPES[channel]
            if not re.fullmatch(shape, user.strip()):
                raise ValueError(f"{item!r} is not a {channel} user id ({what}; the person sees theirs with /toi); "
                                 "separate entries with commas")
            pairs.add((channel, user.strip()))
        return frozenset(pairs)

    @field_validator("zalo_file_hosts", mode="before")
    @classmethod
    def _parse_hosts(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        hosts = []
        for item in filter(None, (part.strip().lower().rstrip(".") for part in value.split(","))):
            if not re.fullmatch(r"[a-z0-9.-]+|\[?[0-9a-f:.]+\]?", item) or item.startswith((".", "-")):
                raise ValueError(f"expected host names separated by commas (e.g. zdn.vn,zadn.vn), got {item!r}")
            hosts.append(item.strip("[]"))
        if not hosts:
            raise ValueError("name at least one host, e.g. zdn.vn,zadn.vn")
        return tuple(hosts)

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _check_quiet(cls, value: str) -> str:
        from content.deadlines import parse_quiet

        parse_quiet(value)
        return value.strip()

    @property
    def quiet(self):  # noqa: ANN201
        from content.deadlines import parse_quiet

        return parse_quiet(self.quiet_hours)

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("telegram_bot_token", "zalo_bot_token", "telegram_webhook_secret", "zalo_webhook_secret",
                     mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_bot_token", "zalo_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and (":" not in value.get_secret_value() or " " in value.get_secret_value()):
            raise ValueError("a bot token looks like <digits>:<secret>")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _tg_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("zalo_webhook_secret")
    @classmethod
    def _zalo_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not 8 <= len(value.get_secret_value()) <= 256:
            raise ValueError("8-256 characters")
        return value

    @field_validator("database_url")
    @classmethod
    def _db_scheme(cls, value: str | None) -> str | None:
        # Only the drivers we ship; another scheme would fail later with a traceback.
        if value is not None and not value.startswith(("postgresql://", "postgres://", "postgresql+psycopg://",
                                                       "sqlite:///")):
            raise ValueError("expected postgresql://user:password@host:5432/dbname (or sqlite:///path)")
        return value

    @field_validator("telegram_api_url", "zalo_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("public_url", mode="before")
    @classmethod
    def _public_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip().rstrip("/")
        if not value:
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        # The link's token is the only key to the file: it must not cross the network in clear,
        # except to this machine (tests, a proxy on the same host).
        local = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise ValueError("must start with https:// (http:// only for localhost)")
        if not parts.hostname or parts.query or parts.fragment:
            raise ValueError("expected a base address such as https://bot.example.vn")
        return value

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bot.sqlite3').resolve()}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_admin(self, channel: str, user_id: str) -> bool:
        return (channel, user_id) in self.admin_ids


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one readable message."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError("Invalid settings: " + "; ".join(problems)) from None


def env_file_values(path: Path | str = ENV_FILE) -> dict[str, str | None]:
    """The settings written in `.env` (none when there is no readable file)."""
    from dotenv import dotenv_values

    try:
        return dict(dotenv_values(path)) if Path(path).is_file() else {}
    except (OSError, UnicodeDecodeError):
        return {}


def raw_setting(name: str) -> str | None:
    """A setting as given (environment first, then `.env`, names in any case), before
    validation: how to say that the settings are invalid (LOG_FORMAT, TIMEZONE)."""
    for source in (os.environ, env_file_values()):
        for key, value in source.items():
            if key.upper() == name and value:
                return value
    return None


def known_settings() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def unknown_settings(environ: dict[str, str] | None = None, env_file: Path | str = ENV_FILE) -> list[str]:
    """Settings the bot does not know, each with where it was found and the closest known
    name: every unknown key of `.env` (the file holds nothing else), and the names in the
    environment that look like ours (a messenger's prefix, or one or two letters from a
    known name; the environment holds much else, such as PATH or TEST_DATABASE_URL)."""
    known = known_settings()
    environ = os.environ if environ is None else environ
    found = []

    def closest(name: str, near: bool) -> str | None:
        match = difflib.get_close_matches(name, known, n=1, cutoff=0.85 if near else 0.6)
        if match and near and abs(len(match[0]) - len(name)) > 2:
            return None
        return match[0] if match else None

    for key in env_file_values(env_file):
        if key.upper() not in known:
            guess = closest(key.upper(), False)
            found.append(f"{key} (trong {env_file}{f'; có phải {guess}?' if guess else ''})")
    for key in environ:
        name = key.upper()
        if name in known:
            continue
        guess = closest(name, True)
        if guess or name.startswith(OUR_PREFIXES):
            found.append(f"{key} (biến môi trường{f'; có phải {guess}?' if guess else ''})")
    return found
