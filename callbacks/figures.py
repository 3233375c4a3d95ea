"""Pure figure builders: plain JSON data in, a Plotly figure (as the dict Dash sends) out.

Pages, embeds and exported images all draw through these functions. Prices
arrive as exact decimal strings; they become floats only here, for drawing,
and the hover shows the exact string. No animation; a missing point is a gap,
never an interpolated value.

Figures are plain dicts, not `go.Figure`s: building a `go.Figure` copies and
validates its whole template, 30 ms of a 44 ms card chart (measured).

Plotly renders a subset of HTML (<a href>, <b>, <br>, entities) in trace names, hover
text, tick labels and titles, and reads %{...} in a hovertemplate as a variable: every
text that comes from data (card names, set codes, marketplaces, formats, currencies)
goes through `escape` before it reaches a figure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache, wraps
from typing import Any

import plotly.io as pio

from data.domain import Condition, Language

TEMPLATES = {"light": "plotly_white", "dark": "plotly_dark"}
MEMO_SIZE = 256
VARIANT_KEY = ("marketplace_id", "condition", "finish", "language")  # as assets/live.js builds it
Figure = dict[str, Any]
# Braces as numeric entities: Plotly decodes entities when it draws text, after it has
# filled in the template, so a name's "%{x}" is shown as typed instead of substituted.
_MARKUP = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "{": "&#123;", "}": "&#125;"})


def escape(text: Any) -> str:
    """Text from data as Plotly shows it literally (no markup, no template variables)."""
    return str(text).translate(_MARKUP)


@lru_cache(maxsize=len(TEMPLATES))
def _template(scheme: str) -> dict[str, Any]:
    return pio.templates[TEMPLATES.get(scheme, TEMPLATES["light"])].to_plotly_json()


def memoized(builder: Callable[..., Figure]) -> Callable[..., Figure]:
    """Figures keyed by the data they are built from: the same data (a cache hit upstream,
    a theme switched back) returns the figure built before."""

    @lru_cache(maxsize=MEMO_SIZE)
    def build(arguments: str) -> Figure:
        return builder(*json.loads(arguments))

    @wraps(builder)
    def cached(*args: Any) -> Figure:
        return build(json.dumps(args, sort_keys=True, separators=(",", ":")))

    return cached


def _number(value: str | None) -> float | None:
    return None if value is None else float(value)


def _figure(scheme: str, y_title: str, **layout: Any) -> Figure:
    """An empty figure in the scheme's template; `layout` overrides the shared settings."""
    base = {
        "template": _template(scheme),
        "margin": {"l": 56, "r": 16, "t": 24, "b": 40},
        "hovermode": "x unified",
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "xaxis": {"type": "date"},
        "legend": {"orientation": "h", "y": -0.18},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "transition": {"duration": 0},
        "uirevision": "keep-zoom",
    }
    return {"data": [], "layout": base | layout}


def _empty(figure: Figure) -> Figure:
    """No axes to suggest a scale or a period that the data does not have."""
    figure["layout"].update(
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[{"text": "No prices to chart", "showarrow": False, "font": {"size": 16}}],
    )
    return figure


def _scatter(**trace: Any) -> dict[str, Any]:
    return {"type": "scatter", "connectgaps": False, **trace}


def _around(figure: Figure, moment: str) -> None:
    """A lone instant: a day each side, or the axis zooms to a millisecond around it."""
    figure["layout"]["xaxis"] = {"type": "date", "range": [_shift(moment, -1), _shift(moment, 1)]}


@memoized
def market_index_figure(index: dict[str, Any], scheme: str = "light") -> Figure:
    """The market index: mean price per bucket, with the bucket's low-high band."""
    currency = escape(index["currency"])
    figure = _figure(scheme, f"Mean price ({currency})")
    if not index["time"]:
        return _empty(figure)
    times = index["time"]
    _band(figure, index)
    figure["data"].append(
        _scatter(
            x=times,
            y=[_number(v) for v in index["price"]],
            customdata=list(zip(index["price"], index["samples"], strict=True)),
            name=f"Market index ({index['resolution'].lower()})",
            # Markers too: a lone point (a single import, a gap on each side) stays visible.
            mode="lines+markers",
            marker={"size": 5},
            hovertemplate="%{x}<br>Mean %{customdata[0]} "
            + currency
            + "<br>%{customdata[1]} prices<extra></extra>",
        )
    )
    if len(times) == 1:
        _around(figure, times[0])
    return figure


def _shift(moment: str, days: int) -> str:
    return (datetime.fromisoformat(moment) + timedelta(days=days)).isoformat()


def series_label(series: dict[str, Any], marketplaces: dict[str, dict[str, Any]]) -> str:
    """'TCGplayer · foil · NM · en': where, which finish, which condition and language."""
    market = marketplaces.get(str(series["marketplace_id"]), {}).get("name", f"market {series['marketplace_id']}")
    condition = Condition(series["condition"]).code
    language = Language(series["language"]).code
    return f"{market} · {series['finish']} · {condition} · {language}"


def _band(figure: Figure, series: dict[str, Any]) -> None:
    if not any(v is not None for v in series["low"] + series["high"]):
        return
    figure["data"] += [
        _scatter(
            x=series["time"],
            y=[_number(v) for v in series["high"]],
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
        ),
        _scatter(
            x=series["time"],
            y=[_number(v) for v in series["low"]],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(99, 110, 250, 0.15)",
            name="Low-high",
            hoverinfo="skip",
        ),
    ]


@memoized
def card_history_figure(
    history: dict[str, Any], marketplaces: dict[str, dict[str, Any]], scheme: str = "light"
) -> Figure:
    """One line per marketplace and variant; the hover names the source, the time and the exact price."""
    currencies = sorted({series["currency"] for series in history["series"]})
    # meta tells assets/live.js which trace a live price belongs to, and whether the
    # chart draws raw prices (a new one is then appended rather than the chart refetched).
    figure = _figure(
        scheme,
        f"Price ({escape(', '.join(currencies)) or 'no data'})",
        hovermode="closest",
        meta={"resolution": history.get("resolution"), "filters": history.get("filters", {})},
    )
    if not history["series"]:
        return _empty(figure)
    for series in history["series"]:
        label = escape(series_label(series, marketplaces))
        figure["data"].append(
            _scatter(
                x=series["time"],
                y=[_number(v) for v in series["price"]],
                customdata=[[price, escape(series["currency"])] for price in series["price"]],
                name=label,
                meta={
                    "variant": "|".join(str(series[k]) for k in ("marketplace_id", "condition", "finish", "language"))
                },
                mode="lines+markers",
                marker={"size": 4},
                hovertemplate=f"{label}<br>%{{x}}<br>%{{customdata[0]}} %{{customdata[1]}}<extra></extra>",
            )
        )
    if len(history["series"]) == 1:  # one variant: its low-high band (daily lows and highs at daily resolution)
        _band(figure, history["series"][0])
    for spread in history.get("spreads", []):
        if spread["currency"] not in currencies:
            continue
        shop = marketplaces.get(str(spread["retail_id"]), {}).get("name", "retail")
        label = escape(f"{shop} spread · {spread['finish']} · {Condition(spread['condition']).code}")
        figure["data"].append(
            _scatter(
                x=spread["time"],
                y=[_number(v) for v in spread["spread"]],
                name=label,
                mode="lines+markers",
                line={"dash": "dot"},
                marker={"size": 4},
                customdata=[
                    [v, p, escape(spread["currency"])]
                    for v, p in zip(spread["spread"], spread["spread_pct"], strict=True)
                ],
                hovertemplate=f"{label} (retail - buylist)<br>%{{x}}<br>%{{customdata[0]}} %{{customdata[2]}} "
                "(%{customdata[1]}% of retail)<extra></extra>",
            )
        )
    times = [moment for series in history["series"] for moment in series["time"]]
    if len(set(times)) == 1:
        _around(figure, times[0])
    return figure


@memoized
def volume_by_format_figure(volume: list[dict[str, Any]], currency: str, scheme: str = "light") -> Figure:
    """Value of the latest day's prices of the printings legal in each format."""
    currency = escape(currency)
    figure = _figure(scheme, f"Value ({currency})", hovermode="closest", xaxis={"type": "category"})
    if not volume:
        return _empty(figure)
    figure["data"].append(
        dict(
            type="bar",
            x=[escape(row["format"]) for row in volume],
            y=[_number(row["volume"]) for row in volume],
            customdata=[[row["volume"], row["printings"]] for row in volume],
            hovertemplate="%{x}<br>%{customdata[0]} " + currency + "<br>%{customdata[1]} printings<extra></extra>",
        )
    )
    return figure


@memoized
def compare_figure(compared: dict[str, Any], marketplaces: dict[str, dict[str, Any]], scheme: str = "light") -> Figure:
    """Several printings on one chart, in price or as a percentage of each series' start."""
    currency = escape(compared["currency"])
    unit = "Index (start = 100)" if compared["normalized"] else f"Price ({currency})"
    figure = _figure(scheme, unit, hovermode="closest")
    if not compared["series"]:
        return _empty(figure)
    for series in compared["series"]:
        label = escape(f"{series['printing']} · {series_label(series, marketplaces)}")
        figure["data"].append(
            _scatter(
                x=series["time"],
                y=[_number(v) for v in series["value"]],
                customdata=[[value, price] for value, price in zip(series["value"], series["price"], strict=True)],
                name=label,
                mode="lines+markers",
                marker={"size": 4},
                hovertemplate=f"{label}<br>%{{x}}<br>%{{customdata[0]}}"
                + (f" (price %{{customdata[1]}} {currency})" if compared["normalized"] else f" {currency}")
                + "<extra></extra>",
            )
        )
    return figure
