from alembic import context
from sqlalchemy import pool, text
from sqlmodel import SQLModel

import storage.content_edits  # noqa: F401  (the Office's edits to the content)
import storage.models  # noqa: F401  (registers the tables)
import storage.officers  # noqa: F401  (officers added in the console)
import storage.web_sessions  # noqa: F401  (the console's tables)
from storage.db import make_engine

config = context.config
MIGRATION_LOCK_KEY = 0x7468_6964_756D  # any constant other than the outbox lock's
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Instances starting together: one migrates, the others wait, then find nothing to do.
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
