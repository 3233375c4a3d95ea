"""Collection page callbacks: the lots grid and its edits, sales and deletions, the add form, the CSV
import (preview, then an all-or-nothing commit on confirm) and the CSV export.

Every callback acts for the request's signed-in user (`current_user()`), never for an id the page
sends: a lot id from the browser is only ever looked up within that user's lots."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

import dash_mantine_components as dmc
from dash import Dash, Input, Output, State, ctx, dcc, no_update
from sqlalchemy.exc import SQLAlchemyError

from app.accounts.sessions import current_user
from callbacks import lot_fields
from callbacks.faults import database_error
from callbacks.search import search_box
from callbacks.units import money
from data.collection_formats import FORMATS, CollectionFileError, read, write
from data.domain import Condition, Language, NotFound, UnknownReference, stored_id
from data.holdings import InvalidLot, Lot, NewLot, NotEnoughCopies
from data.repositories.lots import LotRepository
from data.use_cases.cards import CardQueries
from data.use_cases.collection import CollectionImport, ImportRefused
from data.use_cases.portfolio import BASES, PortfolioQueries
from layouts.collection import PATH, SHOWN
from layouts.filters import status
from layouts.freshness import utc_text
from layouts.signed_in import login_href

PAGE = "collection page"
PREVIEW_ROWS = 200  # rows of each preview table shown; the counts cover all
REFUSED = (InvalidLot, NotEnoughCopies, NotFound, UnknownReference)


def signed_out() -> list[dmc.Alert]:
    return status(
        [dmc.Anchor("Log in", href=login_href(PATH)), " again to change your collection."],
        "orange",
        "You are signed out",
    )


def _lot_text(row: dict[str, Any]) -> str:
    """'4 x Consider (MID #44, nonfoil, NM, en)'."""
    variant = ", ".join(str(row[k]) for k in ("finish", "condition", "language"))
    return f"{row['quantity']} x {row['name']} ({row['set']} #{row['number']}, {variant})"


def _price_note(row: dict[str, Any], basis: str) -> str:
    if row["unit_price"] is None:
        return f"no price on this basis ({BASES[basis][1]}) for this printing and finish"
    moment = row.get("priced_at")
    moment = moment.isoformat() if hasattr(moment, "isoformat") else moment
    when = f"as of {utc_text(moment, '')} UTC" if moment else ""
    if row["fallback"]:
        return f"the Near Mint price: no {Condition(row['condition']).code} price {when}".strip()
    return when


def lot_rows(valued: list[dict[str, Any]], lots: list[Lot], basis: str) -> list[dict[str, Any]]:
    """The grid's rows: PortfolioQueries.lots (name, value on the basis) with each lot's date and notes.
    Amounts are exact strings; `<field>_shown` adds the currency, and "no price" where there is none."""
    stored = {lot.id: lot for lot in lots}
    rows = []
    for row in valued:
        lot = stored.get(row["id"])
        if lot is None:  # changed between the two reads: the next refresh shows it
            continue
        value = None if row["value"] is None else money(row["value"])
        unit = None if row["unit_price"] is None else money(row["unit_price"])
        shown = {
            "id": row["id"],
            "card_id": row["card_id"],
            "name": row["name"],
            "set": row["set_code"].upper(),
            "number": row["collector_number"],
            "finish": lot.finish.value,
            "condition": lot.condition.code,
            "language": lot.language.code,
            "quantity": lot.quantity,
            "cost": money(lot.acquired_price) or "",
            "cost_currency": lot.currency,
            "acquired_on": lot.acquired_on.isoformat() if lot.acquired_on else "",
            "notes": lot.notes,
            "unit_price": unit,
            f"unit_price{SHOWN}": money(unit, row["currency"]) if unit else "no price",
            "value": value,
            f"value{SHOWN}": money(value, row["currency"]) if value else "no price",
        }
        shown["price_note"] = _price_note({**row, "condition": lot.condition.value}, basis)
        rows.append(shown)
    return rows


def _bump(count: Any) -> int:
    return (count if isinstance(count, int) else 0) + 1


def _selected(rows: Any) -> dict[str, Any] | None:
    if isinstance(rows, list) and rows and isinstance(rows[0], dict) and isinstance(rows[0].get("id"), int):
        return rows[0]
    return None


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _decode(contents: Any) -> bytes:
    """The bytes of dcc.Upload's data URL."""
    if not isinstance(contents, str) or "," not in contents:
        raise CollectionFileError("the upload did not arrive as a file")
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise CollectionFileError("the upload is not valid base64") from None


def _table(head: list[str], rows: list[list[Any]], id_: str) -> dmc.TableScrollContainer:
    return dmc.TableScrollContainer(
        dmc.Table(
            [
                dmc.TableThead(dmc.TableTr([dmc.TableTh(h) for h in head])),
                dmc.TableTbody([dmc.TableTr([dmc.TableTd(str(cell)) for cell in row]) for row in rows]),
            ],
            striped=True,
            id=id_,
            fz="sm",
        ),
        minWidth=520,
    )


def _left_out(parsed_problems: list, unmatched: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows that cannot be imported, by line: the file's own problems and the unmatched rows."""
    rows = [
        {"line": p.line, "card": "", "reason": f"{p.column}: {p.message}" if p.column else p.message}
        for p in parsed_problems
    ]
    rows += [
        {
            "line": u["line"],
            "card": " ".join(str(part) for part in (u["name"] or "", u["set_code"] or "", u["collector_number"] or "")),
            "reason": u["reason"],
        }
        for u in unmatched
    ]
    return sorted(rows, key=lambda row: row["line"])


def preview_view(app_label: str, preview: dict[str, Any], left_out: list[dict[str, Any]]) -> list:
    matched = preview["matched"]
    lots = len(matched)
    summary = (
        f"{app_label} file: {lots} row{'s' if lots != 1 else ''} matched"
        f" ({preview['copies']} cop{'ies' if preview['copies'] != 1 else 'y'}),"
        f" {len(left_out)} left out. Nothing is written until you confirm."
    )
    parts: list = [
        dmc.Alert(summary, title="Preview", color="green" if lots else "orange", mt="md", id="import-summary")
    ]
    if matched:
        parts.append(dmc.Title(f"Matched ({lots})", order=5, mt="md", mb="xs"))
        parts.append(
            _table(
                ["Line", "Card", "Set #", "Qty", "Finish", "Cond.", "Lang.", "Cost", "By"],
                [
                    [
                        m["line"],
                        m["name"],
                        f"{m['set_code'].upper()} #{m['collector_number']}",
                        m["quantity"],
                        m["finish"],
                        Condition(m["condition"]).code,
                        Language(m["language"]).code,
                        money(m["price"], m["currency"]) or "unknown",
                        m["matched_by"].replace("_", " "),
                    ]
                    for m in matched[:PREVIEW_ROWS]
                ],
                "import-matched",
            )
        )
    if left_out:
        parts.append(dmc.Title(f"Left out ({len(left_out)})", order=5, mt="md", mb="xs"))
        parts.append(
            _table(
                ["Line", "Card", "Why"],
                [[row["line"], row["card"], row["reason"]] for row in left_out[:PREVIEW_ROWS]],
                "import-unmatched",
            )
        )
    if max(len(matched), len(left_out)) > PREVIEW_ROWS:
        parts.append(dmc.Text(f"The tables show the first {PREVIEW_ROWS} rows of each.", size="xs", c="dimmed"))
    return parts


def register(
    app: Dash, cards: CardQueries, lots: LotRepository, portfolio: PortfolioQueries, collection: CollectionImport
) -> None:
    @app.callback(
        Output("collection-grid", "rowData"),
        Output("collection-status", "children"),
        Input("collection-basis", "value"),
        Input("collection-changed", "data"),
    )
    def show_lots(basis, _changed):
        user = current_user()
        if user is None:
            return [], signed_out()
        basis = basis if basis in BASES else "tcgplayer"
        try:
            rows = lot_rows(portfolio.lots(user.id, basis), lots.list(user.id), basis)
        except SQLAlchemyError as exc:
            return [], database_error(PAGE, exc)
        if not rows:
            return [], status("No lots yet: add a card (Add) or import a collection file (Import).", title="Empty")
        copies = sum(row["quantity"] for row in rows)
        unpriced = sum(1 for row in rows if row["value"] is None)
        text = f"{len(rows)} lot{'s' if len(rows) != 1 else ''}, {copies} cop{'ies' if copies != 1 else 'y'}."
        if unpriced:
            text += f" {unpriced} without a price on this basis ({BASES[basis][1]}): their value shows “no price”."
        return rows, dmc.Text(text, size="sm", mt="sm", id="collection-count")

    @app.callback(
        Output("collection-sell-open", "disabled"),
        Output("collection-delete-open", "disabled"),
        Input("collection-grid", "selectedRows"),
    )
    def enable_actions(selected):
        none = _selected(selected) is None
        return none, none

    @app.callback(
        Output("collection-edit-status", "children"),
        Output("collection-changed", "data", allow_duplicate=True),
        Input("collection-grid", "cellValueChanged"),
        State("collection-changed", "data"),
        prevent_initial_call=True,
    )
    def edit(changes, count):
        user = current_user()
        if user is None:
            return signed_out(), _bump(count)
        events = changes if isinstance(changes, list) else [changes]
        for event in events:
            if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
                continue
            row = event["data"]
            try:
                change = lot_fields.change(event.get("colId"), event.get("value"))
                lots.update(user.id, row.get("id"), change)
            except REFUSED as exc:
                # The grid shows the edited value: reloading the rows puts the stored one back.
                return status(f"Not saved: {exc}.", "red", "Edit refused"), _bump(count)
            except SQLAlchemyError as exc:
                return database_error(PAGE, exc), _bump(count)
        return status(None), _bump(count)

    @app.callback(
        Output("collection-delete-modal", "opened"),
        Output("collection-delete-text", "children"),
        Output("collection-edit-status", "children", allow_duplicate=True),
        Output("collection-changed", "data", allow_duplicate=True),
        Input("collection-delete-open", "n_clicks"),
        Input("collection-delete-confirm", "n_clicks"),
        Input("collection-delete-cancel", "n_clicks"),
        State("collection-grid", "selectedRows"),
        State("collection-changed", "data"),
        prevent_initial_call=True,
    )
    def delete(_open, _confirm, _cancel, selected, count):
        row = _selected(selected)
        if ctx.triggered_id == "collection-delete-open" and row is not None:
            return True, f"{_lot_text(row)} will be removed from your collection.", no_update, no_update
        if ctx.triggered_id != "collection-delete-confirm" or row is None:
            return False, no_update, no_update, no_update
        user = current_user()
        if user is None:
            return False, no_update, signed_out(), no_update
        try:
            lots.delete(user.id, row["id"])
        except REFUSED as exc:
            return False, no_update, status(f"Not deleted: {exc}.", "red", "Refused"), _bump(count)
        except SQLAlchemyError as exc:
            return False, no_update, database_error(PAGE, exc), no_update
        return False, no_update, status(f"Deleted {_lot_text(row)}.", "green", "Deleted"), _bump(count)

    @app.callback(
        Output("collection-sell-modal", "opened"),
        Output("collection-sell-text", "children"),
        Output("collection-sell-quantity", "max"),
        Output("collection-sell-quantity", "value"),
        Output("collection-sell-price", "value"),
        Output("collection-sell-currency", "value"),
        Output("collection-sell-date", "value"),
        Output("collection-sell-status", "children"),
        Output("collection-edit-status", "children", allow_duplicate=True),
        Output("collection-changed", "data", allow_duplicate=True),
        Input("collection-sell-open", "n_clicks"),
        Input("collection-sell-confirm", "n_clicks"),
        Input("collection-sell-cancel", "n_clicks"),
        State("collection-grid", "selectedRows"),
        State("collection-sell-quantity", "value"),
        State("collection-sell-price", "value"),
        State("collection-sell-currency", "value"),
        State("collection-sell-date", "value"),
        State("collection-changed", "data"),
        prevent_initial_call=True,
    )
    def sell(_open, _confirm, _cancel, selected, quantity, price, currency, day, count):
        row = _selected(selected)
        form = (no_update,) * 6  # the text, the quantity's max and the form's four fields
        if ctx.triggered_id == "collection-sell-open" and row is not None:
            # A fresh form: the quantity and price typed for an earlier sale (another lot's) would be sold.
            opened = (f"From {_lot_text(row)}.", row["quantity"], 1, "", row["cost_currency"], _today())
            return True, *opened, [], no_update, no_update
        if ctx.triggered_id != "collection-sell-confirm" or row is None:
            return False, *form, no_update, no_update, no_update
        user = current_user()
        if user is None:
            return False, *form, no_update, signed_out(), no_update
        try:
            sale = lots.sell(
                user.id,
                row["id"],
                lot_fields.quantity(quantity),
                lot_fields.money(price, "sale price", required=True),
                lot_fields.currency(currency),
                lot_fields.day(day, "sale date", required=True),
            )
        except REFUSED as exc:  # the form stays open with the reason
            return True, *form, status(f"Not recorded: {exc}.", "red", "Sale refused"), no_update, no_update
        except SQLAlchemyError as exc:
            return True, *form, database_error(PAGE, exc), no_update, no_update
        sold = lot_fields.quantity(quantity)
        left = f"{sale['remaining']} left in the lot" if sale["remaining"] else "the lot is now empty and removed"
        text = (
            f"Sold {sold} x {row['name']} at {money(lot_fields.money(price), lot_fields.currency(currency))}; {left}."
        )
        return False, *form, [], status(text, "green", "Sale recorded"), _bump(count)

    search_box(app, "collection-add-card", cards, PAGE)

    @app.callback(
        Output("collection-add-status", "children"),
        Output("collection-changed", "data", allow_duplicate=True),
        Input("collection-add", "n_clicks"),
        State("collection-add-card", "value"),
        State("collection-add-quantity", "value"),
        State("collection-add-finish", "value"),
        State("collection-add-condition", "value"),
        State("collection-add-language", "value"),
        State("collection-add-cost", "value"),
        State("collection-add-currency", "value"),
        State("collection-add-date", "value"),
        State("collection-add-notes", "value"),
        State("collection-changed", "data"),
        prevent_initial_call=True,
    )
    def add(_clicks, card, quantity, finish, condition, language, cost, currency, day, notes, count):
        user = current_user()
        if user is None:
            return signed_out(), no_update
        card_id = stored_id(card)
        if card_id is None:
            return status("Choose a card first: type its name in the Card box.", "orange", "No card"), no_update
        try:
            lot = NewLot(
                card_id=card_id,
                quantity=lot_fields.quantity(quantity),
                finish=lot_fields.finish(finish),
                condition=lot_fields.condition(condition),
                language=lot_fields.language(language),
                acquired_price=lot_fields.money(cost, "cost"),
                currency=lot_fields.currency(currency),
                acquired_on=lot_fields.day(day),
                notes=lot_fields.notes(notes),
            )
            lots.add_many(user.id, [lot])
            name = cards.detail(lot.card_id)["card"]["name"]
        except REFUSED as exc:
            return status(f"Not added: {exc}.", "red", "Refused"), no_update
        except LookupError:
            return status("Not added: that card is no longer in the catalog.", "red", "Refused"), no_update
        except SQLAlchemyError as exc:
            return database_error(PAGE, exc), no_update
        text = f"Added {lot.quantity} x {name} ({lot.finish.value}, {lot.condition.code}, {lot.language.code})."
        return status(text, "green", "Added"), _bump(count)

    @app.callback(
        Output("collection-import-preview", "children"),
        Output("collection-import-actions", "style"),
        Output("collection-import-confirm", "children"),
        Output("collection-import-confirm", "disabled"),
        Input("collection-upload", "contents"),
        State("collection-upload", "filename"),
        prevent_initial_call=True,
    )
    def preview(contents, filename):
        hidden = {"display": "none"}
        if contents is None:
            return [], hidden, no_update, no_update
        user = current_user()
        if user is None:
            return signed_out(), hidden, no_update, no_update
        name = filename if isinstance(filename, str) else None
        try:
            parsed = read(_decode(contents), name)
            found = collection.preview(user.id, parsed.rows).as_dict()
        except (CollectionFileError, ValueError) as exc:
            return status(f"{exc}", "red", "Cannot read this file"), hidden, no_update, no_update
        except SQLAlchemyError as exc:
            return database_error(PAGE, exc), hidden, no_update, no_update
        left_out = _left_out(parsed.problems, found["unmatched"])
        count = len(found["matched"])
        view = preview_view(FORMATS[parsed.format].label, found, left_out)
        return view, {"display": "flex"}, f"Import {count} lot{'s' if count != 1 else ''}", count == 0

    @app.callback(
        Output("collection-import-status", "children"),
        Output("collection-edit-status", "children", allow_duplicate=True),
        Output("collection-upload", "contents"),
        Output("collection-changed", "data", allow_duplicate=True),
        Output("collection-tabs", "value"),
        Input("collection-import-confirm", "n_clicks"),
        Input("collection-import-cancel", "n_clicks"),
        State("collection-upload", "contents"),
        State("collection-upload", "filename"),
        State("collection-changed", "data"),
        prevent_initial_call=True,
    )
    def confirm(_confirm, _cancel, contents, filename, count):
        if ctx.triggered_id != "collection-import-confirm" or contents is None:
            return (
                status("Import cancelled: nothing was written.", "gray", "Cancelled"),
                no_update,
                None,
                no_update,
                no_update,
            )
        user = current_user()
        if user is None:
            return signed_out(), no_update, no_update, no_update, no_update
        try:
            parsed = read(_decode(contents), filename if isinstance(filename, str) else None)
            # The user saw the rows left out: the matched ones are written, together, in one transaction.
            done = collection.commit(user.id, parsed.rows, skip_unmatched=True)
        except (CollectionFileError, ImportRefused, InvalidLot, UnknownReference, ValueError) as exc:
            return (
                status(f"Nothing was imported: {exc}", "red", "Import refused"),
                no_update,
                None,
                no_update,
                no_update,
            )
        except SQLAlchemyError as exc:
            return database_error(PAGE, exc), no_update, no_update, no_update, no_update
        lots_written = len(done["lot_ids"])
        left = len(done["skipped"]) + len(parsed.problems)
        text = f"Imported {lots_written} lot{'s' if lots_written != 1 else ''} ({done['copies']} copies)."
        if left:
            text += f" {left} row{'s' if left != 1 else ''} left out, as the preview showed."
        # The lots tab opens on the new lots, and says what was imported there.
        return [], status(text, "green", "Imported"), None, _bump(count), "lots"

    @app.callback(
        Output("collection-download", "data"),
        Output("collection-export-status", "children"),
        Input("collection-export", "n_clicks"),
        State("collection-export-format", "value"),
        prevent_initial_call=True,
    )
    def export(_clicks, format_name):
        user = current_user()
        if user is None:
            return no_update, signed_out()
        if format_name not in FORMATS:
            return no_update, status("Choose a format.", "orange", "No format")
        try:
            holdings = collection.export(user.id)
            if not holdings:
                return no_update, status("Nothing to export: the collection has no lots yet.", title="Empty")
            text = write(format_name, holdings)
        except CollectionFileError as exc:
            return no_update, status(str(exc), "red", "Cannot export")
        except SQLAlchemyError as exc:
            return no_update, database_error(PAGE, exc)
        day = _today()
        return dcc.send_string(text, f"cardcharts-{format_name}-{day}.csv", type="text/csv"), status(
            f"{len(holdings)} lots written as {FORMATS[format_name].label} CSV.", "green", "Exported"
        )
