"""The floor under bench/pages.py: how soon a Dash page can show a chart on this machine at all.

    python bench/page_floor.py [--runs 3]

Serves two minimal Dash apps (no data, no callbacks: a 365-point line already in the layout, plotly.js's
basic bundle answered at dcc.Graph's URL as in production, served uncompressed from localhost) and
measures, as bench/pages.py does (same Chromium, same first-chart probe, cold and warm browser cache):
- "Dash alone": html.Div + dcc.Graph;
- "Dash + Mantine + AG Grid": the same graph inside dmc.MantineProvider, with dash-ag-grid registered,
  the component libraries every CardCharts page is built with.
Whatever CardCharts' pages take beyond the second line is ours to cut; the second line itself is not,
short of replacing the component libraries.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dash
import plotly.graph_objects as go
from dash import dcc, html
from flask import request, send_file
from werkzeug.serving import make_server

from app.compression import PLOTLY_URL
from bench.pages import browser, load

VENDOR = Path(__file__).resolve().parent.parent / "app" / "vendor" / "plotly-basic.min.js"


def minimal_app(mantine: bool) -> dash.Dash:
    app = dash.Dash(__name__, serve_locally=True)
    figure = go.Figure(go.Scatter(x=list(range(365)), y=[i % 17 for i in range(365)], mode="lines"))
    graph = dcc.Graph(figure=figure, config={"displaylogo": False})
    if mantine:
        import dash_ag_grid  # noqa: F401  (registered, as on every CardCharts page)
        import dash_mantine_components as dmc

        app.layout = dmc.MantineProvider(html.Div([graph]))
    else:
        app.layout = html.Div([graph])

    @app.server.before_request
    def basic_plotly():
        if request.path == "/" + PLOTLY_URL:
            return send_file(VENDOR, mimetype="application/javascript", max_age=0)
        return None

    return app


def measure(app: dash.Dash, runs: int) -> tuple[float, float]:
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"
    driver = browser()
    try:
        load(driver, url, cold=True)  # the server's first answers are not the browser's to pay
        cold = [load(driver, url, cold=True)[0] for _ in range(runs)]
        warm = []
        for _ in range(runs):
            load(driver, url, cold=True)
            warm.append(load(driver, url, cold=False)[0])
        return statistics.median(cold), statistics.median(warm)
    finally:
        driver.quit()
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="loads per app and cache state (the median is shown)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    print(f"time to the first chart with data, median of {args.runs} loads, Chromium headless 1440x900")
    print(f"  {'app':<28} {'cold s':>7} {'warm s':>7}")
    for label, mantine in (("Dash alone", False), ("Dash + Mantine + AG Grid", True)):
        cold, warm = measure(minimal_app(mantine), args.runs)
        print(f"  {label:<28} {cold:>7.2f} {warm:>7.2f}")


if __name__ == "__main__":
    main()
