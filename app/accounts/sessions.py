"""Sessions in Redis (`session:{id}`), the signed-in user, and CSRF, applied once where the app is built.

- A browser without a session cookie costs Redis nothing: no read, no write. Pages and Dash callbacks
  of anonymous visitors never make a session; only the login and register forms do (their CSRF token
  lives in it), and such a pre-login session is kept 2 hours at most.
- A request with a session cookie costs one GET. Assets, /api/ (Bearer tokens, never cookies),
  /export/ and health checks never open the session at all. A cookie whose session is gone is deleted.
- A signed-in session holds the user id and the user's `credentials_changed_at` as it was at login:
  after a password change the stamps differ and the session is refused (then deleted) the next time
  the user is looked up, which only pages and routes that need the user do (one indexed read).
- Sessions last CARDCHARTS_SESSION_HOURS from login (not renewed by use: a write per request would
  cost every Dash callback). The session id is new at every login; logout deletes the session.
- CSRF (Flask-WTF): every POST, PUT, PATCH and DELETE is checked (form field `csrf_token` or header
  X-CSRFToken), except /api/ (no cookies), /export/ (GET only), and Dash callbacks without a signed-in
  session (they carry no authority to abuse, and checking them would break every anonymous page).
  dash-renderer sends the `_csrf_token` cookie as X-CSRFToken with every callback: that cookie is set
  (readable by scripts, as it must be) for signed-in sessions.
- If Redis fails, a session reads as empty (the visitor is signed out), never a 500.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request, session
from flask_session.redis import RedisSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf, validate_csrf
from redis import RedisError
from wtforms import ValidationError

from app.logs import Throttle
from data.repositories.users import User
from data.use_cases.accounts import Accounts, credentials_stamp

log = logging.getLogger(__name__)
_redis_down = Throttle(log, limit=1, period=30.0)

KEY_PREFIX = "session:"
CSRF_COOKIE = "_csrf_token"  # the name dash-renderer reads
CALLBACK_PATH = "/_dash-update-component"
PRE_LOGIN_SECONDS = 2 * 3600
USER_KEY, STAMP_KEY = "user_id", "credentials"
# Paths that never read the session (no cookie auth there, or nothing personal).
NO_SESSION_PREFIXES = ("/assets/", "/_dash-component-suites/", "/api/", "/export/", "/_favicon", "/healthz", "/readyz")
UNCHECKED_PREFIXES = ("/api/", "/export/")
EXTENSION = "cardcharts.accounts"


class Sessions(RedisSessionInterface):
    """Flask-Session's Redis sessions, opened only where needed, and never failing a request on Redis."""

    def open_session(self, app: Flask, request: Any):
        if request.path.startswith(NO_SESSION_PREFIXES):
            return self.session_class(sid=self._generate_sid(self.sid_length), permanent=self.permanent)
        opened = super().open_session(app, request)
        cookie = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        opened.stale = bool(cookie) and opened.sid != cookie  # named a session Redis no longer holds
        return opened

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        try:
            super().save_session(app, session, response)
        except RedisError as exc:
            _redis_down.log(logging.WARNING, "session: Redis unavailable (%s); session not saved", exc)
        if getattr(session, "stale", False) and not session:
            response.delete_cookie(self.get_cookie_name(app), path=self.get_cookie_path(app))
            response.delete_cookie(CSRF_COOKIE, path="/")

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        try:
            return super()._retrieve_session_data(store_id)
        except RedisError as exc:
            _redis_down.log(logging.WARNING, "session: Redis unavailable (%s); treated as signed out", exc)
            return None

    def _delete_session(self, store_id: str) -> None:
        try:
            super()._delete_session(store_id)
        except RedisError as exc:
            _redis_down.log(logging.WARNING, "session: Redis unavailable (%s); session not deleted", exc)

    def _upsert_session(self, session_lifetime: timedelta, session: Any, store_id: str) -> None:
        if USER_KEY not in session:  # a login form's CSRF token only: kept briefly
            session_lifetime = min(session_lifetime, timedelta(seconds=PRE_LOGIN_SECONDS))
        super()._upsert_session(session_lifetime, session, store_id)


def install(server: Flask, redis: Any, accounts: Accounts, lifetime: timedelta, secure: bool) -> None:
    """Server-side sessions and CSRF on `server` (call once, where the app is built)."""
    server.config.update(
        PERMANENT_SESSION_LIFETIME=lifetime,
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_CHECK_DEFAULT=False,  # checked below, with our exemptions
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as its session
    )
    server.session_interface = Sessions(
        server, client=redis, key_prefix=KEY_PREFIX, permanent=True, serialization_format="json"
    )
    csrf = CSRFProtect(server)
    server.extensions[EXTENSION] = accounts

    @server.before_request
    def check_csrf() -> None:
        if request.method not in current_app.config["WTF_CSRF_METHODS"] or request.path.startswith(UNCHECKED_PREFIXES):
            return
        if request.path == CALLBACK_PATH and USER_KEY not in session:
            return
        csrf.protect()

    @server.after_request
    def csrf_cookie(response: Response) -> Response:
        """A signed-in browser holds a `_csrf_token` cookie that validates against its session."""
        if request.path.startswith(NO_SESSION_PREFIXES) or USER_KEY not in session:
            return response
        cookie = request.cookies.get(CSRF_COOKIE)
        if g.get("csrf_valid") and cookie and cookie == request.headers.get("X-CSRFToken"):
            return response  # a callback that sent the cookie, just checked: no second HMAC
        try:
            validate_csrf(cookie)
        except ValidationError:
            response.set_cookie(
                CSRF_COOKIE,
                generate_csrf(),
                max_age=int(lifetime.total_seconds()),
                secure=secure,
                httponly=False,  # dash-renderer reads it to send X-CSRFToken
                samesite="Lax",
            )
        return response

    @server.errorhandler(CSRFError)
    def csrf_refused(exc: CSRFError):
        reason = {
            "The CSRF token is missing.": "it carries no CSRF token (form field csrf_token or header X-CSRFToken)",
            "The CSRF session token is missing.": "its session has expired or was never opened",
        }.get(exc.description or "", (exc.description or "The CSRF token is invalid").rstrip("."))
        reason = reason[:1].lower() + reason[1:]
        message = f"request refused: {reason}; reload the page and try again"
        if request.path.startswith("/_dash"):
            return jsonify(error=message), 400
        from app.accounts.routes import render_error  # the pages' frame

        return render_error(message, 400)


def current_user() -> User | None:
    """The signed-in user of this request (looked up once per request), or None. A session made before
    the user's last password change (or for a deleted user) is refused and deleted."""
    if "account_user" in g:
        return g.account_user
    user = None
    user_id = session.get(USER_KEY)
    if user_id is not None:
        accounts: Accounts = current_app.extensions[EXTENSION]
        user = accounts.session_user(user_id, session.get(STAMP_KEY, ""))
        if user is None:
            session.clear()
    g.account_user = user
    return user


def sign_in(user: User) -> None:
    """A fresh session id and CSRF token for `user` (the pre-login ones are dropped: no fixation), stamped
    with the user's credentials. After the user's own password change, this is what keeps this session
    (under a new id) while the stamp voids the others."""
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    session[USER_KEY] = user.id
    current_app.session_interface.regenerate(session)
    session[STAMP_KEY] = credentials_stamp(user.credentials_changed_at)
    session.permanent = True
    g.account_user = user


def sign_out(response: Response) -> None:
    """Delete the session from Redis and both cookies from the browser."""
    session.clear()
    g.account_user = None
    response.delete_cookie(CSRF_COOKIE, path="/")
