"""Posting to a Dash app's callbacks the way its renderer does, without a browser.

The shapes come from the app's own /_dash-dependencies, so a test (or the fuzz
benchmark) names a callback by one of its outputs and gives input values; the
body is built as dash-renderer builds it: `output` (the "..a.b...c.d.." string for
several outputs), `outputs`, `inputs` and `state` with their values, and the
`changedPropIds` that triggered it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

UPDATE = "/_dash-update-component"
PAGES = "_pages_content.children"  # the output of Dash pages' router callback


def _split(output: str) -> list[tuple[str, str]]:
    """'a.b' or '..a.b...c.d..' -> [(id, property), ...] (a property may carry an '@hash')."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [tuple(part.rsplit(".", 1)) for part in parts]  # type: ignore[misc]


@dataclass(frozen=True)
class Callback:
    output: str
    outputs: list[tuple[str, str]]
    inputs: list[tuple[str, str]]
    state: list[tuple[str, str]]

    @property
    def arguments(self) -> list[tuple[str, str]]:
        return self.inputs + self.state

    def body(self, values: dict[tuple[str, str], Any], changed: list[tuple[str, str]] | None = None) -> dict:
        """The request body; an argument missing from `values` is sent as None (as for a
        component that never set it). `changed` defaults to every input."""

        def listed(pairs: list[tuple[str, str]], with_values: bool) -> list[dict[str, Any]]:
            return [
                {"id": id_, "property": prop, **({"value": values.get((id_, prop))} if with_values else {})}
                for id_, prop in pairs
            ]

        outputs = listed(self.outputs, False)
        return {
            "output": self.output,
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": listed(self.inputs, True),
            "state": listed(self.state, True),
            "changedPropIds": [f"{id_}.{prop}" for id_, prop in (self.inputs if changed is None else changed)],
        }


class DashRequests:
    """The server-side callbacks of a Dash app behind a Flask test client."""

    def __init__(self, client: Any) -> None:
        self.client = client
        dependencies = client.get("/_dash-dependencies").json
        self.callbacks = [
            Callback(
                output=d["output"],
                outputs=_split(d["output"]),
                inputs=[(i["id"], i["property"]) for i in d["inputs"]],
                state=[(s["id"], s["property"]) for s in d["state"]],
            )
            for d in dependencies
            if not d.get("clientside_function")
        ]

    def by_output(self, output: str) -> Callback:
        """The callback that writes `id.property`."""
        wanted = tuple(output.rsplit(".", 1))
        return next(c for c in self.callbacks if wanted in c.outputs)

    def post(
        self,
        callback: Callback | str,
        values: dict[tuple[str, str], Any],
        changed: list[tuple[str, str]] | None = None,
    ) -> Any:
        """POST the callback with these values; JSON sent as Python's json writes it (NaN included)."""
        if isinstance(callback, str):
            callback = self.by_output(callback)
        payload = json.dumps(callback.body(values, changed), allow_nan=True)
        return self.client.post(UPDATE, data=payload, content_type="application/json")

    def page(self, pathname: str, search: str = "") -> Any:
        """Render a page for a URL as the renderer asks for it: the router callback with the location."""
        return self.post(PAGES, {("_pages_location", "pathname"): pathname, ("_pages_location", "search"): search})

    @staticmethod
    def outputs(response: Any) -> dict[str, dict[str, Any]]:
        """A 200 answer's outputs by component id: {id: {property: value}}."""
        return json.loads(response.get_data(as_text=True))["response"]
