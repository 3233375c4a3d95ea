"""/register, /login, /logout and /account: server-rendered forms that work without JavaScript.

Each route turns a form into one call of the accounts use case. Every form carries its CSRF token
(app/accounts/sessions.py checks it before the route runs)."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from app.accounts import sessions
from app.bootstrap import Services
from app.rate_limits import client_ip
from callbacks import theme
from data.domain import NotFound
from data.use_cases.accounts import AccountError, InvalidCredentials, TooManyAttempts
from layouts.shell import NAVIGATION

# Pages that hold a token once, or a form's answer: never kept by a browser or a proxy.
PATHS = ("/login", "/register", "/logout", "/account")


def page(template: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("user", sessions.current_user())
    html = render_template(f"accounts/{template}", scheme=theme.requested_scheme(), navigation=NAVIGATION, **context)
    return Response(html, status=status, mimetype="text/html")


def render_error(message: str, status: int, title: str = "Refused") -> Response:
    return page("message.html", status, title=title, message=message, back=request.path)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of ours only (never //host or a URL: no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) and target.isprintable():
        return target
    return "/account"


def blueprint(services: Services) -> Blueprint:
    accounts = services.accounts
    trusted = services.settings.trusted_proxy_networks
    pages = Blueprint(
        "accounts",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/accounts-static",
    )

    def client() -> str:
        return client_ip(request.remote_addr, request.headers.getlist("X-Forwarded-For"), trusted)

    def credentials(registering: bool, status: int = 200, error: str | None = None) -> Response:
        title = "Register" if registering else "Log in"
        action = url_for("accounts.register" if registering else "accounts.login")
        return page(
            "credentials.html",
            status,
            title=title,
            action=action,
            registering=registering,
            error=error,
            email=request.form.get("email", ""),
            next=safe_next(request.values.get("next")) if request.values.get("next") else "",
        )

    @pages.get("/register")
    def register():
        return credentials(True)

    @pages.post("/register")
    def register_post():
        try:
            user = accounts.register(request.form.get("email", ""), request.form.get("password", ""))
        except AccountError as exc:
            return credentials(True, 400, str(exc))
        sessions.sign_in(user)
        return redirect(url_for("accounts.account"), 303)

    @pages.get("/login")
    def login():
        return credentials(False)

    @pages.post("/login")
    def login_post():
        try:
            user = accounts.authenticate(request.form.get("email", ""), request.form.get("password", ""), client())
        except TooManyAttempts as exc:
            response = credentials(False, 429, str(exc))
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except InvalidCredentials as exc:
            return credentials(False, 401, str(exc))
        sessions.sign_in(user)
        return redirect(safe_next(request.form.get("next")), 303)

    @pages.post("/logout")
    def logout():
        response = redirect("/", 303)
        sessions.sign_out(response)
        return response

    def signed_in():
        user = sessions.current_user()
        return user, (None if user else redirect(url_for("accounts.login", next=request.path), 303))

    def account_page(user, status: int = 200, **context: Any) -> Response:
        return page("account.html", status, user=user, tokens=accounts.tokens_of(user.id), **context)

    @pages.get("/account")
    def account():
        user, away = signed_in()
        return away or account_page(user)

    @pages.post("/account/tokens")
    def create_token():
        user, away = signed_in()
        if away:
            return away
        try:
            issued = accounts.issue_token(user.id, request.form.get("name", ""))
        except AccountError as exc:
            return account_page(user, 400, error=str(exc))
        return account_page(user, issued=issued)

    @pages.post("/account/tokens/<int:token_id>/delete")
    def delete_token(token_id: int):
        user, away = signed_in()
        if away:
            return away
        try:
            accounts.revoke_token(user.id, token_id)
        except NotFound as exc:
            return account_page(user, 404, error=str(exc))
        return redirect(url_for("accounts.account"), 303)

    @pages.post("/account/password")
    def change_password():
        user, away = signed_in()
        if away:
            return away
        new = request.form.get("new", "")
        if new != request.form.get("confirm", ""):
            return account_page(user, 400, error="new password: the two entries differ")
        try:
            stamp = accounts.change_password(user.id, request.form.get("current", ""), new)
        except AccountError as exc:
            return account_page(user, 400, error=str(exc))
        user = dataclasses.replace(user, credentials_changed_at=stamp)
        sessions.sign_in(user)  # this session, re-stamped under a new id; the others are void
        return account_page(user, notice="Password changed. Every other browser signed in as you is signed out.")

    return pages
