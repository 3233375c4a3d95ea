"""How the API answers: JSON or CSV bodies with a strong ETag, and errors as {"error": "..."}."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, request

PREFIX = "/api/v1"
# Prices arrive in collections (every 30 minutes at the most often, TCGplayer's; 6 to 24 hours for the
# others), and the use cases' cache is invalidated as they land: a minute bounds how long a browser or
# proxy serves a body older than the database, and after it a client revalidates by its ETag for the
# cost of a 304. Longer would hide a new collection; shorter saves nothing a 304 does not.
# (The header is set by app/security.py's cache_control, which applies every path's policy.)
CACHE_CONTROL = "public, max-age=60"
# A spreadsheet runs a cell that starts like a formula; provider text (a card's name) could. Such a
# text cell gets a leading apostrophe (OWASP's advice); numbers, negative ones too, are left as they are.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class ApiError(Exception):
    """A request the API refuses: its 4xx status and the message naming what to change."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # as the JSON writes it
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def error(status: int, message: str) -> Response:
    return Response(json.dumps({"error": message}, separators=(",", ":")), status=status, mimetype="application/json")


def _conditional(response: Response) -> Response:
    """A strong ETag (the body's hash) and a 304 for a client that already holds this body."""
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    return response.make_conditional(request)


def json_body(payload: Any) -> Response:
    """Exact decimals stay strings (as the use cases give them); keys keep the use case's order."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return _conditional(Response(body, mimetype="application/json"))


def csv_body(header: Sequence[str], rows: Iterable[Sequence[Any]], name: str) -> Response:
    """A header row, then one line per row; None is an empty cell, never 0."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(cell) for cell in row] for row in rows)
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return _conditional(response)
