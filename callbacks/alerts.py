"""Alerts page callbacks: create and delete rules, the inbox and marking alerts read, for the signed-in
user only; a `price_alert` on the user's /ws channel refetches the inbox (assets/collection.js)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash_mantine_components as dmc
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, no_update
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from app.accounts.sessions import current_user
from app.live import tokens
from callbacks import live
from callbacks.faults import database_error
from callbacks.search import search_box
from callbacks.units import money, signed_percent
from data.domain import Condition, Language, MarketplaceKind, NotFound, UnknownReference, stored_id
from data.repositories.cards import CardRepository
from data.repositories.marketplaces import MarketplaceRepository
from data.use_cases.alerts import AlertInbox, AlertRules, InvalidAlert
from data.use_cases.cards import CardQueries
from layouts.alerts import ANY, KINDS, PATH
from layouts.filters import status
from layouts.freshness import utc_text
from layouts.signed_in import login_href

PAGE = "alerts page"
INBOX_SHOWN = 100
TOKEN_LIFETIME = timedelta(hours=12)
KIND_WORDS = {"above": "above", "below": "below", "buylist_above": "buylist above"}


def signed_out() -> list[dmc.Alert]:
    return status(
        [dmc.Anchor("Log in", href=login_href(PATH)), " again to see your alerts."], "orange", "You are signed out"
    )


def _code(parse: Any, value: str | None) -> str:
    if not value:
        return ""
    try:
        return parse(value).code
    except ValueError:
        return value


def rule_text(rule: dict[str, Any], card: Any, marketplaces: dict[int, str]) -> tuple[str, str, str]:
    """(card, condition, variant) of a rule as the page shows them."""
    name = f"{card.name} ({card.set_code.upper()} #{card.collector_number})" if card else f"card {rule['card_id']}"
    level = str(rule["level"].normalize() if hasattr(rule["level"], "normalize") else rule["level"])
    if rule["kind"] in ("change_24h", "change_7d"):
        when = f"moves more than {level} % over {rule['kind'][-3:]}"
    else:
        when = f"{KIND_WORDS[rule['kind']]} {money(rule['level'])}"
    parts = [
        marketplaces.get(rule["marketplace_id"], "any marketplace") if rule["marketplace_id"] else "any marketplace",
        rule["finish"] or "",
        _code(Condition.parse, rule["condition"]),
        _code(Language.parse, rule["language"]),
    ]
    return name, when, " · ".join(part for part in parts if part)


def rules_view(rules: list[dict[str, Any]], cards: dict[int, Any], marketplaces: dict[int, str]) -> list:
    if not rules:
        return [dmc.Text("No rules yet: create one above.", size="sm", c="dimmed", mt="xs", id="alerts-no-rules")]
    body = []
    for rule in rules:
        name, when, variant = rule_text(rule, cards.get(rule["card_id"]), marketplaces)
        fired = utc_text(rule["last_fired_at"].isoformat(), "") + " UTC" if rule["last_fired_at"] else "never"
        body.append(
            dmc.TableTr(
                [
                    dmc.TableTd(dcc.Link(name, href=f"/card?id={int(rule['card_id'])}")),
                    dmc.TableTd(when),
                    dmc.TableTd(variant),
                    dmc.TableTd("yes" if rule["webhook"] else "no"),
                    dmc.TableTd(fired),
                    dmc.TableTd(
                        dmc.Button(
                            "Delete",
                            id={"type": "alerts-rule-delete", "id": rule["id"]},
                            size="compact-xs",
                            color="red",
                            variant="subtle",
                        )
                    ),
                ]
            )
        )
    head = dmc.TableThead(
        dmc.TableTr([dmc.TableTh(h) for h in ("Card", "When", "Variant", "Webhook", "Last raised", "")])
    )
    return [
        dmc.TableScrollContainer(
            dmc.Table([head, dmc.TableTbody(body)], striped=True, fz="sm", id="alerts-rules-table"), minWidth=640
        )
    ]


def alert_text(payload: dict[str, Any]) -> str:
    """'Consider (MID #44) · TCGplayer nonfoil NM en: 0.40 USD, above 0.38'."""
    variant = payload.get("variant") or {}
    where = " ".join(
        part
        for part in (
            variant.get("marketplace") or "",
            variant.get("finish") or "",
            _code(Condition.parse, variant.get("condition")),
            _code(Language.parse, variant.get("language")),
        )
        if part
    )
    card = f"{payload.get('card_name')} ({str(payload.get('set_code', '')).upper()} #{payload.get('collector_number')})"
    price = money(payload.get("price"), payload.get("currency"))
    kind = payload.get("kind")
    if kind in ("change_24h", "change_7d"):
        what = (
            f"{signed_percent(payload.get('change'))} over {kind[-3:]} (from {money(payload.get('before'))}),"
            f" past {payload.get('level')} %"
        )
    else:
        what = f"{KIND_WORDS.get(kind, kind)} {money(payload.get('level'))}"
    return f"{card} · {where}: {price}, {what}"


def inbox_view(alerts: list[dict[str, Any]]) -> list:
    if not alerts:
        return [dmc.Text("No alerts yet. They appear here as soon as a rule fires.", size="sm", c="dimmed", mt="xs")]
    items = []
    for alert in alerts:
        unread = alert["read_at"] is None
        payload = alert["payload"] or {}
        items.append(
            dmc.Paper(
                dmc.Group(
                    [
                        dmc.Stack(
                            [
                                dmc.Text(alert_text(payload), fw=700 if unread else 400, size="sm"),
                                dmc.Text(
                                    f"raised {utc_text(alert['raised_at'].isoformat(), '')} UTC"
                                    f" · price as of {utc_text(payload.get('time'), '')} UTC"
                                    + ("" if unread else " · read"),
                                    size="xs",
                                    c="dimmed",
                                ),
                            ],
                            gap=2,
                            style={"minWidth": 0, "flex": "1 1 240px"},
                        ),
                        dmc.Button(
                            "Mark read",
                            id={"type": "alerts-read", "id": alert["id"]},
                            size="compact-xs",
                            variant="light",
                        )
                        if unread
                        else None,
                    ],
                    justify="space-between",
                    wrap="wrap",
                ),
                withBorder=True,
                p="xs",
                mt="xs",
                className="cc-alert" + (" cc-unread" if unread else ""),
            )
        )
    if len(alerts) == INBOX_SHOWN:
        items.append(dmc.Text(f"The newest {INBOX_SHOWN} alerts are shown.", size="xs", c="dimmed"))
    return items


def _chosen(value: Any) -> str | None:
    return None if value in (None, "", "any") else value


def register(
    app: Dash,
    card_queries: CardQueries,
    cards: CardRepository,
    marketplaces: MarketplaceRepository,
    rules: AlertRules,
    inbox: AlertInbox,
) -> None:
    live.follow_from(app, "alerts-channels")

    search_box(app, "alerts-card", card_queries, PAGE)

    @app.callback(
        Output("alerts-marketplace", "data"),
        Output("alerts-marketplace", "value"),
        Output("alerts-level", "label"),
        Input("alerts-kind", "value"),
        State("alerts-marketplace", "value"),
    )
    def kind_options(kind, chosen):
        label = "Level (%)" if kind in ("change_24h", "change_7d") else "Level (price)"
        wanted = MarketplaceKind.BUYLIST if kind == "buylist_above" else MarketplaceKind.RETAIL
        try:
            found = [m for m in marketplaces.all() if m.kind == wanted]
        except SQLAlchemyError as exc:
            database_error(PAGE, exc)
            return ANY, "any", label
        options = ANY + [{"value": str(m.id), "label": f"{m.name} ({m.currency})"} for m in found]
        keep = chosen if chosen in {o["value"] for o in options} else "any"
        return options, keep, label

    @app.callback(
        Output("alerts-create-status", "children"),
        Output("alerts-rules-changed", "data", allow_duplicate=True),
        Input("alerts-create", "n_clicks"),
        State("alerts-card", "value"),
        State("alerts-kind", "value"),
        State("alerts-level", "value"),
        State("alerts-marketplace", "value"),
        State("alerts-finish", "value"),
        State("alerts-condition", "value"),
        State("alerts-language", "value"),
        State("alerts-webhook", "value"),
        State("alerts-rules-changed", "data"),
        prevent_initial_call=True,
    )
    def create(_clicks, card, kind, level, market, finish, condition, language, webhook, count):
        user = current_user()
        if user is None:
            return signed_out(), no_update
        card_id = stored_id(card)
        if card_id is None:
            return status("Choose a card first: type its name in the Card box.", "orange", "No card"), no_update
        level = level.strip() if isinstance(level, str) else level
        if level in (None, ""):
            return status("Give a level: a price, or a percent for the change kinds.", "orange", "No level"), no_update
        try:
            rules.create(
                user.id,
                card_id,
                kind,
                level,
                marketplace_id=_chosen(market),
                finish=_chosen(finish),
                condition=_chosen(condition),
                language=_chosen(language),
                webhook=(webhook or "").strip() or None,
            )
        except (InvalidAlert, UnknownReference) as exc:
            return status(f"Not created: {exc}.", "red", "Refused"), no_update
        except SQLAlchemyError as exc:
            return database_error(PAGE, exc), no_update
        label = next((k["label"] for k in KINDS if k["value"] == kind), kind)
        return status(f"Rule created: {label.lower()} {level}.", "green", "Created"), (count or 0) + 1

    @app.callback(
        Output("alerts-rules", "children"),
        Output("alerts-rules-status", "children"),
        Input("alerts-rules-changed", "data"),
    )
    def show_rules(_changed):
        user = current_user()
        if user is None:
            return [], signed_out()
        try:
            found = rules.list(user.id)
            names = {card_id: cards.get(card_id) for card_id in {rule["card_id"] for rule in found}}
            markets = {m.id: m.name for m in marketplaces.all()}
        except SQLAlchemyError as exc:
            return [], database_error(PAGE, exc)
        return rules_view(found, names, markets), []

    @app.callback(
        Output("alerts-rules-status", "children", allow_duplicate=True),
        Output("alerts-rules-changed", "data", allow_duplicate=True),
        Input({"type": "alerts-rule-delete", "id": ALL}, "n_clicks"),
        State("alerts-rules-changed", "data"),
        prevent_initial_call=True,
    )
    def delete(_clicks, count):
        if not ctx.triggered or not ctx.triggered[0].get("value") or not isinstance(ctx.triggered_id, dict):
            return no_update, no_update  # the buttons were (re)drawn, not clicked
        user = current_user()
        if user is None:
            return signed_out(), no_update
        rule_id = stored_id(ctx.triggered_id.get("id"))
        if rule_id is None:
            return status("Not deleted: no such rule.", "red", "Refused"), no_update
        try:
            rules.delete(user.id, rule_id)
        except NotFound as exc:
            return status(f"Not deleted: {exc}.", "red", "Refused"), (count or 0) + 1
        except SQLAlchemyError as exc:
            return database_error(PAGE, exc), no_update
        return status("Rule deleted.", "green", "Deleted"), (count or 0) + 1

    @app.callback(
        Output("alerts-inbox", "children"),
        Output("alerts-channels", "data"),
        Input("alerts-live", "data"),
        Input("alerts-inbox-changed", "data"),
    )
    def show_inbox(_live, _changed):
        user = current_user()
        if user is None:
            return signed_out(), []
        secret = current_app.config.get("SECRET_KEY")
        # A short-lived alerts token for the signed-in user opens their /ws alerts channel (app/live/tokens.py);
        # each refresh names a fresh one, so a page left open resubscribes with a valid token after a drop.
        channels = [{"channel": "alerts", "token": tokens.issue(secret, user.id, TOKEN_LIFETIME)}] if secret else []
        try:
            return inbox_view(inbox.list(user.id, INBOX_SHOWN)), channels
        except SQLAlchemyError as exc:
            return database_error(PAGE, exc), channels

    @app.callback(
        Output("alerts-inbox-changed", "data"),
        Input({"type": "alerts-read", "id": ALL}, "n_clicks"),
        Input("alerts-read-all", "n_clicks"),
        State("alerts-inbox-changed", "data"),
        prevent_initial_call=True,
    )
    def mark_read(_clicks, _all, count):
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            return no_update
        user = current_user()
        if user is None:
            return no_update
        chosen = None if ctx.triggered_id == "alerts-read-all" else [stored_id(ctx.triggered_id.get("id"))]
        if chosen is not None and chosen[0] is None:
            return no_update
        try:
            inbox.mark_read(user.id, chosen)
        except NotFound:
            pass  # not the user's (or gone): the refreshed inbox shows what is true
        except SQLAlchemyError as exc:
            database_error(PAGE, exc)
            return no_update
        return (count or 0) + 1

    app.clientside_callback(
        ClientsideFunction("collection", "alertArrived"),
        Output("alerts-live", "data"),
        Input("live-message", "data"),
        State("alerts-live", "data"),
        prevent_initial_call=True,
    )
