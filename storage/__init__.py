"""Persistence: SQLModel models, queries and Alembic migrations."""
