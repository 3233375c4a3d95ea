"""API tokens: only each token's SHA-256 is stored, with its first characters to tell it apart.

Every method takes the user it acts for, so that no query can reach another user's tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from data.domain import NotFound

# last_used_at is written at most this often per token: a Bearer lookup is one read, not a write per request.
TOUCH_EVERY = "1 hour"


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


def _to_token(row: Any) -> ApiToken:
    return ApiToken(row.id, row.user_id, row.name, row.prefix, row.created_at, row.last_used_at)


class ApiTokenRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, user_id: int, token_hash: bytes, prefix: str, name: str = "") -> ApiToken:
        with self.engine.begin() as conn:
            row = conn.execute(
                text(
                    "INSERT INTO api_tokens (user_id, name, token_hash, prefix) VALUES (:user, :name, :hash, :prefix)"
                    " RETURNING id, user_id, name, prefix, created_at, last_used_at"
                ),
                {"user": user_id, "name": name, "hash": token_hash, "prefix": prefix},
            ).one()
        return _to_token(row)

    def list(self, user_id: int) -> list[ApiToken]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, user_id, name, prefix, created_at, last_used_at FROM api_tokens"
                    " WHERE user_id = :user ORDER BY created_at, id"
                ),
                {"user": user_id},
            )
            return [_to_token(row) for row in rows]

    def delete(self, user_id: int, token_id: int) -> None:
        """Revoke one of the user's tokens; NotFound for an id that is not theirs (or not at all)."""
        with self.engine.begin() as conn:
            deleted = conn.execute(
                text("DELETE FROM api_tokens WHERE id = :id AND user_id = :user"), {"id": token_id, "user": user_id}
            ).rowcount
        if not deleted:
            raise NotFound(f"no token {token_id} of yours")

    def find_user(self, token_hash: bytes) -> int | None:
        """The user a token hash belongs to (one index probe), noting when the token was last used."""
        with self.engine.begin() as conn:
            return conn.execute(
                text(
                    f"""
                    WITH found AS (SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = :hash),
                    touched AS (
                        UPDATE api_tokens SET last_used_at = now() FROM found
                        WHERE api_tokens.id = found.id
                          AND (found.last_used_at IS NULL OR found.last_used_at < now() - interval '{TOUCH_EVERY}')
                    )
                    SELECT user_id FROM found
                    """
                ),
                {"hash": token_hash},
            ).scalar()
