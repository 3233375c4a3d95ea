"""The parts of a page that take live updates: which channels it follows, and the
counters that its callbacks take as inputs to refetch (bumped by assets/live.js)."""

from __future__ import annotations

from typing import Any

from dash import dcc


def live_channels(*channels: dict[str, Any]) -> dcc.Store:
    """The /ws subscriptions this page wants, e.g. {"channel": "card", "card_id": 12}."""
    return dcc.Store(id="live-channels", data=list(channels))


def followed_channels(id_: str) -> dcc.Store:
    """The subscriptions a page's callback names once it knows them (the user's cards, their alerts
    token). Not `live-channels`: as a callback output, that store would hold back every page's
    follow callback until this one fired (callbacks/live.py `follow_from`)."""
    return dcc.Store(id=id_, data=[])


def refresh_counter(id_: str) -> dcc.Store:
    return dcc.Store(id=id_, data=0)
