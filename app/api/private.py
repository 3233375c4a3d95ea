"""The per-user part of /api/v1 (a user's collection, portfolio, alerts and card refreshes): a blueprint
nested in the API's, so the API's Bearer resolution, JSON errors, catch-all and CORS apply to its routes
unchanged. On top, each route needs a user (401 with the Bearer challenge otherwise), and each answer
varies by the token (`Vary: Authorization`) so that no cache hands one user's answer to another. Its
routes are added by app/api/routes.py, each documented as requiring app/api/auth.py's `BEARER`."""

from __future__ import annotations

from flask import Blueprint, Response, g

from app.api.auth import unauthorized

NEEDS_TOKEN = "Authorization: this endpoint needs 'Bearer <token>', with an API token from /api/v1/auth/token"


def blueprint() -> Blueprint:
    """The per-user blueprint, with no routes yet (add them before nesting it in the API's)."""
    private = Blueprint("private", __name__)

    @private.before_request
    def needs_a_user() -> Response | None:
        return None if g.get("user_id") is not None else unauthorized(NEEDS_TOKEN)

    @private.after_request
    def per_token(response: Response) -> Response:
        response.vary.add("Authorization")
        return response

    return private
