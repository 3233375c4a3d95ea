"""The OpenAPI 3 document and query validation, both from app/api/schemas.py and app/api/payloads.py.

spectree (pydantic-based, for plain Flask blueprints) validates each request's query against its
model before the route runs, and builds the document from the routes it decorates. Two things are
ours: a refused query answers 400 with {"error": "..."} naming the parameter (spectree's own body
is a list of pydantic errors, with status 422), and routes' answers are passed through untouched,
since they are finished responses already (ETag, CSV), checked against the models by the tests."""

from __future__ import annotations

from typing import Any

from flask import Response
from pydantic import ValidationError
from spectree import SpecTree
from spectree.plugins.flask_plugin import FlaskPlugin

from app.api.payloads import ErrorBody
from app.api.responses import error

TITLE = "CardCharts API"
VERSION = "1"
DESCRIPTION = (
    "Read-only prices of Magic: The Gathering printings, from the same use cases as the pages, so an"
    " answer holds exactly the numbers a page shows. Prices are exact decimals written as text, times"
    " ISO 8601 in UTC. `format=csv` gives a table of the same numbers where the endpoint has one. Every"
    " answer has a strong ETag (send If-None-Match for a 304) and may be kept 60 seconds. Errors are"
    ' {"error": "..."} with a 4xx status.'
)


def message(exc: ValidationError) -> str:
    """The first refusal, as 'parameter: what is wrong' (the page's own message where it has one)."""
    first = exc.errors(include_url=False)[0]
    cause = first.get("ctx", {}).get("error")
    text = str(cause) if first["type"] == "value_error" and cause is not None else first["msg"]
    text = text[:1].lower() + text[1:]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {text}" if where else text


def _refuse(_request: Any, response: Response | None, exc: Exception | None, *_: Any) -> None:
    """spectree's `before` hook: rewrite its 422 list of errors into our 400 {"error": ...}."""
    if exc is not None and response is not None and isinstance(exc, ValidationError):
        refusal = error(400, message(exc))
        response.status_code = refusal.status_code
        response.set_data(refusal.get_data())


class _Plugin(FlaskPlugin):
    """Flask's plugin, but a route's answer is sent as the route made it (spectree would rebuild it)."""

    def validate_response(self, resp: Any, resp_model: Any, skip_validation: bool, force_resp_serialize: bool):
        return resp, None


def make_spec() -> SpecTree:
    return SpecTree(
        backend=_Plugin,
        mode="strict",  # only the routes decorated here: never Dash's own
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        page_templates={},  # no documentation pages: theirs load scripts from CDNs
        before=_refuse,
        validation_error_status=400,
        validation_error_model=ErrorBody,
        naming_strategy=lambda model: model.__name__,  # the document's schemas by their plain names
        nested_naming_strategy=lambda _parent, child: child,
    )


def document(spec: SpecTree, path_schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The OpenAPI document, with CSV named as the second form of each 200 that has `format=csv`, and
    `path_schemas` for path parameters (spectree names every one a string; the routes parse them)."""
    doc = spec.spec
    for path in doc["paths"].values():
        for operation in path.values():
            for parameter in operation["parameters"]:
                if parameter["in"] == "path" and parameter["name"] in path_schemas:
                    parameter["schema"] = path_schemas[parameter["name"]]
            takes_csv = any(
                parameter["name"] == "format" and "csv" in parameter["schema"].get("enum", ())
                for parameter in operation["parameters"]
            )
            ok = operation["responses"].get("200", {})
            if takes_csv and "content" in ok:
                ok["content"]["text/csv"] = {"schema": {"type": "string", "description": "A header row, then rows."}}
    return doc
