"""Signed tokens for the alerts channel: a JWT (HS256, SECRET_KEY) naming one user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

SCOPE = "alerts"
ALGORITHM = "HS256"


class TokenError(ValueError):
    pass


def issue(secret: str, user_id: int, valid_for: timedelta = timedelta(days=30)) -> str:
    """A token that lets its holder receive `user_id`'s price alerts until it expires."""
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "scope": SCOPE, "iat": now, "exp": now + valid_for}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def user_of(secret: str, token: str) -> int:
    """The user a valid alerts token names; TokenError for a bad, expired or foreign token."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise TokenError("token expired") from None
    except jwt.InvalidTokenError:
        raise TokenError("invalid token") from None
    subject = claims["sub"]
    if claims.get("scope") != SCOPE or not isinstance(subject, str) or not subject.isdigit():
        raise TokenError("not an alerts token")
    return int(subject)
