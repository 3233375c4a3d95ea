"""An export's query: the page's own parameters, parsed by the page's own parsers (callbacks/params.py
and the callbacks' helpers), plus the image's `theme`, `width`, `height` and `scale`.

`scale` is both the page's y-axis parameter (linear|log: a page's query string exports as it is) and
the image's pixel ratio (1 to 4); `axis=linear|log` sets the y axis along with a pixel ratio.
A parameter given twice, one no page takes, or a value out of bounds is a 400."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from app.api.responses import ApiError
from callbacks import params
from callbacks.chart_controls import chart_scale
from callbacks.figures import SCALES
from callbacks.market import AVERAGE, MARKET_CURRENCIES
from data.domain import RANGES, Condition, Finish, Language
from data.use_cases.compare import MAX_PRINTINGS
from layouts.filters import CURRENCIES

FORMATS = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "json": "application/json",
}
IMAGES = ("png", "svg", "pdf")
BOUNDS = {"width": (300, 2400), "height": (200, 1600), "scale": (1, 4)}
SIZE_DEFAULTS = {"width": 1200, "height": 675, "scale": 1}
IMAGE_PARAMS = ("theme", "width", "height", "scale", "axis")
# The pages' defaults for a parameter the URL leaves out (as layouts/card.py, compare.py, market.py read them).
PAGE_DEFAULTS = {
    "card": {"range": "30d", "currency": "USD", "condition": "all", "finish": "all", "lang": "all", "market": "all"},
    "compare": {
        "range": "90d",
        "currency": "USD",
        "condition": "NM",
        "finish": "nonfoil",
        "lang": "en",
        "mode": "normalized",
    },
    # period, min_price and fmt filter the page's movers, not its index chart: taken, not used.
    "market": {
        "range": "30d",
        "currency": "USD",
        "condition": "all",
        "finish": "all",
        "lang": "all",
        "index": "all",
        "avg": "off",
        "period": "24h",
        "min_price": None,
        "fmt": "all",
    },
}
PAGE_EXTRA = {"card": (), "compare": ("ids",), "market": ()}  # the card's id is in the path
CURRENCY_VALUES = [c["value"] for c in CURRENCIES]


@dataclass(frozen=True)
class Export:
    """What to draw (the page's parsed filters) and how (format, theme, size)."""

    kind: str
    fmt: str
    theme: str = "light"
    width: int = 1200
    height: int = 675
    scale: int = 1
    axis: str = "linear"
    filters: dict[str, Any] = field(default_factory=dict)


def _single(args: MultiDict[str, str], name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise ApiError(400, f"{name} is given {len(values)} times; give it once")
    return values[0] if values else None


def _bounded(name: str, raw: str | None) -> int:
    low, high = BOUNDS[name]
    if raw is None:
        return SIZE_DEFAULTS[name]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 5) or not low <= int(raw) <= high:
        raise ApiError(400, f"{name}: {params.shown(raw)} must be a whole number from {low} to {high}")
    return int(raw)


def _filters(kind: str, given: dict[str, str | None]) -> dict[str, Any]:
    """The page's filters, parsed as its callback parses them."""
    q = {
        name: given.get(name) if given.get(name) is not None else default
        for name, default in PAGE_DEFAULTS[kind].items()
    }
    variant = {
        "condition": params.optional(Condition.parse, q["condition"], "condition"),
        "language": params.optional(Language.parse, q["lang"], "language"),
        "finish": params.optional(Finish.parse, q["finish"], "finish"),
    }
    range_name = params.choice("range", q["range"], RANGES)
    if kind == "card":
        return {
            "card_id": params.card_id(given.get("id")),
            "range": range_name,
            "currency": params.choice("currency", q["currency"], CURRENCY_VALUES),
            **variant,
            "marketplace_id": params.marketplace_id(q["market"]),
        }
    if kind == "compare":
        ids, bad = params.card_ids(given.get("ids"))
        if bad or not ids:
            raise params.BadInput(f"ids: {', '.join(bad[:4]) or 'none'} (give card ids, comma-separated)")
        if len(ids) > MAX_PRINTINGS:
            raise params.BadInput(f"compare takes at most {MAX_PRINTINGS} printings, got {len(ids)}")
        return {
            "card_ids": ids,
            "range": range_name,
            "currency": params.choice("currency", q["currency"], CURRENCY_VALUES),
            **variant,
            "normalize": params.choice("mode", q["mode"], ["normalized", "price"]) == "normalized",
        }
    params.choice("period", q["period"], ["24h", "7d"])
    params.price(q["min_price"])
    return {
        "range": range_name,
        "currency": params.choice("currency", q["currency"], MARKET_CURRENCIES),
        "sub": params.optional(params.sub_index, q["index"], "index") or "all",
        "average": params.choice("average", q["avg"], AVERAGE) == "on",
        **variant,
    }


def parse(kind: str, fmt: str, args: MultiDict[str, str], path_args: dict[str, str] | None = None) -> Export:
    """The export asked for; ApiError(400) naming the first bad parameter."""
    if fmt not in FORMATS:
        raise ApiError(404, f"unknown export format {params.shown(fmt)}; use one of {', '.join(FORMATS)}")
    known = (*PAGE_DEFAULTS[kind], *PAGE_EXTRA[kind], *IMAGE_PARAMS)
    unknown = [name for name in args if name not in known]
    if unknown:
        raise ApiError(400, f"unknown parameter {params.shown(unknown[0])}; this export takes {', '.join(known)}")
    given: dict[str, str | None] = {name: _single(args, name) for name in known} | (path_args or {})
    try:
        theme = params.choice("theme", given["theme"] or "light", ("light", "dark"))
        raw_scale = given["scale"]
        axis = chart_scale(given["axis"])
        if raw_scale in SCALES:  # the page's y-axis parameter
            axis, raw_scale = chart_scale(raw_scale), None
        if kind == "market" and axis != "linear":
            raise params.BadInput("the market index chart has no log axis; use axis=linear")
        filters = _filters(kind, given)
    except params.BadInput as exc:
        raise ApiError(400, str(exc)) from None
    sizes = {name: _bounded(name, raw_scale if name == "scale" else given[name]) for name in BOUNDS}
    return Export(kind, fmt, theme, sizes["width"], sizes["height"], sizes["scale"], axis, filters)
