"""The printing search boxes (card, compare, collection and alerts pages): typed text in, options out."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, no_update
from sqlalchemy.exc import SQLAlchemyError

from callbacks import params
from callbacks.faults import database_error
from data.use_cases.cards import CardQueries

# A disabled option: the box says the database is down rather than "no printing by that name".
UNREACHABLE = {"value": "unreachable", "label": "The database is unreachable; retry shortly", "disabled": True}


def label(card: dict[str, Any]) -> str:
    """'Consider — MID #44 · en': name, set, number and language (each language is a printing of its
    own; one not known yet is left out). Text for a component (React escapes it), never for a chart."""
    printing = f"{card['name']} — {card['set_code'].upper()} #{card['collector_number']}"
    return f"{printing} · {card['lang']}" if card.get("lang") else printing


def search_options(cards: CardQueries, text: Any, page: str) -> list[dict[str, Any]] | None:
    """The options for typed text; None for too little text (or a value that is not text)."""
    typed = params.text(text)
    if typed is None or len(typed.strip()) < 2:
        return None
    try:
        found = cards.search(typed, limit=20)
    except SQLAlchemyError as exc:
        database_error(page, exc)
        return [UNREACHABLE]
    return [{"value": str(card["id"]), "label": label(card)} for card in found]


def search_box(app: Dash, box_id: str, cards: CardQueries, page: str) -> None:
    """Fill a single-printing box (layouts/filters.py `printing_search`) with the options for what is typed."""

    @app.callback(
        Output(box_id, "data"), Input(box_id, "searchValue"), State(box_id, "data"), prevent_initial_call=True
    )
    def search(text, shown):
        chosen = shown if isinstance(shown, list) else []  # the browser's own state, but a request may send anything
        if any(isinstance(o, dict) and o.get("label") == text for o in chosen):
            return no_update  # the box shows the chosen option's label: keep the options, and the choice
        options = search_options(cards, text, page)
        return no_update if options is None else options
