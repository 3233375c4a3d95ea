"""Signed tokens for the alerts channel: a JWT (HS256, SECRET_KEY) naming one user.

(A user's API token, `cc_...`, opens their alerts channel too: app/live/endpoint.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from data.domain import stored_id

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
    return verified(secret, token)[0]


def verified(secret: str, token: str) -> tuple[int, datetime | None]:
    """The user a valid alerts token names, and when it was issued (None if it does not say)."""
    if not token.isascii():  # a JWT is base64url and dots; PyJWT would raise UnicodeEncodeError on a lone surrogate
        raise TokenError("invalid token")
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise TokenError("token expired") from None
    except jwt.InvalidTokenError:
        raise TokenError("invalid token") from None
    subject = claims["sub"]
    user = stored_id(subject) if isinstance(subject, str) else None
    if claims.get("scope") != SCOPE or user is None:
        raise TokenError("not an alerts token")
    issued = claims.get("iat")
    return user, datetime.fromtimestamp(issued, UTC) if isinstance(issued, int | float) else None
