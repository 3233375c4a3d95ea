"""Accounts: the repositories and use case, the pages with their Redis sessions and CSRF (Dash callbacks
included), the CLI, the API's register/token/Bearer, failed-login limits, and /ws alerts by API token."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import text
from websockets.sync.client import connect

from app.accounts.sessions import CSRF_COOKIE, KEY_PREFIX
from app.api.responses import PREFIX
from app.cli import main
from app.live import tokens
from app.server import create_app
from data.domain import NotFound
from data.rate_limit import rate_limit_key
from data.rates import Rate
from data.use_cases.accounts import (
    Accounts,
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    InvalidPassword,
    TooManyAttempts,
    token_hash,
)
from tests.conftest import SECRET
from tests.helpers import web_server
from tests.test_server_hardening import search_body

EMAIL, PASSWORD = "Ada.Lovelace@Example.COM", "correct horse battery"
STORED_EMAIL = "Ada.Lovelace@example.com"  # the domain normalised


@pytest.fixture
def built(services):
    with services.engine.begin() as conn:
        conn.execute(text("TRUNCATE users RESTART IDENTITY CASCADE"))
    return services


def make_client(services, **settings):
    if settings:
        services = dataclasses.replace(services, settings=services.settings.model_copy(update=settings))
    app = create_app(services)
    client = app.server.test_client()
    return app, client


@pytest.fixture
def site(built):
    return make_client(built)


def form_token(response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return match.group(1)


def session_id(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def log_in(client, email=EMAIL, password=PASSWORD, **environ):
    token = form_token(client.get("/login"))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token}, **environ)


# --- the use case and repositories -------------------------------------------------------------


def test_register_validates_normalises_and_refuses_a_duplicate(built):
    accounts = built.accounts
    user = accounts.register(EMAIL, PASSWORD)
    assert (user.email, user.password_hash.startswith("$argon2id$")) == (STORED_EMAIL, True)
    assert built.users.by_email("ada.lovelace@EXAMPLE.com").id == user.id
    with pytest.raises(EmailTaken, match="already has an account"):
        accounts.register("ADA.LOVELACE@example.com", PASSWORD)
    with pytest.raises(InvalidEmail, match="email: "):
        accounts.register("not-an-email", PASSWORD)
    with pytest.raises(InvalidPassword, match="at least 10 characters"):
        accounts.register("b@example.com", "123456789")
    with pytest.raises(InvalidPassword, match="at most 1024 characters"):
        accounts.register("b@example.com", "x" * 1025)
    with built.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1  # refusals wrote nothing


def test_authenticate_and_rehash_with_newer_parameters(built):
    cheap = Accounts(
        built.users,
        built.api_tokens,
        built.rate_limits,
        built.settings.failed_login_rate,
        PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1),
    )
    user = cheap.register(EMAIL, PASSWORD)
    assert "m=8192,t=1,p=1" in user.password_hash
    assert built.accounts.authenticate(EMAIL.lower(), PASSWORD, "198.51.100.1").id == user.id
    again = built.users.get(user.id)
    assert "m=65536,t=3,p=4" in again.password_hash  # rehashed with the current parameters
    assert again.credentials_changed_at == user.credentials_changed_at  # the same password: sessions stay
    for email, password in ((EMAIL, "wrong password!"), ("nobody@example.com", PASSWORD), (EMAIL, "")):
        with pytest.raises(InvalidCredentials, match=r"^wrong email or password$"):
            built.accounts.authenticate(email, password, "198.51.100.1")


def test_tokens_are_hashed_and_scoped_to_their_user(built):
    ada = built.accounts.register(EMAIL, PASSWORD)
    bob = built.accounts.register("bob@example.com", PASSWORD)
    issued = built.accounts.issue_token(ada.id, "sheet")
    assert re.fullmatch(r"cc_[A-Za-z0-9_-]{43}", issued.token) and issued.record.prefix == issued.token[:9]
    with built.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM api_tokens")).scalar_one()
    assert bytes(stored) == token_hash(issued.token) and issued.token.encode() not in bytes(stored)
    assert built.accounts.user_for_bearer(issued.token) == ada.id
    assert built.accounts.user_for_bearer(issued.token + "x") is None
    assert built.accounts.user_for_bearer("not-a-token") is None
    assert [t.id for t in built.accounts.tokens_of(bob.id)] == []
    with pytest.raises(NotFound, match=f"no token {issued.record.id} of yours"):
        built.accounts.revoke_token(bob.id, issued.record.id)
    assert built.accounts.user_for_bearer(issued.token) == ada.id  # still live
    built.accounts.revoke_token(ada.id, issued.record.id)
    assert built.accounts.user_for_bearer(issued.token) is None


# --- pages, sessions, CSRF ---------------------------------------------------------------------


def test_register_login_logout_through_the_pages(site, built, redis_client):
    _, client = site
    page = client.get("/register")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert 'data-mantine-color-scheme="light"' in html and "accounts.css" in html
    refused = client.post("/register", data={"email": EMAIL, "password": PASSWORD})
    assert refused.status_code == 400
    assert "request refused: it carries no CSRF token" in refused.get_data(as_text=True)
    assert built.users.by_email(EMAIL) is None
    made = client.post("/register", data={"email": EMAIL, "password": PASSWORD, "csrf_token": form_token(page)})
    assert (made.status_code, made.headers["Location"]) == (303, "/account")
    cookie = next(h for h in made.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {part.strip() for part in cookie.split(";")}
    csrf = next(h for h in made.headers.getlist("Set-Cookie") if h.startswith(f"{CSRF_COOKIE}="))
    assert "HttpOnly" not in csrf and "Secure" in csrf
    sid = session_id(client)
    assert redis_client.ttl(KEY_PREFIX + sid) > 13 * 24 * 3600  # 14 days by default
    account = client.get("/account")
    assert account.status_code == 200 and STORED_EMAIL in account.get_data(as_text=True)

    assert client.post("/logout").status_code == 400  # no CSRF token: still signed in
    assert client.get("/account").status_code == 200
    out = client.post("/logout", data={"csrf_token": form_token(account)})
    assert (out.status_code, out.headers["Location"]) == (303, "/")
    assert not redis_client.exists(KEY_PREFIX + sid) and session_id(client) is None
    away = client.get("/account")
    assert (away.status_code, away.headers["Location"]) == (303, "/login?next=/account")

    wrong = log_in(client, password="not the password")
    assert wrong.status_code == 401 and "wrong email or password" in wrong.get_data(as_text=True)
    before = session_id(client)  # the login form's session
    assert before is not None
    good = log_in(client, email="ada.lovelace@example.com")
    assert (good.status_code, good.headers["Location"]) == (303, "/account")
    assert session_id(client) not in (None, before) and not redis_client.exists(KEY_PREFIX + before)


def test_login_redirects_only_to_our_own_paths(site, built):
    _, client = site
    built.accounts.register(EMAIL, PASSWORD)
    token = form_token(client.get("/login?next=/compare"))
    for target, expected in (("/compare", "/compare"), ("//evil.example", "/account"), ("https://x.io", "/account")):
        client.delete_cookie("session")
        token = form_token(client.get("/login"))
        answer = client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token, "next": target})
        assert answer.headers["Location"] == expected


def test_dash_callbacks_keep_working_and_are_csrf_checked_when_signed_in(site, built):
    app, client = site
    client.get("/")
    body = search_body(app, "consider")
    assert client.post("/_dash-update-component", json=body).status_code == 200  # anonymous: nothing to forge
    built.accounts.register(EMAIL, PASSWORD)
    log_in(client)
    csrf = client.get_cookie(CSRF_COOKIE).value
    ok = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})
    assert ok.status_code == 200, ok.get_data(as_text=True)
    refused = client.post("/_dash-update-component", json=body)
    assert refused.status_code == 400
    assert refused.get_json() == {
        "error": "request refused: it carries no CSRF token (form field csrf_token or header X-CSRFToken);"
        " reload the page and try again"
    }
    forged = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf[:-2] + "xx"})
    assert forged.status_code == 400 and "the CSRF token is invalid" in forged.get_json()["error"]


class Counting:
    """The session store's Redis client, counting the commands sent through it."""

    def __init__(self, client) -> None:
        self.client, self.calls = client, []

    def __getattr__(self, name):
        self.calls.append(name)
        return getattr(self.client, name)


def test_anonymous_requests_cost_redis_nothing_and_a_signed_in_callback_one_get(site, built):
    app, client = site
    store = app.server.session_interface
    store.client = Counting(store.client)
    client.get("/")
    body = search_body(app, "consider")
    for _ in range(3):
        assert client.post("/_dash-update-component", json=body).status_code == 200
    assert client.get("/card").status_code == 200 and client.get(f"{PREFIX}/sources").status_code == 200
    assert store.client.calls == [] and not client.get_cookie("session")

    built.accounts.register(EMAIL, PASSWORD)
    log_in(client)
    csrf = client.get_cookie(CSRF_COOKIE).value
    store.client.calls.clear()
    answer = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})
    assert answer.status_code == 200 and store.client.calls == ["get"]
    assert "Set-Cookie" not in answer.headers
    store.client.calls.clear()
    client.get("/assets/cardcharts.css")
    assert store.client.calls == []

    # A cookie naming a session Redis no longer holds: one GET, then the cookie is deleted.
    store.client.client.delete(KEY_PREFIX + session_id(client))
    store.client.calls.clear()
    stale = client.post("/_dash-update-component", json=body)
    assert stale.status_code == 200 and store.client.calls == ["get"] and session_id(client) is None


def test_a_session_ends_after_its_lifetime(built, redis_client):
    _, client = make_client(built, session_hours=2 / 3600)
    built.accounts.register(EMAIL, PASSWORD)
    assert log_in(client).status_code == 303
    sid = session_id(client)
    assert 0 < redis_client.ttl(KEY_PREFIX + sid) <= 2
    assert client.get("/account").status_code == 200
    time.sleep(2.5)
    assert not redis_client.exists(KEY_PREFIX + sid)
    away = client.get("/account")
    assert (away.status_code, away.headers["Location"]) == (303, "/login?next=/account")


def test_a_password_change_signs_out_the_other_sessions(site, built, redis_client):
    app, mine = site
    theirs = app.server.test_client()
    built.accounts.register(EMAIL, PASSWORD)
    log_in(mine)
    log_in(theirs)
    old_sid, their_sid = session_id(mine), session_id(theirs)
    page = mine.get("/account")
    mismatch = mine.post(
        "/account/password",
        data={"current": PASSWORD, "new": "new password 123", "confirm": "other", "csrf_token": form_token(page)},
    )
    assert mismatch.status_code == 400 and "the two entries differ" in mismatch.get_data(as_text=True)
    wrong = mine.post(
        "/account/password",
        data={
            "current": "nope nope nope",
            "new": "new password 123",
            "confirm": "new password 123",
            "csrf_token": form_token(page),
        },
    )
    assert wrong.status_code == 400 and "current password: wrong password" in wrong.get_data(as_text=True)
    changed = mine.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "new password 123",
            "confirm": "new password 123",
            "csrf_token": form_token(page),
        },
    )
    assert changed.status_code == 200 and "Password changed" in changed.get_data(as_text=True)
    assert session_id(mine) != old_sid and mine.get("/account").status_code == 200  # this browser stays in
    away = theirs.get("/account")
    assert (away.status_code, away.headers["Location"]) == (303, "/login?next=/account")
    assert not redis_client.exists(KEY_PREFIX + their_sid)  # refused, then deleted
    assert log_in(theirs, password="new password 123").status_code == 303


def test_tokens_on_the_account_page_shown_once_and_another_users_id_is_404(site, built):
    _, client = site
    ada = built.accounts.register(EMAIL, PASSWORD)
    bob = built.accounts.register("bob@example.com", PASSWORD)
    theirs = built.accounts.issue_token(bob.id, "bob's")
    log_in(client)
    page = client.get("/account")
    made = client.post("/account/tokens", data={"name": "sheet", "csrf_token": form_token(page)})
    shown = re.search(r'<code class="cc-token" id="new-token">(cc_[^<]+)</code>', made.get_data(as_text=True))
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store" and shown
    assert built.accounts.user_for_bearer(shown.group(1)) == ada.id
    listing = client.get("/account").get_data(as_text=True)
    assert shown.group(1) not in listing and shown.group(1)[:9] + "…" in listing  # never shown again
    refused = client.post(f"/account/tokens/{theirs.record.id}/delete", data={"csrf_token": form_token(page)})
    assert refused.status_code == 404 and f"no token {theirs.record.id} of yours" in refused.get_data(as_text=True)
    assert built.accounts.user_for_bearer(theirs.token) == bob.id
    mine = built.accounts.tokens_of(ada.id)[0]
    gone = client.post(f"/account/tokens/{mine.id}/delete", data={"csrf_token": form_token(page)})
    assert gone.status_code == 303 and built.accounts.tokens_of(ada.id) == []


def test_pages_follow_the_theme_cookie(site):
    _, client = site
    client.set_cookie("color-scheme", "dark")
    assert 'data-mantine-color-scheme="dark"' in client.get("/login").get_data(as_text=True)
    css = client.get("/accounts-static/accounts.css")
    assert css.status_code == 200 and b'[data-mantine-color-scheme="dark"]' in css.get_data()


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__()
        self.verified = 0

    def verify(self, hash, password) -> bool:
        self.verified += 1
        return super().verify(hash, password)


def test_failed_logins_are_limited_per_address_and_per_email(built):
    hasher = CountingHasher()
    limited = Accounts(built.users, built.api_tokens, built.rate_limits, Rate(3, 900), hasher)
    client = create_app(dataclasses.replace(built, accounts=limited)).server.test_client()
    limited.register(EMAIL, PASSWORD)
    here = {"environ_base": {"REMOTE_ADDR": "203.0.113.5"}}
    for _ in range(3):
        assert log_in(client, password="wrong password", **here).status_code == 401
    hasher.verified = 0
    refused = log_in(client, **here)  # the right password, but the window is full
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 900
    assert "too many failed logins" in refused.get_data(as_text=True) and hasher.verified == 0
    elsewhere = {"environ_base": {"REMOTE_ADDR": "198.51.100.9"}}
    assert log_in(client, email=EMAIL.upper(), **elsewhere).status_code == 429  # the email's window is full
    assert log_in(client, email="other@example.com", password="wrong password", **elsewhere).status_code == 401
    api = client.post(f"{PREFIX}/auth/token", json={"email": EMAIL, "password": PASSWORD}, **elsewhere)
    assert api.status_code == 429 and int(api.headers["Retry-After"]) >= 1
    assert api.get_json()["error"].startswith("too many failed logins; try again in ")
    assert hasher.verified == 1  # only other@example.com's password was checked
    with pytest.raises(TooManyAttempts):
        limited.authenticate(EMAIL, PASSWORD, "192.0.2.1")


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_creates_a_user_and_resets_the_password(built, database_url, redis_server, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", redis_server)
    runner = CliRunner()
    made = runner.invoke(main, ["users", "create", EMAIL, "--password-stdin"], input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    user = built.users.by_email(EMAIL)
    assert made.output == f"created user {user.id} ({STORED_EMAIL})\n"
    again = runner.invoke(main, ["users", "create", EMAIL.upper(), "--password-stdin"], input=PASSWORD + "\n")
    assert again.exit_code == 1 and "already has an account" in again.output
    short = runner.invoke(main, ["users", "create", "x@example.com", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    prompted = runner.invoke(main, ["users", "reset-password", EMAIL], input="brand new secret\nbrand new secret\n")
    assert prompted.exit_code == 0, prompted.output
    assert built.accounts.authenticate(EMAIL, "brand new secret", "192.0.2.7").id == user.id
    assert built.users.get(user.id).credentials_changed_at > user.credentials_changed_at
    unknown = runner.invoke(main, ["users", "reset-password", "no@example.com", "--password-stdin"], input="x" * 12)
    assert unknown.exit_code == 1 and "no account with email" in unknown.output


# --- API ---------------------------------------------------------------------------------------


def test_api_register_token_and_bearer(site, built, redis_client):
    _, client = site
    made = client.post(f"{PREFIX}/auth/register", json={"email": EMAIL, "password": PASSWORD})
    assert made.status_code == 201
    user = built.users.by_email(EMAIL)
    assert made.get_json() == {"id": user.id, "email": STORED_EMAIL}
    assert client.post(f"{PREFIX}/auth/register", json={"email": EMAIL, "password": PASSWORD}).status_code == 409
    short = client.post(f"{PREFIX}/auth/register", json={"email": "c@example.com", "password": "short"})
    assert short.get_json() == {"error": "password: at least 10 characters"} and short.status_code == 400
    extra = client.post(f"{PREFIX}/auth/register", json={"email": "c@example.com", "password": PASSWORD, "admin": 1})
    assert extra.status_code == 400 and extra.get_json()["error"].startswith("admin: ")
    assert client.post(f"{PREFIX}/auth/register", data="nope").status_code == 400

    wrong = client.post(f"{PREFIX}/auth/token", json={"email": EMAIL, "password": "not it at all"})
    assert wrong.status_code == 401 and wrong.get_json() == {"error": "wrong email or password"}
    issued = client.post(f"{PREFIX}/auth/token", json={"email": EMAIL, "password": PASSWORD, "name": "script"})
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    token = issued.get_json()["token"]
    assert "Set-Cookie" not in issued.headers

    bearer = client.get(f"{PREFIX}/sources", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200 and "Set-Cookie" not in bearer.headers
    assert redis_client.exists(rate_limit_key("user", str(user.id), "api"))
    assert bearer.headers["RateLimit-Remaining"] == "119"
    for header, reason in (
        (f"Bearer {token}x", "the token is unknown or revoked"),
        ("Bearer cc_nope", "the token is unknown or revoked"),
        (f"Basic {token}", "give 'Bearer <token>'"),
    ):
        refused = client.get(f"{PREFIX}/sources", headers={"Authorization": header})
        assert refused.status_code == 401 and reason in refused.get_json()["error"]
        assert refused.headers["WWW-Authenticate"] == 'Bearer realm="cardcharts", error="invalid_token"'
    record = built.accounts.tokens_of(user.id)[0]
    built.accounts.revoke_token(user.id, record.id)
    revoked = client.get(f"{PREFIX}/sources", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401


def test_the_openapi_document_names_the_account_endpoints(site):
    _, client = site
    doc = client.get(f"{PREFIX}/openapi.json").get_json()
    validate_openapi(doc)
    assert {f"{PREFIX}/auth/register", f"{PREFIX}/auth/token"} <= set(doc["paths"])
    token = doc["paths"][f"{PREFIX}/auth/token"]["post"]
    assert set(token["responses"]) >= {"200", "400", "401", "429"}
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


# --- /ws ---------------------------------------------------------------------------------------


def ask(socket, message) -> dict:
    socket.send(json.dumps(message))
    return json.loads(socket.recv(timeout=5))


def test_an_api_token_opens_its_users_alerts_channel(built, database_url, redis_server):
    ada = built.accounts.register(EMAIL, PASSWORD)
    issued = built.accounts.issue_token(ada.id)
    old_jwt = tokens.issue(SECRET, ada.id, timedelta(days=1))
    with web_server(database_url, redis_server, SECRET) as address, connect(f"ws://{address}/ws") as ws:
        assert ask(ws, {"action": "subscribe", "channel": "alerts", "token": issued.token}) == {
            "type": "subscribed",
            "channel": "alerts",
        }
        built.publisher.alert(ada.id, {"card_id": 1, "price": "9.99"})
        assert json.loads(ws.recv(timeout=5)) == {"type": "price_alert", "data": {"card_id": 1, "price": "9.99"}}
        refused = ask(ws, {"action": "subscribe", "channel": "alerts", "token": issued.token[:-1]})
        assert refused == {"type": "error", "error": "alerts refused: unknown or revoked API token"}
        assert ask(ws, {"action": "subscribe", "channel": "alerts", "token": old_jwt})["type"] == "subscribed"
        time.sleep(1.1)  # a JWT's issue time is in whole seconds
        built.accounts.reset_password(EMAIL, "a new password!")
        stale = ask(ws, {"action": "subscribe", "channel": "alerts", "token": old_jwt})
        assert stale == {"type": "error", "error": "alerts refused: the token predates a password change"}
        fresh = tokens.issue(SECRET, ada.id, timedelta(days=1))
        assert ask(ws, {"action": "subscribe", "channel": "alerts", "token": fresh})["type"] == "subscribed"
