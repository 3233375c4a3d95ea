"""Accounts on the API: registering, getting a token, and `Authorization: Bearer <token>`.

A Bearer token is resolved once per /api/v1 request, before the rate limit counts it, into
`flask.g.user_id`, so that an authenticated client is counted under its user's window rather than
its address's. A token the server does not know (revoked, mistyped) is a 401 with
`WWW-Authenticate: Bearer`, never a silent downgrade to anonymous; the refused request is still
counted against its address."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, g, request
from spectree import Response as Documented
from spectree import SpecTree

from app.api import payloads
from app.api.responses import PREFIX, error, json_body
from app.api.schemas import Credentials, TokenRequest
from app.bootstrap import Services
from app.rate_limits import client_ip
from data.use_cases.accounts import AccountError, Accounts, EmailTaken, InvalidCredentials, TooManyAttempts

CHALLENGE = 'Bearer realm="cardcharts"'
SECURITY_SCHEME = {"bearer": {"type": "http", "scheme": "bearer", "description": "An API token from /auth/token."}}
# The OpenAPI security requirement of a route that needs a token (the per-user ones: app/api/private.py).
BEARER = {"bearer": []}


def install(server: Flask, accounts: Accounts) -> None:
    """Resolve Bearer tokens on /api/v1 requests of `server`; install before the rate limits."""

    @server.before_request
    def resolve_bearer() -> None:
        header = request.headers.get("Authorization")
        if header is None or not (request.path == PREFIX or request.path.startswith(PREFIX + "/")):
            return
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            g.bearer_refused = "Authorization: give 'Bearer <token>' with an API token from /api/v1/auth/token"
            return
        user_id = accounts.user_for_bearer(token.strip())
        if user_id is None:
            g.bearer_refused = "Authorization: the token is unknown or revoked"
        else:
            g.user_id = user_id


def unauthorized(message: str, challenge: str = CHALLENGE) -> Response:
    response = error(401, message)
    response.headers["WWW-Authenticate"] = challenge
    return response


def add_routes(api: Blueprint, spec: SpecTree, services: Services) -> None:
    accounts = services.accounts
    trusted = services.settings.trusted_proxy_networks

    @api.before_request
    def refuse_bad_tokens() -> Response | None:
        refused = g.get("bearer_refused")
        return unauthorized(refused, f'{CHALLENGE}, error="invalid_token"') if refused else None

    @api.post("/auth/register")
    @spec.validate(
        json=Credentials,
        resp=Documented(HTTP_201=payloads.Registered, HTTP_409=(payloads.ErrorBody, "The email has an account.")),
        tags=["accounts"],
        operation_id="register",
    )
    def register(json: Credentials):
        """Create an account (then get a token from /auth/token)"""
        try:
            user = accounts.register(json.email, json.password)
        except EmailTaken as exc:
            return error(409, str(exc))
        except AccountError as exc:
            return error(400, str(exc))
        response = json_body({"id": user.id, "email": user.email})
        response.status_code = 201
        return response

    @api.post("/auth/token")
    @spec.validate(
        json=TokenRequest,
        resp=Documented(
            HTTP_200=payloads.IssuedToken,
            HTTP_401=(payloads.ErrorBody, "Wrong email or password."),
            HTTP_429=(payloads.ErrorBody, "Too many failed logins from this address or for this email."),
        ),
        tags=["accounts"],
        operation_id="issue_token",
    )
    def token(json: TokenRequest):
        """A new API token for an email and password (shown once; only its hash is kept)"""
        client = client_ip(request.remote_addr, request.headers.getlist("X-Forwarded-For"), trusted)
        try:
            user = accounts.authenticate(json.email, json.password, client)
        except TooManyAttempts as exc:
            response = error(429, str(exc))
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except InvalidCredentials as exc:
            return unauthorized(str(exc))
        try:
            issued = accounts.issue_token(user.id, json.name)
        except AccountError as exc:
            return error(400, str(exc))
        response = json_body({"token": issued.token})
        return response


def describe(doc: dict[str, Any]) -> dict[str, Any]:
    """Name the Bearer scheme in the OpenAPI document: any endpoint takes it, those with `BEARER` need it."""
    doc.setdefault("components", {}).setdefault("securitySchemes", {}).update(SECURITY_SCHEME)
    return doc
