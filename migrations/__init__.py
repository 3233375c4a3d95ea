"""Alembic migrations: the schema on TimescaleDB or plain PostgreSQL."""
