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
from decimal import Decimal
from functools import lru_cache, wraps
from itertools import pairwise
from typing import Any

import plotly.io as pio

from callbacks.units import money
from data.domain import Condition, Language, Resolution

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


GAP_FACTOR = 2  # a step longer than twice the series' cadence is a gap


def cadence(times: list[str], resolution: str | None) -> timedelta | None:
    """A series' own cadence: the larger of the read's bucket width (none for RAW) and the series'
    typical step (the lower median of its steps: a series with one long hole among short steps
    keeps the short one). None with fewer than two points."""
    if len(times) < 2:
        return None
    moments = [datetime.fromisoformat(moment) for moment in times]
    steps = sorted(later - earlier for earlier, later in pairwise(moments))
    typical = steps[(len(steps) - 1) // 2]
    width = Resolution[resolution].value if resolution in Resolution.__members__ else None
    return max(typical, width) if width is not None else typical


def with_gaps(times: list[str], *columns: list[Any], resolution: str | None) -> tuple[list[Any], ...]:
    """The series with a break wherever it has no data for longer than its cadence allows.

    `times` ascending ISO 8601; `columns` the values at those times (prices, customdata, …);
    `resolution` the name of the read's Resolution ("RAW", "MIN30", "HOUR", "DAY"; None is RAW).
    Where a step is longer than GAP_FACTOR x `cadence`, a point at the step's midpoint with None
    in every column is inserted, so Plotly (connectgaps False) draws no line across it. Nothing is
    interpolated: the stored points are returned unchanged, in order. Returns (times, *columns)."""
    step = cadence(times, resolution)
    if step is None:
        return (list(times), *(list(column) for column in columns))
    limit = GAP_FACTOR * step
    out: list[list[Any]] = [[] for _ in range(1 + len(columns))]
    previous: datetime | None = None
    for index, moment in enumerate(times):
        current = datetime.fromisoformat(moment)
        if previous is not None and current - previous > limit:
            out[0].append((previous + (current - previous) / 2).isoformat())
            for column in out[1:]:
                column.append(None)
        out[0].append(moment)
        for column, values in zip(out[1:], columns, strict=True):
            column.append(values[index])
        previous = current
    return tuple(out)


def _figure(scheme: str, y_title: str, **layout: Any) -> Figure:
    """An empty figure in the scheme's template; `layout` overrides the shared settings."""
    base = {
        "template": _template(scheme),
        "margin": {"l": 56, "r": 16, "t": 24, "b": 40},
        "hovermode": "x unified",
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "xaxis": {"type": "date"},
        "legend": {"orientation": "h", "y": -0.18},
        # The page's own background (Mantine's body colour), not transparent: the same on the page,
        # and an exported PNG is opaque and readable in both schemes.
        "paper_bgcolor": "#242424" if scheme == "dark" else "#ffffff",
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


RESOLUTION_WORDS = {"MIN30": "30-minute", "HOUR": "hourly", "DAY": "daily"}


@memoized
def market_index_figure(index: dict[str, Any], average: dict[str, Any] | None = None, scheme: str = "light") -> Figure:
    """The chained market index (MarketQueries.chained), level 100 at its first bucket; the hover
    shows the level, the change from the bucket before and the variants the link rests on. With
    `average` (MarketQueries.index), the average price too, on its own axis: it is not an index."""
    currency = escape(index["currency"])
    word = RESOLUTION_WORDS.get(index["resolution"], index["resolution"].lower())
    # The second axis is always declared (hidden without the average): the toggle then changes
    # one axis's visibility, never the set of axes.
    figure = _figure(
        scheme,
        "Index (first bucket = 100)",
        yaxis2={
            "title": {"text": f"Average price ({currency})"},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "visible": bool(average and average["time"]),
        },
    )
    if not index["time"] and not (average and average["time"]):
        return _empty(figure)
    name = escape(index.get("label") or "All cards")
    if index["time"]:
        changes = ["no link: no variant priced in both buckets" if c is None else f"{c} %" for c in index["change"]]
        times, levels, custom = with_gaps(
            index["time"],
            index["level"],
            list(zip(index["level"], changes, index["matched"], strict=True)),
            resolution=index["resolution"],
        )
        figure["data"].append(
            _scatter(
                x=times,
                y=[_number(v) for v in levels],
                customdata=custom,
                name=f"Market index: {name}, {currency} ({word})",
                # Markers too: a lone point (a single import, a gap on each side) stays visible.
                mode="lines+markers",
                marker={"size": 5},
                hovertemplate="%{x}<br>Index %{customdata[0]}<br>Change %{customdata[1]}"
                "<br>%{customdata[2]} variants matched<extra></extra>",
            )
        )
    if average and average["time"]:
        times, prices, samples = with_gaps(
            average["time"], average["price"], average["samples"], resolution=average["resolution"]
        )
        figure["data"].append(
            _scatter(
                x=times,
                y=[_number(v) for v in prices],
                customdata=[[money(p, index["currency"]), n] for p, n in zip(prices, samples, strict=True)],
                name=f"Average price, {currency} ({RESOLUTION_WORDS.get(average['resolution'], '')}, not an index)",
                yaxis="y2",
                mode="lines+markers",
                marker={"size": 4},
                line={"dash": "dot"},
                hovertemplate="%{x}<br>Average %{customdata[0]}<br>%{customdata[1]} prices<extra></extra>",
            )
        )
        figure["layout"]["margin"] = {**figure["layout"]["margin"], "r": 64}
        # Plotly's transition path on react fails on a second y axis ("reading 'range'"): no transition.
        figure["layout"].pop("transition", None)
    shown = index["time"] or average["time"]
    if len(shown) == 1:
        _around(figure, shown[0])
    return figure


def _shift(moment: str, days: int) -> str:
    return (datetime.fromisoformat(moment) + timedelta(days=days)).isoformat()


def series_label(series: dict[str, Any], marketplaces: dict[str, dict[str, Any]]) -> str:
    """'TCGplayer · foil · NM · en': where, which finish, which condition and language."""
    market = marketplaces.get(str(series["marketplace_id"]), {}).get("name", f"market {series['marketplace_id']}")
    condition = Condition(series["condition"]).code
    language = Language(series["language"]).code
    return f"{market} · {series['finish']} · {condition} · {language}"


def _band(figure: Figure, series: dict[str, Any], resolution: str | None = None) -> None:
    if not any(v is not None for v in series["low"] + series["high"]):
        return
    times, highs, lows = with_gaps(series["time"], series["high"], series["low"], resolution=resolution)
    figure["data"] += [
        _scatter(
            x=times,
            y=[_number(v) for v in highs],
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
        ),
        _scatter(
            x=times,
            y=[_number(v) for v in lows],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(99, 110, 250, 0.15)",
            name="Low-high",
            hoverinfo="skip",
        ),
    ]


def _flagged(figure: Figure, series: list[dict[str, Any]], marketplaces: dict[str, dict[str, Any]]) -> None:
    """Points holding a flagged outlier price (CardQueries.history's `flags`): a red ring over the
    point, one legend entry, and a hover that says what was flagged and why."""
    xs, ys, custom = [], [], []
    for line in series:
        currency = line["currency"]
        for moment, price, flag in zip(line["time"], line["price"], line.get("flags") or [], strict=False):
            if flag is None or price is None:
                continue
            median = Decimal(flag["median"])
            xs.append(moment)
            ys.append(_number(price))
            custom.append(
                [
                    escape(series_label(line, marketplaces)),
                    money(flag["price"], currency),
                    f"{Decimal(flag['price']) / median:.1f}" if median else "?",
                    money(flag["median"], currency),
                    flag["hour"][:16].replace("T", " "),
                ]
            )
    if xs:
        figure["data"].append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "customdata": custom,
                "mode": "markers",
                "name": "Flagged outlier (kept, not in the index)",
                "marker": {"symbol": "circle-open", "size": 14, "color": "#d62728", "line": {"width": 2}},
                "hovertemplate": "%{customdata[0]}<br>Flagged outlier: %{customdata[1]} at %{customdata[4]} UTC is"
                " %{customdata[2]}x the median %{customdata[3]} of the 4 days before, and the price came back."
                "<br>Kept in the data, left out of the market index.<extra></extra>",
            }
        )


SCALES = ("linear", "log")


def log_axis(figure: Figure, scale: str) -> Figure:
    """The y axis on a log scale when `scale` is "log" (for series spanning orders of magnitude);
    a log axis has no zero, so "tozero" goes."""
    if scale == "log" and figure["layout"]["yaxis"].get("visible", True):
        yaxis = {key: value for key, value in figure["layout"]["yaxis"].items() if key != "rangemode"}
        figure["layout"]["yaxis"] = yaxis | {"type": "log"}
    return figure


@memoized
def card_history_figure(
    history: dict[str, Any], marketplaces: dict[str, dict[str, Any]], scheme: str = "light", scale: str = "linear"
) -> Figure:
    """One line per marketplace and variant; the hover names the source, the time and the price
    to the cent with its currency. Each line breaks where its data has a gap (see `with_gaps`)."""
    currencies = sorted({series["currency"] for series in history["series"]})
    resolution = history.get("resolution")
    # meta tells assets/live.js which trace a live price belongs to, and whether the
    # chart draws raw prices (a new one is then appended rather than the chart refetched).
    figure = _figure(
        scheme,
        f"Price ({escape(', '.join(currencies)) or 'no data'})",
        hovermode="closest",
        meta={"resolution": resolution, "filters": history.get("filters", {})},
    )
    if not history["series"]:
        return _empty(figure)
    for series in history["series"]:
        label = escape(series_label(series, marketplaces))
        currency = escape(series["currency"])
        times, prices = with_gaps(series["time"], series["price"], resolution=resolution)
        figure["data"].append(
            _scatter(
                x=times,
                y=[_number(v) for v in prices],
                customdata=[None if price is None else [money(price), currency] for price in prices],
                name=label,
                meta={
                    "variant": "|".join(str(series[k]) for k in ("marketplace_id", "condition", "finish", "language"))
                },
                mode="lines+markers",
                marker={"size": 4},
                hovertemplate=f"{label}<br>%{{x}}<br>%{{customdata[0]}} %{{customdata[1]}}<extra></extra>",
            )
        )
    _flagged(figure, history["series"], marketplaces)
    if len(history["series"]) == 1:  # one variant: its low-high band (daily lows and highs at daily resolution)
        _band(figure, history["series"][0], resolution)
    for spread in history.get("spreads", []):
        if spread["currency"] not in currencies:
            continue
        shop = marketplaces.get(str(spread["retail_id"]), {}).get("name", "retail")
        label = escape(f"{shop} spread · {spread['finish']} · {Condition(spread['condition']).code}")
        currency = escape(spread["currency"])
        times, values, percents = with_gaps(
            spread["time"], spread["spread"], spread["spread_pct"], resolution=resolution
        )
        figure["data"].append(
            _scatter(
                x=times,
                y=[_number(v) for v in values],
                name=label,
                mode="lines+markers",
                line={"dash": "dot"},
                marker={"size": 4},
                customdata=[
                    None if v is None else [money(v), p, currency] for v, p in zip(values, percents, strict=True)
                ],
                hovertemplate=f"{label} (retail - buylist)<br>%{{x}}<br>%{{customdata[0]}} %{{customdata[2]}} "
                "(%{customdata[1]}% of retail)<extra></extra>",
            )
        )
    times = [moment for series in history["series"] for moment in series["time"]]
    if len(set(times)) == 1:
        _around(figure, times[0])
    return log_axis(figure, scale)


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
def compare_figure(
    compared: dict[str, Any], marketplaces: dict[str, dict[str, Any]], scheme: str = "light", scale: str = "linear"
) -> Figure:
    """Several printings on one chart, in price or as a percentage of each series' start;
    each line breaks where its data has a gap (see `with_gaps`)."""
    currency = escape(compared["currency"])
    unit = "Index (start = 100)" if compared["normalized"] else f"Price ({currency})"
    figure = _figure(scheme, unit, hovermode="closest")
    if not compared["series"]:
        return _empty(figure)
    for series in compared["series"]:
        # Two lines (printing, then variant): a legend entry is never wrapped, and one line is wider than a phone.
        label = f"{escape(series['printing'])}<br>{escape(series_label(series, marketplaces))}"
        times, values, prices = with_gaps(
            series["time"], series["value"], series["price"], resolution=series.get("resolution")
        )
        figure["data"].append(
            _scatter(
                x=times,
                y=[_number(v) for v in values],
                customdata=[
                    None if value is None else [value if compared["normalized"] else money(value), money(price)]
                    for value, price in zip(values, prices, strict=True)
                ],
                name=label,
                mode="lines+markers",
                marker={"size": 4},
                hovertemplate=f"{label}<br>%{{x}}<br>%{{customdata[0]}}"
                + (f" (price %{{customdata[1]}} {currency})" if compared["normalized"] else f" {currency}")
                + "<extra></extra>",
            )
        )
    times = {moment for series in compared["series"] for moment in series["time"]}
    if len(times) == 1:
        _around(figure, next(iter(times)))
    return log_axis(figure, scale)


@memoized
def portfolio_value_figure(history: dict[str, Any], scheme: str = "light") -> Figure:
    """The value of today's holdings on each day (PortfolioQueries.history, as JSON: days as ISO dates,
    values as exact decimal strings), one line per currency; currencies are never added together.
    `basis_name` names the price basis and `end` the newest day with data, both shown in the title.
    The hover shows each day's value to the cent with its currency, and how many variants are priced."""
    series = history.get("series") or {}
    currencies = sorted(currency for currency, points in series.items() if points)
    figure = _figure(scheme, f"Value ({escape(', '.join(currencies)) or 'no data'})", hovermode="closest")
    if not currencies:
        return _empty(figure)
    basis = escape(history.get("basis_name") or history.get("basis") or "")
    end = escape(history.get("end") or "")
    # Below the strip the mode bar's buttons take at the top: on a phone the two met.
    figure["layout"]["title"] = {
        "text": f"{basis} · data to {end} (UTC)",
        "font": {"size": 13},
        "x": 0.01,
        "xanchor": "left",
        "yref": "container",
        "y": 1,
        "yanchor": "top",
        "pad": {"t": 30},
    }
    figure["layout"]["margin"] = {**figure["layout"]["margin"], "t": 60}
    for currency in currencies:
        points = series[currency]
        shown = escape(currency)
        times, values, variants = with_gaps(
            [point["day"] for point in points],
            [point["value"] for point in points],
            [point["variants"] for point in points],
            resolution="DAY",
        )
        figure["data"].append(
            _scatter(
                x=times,
                y=[_number(value) for value in values],
                customdata=[
                    None if value is None else [money(value), shown, count]
                    for value, count in zip(values, variants, strict=True)
                ],
                name=f"Value, {shown}",
                mode="lines+markers",
                marker={"size": 4},
                hovertemplate="%{x|%Y-%m-%d}<br>%{customdata[0]} %{customdata[1]}"
                "<br>%{customdata[2]} variants priced<extra></extra>",
            )
        )
    days = {point["day"] for currency in currencies for point in series[currency]}
    # Daily values: ticks name days, one per day over a short span (never hours between them).
    figure["layout"]["xaxis"] = {
        "type": "date",
        "tickformat": "%b %-d",
        **({"dtick": 86400000} if len(days) <= 10 else {}),
    }
    if len(days) == 1:
        _around(figure, next(iter(days)))
    return figure
