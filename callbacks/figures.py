"""Pure figure builders: plain JSON data in, a Plotly figure out.

Pages, embeds and exported images all draw through these functions. Prices
arrive as exact decimal strings; they become floats only here, for drawing,
and the hover shows the exact string. No animation; a missing point is a gap,
never an interpolated value.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import plotly.graph_objects as go

TEMPLATES = {"light": "plotly_white", "dark": "plotly_dark"}


def _number(value: str | None) -> float | None:
    return None if value is None else float(value)


def _base_layout(scheme: str, y_title: str) -> dict[str, Any]:
    return {
        "template": TEMPLATES.get(scheme, TEMPLATES["light"]),
        "margin": {"l": 56, "r": 16, "t": 24, "b": 40},
        "hovermode": "x unified",
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "xaxis": {"type": "date"},
        "legend": {"orientation": "h", "y": -0.18},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "transition": {"duration": 0},
        "uirevision": "keep-zoom",
    }


def _empty(figure: go.Figure) -> go.Figure:
    """No axes to suggest a scale or a period that the data does not have."""
    figure.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[{"text": "No prices to chart", "showarrow": False, "font": {"size": 16}}],
    )
    return figure


def market_index_figure(index: dict[str, Any], scheme: str = "light") -> go.Figure:
    """The market index: mean price per bucket, with the bucket's low-high band."""
    figure = go.Figure(layout=_base_layout(scheme, f"Mean price ({index['currency']})"))
    if not index["time"]:
        return _empty(figure)
    times = index["time"]
    if any(value is not None for value in index["high"] + index["low"]):
        figure.add_trace(
            go.Scatter(
                x=times, y=[_number(v) for v in index["high"]], name="High", mode="lines",
                line={"width": 0}, hoverinfo="skip", showlegend=False, connectgaps=False,
            )
        )  # fmt: skip
        figure.add_trace(
            go.Scatter(
                x=times, y=[_number(v) for v in index["low"]], name="Low-high range", mode="lines",
                line={"width": 0}, fill="tonexty", fillcolor="rgba(99, 110, 250, 0.15)",
                hoverinfo="skip", connectgaps=False,
            )
        )  # fmt: skip
    figure.add_trace(
        go.Scatter(
            x=times,
            y=[_number(v) for v in index["price"]],
            customdata=list(zip(index["price"], index["samples"], strict=True)),
            name=f"Market index ({index['resolution'].lower()})",
            # Markers too: a lone point (a single import, a gap on each side) stays visible.
            mode="lines+markers",
            marker={"size": 5},
            connectgaps=False,
            hovertemplate="%{x}<br>Mean %{customdata[0]} "
            + index["currency"]
            + "<br>%{customdata[1]} prices<extra></extra>",
        )
    )
    if len(times) == 1:  # otherwise the axis zooms to a millisecond around the point
        figure.update_xaxes(range=[_shift(times[0], -1), _shift(times[0], 1)])
    return figure


def _shift(moment: str, days: int) -> str:
    return (datetime.fromisoformat(moment) + timedelta(days=days)).isoformat()
