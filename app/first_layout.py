"""The first layout comes with its page in it.

Dash's pages machinery serves the shell with an empty page container: in the browser, its location
component then reports the URL, the router callback answers with the page's layout, and only then do
the page's components (and its chart) render, a round trip and a render after the shell's. Here the
layout request, which the page being opened sends (its Referer is that page's URL), is answered with
the page already in the container, built as the router builds it, and the location component is
given that URL, so that it reports no change and the router does not run. Navigation within the app,
back and forward still go through the router.

A Referer is a hint: a browser may send none, or only the origin. `assets/first_layout.js` checks the
page the layout was built for against the address bar (the renderer's `layout_post` hook); on any
difference it empties the container, and the router fills it as before. On a page with a chart, the
same hook has the grids drawn once the chart is (they sit below it, and building one takes as long).

The page's HTML also asks early for what the renderer would ask for late, one after the other: the
layout and the callbacks' list (fetched once the main scripts have run), plotly.js and the lazy
parts of the chart and the grid (fetched once the layout has rendered). They download while the
main scripts run, and plotly.js runs (`defer`) while the layout is still on its way.

AG Grid's main bundle is left out of the page's scripts (`LAZY_BUNDLES`): running it cost 100 to
300 ms before the first chart. `assets/lazy_bundles.js` stands in for its components and runs it
when the first grid renders. A page whose grids are drawn first asks for it at once, any
other page at low priority (prefetch), for later."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import dash
from dash import dcc, html
from dash._pages import PAGE_REGISTRY, _parse_query_string, _path_to_page
from dash.development.base_component import Component
from flask import request

from app.compression import PLOTLY_URL

log = logging.getLogger(__name__)

# Dash's own ids (dash.dash._ID_*): its router callback and title callback use them.
LOCATION, CONTENT, STORE, DUMMY = "_pages_location", "_pages_content", "_pages_store", "_pages_dummy"
NOT_FOUND = "not_found_404"
# The renderer's hook (assets/first_layout.js), named in its constructor (an inline script, hashed by app/security.py).
HOOKS = {"layout_post": "window.cardcharts.firstLayout"}


# What a page's layout loads (`loads=` in its register_page): the files each kind of component loads lazily.
CHARTS, GRIDS = "charts", "grids"
LAZY_FILES = {
    CHARTS: ["_dash-component-suites/dash/dcc/async-graph.js"],
    GRIDS: ["_dash-component-suites/dash_ag_grid/async-community.js"],
}


# Component bundles left out of every page's scripts, and their components (assets/lazy_bundles.js).
LAZY_BUNDLES = {"dash_ag_grid": ("AgGrid",)}


def ask_early(app: dash.Dash) -> None:
    """Put each page's early requests in the head of its HTML, and take the lazy bundles out of its scripts."""
    build = app.interpolate_index

    def interpolate_index(**parts: Any) -> str:
        scripts, bundles = lazy_bundles(parts["scripts"])
        parts["css"] += "\n" + early_requests(app, bundles)
        return build(**{**parts, "scripts": scripts})

    app.interpolate_index = interpolate_index


def lazy_bundles(scripts: str) -> tuple[str, dict[str, str]]:
    """The index page's script tags without the lazy bundles', and each lazy bundle's URL by namespace."""
    bundles = {}
    for namespace in LAZY_BUNDLES:
        tag = re.compile(rf'<script src="([^"]*/{namespace}/{namespace}\.v[\w.-]*\.js)"></script>\n?')
        if found := tag.search(scripts):
            bundles[namespace] = found.group(1)
            scripts = scripts[: found.start()] + scripts[found.end() :]
    return scripts, bundles


def early_requests(app: dash.Dash, bundles: dict[str, str]) -> str:
    """The head tags of the page request's HTML that start its later requests now, and name the lazy
    bundles (assets/lazy_bundles.js finds their URLs there)."""
    prefix = app.config.requests_pathname_prefix
    page, _ = _path_to_page(app.strip_relative_path(request.path) or "")
    loads = page.get("loads", ()) if page else ()
    tags = [
        f'<link rel="preload" href="{prefix}{name}" as="fetch" crossorigin>'
        for name in ("_dash-layout", "_dash-dependencies")
    ]
    if CHARTS in loads:
        tags += [f'<link rel="preload" href="{prefix}{name}" as="script">' for name in LAZY_FILES[CHARTS]]
    # Grid files are needed now only on a page whose grids are not drawn after a chart (first_layout.js);
    # elsewhere they are fetched at low priority, for later, so as not to compete with the chart.
    grids = 'rel="preload" as="script"' if GRIDS in loads and CHARTS not in loads else 'rel="prefetch"'
    if GRIDS in loads:
        tags += [f'<link {grids} href="{prefix}{name}">' for name in LAZY_FILES[GRIDS]]
    tags += [
        f'<link {grids} href="{url}" data-bundle="{namespace}" data-components="{" ".join(LAZY_BUNDLES[namespace])}">'
        for namespace, url in bundles.items()
    ]
    if CHARTS in loads:
        tags.append(f'<script defer src="{prefix}{PLOTLY_URL}"></script>')
    return "\n".join(tags)


def opened_url() -> tuple[str, str] | None:
    """The path and query string (with its '?', or '') of the page asking for the layout: the request's
    Referer, when it is a page of this site; None otherwise."""
    referrer = urlsplit(request.referrer or "")
    own = urlsplit(request.host_url)
    if (referrer.scheme, referrer.netloc) != (own.scheme, own.netloc) or not referrer.path.startswith("/"):
        return None
    return referrer.path, f"?{referrer.query}" if referrer.query else ""


def page_container(app: dash.Dash) -> Component:
    """Dash's page container, holding the page of the URL the layout is asked for when it is known."""
    opened = opened_url()
    if opened is None:
        return dash.page_container
    path, search = opened
    page, variables = _path_to_page(app.strip_relative_path(path) or "")
    if not page:
        page, variables = next(p for module, p in PAGE_REGISTRY.items() if module.endswith(NOT_FOUND)), None
    arguments = {**(variables or {}), **_parse_query_string(search)}
    try:
        content, title = _call(page["layout"], arguments), _call(page["title"], arguments)
    except Exception:  # the shell still loads, and the router tries the page again (and fails as loudly)
        log.exception("the first layout of %s failed", path)
        return dash.page_container
    return html.Div(
        [
            dcc.Location(id=LOCATION, refresh="callback-nav", pathname=path, search=search),
            html.Div(content, id=CONTENT, disable_n_clicks=True),
            dcc.Store(id=STORE, data={"title": title}),
            html.Div(id=DUMMY, disable_n_clicks=True),
        ]
    )


def _call(value: Callable[..., Any] | Any, arguments: dict[str, Any]) -> Any:
    return value(**arguments) if callable(value) else value
