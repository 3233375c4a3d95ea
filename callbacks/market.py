"""Market page callbacks: filters in, index figure and overview out."""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State
from sqlalchemy.exc import SQLAlchemyError

from callbacks import params
from callbacks.faults import bad_input, database_error
from callbacks.figures import market_index_figure, volume_by_format_figure
from callbacks.first_draw import FirstDraw
from callbacks.url_state import keep_in_url
from data.domain import RANGES, Condition, Finish, Language
from data.use_cases.market import MOVER_PERIODS, MarketQueries
from data.use_cases.sources import SourceQueries
from layouts.filters import CURRENCIES, status
from layouts.formats import format_name
from layouts.market import (
    EMPTY_HELP,
    FORMATS,
    collecting_notice,
    mover_row,
    overview_figures,
    sources_figure,
    sub_index_options,
    sub_label,
)

URL_PARAMS = {
    "range": ("market-range", "value"),
    "currency": ("market-currency", "value"),
    "condition": ("market-condition", "value"),
    "finish": ("market-finish", "value"),
    "lang": ("market-language", "value"),
    "period": ("movers-period", "value"),
    "min_price": ("movers-min-price", "value"),
    "fmt": ("movers-format", "value"),
    "index": ("market-index", "value"),
    "avg": ("market-average", "value"),
}
NO_INDEX = {"currency": "USD", "time": [], "resolution": "DAY"}
AVERAGE = ("off", "on")
MARKET_CURRENCIES = [c["value"] for c in CURRENCIES[:2]]


def register(app: Dash, market: MarketQueries, sources: SourceQueries, first_draw: FirstDraw) -> None:
    """The market page's callbacks; its index chart, overview, index choices, movers and value by format
    are first drawn in the page's layout."""

    @first_draw.callback(
        Output("market-index-graph", "figure"),
        Output("market-overview", "children"),
        Output("market-status", "children"),
        Input("market-range", "value"),
        Input("market-currency", "value"),
        Input("market-condition", "value"),
        Input("market-finish", "value"),
        Input("market-language", "value"),
        Input("market-index", "value"),
        Input("market-average", "value"),
        Input("color-scheme", "data"),
        Input("market-refresh", "data"),
        Input("market-collect-tick", "n_intervals"),
    )
    def update_market(range_name, currency, condition, finish, language, sub, show_average, scheme, _refresh, _tick):
        scheme = params.scheme(scheme)
        try:
            currency = params.choice("currency", currency, MARKET_CURRENCIES)
            range_name = params.choice("range", range_name, RANGES)
            sub = params.optional(params.sub_index, sub, "index") or "all"
            chained = {**market.chained(range_name, currency, sub), "label": sub_label(sub)}
            average = None
            if params.choice("average", show_average or "off", AVERAGE) == "on":  # missing: off
                average = market.index(
                    range_name,
                    currency,
                    condition=params.optional(Condition.parse, condition, "condition"),
                    finish=params.optional(Finish.parse, finish, "finish"),
                    language=params.optional(Language.parse, language, "language"),
                )
            overview = market.overview(currency, range_name, sub)
            runs = sources.status()
            collecting = sources.collecting()
        except params.BadInput as exc:
            return market_index_figure(NO_INDEX, None, scheme), [], bad_input("market page", exc, "Bad filter")
        except SQLAlchemyError as exc:
            return market_index_figure(NO_INDEX, None, scheme), [], database_error("market page", exc)
        message = None if chained["time"] else EMPTY_HELP
        if overview["printings_tracked"] and not chained["time"]:
            message = "No retail prices in this currency and index in this range."
        elif average is not None and not average["time"]:
            message = "No prices match these filters in this range (average price)."
        figures = [*overview_figures(overview), sources_figure(runs)]
        notices = status(message)
        if collecting:  # a run in progress says so, rather than the empty state or beside the chart
            notices = [collecting_notice(collecting)] + ([] if message is EMPTY_HELP else notices)
        return market_index_figure(chained, average, scheme), figures, notices

    # While a run collects (its notice is shown), the page looks again every few seconds for its rows so far.
    # It runs on load too: the first draw may show the notice.
    app.clientside_callback(
        "(children) => !JSON.stringify(children || []).includes('\"market-collecting\"')",
        Output("market-collect-tick", "disabled"),
        Input("market-status", "children"),
    )

    @first_draw.callback(
        Output("market-index", "data"),
        Input("market-currency", "value"),
        Input("market-refresh", "data"),
        State("market-index", "value"),
    )
    def index_choices(currency, _refresh, chosen):
        """The sets (and formats, rarities) the index keeps for this currency."""
        try:
            kept = market.sub_indexes(params.choice("currency", currency, MARKET_CURRENCIES))
            chosen = params.optional(params.sub_index, chosen, "index") or "all"
        except (params.BadInput, SQLAlchemyError):
            kept, chosen = [], "all"  # the index callback reports the error
        return sub_index_options(kept, chosen)

    @first_draw.callback(
        Output("movers-gainers", "rowData"),
        Output("movers-losers", "rowData"),
        Output("market-volume-graph", "figure"),
        Output("movers-status", "children"),
        Input("movers-period", "value"),
        Input("movers-min-price", "value"),
        Input("movers-format", "value"),
        Input("market-currency", "value"),
        Input("color-scheme", "data"),
        Input("market-refresh", "data"),
    )
    def update_movers(period, min_price, legal_in, currency, scheme, _refresh):
        scheme = params.scheme(scheme)
        try:
            currency = params.choice("currency", currency, MARKET_CURRENCIES)
            legal_in = params.choice("format", legal_in, [f["value"] for f in FORMATS])
            moves = market.movers(
                params.choice("period", period, MOVER_PERIODS),
                currency,
                params.price(min_price),
                None if legal_in == "all" else legal_in,
            )
            volume = market.volume_by_format(currency)
        except params.BadInput as exc:
            return [], [], volume_by_format_figure([], "USD", scheme), bad_input("market movers", exc, "Bad filter")
        except SQLAlchemyError as exc:
            return [], [], volume_by_format_figure([], "USD", scheme), database_error("market movers", exc)
        rows = [[mover_row(row, currency) for row in moves[side]] for side in ("gainers", "losers")]
        named = [{**row, "format": format_name(row["format"])} for row in volume]
        return rows[0], rows[1], volume_by_format_figure(named, currency, scheme), []

    # A click anywhere on a mover's row opens its card (row ids start with the card id).
    for grid in ("movers-gainers", "movers-losers"):
        app.clientside_callback(
            """(cell) => {
                const card = cell && /^([0-9]+):/.exec(String(cell.rowId));
                return card ? '/card?id=' + card[1] : window.dash_clientside.no_update;
            }""",
            Output("url", "href", allow_duplicate=True),
            Input(grid, "cellClicked"),
            prevent_initial_call=True,
        )

    app.clientside_callback(
        ClientsideFunction("live", "marketRefresh"),
        Output("market-refresh", "data"),
        Input("live-message", "data"),
        State("market-refresh", "data"),
        prevent_initial_call=True,
    )
    keep_in_url(app, URL_PARAMS)
