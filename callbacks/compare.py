"""Compare page callbacks: choose printings, draw them on one scale."""

from __future__ import annotations

import logging

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, no_update
from sqlalchemy.exc import SQLAlchemyError

from callbacks.figures import compare_figure
from callbacks.params import optional
from callbacks.url_state import inputs, keep_in_url
from data.domain import Condition, Finish, Language, NotFound
from data.use_cases.cards import CardQueries
from data.use_cases.compare import CompareQueries
from layouts.filters import status

log = logging.getLogger(__name__)

EMPTY = {"series": [], "normalized": True, "currency": "USD"}
URL_PARAMS = {
    "ids": ("compare-ids", "data"),
    "range": ("compare-range", "value"),
    "mode": ("compare-mode", "value"),
    "currency": ("compare-currency", "value"),
    "condition": ("compare-condition", "value"),
    "finish": ("compare-finish", "value"),
    "lang": ("compare-language", "value"),
}


def _label(card: dict) -> str:
    return f"{card['name']} — {card['set_code'].upper()} #{card['collector_number']}"


def register(app: Dash, cards: CardQueries, compare: CompareQueries) -> None:
    @app.callback(
        Output("compare-search", "data"),
        Input("compare-search", "searchValue"),
        Input("compare-ids", "data"),
        State("compare-search", "value"),
        State("compare-search", "data"),
    )
    def options(text, ids, chosen, current):
        known = {option["value"]: option for option in current or []}
        if ctx.triggered_id == "compare-ids" or not ctx.triggered_id:
            for raw in ids or []:
                try:
                    known[raw] = {"value": raw, "label": _label(cards.detail(int(raw))["card"])}
                except (NotFound, ValueError):
                    known.pop(raw, None)
            return list(known.values())
        if not text or len(text.strip()) < 2:
            return no_update
        kept = [known[value] for value in chosen or [] if value in known]
        found = [{"value": str(card["id"]), "label": _label(card)} for card in cards.search(text, limit=20)]
        return kept + [option for option in found if option["value"] not in set(chosen or [])]

    @app.callback(Output("compare-ids", "data"), Input("compare-search", "value"), prevent_initial_call=True)
    def choose(values):
        return values or []

    @app.callback(
        Output("compare-graph", "figure"),
        Output("compare-status", "children"),
        *inputs(URL_PARAMS),
        Input("color-scheme", "data"),
        Input("compare-refresh", "data"),
    )
    def draw(ids, range_name, mode, currency, condition, finish, language, scheme, _refresh):
        if not ids:
            return compare_figure(EMPTY, {}, scheme), status("Choose up to 8 printings above.")
        try:
            card_ids = [int(raw) for raw in ids]
            compared = compare.compare(
                card_ids,
                range_name,
                currency,
                optional(Condition.parse, condition),
                optional(Language.parse, language),
                optional(Finish.parse, finish),
                mode == "normalized",
            )
            marketplaces = cards.marketplace_names()
        except ValueError as exc:
            return compare_figure(EMPTY, {}, scheme), status(str(exc), "red", "Bad parameter")
        except SQLAlchemyError:
            log.exception("compare page: database error")
            return compare_figure(EMPTY, {}, scheme), status("The price database is unreachable.", "red", "Error")
        notes = []
        if compared["missing"]:
            notes.append(f"Unknown card id(s): {', '.join(map(str, compared['missing']))}.")
        if not compared["series"]:
            notes.append("No prices match these filters in this range.")
        return compare_figure(compared, marketplaces, scheme), status(" ".join(notes) or None)

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
    keep_in_url(app, URL_PARAMS)
