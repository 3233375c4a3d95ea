"""Compare page callbacks: choose printings, draw them on one scale."""

from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, no_update
from sqlalchemy.exc import SQLAlchemyError

from callbacks import params
from callbacks.chart_controls import chart_scale, follow_range_hint, follow_scale_switch
from callbacks.faults import bad_input, database_error
from callbacks.figures import compare_figure
from callbacks.first_draw import FirstDraw
from callbacks.search import UNREACHABLE, label, search_options
from callbacks.url_state import inputs, keep_in_url
from data.domain import RANGES, Condition, Finish, Language, NotFound
from data.use_cases.cards import CardQueries
from data.use_cases.compare import MAX_PRINTINGS, CompareQueries
from layouts.filters import CURRENCIES, range_hint, status

EMPTY = {"series": [], "normalized": True, "currency": "USD"}
URL_PARAMS = {
    "ids": ("compare-ids", "data"),
    "range": ("compare-range", "value"),
    "mode": ("compare-mode", "value"),
    "currency": ("compare-currency", "value"),
    "condition": ("compare-condition", "value"),
    "finish": ("compare-finish", "value"),
    "lang": ("compare-language", "value"),
    "scale": ("compare-scale", "data"),
}


def _options(value: Any) -> list[dict[str, Any]]:
    """The options a multi-select holds (a state: any JSON may arrive), each a {value: str, …}."""
    if not isinstance(value, list):
        return []
    return [o for o in value if isinstance(o, dict) and isinstance(o.get("value"), str)]


def register(app: Dash, cards: CardQueries, compare: CompareQueries, first_draw: FirstDraw) -> None:
    """The compare page's callbacks; its chart is first drawn in the page's layout."""

    @app.callback(
        Output("compare-search", "data"),
        Input("compare-search", "searchValue"),
        Input("compare-ids", "data"),
        State("compare-search", "value"),
        State("compare-search", "data"),
    )
    def options(text, ids, chosen, current):
        known = {option["value"]: option for option in _options(current)}
        known.pop(UNREACHABLE["value"], None)
        chosen = [value for value in chosen if isinstance(value, str)] if isinstance(chosen, list) else []
        if ctx.triggered_id == "compare-ids" or not ctx.triggered_id:
            wanted, _bad = params.card_ids(ids)  # the draw callback names the bad ones
            try:
                for card_id in wanted[:MAX_PRINTINGS]:
                    try:
                        known[str(card_id)] = {"value": str(card_id), "label": label(cards.detail(card_id)["card"])}
                    except NotFound:  # kept, so that the draw callback names it, rather than dropped unsaid
                        known[str(card_id)] = {"value": str(card_id), "label": f"unknown card {card_id}"}
            except SQLAlchemyError as exc:
                database_error("compare page", exc)
                for card_id in wanted[:MAX_PRINTINGS]:
                    known.setdefault(str(card_id), {"value": str(card_id), "label": f"card {card_id}"})
            return list(known.values())
        found = search_options(cards, text, "compare search")
        if found is None:
            return no_update
        kept = [known[value] for value in chosen if value in known]
        return kept + [option for option in found if option["value"] not in set(chosen)]

    @app.callback(Output("compare-ids", "data"), Input("compare-search", "value"), prevent_initial_call=True)
    def choose(values):
        return values if isinstance(values, list) else []  # the draw callback names what is not an id

    @first_draw.callback(
        Output("compare-graph", "figure"),
        Output("compare-status", "children"),
        *inputs(URL_PARAMS),
        Input("color-scheme", "data"),
        Input("compare-refresh", "data"),
    )
    def draw(ids, range_name, mode, currency, condition, finish, language, scale, scheme, _refresh):
        scheme = params.scheme(scheme)
        empty = compare_figure(EMPTY, {}, scheme)
        card_ids, bad = params.card_ids(ids)
        notes = [f"Not card ids (left out): {', '.join(bad[:4])}{' and more' if len(bad) > 4 else ''}."] if bad else []
        if not card_ids:
            return empty, status(" ".join([*notes, f"Choose up to {MAX_PRINTINGS} printings above."]))
        try:
            if len(card_ids) > MAX_PRINTINGS:
                raise params.BadInput(f"compare takes at most {MAX_PRINTINGS} printings, got {len(card_ids)}")
            scale = chart_scale(scale)
            compared = compare.compare(
                card_ids,
                params.choice("range", range_name, RANGES),
                params.choice("currency", currency, [c["value"] for c in CURRENCIES]),
                params.optional(Condition.parse, condition, "condition"),
                params.optional(Language.parse, language, "language"),
                params.optional(Finish.parse, finish, "finish"),
                params.choice("mode", mode, ["normalized", "price"]) == "normalized",
            )
            marketplaces = cards.marketplace_names()
        except params.BadInput as exc:
            return empty, bad_input("compare page", exc)
        except SQLAlchemyError as exc:
            return empty, database_error("compare page", exc)
        if compared["missing"]:
            notes.append(f"Unknown card id(s): {', '.join(map(str, compared['missing']))}.")
        figure = compare_figure(compared, marketplaces, scheme, scale)
        if compared["sparse"] is not None:  # no line to draw: say why, and offer the nearest range that has one
            hint = range_hint(compared["sparse"], "compare-range", "matching these filters")
            return figure, status([" ".join([*notes, hint[0]]), *hint[1:]], title="No line")
        return figure, status(" ".join(notes) or None)

    # Follow the compared printings live; a new price of one of them redraws the chart.
    # (Not through `live-channels`: as a callback output, that store would hold back
    # the other pages' follow callback until this one fired, which it never does there.)
    app.clientside_callback(
        ClientsideFunction("live", "followCards"),
        Output("live-followed", "data", allow_duplicate=True),
        Input("compare-ids", "data"),
        prevent_initial_call="initial_duplicate",
    )
    app.clientside_callback(
        ClientsideFunction("live", "cardsRefresh"),
        Output("compare-refresh", "data"),
        Input("live-message", "data"),
        State("compare-ids", "data"),
        State("compare-refresh", "data"),
        prevent_initial_call=True,
    )
    follow_scale_switch(app, "compare-scale")
    follow_range_hint(app, "compare-range")
    keep_in_url(app, URL_PARAMS)
