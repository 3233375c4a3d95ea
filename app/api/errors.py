"""Every refusal under /api/v1 is JSON {"error": "..."}: unknown paths and methods included, which no
route of ours would otherwise see (Dash's catch-all page would answer them with HTML)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.api.responses import PREFIX, ApiError, error
from app.logs import Throttle
from data.domain import NotFound

log = logging.getLogger(__name__)
_outage = Throttle(log, limit=1, period=60.0)  # one traceback a minute in an outage; a line per request else
# Methods the catch-all takes, so that one sent to a real endpoint reaches it and is named a 405.
CATCH_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
UNKNOWN = f"no such endpoint; the endpoints are listed in {PREFIX}/openapi.json"


def unknown_route(rest: str = "") -> Response:
    """404 for a path no endpoint has; 405 (with Allow) for an endpoint's path asked with another method."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        rule, _ = adapter.match(request.path, method="GET", return_rule=True)
    except HTTPException:
        rule = None
    if rule is None or rule.endpoint == request.endpoint:
        return error(404, UNKNOWN)
    allowed = ", ".join(sorted(rule.methods or ()))
    response = error(405, f"{request.method} is not allowed here; this endpoint takes {allowed}")
    response.headers["Allow"] = allowed
    return response


def install(api: Blueprint) -> None:
    """The catch-all routes and the error handlers of the API's blueprint."""
    for rule in ("", "/", "/<path:rest>"):
        api.add_url_rule(rule, "unknown", unknown_route, methods=CATCH_ALL_METHODS, strict_slashes=False)

    @api.errorhandler(ApiError)
    def refused(exc: ApiError) -> Response:
        return error(exc.status, exc.message)

    @api.errorhandler(NotFound)
    def not_found(exc: NotFound) -> Response:
        return error(404, str(exc))

    @api.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return error(exc.code or 400, exc.description or exc.name)

    @api.errorhandler(SQLAlchemyError)
    def database_down(exc: SQLAlchemyError) -> Response:
        if not _outage.log(logging.ERROR, "api %s: database error", request.path, exc_info=exc):
            log.warning("api %s: database error: %s", request.path, type(exc).__name__)
        return error(503, "the price database is unreachable or too slow; retry shortly")
