"""Unknown paths: a real 404 status, with the shell and a "Page not found" page.

Dash serves its index page (200) for any path, and its pages machinery draws a not-found
layout in the browser. Here that layout is ours (the page registered as "not_found_404", which
Dash uses for paths no page has), and the index response for such a path gets status 404.
Every route that is not Dash's catch-all (callbacks, assets, component suites, /ws, /healthz,
/readyz, /_favicon.ico, /_reload-hash) is left as it is: only the catch-all's pages are judged."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import html
from dash._pages import _path_to_page
from flask import Response, request

from layouts.live import live_channels
from layouts.shell import NAVIGATION

CATCH_ALL = "<path:path>"


def layout(**_ignored: str) -> html.Div:
    return html.Div(
        [
            live_channels(),  # follows nothing: the live badge says idle
            dmc.Title("Page not found", order=2),
            dmc.Text("There is no page at this address.", mt="sm"),
            dmc.Group(
                [
                    dmc.Anchor("Home (market)" if href == "/" else f"{label} page", href=href)
                    for label, href in NAVIGATION
                ],
                gap="lg",
                mt="md",
            ),
        ]
    )


def is_page(app: dash.Dash, path: str) -> bool:
    """Whether a registered page (other than the not-found one) answers `path`."""
    page, _ = _path_to_page(app.strip_relative_path(path) or "")  # Dash's own matcher, as its pages use
    return bool(page) and page.get("module") != "not_found_404"


def register(app: dash.Dash) -> None:
    dash.register_page(
        "not_found_404",
        path="/404",
        name="Not found",
        title="Page not found · CardCharts",
        description="There is no page at this address.",
        layout=layout,
    )
    catch_all = app.config.routes_pathname_prefix + CATCH_ALL

    @app.server.after_request
    def not_found_status(response: Response) -> Response:
        served_index = request.url_rule is not None and request.url_rule.rule == catch_all
        if served_index and response.status_code == 200 and not is_page(app, request.path):
            response.status_code = 404
        return response
