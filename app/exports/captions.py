"""The title and source line an exported image carries, laid onto the page's own figure.

The figure builders are the pages' (callbacks/figures.py) and memoized: their dicts are shared, so
nothing here changes them in place; `dress` returns a new top level and a new layout."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from callbacks.figures import Figure, escape
from layouts.freshness import utc_text

BACKGROUNDS = {"light": ("#ffffff", "#ffffff"), "dark": ("#242424", "#111111")}  # paper, plot
SITE = "CardCharts"


def caption(sources: list[str], asof: str | None) -> str:
    """'Sources: TCGplayer, Card Kingdom · data as of 2025-11-03 00:00 UTC · CardCharts'."""
    named = f"Sources: {', '.join(sources)}" if sources else "No prices in this range"
    dated = f"data as of {utc_text(asof)}" if asof else "no data yet"
    return f"{named} · {dated} · {SITE}"


def dress(figure: Figure, title: str, subtitle: str, theme: str) -> Figure:
    """The figure with its title and caption on top, and an opaque background in `theme`."""
    layout = figure["layout"]
    paper, plot = BACKGROUNDS[theme]
    margin = {**layout.get("margin", {}), "t": 84}
    return {
        **figure,
        "layout": {
            **layout,
            "title": {
                "text": escape(title),
                "subtitle": {"text": escape(subtitle)},
                "x": 0.01,
                "xanchor": "left",
                "font": {"size": 18},
            },
            "margin": margin,
            "paper_bgcolor": layout.get("paper_bgcolor") or paper,
            "plot_bgcolor": layout.get("plot_bgcolor") or plot,
        },
    }


def slug(*parts: Any) -> str:
    """'Consider', 'mid', '30d' -> 'consider-mid-30d': a file name's stem, ASCII only."""
    text = "-".join(str(part) for part in parts if part)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower().replace("'", "")).strip("-") or "cardcharts"
