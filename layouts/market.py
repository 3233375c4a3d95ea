"""The market page: index chart with its filters, and the overview figures."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from callbacks.params import BadInput, price, shown
from data.domain import RANGES
from data.use_cases.market import parse_sub_index
from layouts.filters import (
    CONDITIONS,
    CURRENCIES,
    FINISHES,
    LANGUAGES,
    chart_panel,
    ignored,
    range_control,
    read_query,
    select,
    single,
)
from layouts.freshness import age_text, data_date_text
from layouts.live import live_channels, refresh_counter

EMPTY_HELP = [
    "No prices are stored yet. Load real data with ",
    dmc.Code("cardcharts import scryfall FILE"),
    " (a Scryfall bulk file) or ",
    dmc.Code("cardcharts collect scryfall"),
    ", then reload this page.",
]


def layout(
    range: str = "30d",
    currency: str = "USD",
    condition: str = "all",
    finish: str = "all",
    lang: str = "all",
    period: str = "24h",
    min_price: str = "1",
    fmt: str = "all",
    index: str = "all",
    avg: str = "off",
    **unknown: Any,
) -> html.Div:
    """The page for a URL; query parameters preselect the filters."""
    notes: list[str] = []
    q = read_query(
        notes,
        unknown,
        range=(range, list(RANGES), "30d"),
        currency=(currency, CURRENCIES[:2], "USD"),
        condition=(condition, CONDITIONS, "all"),
        finish=(finish, FINISHES, "all"),
        lang=(lang, LANGUAGES, "all"),
        period=(period, ["24h", "7d"], "24h"),
        fmt=(fmt, FORMATS, "all"),
        avg=(avg, ["on", "off"], "off"),
    )
    sub = single("index", index, notes)
    try:
        sub_label(sub or "all")
    except ValueError:
        notes.append(f"index={shown(sub)} (use all, format:NAME, rarity:NAME or set:CODE)")
        sub = "all"
    floor = single("min_price", min_price, notes)
    try:
        floor = float(price(floor, "min_price"))
    except BadInput:
        notes.append(f"min_price={shown(floor)} (use a number from 0 to 1,000,000)")
        floor = 1.0
    return html.Div(
        [
            ignored(notes),
            live_channels({"channel": "market"}),
            refresh_counter("market-refresh"),
            dmc.Group(
                [
                    range_control("market-range", q["range"]),
                    select("market-currency", "Currency", CURRENCIES[:2], q["currency"]),
                    select("market-condition", "Condition", CONDITIONS, q["condition"]),
                    select("market-finish", "Finish", FINISHES, q["finish"]),
                    select("market-language", "Language", LANGUAGES, q["lang"]),
                    dmc.Select(
                        id="market-index",
                        label="Index",
                        data=sub_index_options([], sub or "all"),
                        value=sub or "all",
                        searchable=True,
                        allowDeselect=False,
                        w=200,
                    ),
                    dmc.SegmentedControl(
                        id="market-average",
                        data=[{"value": "off", "label": "Index"}, {"value": "on", "label": "Index + average price"}],
                        value=q["avg"],
                    ),
                ],
                align="flex-end",
                gap="md",
            ),
            html.Div(id="market-status"),
            dmc.SimpleGrid(id="market-overview", cols={"base": 2, "md": 5}, mt="md"),
            chart_panel("market-index-graph", 420),
            dmc.Group(
                [
                    dmc.Title("Top movers", order=4),
                    dmc.SegmentedControl(id="movers-period", data=["24h", "7d"], value=q["period"]),
                    dmc.NumberInput(
                        id="movers-min-price",
                        label="Minimum price",
                        value=floor,
                        min=0,
                        step=0.5,
                        decimalScale=2,
                        w=140,
                    ),
                    select("movers-format", "Legal in", FORMATS, q["fmt"], 150),
                ],
                align="flex-end",
                gap="md",
                mt="lg",
            ),
            html.Div(id="movers-status"),
            dmc.SimpleGrid(
                [
                    dmc.Stack([dmc.Text("Gainers", fw=600), _movers_grid("movers-gainers")], gap=4),
                    dmc.Stack([dmc.Text("Losers", fw=600), _movers_grid("movers-losers")], gap=4),
                ],
                cols={"base": 1, "lg": 2},
                mt="xs",
            ),
            dmc.Title("Value by format (latest day)", order=4, mt="lg"),
            dmc.Paper(
                dcc.Graph(id="market-volume-graph", config={"displaylogo": False}, style={"height": "320px"}),
                withBorder=True,
                p="xs",
                mt="xs",
            ),
        ]
    )


FORMATS = [{"value": "all", "label": "Any format"}] + [
    {"value": f, "label": f.title()}
    for f in ("standard", "pioneer", "modern", "legacy", "vintage", "commander", "pauper", "historic", "brawl")
]

MOVER_COLUMNS = [
    {"field": "name", "minWidth": 180, "flex": 2},
    {"field": "set", "maxWidth": 90},
    {"field": "marketplace", "minWidth": 120},
    {"field": "finish", "maxWidth": 100},
    {"field": "then_price", "headerName": "Then", "type": "rightAligned"},
    {"field": "price", "headerName": "Now", "type": "rightAligned"},
    {"field": "change", "headerName": "Change", "type": "rightAligned"},
    {"field": "change_pct", "headerName": "%", "type": "rightAligned"},
]


def _movers_grid(id_: str) -> dag.AgGrid:
    return dag.AgGrid(
        id=id_,
        columnDefs=MOVER_COLUMNS,
        rowData=[],
        defaultColDef={"sortable": True, "resizable": True, "flex": 1, "minWidth": 80},
        dashGridOptions={"domLayout": "autoHeight", "suppressColumnVirtualisation": True},
    )


def _figure(label: str, value: str, note: str | None = None) -> dmc.Paper:
    children = [dmc.Text(label, size="sm", c="dimmed"), dmc.Text(value, size="xl", fw=700)]
    if note:
        children.append(dmc.Text(note, size="xs", c="dimmed"))
    return dmc.Paper(children, withBorder=True, p="sm")


def _change(change: dict[str, str] | None) -> str:
    if change is None:
        return "no earlier data"
    sign = "+" if not change["pct"].startswith("-") else ""
    return f"{sign}{change['pct']}%"


def sources_figure(sources: list[dict[str, Any]]) -> dmc.Paper:
    """How old each source's newest data is, by the provider's own date (UTC on hover), the stale
    ones and those whose last run failed marked (details on the sources page)."""
    counts = {kind: sum(row["freshness"] == kind for row in sources) for kind in ("fresh", "stale")}
    ages: list[Any] = []
    for row in sources:
        marks = [
            mark
            for mark, on in (
                ("stale", row["freshness"] == "stale"),
                ("failed", row["last_failed"]),
                ("no data date", row["data_dated"] is False),
            )
            if on
        ]
        age = age_text(row["age_hours"]) if row["data_date"] else "never"
        text = f"{row['source']} {age}" + (f" ({', '.join(marks)})" if marks else "")
        hover = f"newest data from {data_date_text(row)}" if row["data_date"] else "no data delivered yet"
        if row["last_failed"]:
            hover += f"; last run {row['last_status']}"
        style = {"color": "var(--mantine-color-orange-7)", "fontWeight": 600} if marks else None
        ages += [" · "] if ages else []
        ages.append(html.Span(text, title=hover, style=style))
    paper = _figure("Sources", f"{counts['fresh']} fresh · {counts['stale']} stale")
    paper.children += [
        dmc.Text(ages or "no sources", size="xs"),
        dmc.Text("data age from the provider's date (hover for it)", size="xs", c="dimmed"),
        dmc.Anchor("details", href="/sources", size="xs"),
    ]
    return paper


RARITIES = ("common", "uncommon", "rare", "mythic", "special", "bonus")
RESOLUTION_WORDS = {"HOUR": "hourly", "DAY": "daily"}


def sub_label(sub: str) -> str:
    """A sub-index's name for labels ('set:mid' -> 'Set MID'); ValueError for a malformed one."""
    kind, key = parse_sub_index(sub)
    return {"all": "All cards", "format": f"{key.title()} legal", "rarity": key.title(), "set": f"Set {key.upper()}"}[
        kind
    ]


def sub_index_options(kept: list[dict[str, str]], chosen: str) -> list[dict[str, str]]:
    """All cards, each format and rarity, then the sets the index keeps (and the chosen one, always)."""
    values = ["all", *(f"format:{f['value']}" for f in FORMATS[1:]), *(f"rarity:{r}" for r in RARITIES)]
    values += sorted(f"{row['kind']}:{row['key']}" for row in kept if row["kind"] == "set")
    values += [f"{row['kind']}:{row['key']}" for row in kept if row["kind"] != "set"]
    if chosen not in values:
        values.append(chosen)
    return [{"value": value, "label": sub_label(value)} for value in dict.fromkeys(values)]


def overview_figures(overview: dict[str, Any]) -> list[dmc.Paper]:
    """The four headline figures; a figure with no data says so instead of showing zero."""
    level = overview["level"]
    currency = overview["currency"]
    return [
        _figure(
            "Printings tracked",
            f"{overview['printings_tracked']:,}",
            f"priced in {currency}, of {overview['cards']:,} in the catalog",
        ),
        _figure(
            f"Index: {sub_label(overview['sub'])}, {currency} ({RESOLUTION_WORDS[overview['resolution']]})",
            level if level is not None else "no data",
            f"24h {_change(overview['change_1d'])} · 7d {_change(overview['change_7d'])}",
        ),
        _figure(
            "Listings (latest half-hour)",
            f"{int(overview['listings']):,}" if overview["listings"] is not None else "not reported",
        ),
        _figure(
            "Newest data",
            (overview["last_bucket"] or "none")[:16].replace("T", " "),
            "UTC, start of the newest half-hour bucket",
        ),
    ]
