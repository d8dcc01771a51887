"""Start-up failures as one line naming the setting to fix.

An unreachable DATABASE_URL or an unusable DATA_DIR used to end a command with
40-125 lines of traceback from SQLAlchemy, psycopg or pathlib; an operator at a
terminal or in `journalctl` needs the setting and the reason.
"""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:  # SQLAlchemy takes 0.2 s to import: `ask` and `content` never need it
    from sqlalchemy.exc import SQLAlchemyError

# Commands that read neither the database nor DATA_DIR.
NO_STORAGE = {"ask", "content", "health"}


class StartupError(Exception):
    """Raised with the one line to print."""


def check_data_dir(settings: Settings) -> None:
    """DATA_DIR must be (or become) a directory this process can write to: the SQLite
    database, the stored files and backups live there."""
    path = Path(settings.data_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StartupError(f"Cannot start: DATA_DIR={path} is not a writable directory ({reason})") from None


def database_problem(settings: Settings, exc: SQLAlchemyError | OSError) -> str:
    """The one line for a database that cannot be opened, naming DATABASE_URL (with its
    password hidden) or, for the default SQLite file, DATA_DIR."""
    from sqlalchemy.engine import make_url

    from bot.plumbing import one_line

    if settings.database_url:
        try:
            shown = make_url(settings.database_url).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - an unparsable URL is itself the problem
            shown = "(unparsable)"
        reason = one_line(getattr(exc, "orig", None) or exc)
        return f"Cannot start: DATABASE_URL={shown} cannot be used ({reason})"
    return f"Cannot start: the database in DATA_DIR={settings.data_dir} cannot be opened ({one_line(exc)})"



def port_problem(port: int, exc: OSError) -> str:
    """The one line for a webhook port that cannot be listened on, naming PORT."""
    if exc.errno == errno.EADDRINUSE:
        return f"Cannot start: PORT={port} is already in use by another program; stop it or set PORT to a free port"
    return f"Cannot start: PORT={port} cannot be used ({exc.strerror or type(exc).__name__})"
