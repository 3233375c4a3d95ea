"""Callbacks of the chart controls that layouts/filters.py shares: the log-scale switch and
the button to the nearest range with data."""

from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State, no_update

from callbacks import params
from callbacks.figures import SCALES
from data.domain import RANGES


def chart_scale(value: Any) -> str:
    """The chart's y scale: "linear" when nothing set one (a store not yet written), else one of SCALES."""
    return "linear" if value is None else params.choice("scale", value, SCALES)


def follow_scale_switch(app: Dash, store_id: str) -> None:
    """The switch `<store_id>-switch` sets the store to "log" or "linear" (in the browser: no round trip)."""
    app.clientside_callback(
        "(checked) => (checked ? 'log' : 'linear')",
        Output(store_id, "data"),
        Input(f"{store_id}-switch", "checked"),
        prevent_initial_call=True,
    )


def follow_range_hint(app: Dash, range_id: str) -> None:
    """A click on a `range_hint` button sets the range control `range_id` to the range it names."""

    @app.callback(
        Output(range_id, "value"),
        Input(f"{range_id}-wider", "n_clicks"),
        State(f"{range_id}-wider-range", "data"),
        prevent_initial_call=True,
    )
    def widen(clicks, wanted):
        if not isinstance(clicks, int) or clicks < 1:
            return no_update  # the button appeared; it was not clicked
        try:
            return params.choice("range", wanted, RANGES)
        except params.BadInput:
            return no_update


def name_exports(app: Dash) -> None:
    """Each chart's camera export is named after what it shows (assets/export.js), in the browser."""
    app.clientside_callback(
        ClientsideFunction("charts", "cardExportName"),
        Output("card-history-graph", "config"),
        Input("card-header", "children"),
        Input("card-range", "value"),
        State("card-history-graph", "config"),
    )
    for graph, prefix, values in (
        ("market-index-graph", "market-index", ("market-index", "market-range")),
        ("market-volume-graph", "value-by-format", ("market-currency",)),
        ("compare-graph", "compare", ("compare-range",)),
    ):
        app.clientside_callback(
            f"(_id, ...values) => window.dash_clientside.charts.exportName({prefix!r}, values.pop(), ...values)",
            Output(graph, "config"),
            Input(graph, "id"),  # fires once the chart is on the page
            *[Input(value, "value") for value in values],
            State(graph, "config"),
        )
