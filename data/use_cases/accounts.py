"""Accounts: registering, logging in, passwords and API tokens.

Passwords are hashed with argon2id (argon2-cffi's defaults, its parameters kept in each hash; a
hash made with older parameters is redone at the next login). API tokens are `cc_` and 32 random
bytes: only their SHA-256 is stored, so the token is shown once, when it is made.

Failed logins are counted per client address and per email, in a sliding window on the
rate-limit repository; while either window is full, a login is refused before its password is
even checked, so a guesser learns nothing and costs no hashing."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email

from data.domain import NotFound
from data.rate_limit import RateLimitRepository
from data.rates import Rate
from data.repositories.api_tokens import ApiToken, ApiTokenRepository
from data.repositories.users import DuplicateEmail, User, UserRepository

MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; this bounds the work one request can ask for
MAX_EMAIL = 254
MAX_TOKEN_NAME = 100
TOKEN_PREFIX = "cc_"
TOKEN_BYTES = 32
SHOWN_PREFIX = 9  # "cc_" and six characters: enough to tell a user's tokens apart in a list
MAX_TOKEN_CHARS = 100
LOGIN_SCOPE = "login"


class AccountError(ValueError):
    """A request about an account that is refused; its text says what to change."""


class InvalidEmail(AccountError):
    pass


class InvalidPassword(AccountError):
    pass


class EmailTaken(AccountError):
    pass


class InvalidCredentials(AccountError):
    """Unknown email or wrong password: deliberately not saying which."""


class TooManyAttempts(AccountError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: `token` is shown to its owner this once and never stored."""

    token: str
    record: ApiToken


def normalized_email(email: str) -> str:
    """The email as stored: validated (syntax only, no DNS), its domain normalised."""
    if not isinstance(email, str) or not email.strip():
        raise InvalidEmail("email: give an email address such as you@example.com")
    if len(email) > MAX_EMAIL:
        raise InvalidEmail(f"email: at most {MAX_EMAIL} characters")
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidEmail(f"email: {exc}") from None


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidPassword(f"password: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidPassword(f"password: at most {MAX_PASSWORD} characters")
    return password


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def credentials_stamp(moment: datetime) -> str:
    """What a session keeps of its user's credentials_changed_at: a later password change differs from it."""
    return moment.isoformat()


class Accounts:
    def __init__(
        self,
        users: UserRepository,
        tokens: ApiTokenRepository,
        limits: RateLimitRepository,
        failed_logins: Rate,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.users = users
        self.tokens = tokens
        self.limits = limits
        self.failed_logins = failed_logins
        self.hasher = hasher or PasswordHasher()  # argon2id

    @cached_property
    def _dummy_hash(self) -> str:
        # An unknown email is verified against this, so it takes as long as a known one.
        return self.hasher.hash(secrets.token_urlsafe(16))

    def register(self, email: str, password: str) -> User:
        address = normalized_email(email)
        hashed = self.hasher.hash(check_password(password))
        try:
            return self.users.create(address, hashed)
        except DuplicateEmail:
            raise EmailTaken(f"email: {address} already has an account; log in instead") from None

    def authenticate(self, email: str, password: str, client: str) -> User:
        """The user whose email and password these are; InvalidCredentials else, TooManyAttempts
        (without checking anything) while the client's or the email's failures fill their window."""
        email = email if isinstance(email, str) else ""
        keys = (("ip", client), ("email", hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]))
        waits = [self.limits.peek(kind, identity, LOGIN_SCOPE, self.failed_logins) for kind, identity in keys]
        refused = [decision.retry_after for decision in waits if decision is not None and not decision.allowed]
        if refused:
            raise TooManyAttempts(max(refused))
        user = self._verified(email, password)
        if user is None:
            for kind, identity in keys:
                self.limits.hit(kind, identity, LOGIN_SCOPE, self.failed_logins)
            raise InvalidCredentials("wrong email or password")
        return user

    def _verified(self, email: str, password: str) -> User | None:
        if not isinstance(password, str) or not password or len(password) > MAX_PASSWORD or len(email) > MAX_EMAIL:
            return None
        user = self.users.by_email(email.strip()) if email.strip() else None
        try:
            self.hasher.verify(user.password_hash if user else self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if user is None:
            return None
        if self.hasher.check_needs_rehash(user.password_hash):  # same password, newer parameters
            self.users.set_password(user.id, self.hasher.hash(password), changes_credentials=False)
        return user

    def change_password(self, user_id: int, current: str, new: str) -> datetime:
        """A logged-in user's new password (the current one checked); the new credentials stamp."""
        user = self.users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        try:
            self.hasher.verify(user.password_hash, current if isinstance(current, str) else "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            raise InvalidCredentials("current password: wrong password") from None
        return self._set_password(user.id, new)

    def reset_password(self, email: str, new: str) -> datetime:
        """An administrator's reset (the CLI): no old password asked. Voids the user's sessions."""
        user = self.users.by_email(email.strip()) if isinstance(email, str) else None
        if user is None:
            raise NotFound(f"no account with email {email!r:.80}")
        return self._set_password(user.id, new)

    def _set_password(self, user_id: int, new: str) -> datetime:
        stamp = self.users.set_password(user_id, self.hasher.hash(check_password(new)))
        if stamp is None:
            raise NotFound(f"no user {user_id}")
        return stamp

    def session_user(self, user_id: int, stamp: str) -> User | None:
        """The user a session names, if the session predates no password change of theirs."""
        user = self.users.get(user_id)
        if user is None or credentials_stamp(user.credentials_changed_at) != stamp:
            return None
        return user

    def credentials_changed(self, user_id: int) -> datetime | None:
        """When the user last changed their password (None: no such user); older alerts JWTs are void."""
        user = self.users.get(user_id)
        return user.credentials_changed_at if user else None

    def issue_token(self, user_id: int, name: str = "") -> IssuedToken:
        name = (name or "").strip()
        if len(name) > MAX_TOKEN_NAME:
            raise AccountError(f"name: at most {MAX_TOKEN_NAME} characters")
        token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        return IssuedToken(token, self.tokens.create(user_id, token_hash(token), token[:SHOWN_PREFIX], name))

    def tokens_of(self, user_id: int) -> list[ApiToken]:
        return self.tokens.list(user_id)

    def revoke_token(self, user_id: int, token_id: int) -> None:
        self.tokens.delete(user_id, token_id)

    def user_for_bearer(self, token: str) -> int | None:
        """The user an API token belongs to; None for anything that is not a live token."""
        if not looks_like_token(token):
            return None
        return self.tokens.find_user(token_hash(token))


def looks_like_token(token: object) -> bool:
    return (
        isinstance(token, str) and token.startswith(TOKEN_PREFIX) and token.isascii() and len(token) <= MAX_TOKEN_CHARS
    )
