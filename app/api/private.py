"""The per-user part of /api/v1: a user's collection, portfolio, alerts and card refreshes.

Its routes sit on a blueprint nested in the API's, so the API's Bearer resolution, JSON errors,
catch-all and CORS apply to them unchanged; on top, each needs a user (401 with the Bearer challenge
otherwise), and each answer varies by the token (`Vary: Authorization`) so that no cache hands one
user's answer to another. An id in the path that is not one of the user's (another user's, a
missing one, one no column can hold) is the same 404.

Its routes are documented by their own spectree instance; `document` adds them to the API's
OpenAPI document, each naming the Bearer scheme it requires."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, g
from spectree import SpecTree

from app.api import alerts, collection, refresh
from app.api.auth import unauthorized
from app.api.ids import ID_SCHEMA
from app.api.openapi import document as with_path_schemas
from app.api.openapi import make_spec
from app.api.responses import json_body
from app.bootstrap import Services

NEEDS_TOKEN = "Authorization: this endpoint needs 'Bearer <token>', with an API token from /api/v1/auth/token"
PATH_IDS = {"card_id": ID_SCHEMA, "lot_id": ID_SCHEMA, "alert_id": ID_SCHEMA}


def blueprint(services: Services) -> tuple[Blueprint, SpecTree]:
    """The per-user routes (to nest in the API's blueprint), and the spectree instance documenting them."""
    private = Blueprint("private", __name__)
    spec = make_spec()

    @private.before_request
    def needs_a_user() -> Response | None:
        return None if g.get("user_id") is not None else unauthorized(NEEDS_TOKEN)

    @private.after_request
    def per_token(response: Response) -> Response:
        response.vary.add("Authorization")
        return response

    collection.add_routes(private, spec, services)
    alerts.add_routes(private, spec, services)
    refresh.add_routes(private, spec, services)
    return private, spec


def document(server: Flask, spec: SpecTree) -> None:
    """Serve the API's OpenAPI document with the per-user routes added (call after the API is registered)."""
    endpoint = "api.openapi"
    base = server.view_functions[endpoint]

    def openapi() -> Response:
        response = base()
        if response.status_code != 200:
            return response
        return json_body(merged(response.get_json(), with_path_schemas(spec, PATH_IDS)))

    server.view_functions[endpoint] = openapi


def merged(doc: dict[str, Any], private: dict[str, Any]) -> dict[str, Any]:
    """`doc` with `private`'s paths (each requiring the Bearer scheme), schemas and tags."""
    for path, operations in private["paths"].items():
        for operation in operations.values():
            operation["security"] = [{"bearer": []}]
        doc["paths"][path] = operations
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(private.get("components", {}).get("schemas", {}))
    known = {tag["name"] for tag in doc.get("tags", [])}
    doc.setdefault("tags", []).extend(tag for tag in private.get("tags", []) if tag["name"] not in known)
    return doc
