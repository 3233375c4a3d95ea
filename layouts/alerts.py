"""The alerts page: the signed-in user's price alert rules (create, delete) and the inbox of the alerts
they raised (mark read). New alerts arrive live on the user's /ws alerts channel, opened with a
short-lived alerts token that callbacks/alerts.py issues for the signed-in user (app/live/tokens.py)."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html
from flask import current_app

from data.domain import CONDITION_CODES, LANGUAGE_CODES, Finish
from layouts.filters import fluid, ignored, printing_search, read_query
from layouts.live import followed_channels, live_channels, refresh_counter
from layouts.signed_in import sign_in_prompt, signed_in_user

PATH = "/alerts"
ANY = [{"value": "any", "label": "Any"}]
KINDS = [
    {"value": "above", "label": "Price above"},
    {"value": "below", "label": "Price below"},
    {"value": "change_24h", "label": "Change over 24h above (%)"},
    {"value": "change_7d", "label": "Change over 7d above (%)"},
    {"value": "buylist_above", "label": "Buylist above"},
]
FINISH_OPTIONS = ANY + [{"value": f.value, "label": f.value} for f in Finish]
CONDITION_OPTIONS = ANY + [{"value": code, "label": code} for code in CONDITION_CODES.values()]
LANGUAGE_OPTIONS = ANY + [{"value": code, "label": f"{code} ({lang.value})"} for lang, code in LANGUAGE_CODES.items()]


def _rule_form() -> dmc.Paper:
    return dmc.Paper(
        [
            dmc.Title("New rule", order=4),
            printing_search("alerts-card", "Card", mt="xs"),
            dmc.Group(
                [
                    dmc.Select(
                        id="alerts-kind", label="When", data=KINDS, value="above", allowDeselect=False, **fluid(220)
                    ),
                    dmc.TextInput(id="alerts-level", label="Level (price)", placeholder="12.50", **fluid(130)),
                    dmc.Select(
                        id="alerts-marketplace",
                        label="Marketplace",
                        data=ANY,
                        value="any",
                        allowDeselect=False,
                        **fluid(200),
                    ),
                ],
                align="flex-end",
                gap="md",
                mt="sm",
            ),
            dmc.Group(
                [
                    dmc.Select(id="alerts-finish", label="Finish", data=FINISH_OPTIONS, value="any", **fluid(120)),
                    dmc.Select(
                        id="alerts-condition", label="Condition", data=CONDITION_OPTIONS, value="any", **fluid(110)
                    ),
                    dmc.Select(
                        id="alerts-language",
                        label="Language",
                        data=LANGUAGE_OPTIONS,
                        value="any",
                        searchable=True,
                        **fluid(160),
                    ),
                ],
                align="flex-end",
                gap="md",
                mt="sm",
            ),
            dmc.TextInput(
                id="alerts-webhook",
                label="Webhook (optional)",
                description="An https URL that takes Discord-style JSON, e.g. a Discord channel webhook.",
                placeholder="https://discord.com/api/webhooks/…",
                mt="sm",
                maw=520,
            ),
            dmc.Button("Create rule", id="alerts-create", mt="md"),
            html.Div(id="alerts-create-status"),
        ],
        withBorder=True,
        p="md",
        mt="md",
    )


def layout(**unknown: Any) -> html.Div:
    notes: list[str] = []
    read_query(notes, unknown)
    user = signed_in_user()
    if user is None:
        return html.Div([dmc.Title("Alerts", order=2), sign_in_prompt(PATH, "price alerts"), live_channels()])
    secret = current_app.config.get("SECRET_KEY")
    return html.Div(
        [
            ignored(notes),
            dmc.Title("Alerts", order=2),
            dmc.Text(
                "A rule raises an alert when a card's newest price crosses its level, at most once a day per rule."
                " Alerts arrive here live"
                + ("" if secret else " once the server has a SECRET_KEY (until then, reload the page)")
                + ", and at the rule's webhook if it has one.",
                size="sm",
                c="dimmed",
            ),
            _rule_form(),
            dmc.Title("Your rules", order=4, mt="lg"),
            html.Div(id="alerts-rules-status"),
            html.Div(id="alerts-rules"),
            dmc.Group(
                [
                    dmc.Title("Inbox", order=4),
                    dmc.Button("Mark all read", id="alerts-read-all", variant="light", size="xs"),
                ],
                justify="space-between",
                mt="lg",
            ),
            html.Div(id="alerts-inbox"),
            dcc.Store(id="alerts-rules-changed", data=0),
            dcc.Store(id="alerts-inbox-changed", data=0),
            followed_channels("alerts-channels"),  # the alerts channel, with its token (callbacks/alerts.py)
            refresh_counter("alerts-live"),
        ]
    )
