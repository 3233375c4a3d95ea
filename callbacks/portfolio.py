"""Portfolio page callbacks: the summary per currency, the lots without a price, the movers and the
value over time, for the signed-in user on the chosen basis; refetched when a held card's price lands.

The page follows the held cards' /ws channels, the most valuable first; past the socket's subscription
limit it follows the market channel instead, which every settled price batch publishes to."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import dash_mantine_components as dmc
from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html
from sqlalchemy.exc import SQLAlchemyError

from app.accounts.sessions import current_user
from app.live.connections import MAX_SUBSCRIPTIONS
from callbacks import live, params
from callbacks.faults import database_error
from callbacks.figures import portfolio_value_figure
from callbacks.units import money, signed_percent
from data.domain import Condition, Language
from data.use_cases.portfolio import BASES, PortfolioQueries
from layouts.filters import status
from layouts.portfolio import HISTORY_DAYS, PATH
from layouts.signed_in import login_href

PAGE = "portfolio page"
MOVERS = 5  # per period and direction


def signed_money(amount: Decimal | str | None, currency: str) -> str | None:
    """'+1.20 USD', '-0.12 USD', '0.00 USD'."""
    shown = money(amount, currency)
    if shown is None:
        return None
    return f"+{shown}" if Decimal(str(amount)).quantize(Decimal("0.01")) > 0 else shown


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _stat(label: str, amount: str, detail: str = "", color: str | None = None, id_: str | None = None) -> dmc.Stack:
    return dmc.Stack(
        [
            dmc.Text(label, size="xs", c="dimmed", tt="uppercase", fw=600),
            dmc.Text(
                amount,
                size="xl",
                fw=700,
                className="cc-amount",
                **({"c": color} if color else {}),  # c=None hides the text
                **({"id": id_} if id_ else {}),
            ),
            dmc.Text(detail, size="xs", c="dimmed"),
        ],
        gap=2,
    )


def _pnl_color(amount: Decimal) -> str | None:
    return "teal" if amount > 0 else "red" if amount < 0 else None


def summary_view(summary: dict[str, Any]) -> list:
    """One panel per currency: value, cost basis, unrealized and realized P&L (amounts never converted)."""
    # The currencies the basis values first (the panel that holds the value leads), then by name.
    currencies = sorted(
        set(summary["value"]) | set(summary["cost"]) | set(summary["unrealized"]) | set(summary["realized"]),
        key=lambda currency: (currency not in summary["value"], currency),
    )
    panels = []
    for currency in currencies:
        value = summary["value"].get(currency)
        cost = summary["cost"].get(currency)
        unrealized = summary["unrealized"].get(currency)
        realized = summary["realized"].get(currency)
        stats = [
            _stat(
                f"Value ({summary['basis_name']})",
                money(value["amount"], currency) if value else "—",
                (
                    f"{_plural(value['lots'], 'lot')}, {_plural(value['copies'], 'copy', 'copies')}"
                    + (f"; {value['fallbacks']} at the Near Mint price" if value["fallbacks"] else "")
                )
                if value
                else f"no lot priced in {currency}",
                id_=f"portfolio-value-{currency}",
            ),
            _stat(
                "Cost basis",
                money(cost["amount"], currency) if cost else "—",
                f"{_plural(cost['lots'], 'lot')} bought in {currency}" if cost else f"nothing bought in {currency}",
            ),
            _stat(
                "Unrealized P&L",
                signed_money(unrealized["pnl"], currency) if unrealized else "—",
                f"value {money(unrealized['value'], currency)} against cost {money(unrealized['cost'], currency)}"
                f" ({_plural(unrealized['lots'], 'lot')} priced and bought in {currency})"
                if unrealized
                else f"no lot both priced and bought in {currency}",
                _pnl_color(unrealized["pnl"]) if unrealized else None,
            ),
            _stat(
                "Realized P&L",
                signed_money(realized["pnl"], currency) if realized else "—",
                f"{_plural(realized['sales'], 'sale')}, proceeds {money(realized['proceeds'], currency)}"
                + (f"; {realized['unknown_cost']} of unknown cost left out" if realized["unknown_cost"] else "")
                if realized
                else "no sales",
                _pnl_color(realized["pnl"]) if realized else None,
            ),
        ]
        panels.append(
            dmc.Paper(
                [
                    dmc.Text(currency, fw=700, mb="xs"),
                    dmc.SimpleGrid(stats, cols={"base": 2, "md": 4}, spacing="md", verticalSpacing="md"),
                ],
                withBorder=True,
                p="md",
                mt="md",
                className="cc-currency-panel",
            )
        )
    unknown = summary["unknown_cost"]
    if unknown["lots"]:
        panels.append(
            dmc.Text(
                f"{_plural(unknown['lots'], 'lot')} ({_plural(unknown['copies'], 'copy', 'copies')})"
                f" {'has' if unknown['lots'] == 1 else 'have'} no known cost:"
                f" {'it is' if unknown['lots'] == 1 else 'they are'} left out of the cost basis and the P&L.",
                size="sm",
                c="dimmed",
                mt="xs",
            )
        )
    return panels


def _variant(row: dict[str, Any]) -> str:
    return f"{row['finish']}, {Condition(row['condition']).code}, {Language(row['language']).code}"


def _card_link(row: dict[str, Any]) -> dcc.Link:
    return dcc.Link(
        f"{row['name']} ({row['set_code'].upper()} #{row['collector_number']})", href=f"/card?id={int(row['card_id'])}"
    )


def unpriced_view(summary: dict[str, Any]) -> list:
    unpriced = summary["unpriced"]
    if not unpriced["lots"]:
        return []
    named = unpriced["named"]
    items = [
        html.Li([_card_link(row), f" · {_variant(row)} · {_plural(row['quantity'], 'copy', 'copies')}"])
        for row in named
    ]
    more = unpriced["lots"] - len(named)
    return [
        dmc.Alert(
            [
                dmc.Text(
                    f"{_plural(unpriced['lots'], 'lot')} ({_plural(unpriced['copies'], 'copy', 'copies')})"
                    f" {'has' if unpriced['lots'] == 1 else 'have'} no"
                    f" price on this basis ({summary['basis_name']}), so they are not in the value (not counted"
                    " as zero):"
                ),
                html.Ul(items, style={"margin": "0.25rem 0 0", "paddingLeft": "1.2rem"}),
                dmc.Text(f"and {more} more", size="sm") if more > 0 else None,
            ],
            title="Without a price",
            color="orange",
            mt="md",
            id="portfolio-unpriced-alert",
        )
    ]


def movers_view(movers: dict[str, dict[str, Any]]) -> list:
    """The biggest movers over 24h and 7d, by money change (quantity x price change)."""
    out: list = [dmc.Title("Biggest movers", order=4, mt="lg")]
    for period, found in movers.items():
        rows = found["gainers"] + found["losers"]
        if not rows:
            out.append(
                dmc.Text(
                    f"{period}: no held variant has a price {'a day' if period == '24h' else 'a week'} before its"
                    " newest one that differs from it.",
                    size="sm",
                    c="dimmed",
                    mt="xs",
                )
            )
            continue
        body = [
            dmc.TableTr(
                [
                    dmc.TableTd(_card_link(row)),
                    dmc.TableTd(_variant(row)),
                    dmc.TableTd(str(row["quantity"]), ta="right"),
                    dmc.TableTd(money(row["price"], row["currency"]), ta="right"),
                    dmc.TableTd(signed_money(row["change"], row["currency"]), ta="right", c=_pnl_color(row["change"])),
                    dmc.TableTd(signed_percent(row["change_pct"]), ta="right", c=_pnl_color(row["change"])),
                ]
            )
            for row in rows
        ]
        head = dmc.TableThead(
            dmc.TableTr(
                [
                    dmc.TableTh(h, **({"ta": "right"} if i > 1 else {}))
                    for i, h in enumerate(["Card", "Variant", "Qty", "Price", period, "%"])
                ]
            )
        )
        out += [
            dmc.Text(period, fw=600, mt="sm"),
            dmc.TableScrollContainer(
                dmc.Table([head, dmc.TableTbody(body)], striped=True, fz="sm", id=f"portfolio-movers-{period}"),
                minWidth=560,
            ),
        ]
    return out


def history_json(history: dict[str, Any], basis: str) -> dict[str, Any]:
    """PortfolioQueries.history as the figure builder takes it: ISO days and exact decimal strings."""
    return {
        "basis": basis,
        "basis_name": BASES[basis][1],
        "end": history["end"].isoformat() if history["end"] else None,
        "series": {
            currency: [
                {"day": point["day"].isoformat(), "value": str(point["value"]), "variants": point["variants"]}
                for point in points
            ]
            for currency, points in history["series"].items()
        },
    }


def live_plan(valued: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """The channels to follow, what the refresh listens for, and the note saying so."""
    by_value = sorted(valued, key=lambda row: -(row["value"] or 0))
    cards = list(dict.fromkeys(row["card_id"] for row in by_value))
    if not cards:
        return [], {"cards": [], "market": False}, ""
    if len(cards) <= MAX_SUBSCRIPTIONS:
        channels = [{"channel": "card", "card_id": card} for card in cards]
        note = f"Live: updates as prices of your {_plural(len(cards), 'card')} land."
        return channels, {"cards": cards, "market": False}, note
    note = f"Live: updates as each batch of prices lands ({len(cards)} cards held)."
    return [{"channel": "market"}], {"cards": [], "market": True}, note


def register(app: Dash, portfolio: PortfolioQueries) -> None:
    live.follow_from(app, "portfolio-channels")

    @app.callback(
        Output("portfolio-status", "children"),
        Output("portfolio-summary", "children"),
        Output("portfolio-unpriced", "children"),
        Output("portfolio-movers", "children"),
        Output("portfolio-history-graph", "figure"),
        Output("portfolio-channels", "data"),
        Output("portfolio-held", "data"),
        Output("portfolio-live-note", "children"),
        Input("portfolio-basis", "value"),
        Input("portfolio-days", "value"),
        Input("portfolio-refresh", "data"),
        Input("portfolio-scheme", "data"),
    )
    def show(basis, days, _refresh, scheme):
        scheme = params.scheme(scheme)
        basis = basis if basis in BASES else "tcgplayer"
        days = int(days) if days in HISTORY_DAYS else 90
        empty = portfolio_value_figure({"series": {}}, scheme)
        nothing = ([], [], [], empty, [], {"cards": [], "market": False}, "")
        user = current_user()
        if user is None:
            signed_out = status(
                [dmc.Anchor("Log in", href=login_href(PATH)), " again to see your portfolio."],
                "orange",
                "You are signed out",
            )
            return signed_out, *nothing
        try:
            summary = portfolio.summary(user.id, basis)
            valued = portfolio.lots(user.id, basis)
            movers = {period: portfolio.movers(user.id, basis, period, MOVERS) for period in ("24h", "7d")}
            history = portfolio.history(user.id, basis, days)
        except SQLAlchemyError as exc:
            return database_error(PAGE, exc), *nothing
        channels, held, note = live_plan(valued)
        figure = portfolio_value_figure(history_json(history, basis), scheme)
        if not valued and not summary["realized"]:
            empty_state = status(
                [
                    "No lots in your collection yet: ",
                    dcc.Link("add or import some", href="/collection"),
                    " and their value shows here.",
                ],
                title="Empty",
            )
            return empty_state, [], [], [], figure, channels, held, note
        return (
            [],
            summary_view(summary),
            unpriced_view(summary),
            movers_view(movers),
            figure,
            channels,
            held,
            note,
        )

    # The page's own copy of the shell's scheme: a callback of the page that took the shell's store as an
    # input would be asked to run on every page (its other inputs missing there: a renderer error).
    app.clientside_callback(
        "(scheme) => scheme",
        Output("portfolio-scheme", "data"),
        Input("color-scheme", "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("collection", "portfolioRefresh"),
        Output("portfolio-refresh", "data"),
        Input("live-message", "data"),
        State("portfolio-held", "data"),
        prevent_initial_call=True,
    )
