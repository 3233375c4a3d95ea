"""Users: an email (matched case-insensitively) and an argon2id password hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

_COLUMNS = "id, email, password_hash, created_at, credentials_changed_at"


@dataclass(frozen=True)
class User:
    id: int
    email: str
    password_hash: str
    created_at: datetime
    credentials_changed_at: datetime


class DuplicateEmail(ValueError):
    """Another user holds this email (compared case-insensitively)."""


def _to_user(row: Any) -> User:
    return User(row.id, row.email, row.password_hash, row.created_at, row.credentials_changed_at)


class UserRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, email: str, password_hash: str) -> User:
        """A new user; DuplicateEmail when `lower(email)` is already held (users_email_key)."""
        try:
            with self.engine.begin() as conn:
                row = conn.execute(
                    text(f"INSERT INTO users (email, password_hash) VALUES (:email, :hash) RETURNING {_COLUMNS}"),
                    {"email": email, "hash": password_hash},
                ).one()
        except IntegrityError as exc:
            if "users_email_key" in str(exc.orig):
                raise DuplicateEmail(email) from None
            raise
        return _to_user(row)

    def by_email(self, email: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                text(f"SELECT {_COLUMNS} FROM users WHERE lower(email) = lower(:email)"), {"email": email}
            ).first()
        return _to_user(row) if row else None

    def get(self, user_id: int) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(text(f"SELECT {_COLUMNS} FROM users WHERE id = :id"), {"id": user_id}).first()
        return _to_user(row) if row else None

    def set_password(self, user_id: int, password_hash: str, changes_credentials: bool = True) -> datetime | None:
        """Store a new hash; with `changes_credentials` (a new password, not a rehash of the same one)
        also move credentials_changed_at, which voids the sessions made before it. The new
        credentials_changed_at, or None when there is no such user."""
        moved = "clock_timestamp()" if changes_credentials else "credentials_changed_at"
        with self.engine.begin() as conn:
            return conn.execute(
                text(
                    f"UPDATE users SET password_hash = :hash, credentials_changed_at = {moved}"
                    " WHERE id = :id RETURNING credentials_changed_at"
                ),
                {"id": user_id, "hash": password_hash},
            ).scalar()
