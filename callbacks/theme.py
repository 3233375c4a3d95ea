"""Light and dark: the switch writes the scheme, the provider and charts follow."""

from __future__ import annotations

from dash import Dash, Input, Output, State


def register(app: Dash) -> None:
    app.clientside_callback(
        "(dark) => dark ? 'dark' : 'light'",
        Output("color-scheme", "data"),
        Input("color-scheme-switch", "checked"),
        prevent_initial_call=True,
    )
    # The grids' default theme follows the data-ag-theme-mode attribute of an ancestor.
    app.clientside_callback(
        """(scheme) => {
            document.body.dataset.agThemeMode = scheme === 'dark' ? 'dark' : 'light';
            return [scheme || 'light', scheme === 'dark'];
        }""",
        Output("mantine-provider", "forceColorScheme"),
        Output("color-scheme-switch", "checked"),
        Input("color-scheme", "data"),
        State("color-scheme-switch", "checked"),
    )
