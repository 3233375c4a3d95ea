"""Keeping a page's filters in its URL (the page's layout reads them back on open)."""

from __future__ import annotations

import json

from dash import Dash, Input, Output


def keep_in_url(app: Dash, params: dict[str, tuple[str, str]], required: tuple[str, ...] = ()) -> None:
    """Push `?name=value&…` for these (component id, property) pairs whenever one changes."""
    names = json.dumps(list(params))
    first_id = next(iter(params.values()))[0]
    app.clientside_callback(
        f"(...values) => window.cardcharts.pushQuery({names}, values, {json.dumps(list(required))})",
        Output(first_id, "id"),  # a no-op output: the work is the history entry
        *[Input(component, prop) for component, prop in params.values()],
        prevent_initial_call=True,
    )


def inputs(params: dict[str, tuple[str, str]]) -> list[Input]:
    return [Input(component, prop) for component, prop in params.values()]
