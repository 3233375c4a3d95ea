"""Each export's chart: the page's use-case calls, drawn by the page's figure builder, and the numbers
it draws as a JSON payload and a CSV table (units named: a currency, or the index's base)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.api import tables
from app.api.routes import for_currency
from app.bootstrap import Services
from app.exports.captions import caption, slug
from app.exports.query import Export
from callbacks.card import in_currency
from callbacks.figures import Figure, card_history_figure, compare_figure, market_index_figure, series_label
from data.domain import NotFound
from layouts.market import sub_label

COMPARE_KEYS = ["card_id", "printing", "marketplace_id", "marketplace", "condition", "finish", "language", "currency"]
NAMED_IN_TITLE = 3


@dataclass(frozen=True)
class Chart:
    figure: Figure  # the page's figure, before its title and caption
    title: str
    caption: str
    name: str  # the file name's stem
    payload: dict[str, Any]  # the JSON export
    table: tables.Table  # the CSV export


def _names(marketplaces: dict[str, dict[str, Any]], ids: list[int]) -> list[str]:
    return sorted({marketplaces.get(str(i), {}).get("name", f"market {i}") for i in ids})


def card(services: Services, export: Export) -> Chart:
    """As callbacks/card.py show_history draws it."""
    f = export.filters
    cards = services.card_queries
    detail = cards.detail(f["card_id"])
    variant = {key: f[key] for key in ("condition", "language", "finish", "marketplace_id")}
    history = cards.history(f["card_id"], f["range"], **variant)
    currency = f["currency"]
    drawn = in_currency(history, currency, variant)
    marketplaces = detail["marketplaces"]
    figure = card_history_figure(drawn, marketplaces, export.theme, export.axis)
    shaped = for_currency(history, currency, marketplaces)
    sources = _names(marketplaces, [s["marketplace_id"] for s in drawn["series"]])
    c = detail["card"]
    title = f"{c['name']} · {c['set_code'].upper()} #{c['collector_number']} · {f['range']} · {currency}"
    header, rows = tables.history(shaped)
    for spread in shaped["spreads"]:  # the dotted spread lines: retail minus buylist, in the same currency
        shop = marketplaces.get(str(spread["retail_id"]), {}).get("name", "retail")
        for moment, value in zip(spread["time"], spread["spread"], strict=True):
            keys = [spread["retail_id"], f"{shop} spread (retail - buylist)", spread["condition"], spread["finish"]]
            rows.append([moment, *keys, spread["language"], currency, value, *[None] * 7, shaped["resolution"]])
    payload = {"title": title, "sources": sources, **shaped}
    return Chart(
        figure,
        title,
        caption(sources, history["asof"]),
        slug(c["name"], c["set_code"], f["range"]),
        payload,
        (header, rows),
    )


def compare(services: Services, export: Export) -> Chart:
    """As callbacks/compare.py draw draws it; an unknown id is a 404 (the page leaves it out)."""
    f = export.filters
    compared = services.compare_queries.compare(
        f["card_ids"], f["range"], f["currency"], f["condition"], f["language"], f["finish"], f["normalize"]
    )
    if compared["missing"]:
        raise NotFound(f"no card with id {', '.join(map(str, compared['missing']))}")
    marketplaces = services.card_queries.marketplace_names()
    figure = compare_figure(compared, marketplaces, export.theme, export.axis)
    unit = "index (start = 100)" if compared["normalized"] else f["currency"]
    printings = list(dict.fromkeys(s["printing"] for s in compared["series"]))
    named = ", ".join(printings[:NAMED_IN_TITLE]) + (
        f" and {len(printings) - NAMED_IN_TITLE} more" if len(printings) > NAMED_IN_TITLE else ""
    )
    title = f"{named or 'Compare'} · {f['range']} · {f['currency']}" + (
        " · start = 100" if compared["normalized"] else ""
    )
    asof = max((s["time"][-1] for s in compared["series"] if s["time"]), default=None)
    series = [
        {
            **{key: s.get(key) for key in COMPARE_KEYS if key != "marketplace"},
            "marketplace": marketplaces.get(str(s["marketplace_id"]), {}).get("name"),
            "label": series_label(s, marketplaces),
            "resolution": s["resolution"],
            "time": s["time"],
            "value": s["value"],
            "price": s["price"],
        }
        for s in compared["series"]
    ]
    payload = {
        "title": title,
        "sources": _names(marketplaces, [s["marketplace_id"] for s in series]),
        "range": f["range"],
        "currency": f["currency"],
        "normalized": compared["normalized"],
        "unit": unit,
        "asof": asof,
        "series": series,
    }
    header = ["time", *COMPARE_KEYS, "value", "unit", "price", "resolution"]
    rows = [
        [moment, *(s[key] for key in COMPARE_KEYS), s["value"][i], unit, s["price"][i], s["resolution"]]
        for s in series
        for i, moment in enumerate(s["time"])
    ]
    name = slug("compare", *(str(i) for i in f["card_ids"]), f["range"])
    return Chart(figure, title, caption(payload["sources"], asof), name, payload, (header, rows))


def market(services: Services, export: Export) -> Chart:
    """As callbacks/market.py update_market draws the index (and the average price, with avg=on)."""
    f = export.filters
    queries = services.market_queries
    chained = {**queries.chained(f["range"], f["currency"], f["sub"]), "label": sub_label(f["sub"])}
    average = None
    if f["average"]:
        average = queries.index(
            f["range"], f["currency"], condition=f["condition"], finish=f["finish"], language=f["language"]
        )
    figure = market_index_figure(chained, average, export.theme)
    sources = sorted(row["source"] for row in services.source_queries.status() if row["data_date"])
    title = f"Market index · {chained['label']} · {f['range']} · {f['currency']}"
    index = {key: value for key, value in chained.items() if key != "label"}
    payload = {
        "title": title,
        "sources": sources,
        "unit": "index (first bucket = 100)",
        "index": index,
        "average": average,
    }
    header, rows = tables.index(index)
    header = [*header, "average_price", "average_samples"]
    rows = [[*row, None, None] for row in rows]
    if average is not None:
        columns = zip(average["time"], average["price"], average["samples"], strict=True)
        rows += [
            [moment, None, None, None, f["currency"], "average", average["resolution"], p, n]
            for moment, p, n in columns
        ]
    name = slug("market-index", f["sub"], f["range"])
    return Chart(
        figure, title, caption(sources, chained["asof"] or (average or {}).get("asof")), name, payload, (header, rows)
    )


BUILDERS = {"card": card, "compare": compare, "market": market}
