"""The shape of a Dash callback request (POST /_dash-update-component), checked before Dash reads it.

Dash indexes into the body as its renderer builds it: `[]`, a missing key, a count that does
not match the callback, an unknown output or a clientside one each end in a KeyError,
IndexError or TypeError deep inside Dash (a 500 with a traceback). What passes here is a body
Dash can dispatch; what the values mean is for each page's callbacks to judge.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Dash's own page router (use_pages) reads these as text; any other type is a 500 inside Dash.
ROUTER_TEXT = frozenset({("_pages_location", "pathname"), ("_pages_location", "search")})
# Dash bodies nest a value about 3 levels down (body, inputs, item); the deepest values our
# pages send back (grid rows, search options) add 3 more. Anything far deeper is not ours.
MAX_DEPTH = 32

_CONTAINERS = (dict, list)


class MalformedCallback(ValueError):
    """A callback request Dash cannot dispatch, with a message fit for the client."""


def check_text(raw: bytes) -> None:
    """Raise MalformedCallback for a body that is not UTF-8 or sends a NUL character (the database
    cannot store one). Any escaped NUL in the text counts, even one after an escaped backslash (the
    text backslash-u0000, which no one types): a search for it runs at C speed, a precise one would not."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedCallback("the body must be UTF-8") from None
    if b"\\u0000" in raw:
        raise MalformedCallback("text must not contain NUL characters")


def check_callback_body(body: Any, callbacks: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise MalformedCallback unless `body` (parsed, its text passed by check_text) is a request for
    one of `callbacks` (Dash's callback_map). Of the values, only their depth and text are checked."""
    if not isinstance(body, dict):
        raise MalformedCallback("the body must be a JSON object")
    output = body.get("output")
    if not isinstance(output, str):
        raise MalformedCallback("'output' must be a string")
    callback = callbacks.get(output)
    if callback is None or "callback" not in callback:
        raise MalformedCallback("no server callback has this output")
    for key in ("inputs", "state"):
        _dependencies(body.get(key, []), callback.get(key, []), key)
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(prop, str) for prop in changed):
        raise MalformedCallback("'changedPropIds' must be a list of strings")
    if not callback.get("no_output"):
        _outputs(body.get("outputs"), output)
    _within_depth(body)
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # JSON's \ud800 escape decodes to a lone surrogate, which no database stores
        raise MalformedCallback("text must be valid Unicode (a lone surrogate was sent)") from None


def _within_depth(body: dict) -> None:
    """Level by level, keeping only containers: about as fast as parsing, whatever the body holds."""
    level: list = [body]
    for _ in range(MAX_DEPTH):
        level = [
            child
            for item in level
            for child in (item.values() if type(item) is dict else item)
            if type(child) in _CONTAINERS
        ]
        if not level:
            return
    raise MalformedCallback(f"the body nests deeper than {MAX_DEPTH} levels")


def _dependencies(sent: Any, expected: list[dict], key: str) -> None:
    """inputs / state: one entry per declared dependency, each naming it (a list of them for wildcards)."""
    if not isinstance(sent, list) or len(sent) != len(expected):
        raise MalformedCallback(f"'{key}' must list the callback's {len(expected)} {key}")
    for item, declared in zip(sent, expected, strict=True):
        # A pattern-matching dependency (callback_map holds its id as JSON text): any number of matches.
        if isinstance(declared["id"], dict) or str(declared["id"]).startswith("{"):
            entries = item if isinstance(item, list) else [item]
            for entry in entries:
                _dependency(entry, key)
        else:
            _dependency(item, key)
            if item["id"] != declared["id"] or item["property"] != declared["property"]:
                raise MalformedCallback(f"'{key}' do not match the callback's declaration")
            if (item["id"], item["property"]) in ROUTER_TEXT:
                _router_text(item)


def _router_text(item: dict) -> None:
    value = item.get("value")
    if not isinstance(value, str | None):
        raise MalformedCallback(f"{item['id']}.{item['property']} must be text")
    # A browser's location.pathname always starts with "/" (dcc.Location reports it once mounted, before
    # the router, which skips its initial call, can run); Dash's router answers anything else with a 500
    # (no pathname at all: once a page has a path template, as the embeds do).
    if item["property"] == "pathname" and (value is None or not value.startswith("/")):
        raise MalformedCallback("_pages_location.pathname must start with '/'")


def _outputs(sent: Any, output: str) -> None:
    """outputs: the callback's own outputs, in order (a list of them when it has several)."""
    several = output.startswith("..")
    declared = [part.rsplit(".", 1) for part in (output[2:-2].split("...") if several else [output])]
    if several and not (isinstance(sent, list) and len(sent) == len(declared)):
        raise MalformedCallback(f"'outputs' must list the callback's {len(declared)} outputs")
    for item, (component, prop) in zip(sent if several else [sent], declared, strict=True):
        if component.startswith("{"):  # a pattern-matching output: the components it matched
            for entry in item if isinstance(item, list) else [item]:
                _dependency(entry, "outputs")
        else:
            _dependency(item, "outputs")
            # allow_duplicate outputs carry an "@<hash>" suffix on their property
            if item["id"] != component or item["property"].split("@")[0] != prop.split("@")[0]:
                raise MalformedCallback("'outputs' do not match the callback's declaration")


def _dependency(entry: Any, key: str) -> None:
    """{"id": "component-id" or {"key": scalar, ...}, "property": "name", "value": ...}."""
    if not isinstance(entry, dict) or not isinstance(entry.get("property"), str):
        raise MalformedCallback(f"each of '{key}' must be an object with an 'id' and a 'property'")
    component = entry.get("id")
    if isinstance(component, dict):
        if not component or not all(isinstance(part, str | int | float | bool) for part in component.values()):
            raise MalformedCallback(f"a pattern id in '{key}' must map names to strings or numbers")
    elif not isinstance(component, str):
        raise MalformedCallback(f"each of '{key}' must name a component 'id'")
