"""Cross-origin reads of the API: any site's script may read /api/v1, as it may read the pages.

The API serves public prices and uses no cookies, so `*` exposes nothing a script could not fetch
from its own server; it is what lets a store's page chart our numbers itself. A browser's script
sees the headers a client needs (the ETag to revalidate, the rate limit to pace itself), and its
preflight (an OPTIONS sent before a request with an Authorization or If-None-Match header) is
answered, and remembered for a day."""

from __future__ import annotations

from flask import Blueprint, Response, request

ALLOW_HEADERS = "Authorization, Content-Type, If-None-Match"
EXPOSE_HEADERS = "ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Content-Disposition"
PREFLIGHT_SECONDS = 86_400


def install(api: Blueprint) -> None:
    @api.after_request
    def cross_origin(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response.headers["Access-Control-Allow-Methods"] = response.headers.get("Allow", "GET")
            response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_SECONDS)
        return response
