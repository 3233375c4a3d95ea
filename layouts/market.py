"""The market page: index chart with its filters, and the overview figures."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from callbacks.params import BadInput, price, shown
from callbacks.units import money, signed_percent
from data.domain import RANGES
from data.use_cases.market import parse_sub_index
from layouts.embed import embed_control
from layouts.filters import (
    CONDITIONS,
    CURRENCIES,
    FINISHES,
    LANGUAGES,
    chart_panel,
    filter_bar,
    fluid,
    ignored,
    range_control,
    read_query,
    select,
    single,
)
from layouts.formats import format_name
from layouts.freshness import age_text, data_date_text, utc_text
from layouts.live import live_channels, refresh_counter

COLLECT_POLL_MS = 5_000  # how often the page reads a running collection's progress
SAMPLE = "tests/fixtures/scryfall-cards-2025-11-01.jsonl.gz"  # 461 real Scryfall cards, in the repository
EMPTY_HELP = [
    "No prices are stored yet, and no collection is running. Offline, load the Scryfall sample shipped"
    " in the repository with ",
    dmc.Code(f"cardcharts import scryfall {SAMPLE}"),
    "; with internet, ",
    dmc.Code("cardcharts collect scryfall"),
    " fetches today's prices (",
    dmc.Code("cardcharts run"),
    " collects by itself at start). Then reload this page.",
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
            filter_bar(
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
                        **fluid(200),
                    ),
                    dmc.SegmentedControl(
                        id="market-average",
                        data=[{"value": "off", "label": "Index"}, {"value": "on", "label": "Index + average price"}],
                        value=q["avg"],
                    ),
                ],
                mt=0,
            ),
            html.Div(id="market-status"),
            dcc.Interval(id="market-collect-tick", interval=COLLECT_POLL_MS, disabled=True),
            dmc.SimpleGrid(id="market-overview", cols={"base": 2, "md": 5}, mt="md"),
            chart_panel("market-index-graph", 420, "market-index"),
            embed_control("market"),  # the iframe snippet of this view (layouts/embed.py)
            filter_bar(
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
                        fixedDecimalScale=True,
                        **fluid(140),
                    ),
                    select("movers-format", "Legal in", FORMATS, q["fmt"], 170),
                ],
                mt="lg",
            ),
            html.Div(id="movers-status"),
            dmc.SimpleGrid(
                [
                    dmc.Stack([dmc.Text("Gainers", fw=600), _movers_grid("movers-gainers")], gap=4),
                    dmc.Stack([dmc.Text("Losers", fw=600), _movers_grid("movers-losers")], gap=4),
                ],
                cols=1,  # one above the other: side by side (at most 700 px each) cut prices and names
                mt="xs",
            ),
            dmc.Text("Click a row to open its card.", size="xs", c="dimmed", mt=4),
            dmc.Title("Value by format (latest day)", order=4, mt="lg"),
            chart_panel("market-volume-graph", 320, "value-by-format", mt="xs"),
        ]
    )


FORMATS = [{"value": "all", "label": "Any format"}] + [
    {"value": f, "label": format_name(f)}
    for f in ("standard", "pioneer", "modern", "legacy", "vintage", "commander", "pauper", "historic", "brawl")
]

SHOWN = "_shown"  # a row's `<field>_shown` is the field as the grid shows it ("12.30 USD", "+3.20 %")
UP, DOWN = "var(--mantine-color-green-7)", "var(--mantine-color-red-7)"


def _number_column(field: str, header: str, width: int, signed: bool = False) -> dict[str, Any]:
    """An exact decimal column: sorted by its number, shown as the callback formatted it (decimals in
    Python, never a float in the browser); a signed one green when up, red when down."""
    column = {
        "field": field,
        "headerName": header,
        "type": "rightAligned",
        "minWidth": width,
        "valueGetter": {"function": f"params.data.{field} == null ? null : Number(params.data.{field})"},
        # The grid's function strings are expressions of a small safe evaluator: no `??`.
        "valueFormatter": {"function": f"params.data.{field}{SHOWN} == null ? '' : params.data.{field}{SHOWN}"},
    }
    if signed:
        column["cellStyle"] = {
            "styleConditions": [
                {"condition": "params.value > 0", "style": {"color": UP}},
                {"condition": "params.value < 0", "style": {"color": DOWN}},
            ]
        }
    return column


# The columns' minimum widths fit a phone's grid only by scrolling it (name first), and a laptop's
# (1440 px) with room to spare: the % column is never past the grid's edge (test_market_page.py).
MOVER_COLUMNS = [  # the key ones first: a phone shows the card, its price and its change without scrolling
    {"field": "name", "headerName": "Card", "flex": 2, "minWidth": 130, "tooltipField": "name"},
    _number_column("price", "Now", 84),
    _number_column("change_pct", "%", 76, signed=True),
    _number_column("change", "Change", 84, signed=True),
    _number_column("then_price", "Then", 84),
    {"field": "set", "minWidth": 88},
    {"field": "market", "headerName": "Market", "flex": 1, "minWidth": 100, "tooltipField": "market"},
]


def _movers_grid(id_: str) -> dag.AgGrid:
    """A movers grid; a click on a row opens its card (callbacks/market.py `open_mover`)."""
    return dag.AgGrid(
        id=id_,
        className="movers-grid",
        columnDefs=MOVER_COLUMNS,
        rowData=[],
        defaultColDef={"sortable": True, "resizable": True, "flex": 1, "suppressMovable": True},
        dashGridOptions={
            "domLayout": "autoHeight",
            "suppressColumnVirtualisation": True,
            "getRowId": {"function": "params.data.row_id"},
            "rowStyle": {"cursor": "pointer"},
        },
    )


def _figure(label: str, value: str, note: str | None = None) -> dmc.Paper:
    children = [dmc.Text(label, size="sm", c="dimmed"), dmc.Text(value, size="xl", fw=700)]
    if note:
        children.append(dmc.Text(note, size="xs", c="dimmed"))
    return dmc.Paper(children, withBorder=True, p="sm")


def _change(change: dict[str, str] | None) -> str:
    if change is None:
        return "no earlier data"
    return signed_percent(change["pct"])


def mover_row(row: dict[str, Any], currency: str) -> dict[str, Any]:
    """A mover as its grid shows it: the set and the market in one cell each, prices with their currency,
    changes signed; `row_id` names the variant, its first part the card a click opens."""
    finish = "" if row["finish"] == "nonfoil" else f" · {row['finish']}"
    return {
        **row,
        "row_id": f"{row['card_id']}:{row['marketplace_id']}:{row['finish']}",
        "set": f"{row['set_code'].upper()} #{row['collector_number']}",
        "market": f"{row['marketplace']}{finish}",
        "then_price_shown": money(row["then_price"], currency),
        "price_shown": money(row["price"], currency),
        "change_shown": signed_money(row["change"], currency),
        "change_pct_shown": signed_percent(row["change_pct"]),
    }


def signed_money(value: str | None, currency: str) -> str | None:
    """'2.5' -> '+2.50 USD', '-2' -> '-2.00 USD'."""
    shown = money(value, currency)
    return None if shown is None else (shown if shown.startswith(("-", "0.00")) else f"+{shown}")


def collecting_notice(runs: list[dict[str, Any]]) -> dmc.Alert:
    """Collections in progress, instead of the empty state: source, start and rows so far."""
    lines = [
        dmc.Text(
            f"{run['source']}: started {utc_text(run['started_at'])}, {run['rows']:,} rows written so far"
            + (f" (data of {utc_text(run['file_date'])})" if run.get("file_date") else ""),
            size="sm",
        )
        for run in runs
    ]
    return dmc.Alert(
        [*lines, dmc.Text("The page refreshes when it finishes.", size="sm", c="dimmed")],
        title="Collecting prices",
        color="blue",
        mt="md",
        id="market-collecting",
    )


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
    return {
        "all": "All cards",
        "format": f"{format_name(key)} legal",
        "rarity": key.title(),
        "set": f"Set {key.upper()}",
    }[kind]


def sub_index_options(kept: list[dict[str, str]], chosen: str) -> list[dict[str, str]]:
    """All cards, each format and rarity, then the sets the index keeps (and the chosen one, always).
    A kept key that is no index name (a provider's legality key with markup in it) is left out."""
    values = ["all", *(f"format:{f['value']}" for f in FORMATS[1:]), *(f"rarity:{r}" for r in RARITIES)]
    values += sorted(f"{row['kind']}:{row['key']}" for row in kept if row["kind"] == "set")
    values += [f"{row['kind']}:{row['key']}" for row in kept if row["kind"] != "set"]
    if chosen not in values:
        values.append(chosen)
    options = []
    for value in dict.fromkeys(values):
        try:
            options.append({"value": value, "label": sub_label(value)})
        except ValueError:
            continue
    return options


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
