"""The parts of a page that take live updates: which channels it follows, and the
counters that its callbacks take as inputs to refetch (bumped by assets/live.js)."""

from __future__ import annotations

from typing import Any

from dash import dcc


def live_channels(*channels: dict[str, Any]) -> dcc.Store:
    """The /ws subscriptions this page wants, e.g. {"channel": "card", "card_id": 12}."""
    return dcc.Store(id="live-channels", data=list(channels))


def refresh_counter(id_: str) -> dcc.Store:
    return dcc.Store(id=id_, data=0)
