"""The design's WebSocket protocol: what a client may send, what the server answers.

Client: {"action": "subscribe" | "unsubscribe", "channel": "market"},
        {..., "channel": "card", "card_id": N}, {..., "channel": "alerts", "token": "<JWT>"},
        {"action": "ping"}.
Server: subscribed / unsubscribed / pong / error, and the updates market_update,
card_price_update and price_alert, each {"type": ..., "data": {...}}.

Pure functions: no sockets, no Redis, so every rule is tested directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_FRAME_BYTES = 4096  # a command is a few dozen bytes; anything bigger is refused
ACTIONS = ("subscribe", "unsubscribe", "ping")
CHANNELS = ("market", "card", "alerts")

# Redis channels (the design's) and the update type each becomes on the socket.
_REDIS_PREFIXES = (
    ("channel:prices:card:", "card", "card_price_update"),
    ("channel:alerts:user:", "alerts", "price_alert"),
)
MARKET_REDIS_CHANNEL = "channel:prices:market"
REDIS_PATTERNS = ("channel:prices:*", "channel:alerts:user:*")


class ProtocolError(ValueError):
    """A message the server refuses; its text goes back to the client as the error."""


@dataclass(frozen=True)
class Command:
    action: str
    channel: str | None = None
    card_id: int | None = None
    token: str | None = None


def parse(frame: str | bytes) -> Command:
    """One client frame as a command, or ProtocolError saying what is wrong with it."""
    if isinstance(frame, bytes):
        raise ProtocolError("binary frames are not accepted: send JSON text")
    size = len(frame.encode())
    if size > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame of {size} bytes is over the {MAX_FRAME_BYTES}-byte limit")
    try:
        message = json.loads(frame)
    except ValueError:
        raise ProtocolError("not valid JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError('a message is a JSON object such as {"action": "ping"}')
    action = message.get("action")
    if action not in ACTIONS:
        raise ProtocolError(f"unknown action {action!r}: use {', '.join(ACTIONS)}")
    if action == "ping":
        return Command("ping")
    channel = message.get("channel")
    if channel not in CHANNELS:
        raise ProtocolError(f"unknown channel {channel!r}: use {', '.join(CHANNELS)}")
    if channel == "card":
        card_id = message.get("card_id")
        if card_id is None:
            raise ProtocolError("the card channel needs a card_id")
        if isinstance(card_id, bool) or not isinstance(card_id, int) or not 0 < card_id < 2**31:
            raise ProtocolError(f"card_id must be a positive integer, not {card_id!r}")
        return Command(action, channel, card_id=card_id)
    if channel == "alerts":
        token = message.get("token")
        if not isinstance(token, str) or not token:
            raise ProtocolError("the alerts channel needs a token")
        return Command(action, channel, token=token)
    return Command(action, channel)


def subscription_key(channel: str, ident: int | None = None) -> str:
    """Connections are registered under 'market', 'card:N' or 'alerts:USER'."""
    return channel if ident is None else f"{channel}:{ident}"


def route(redis_channel: str) -> tuple[str, str] | None:
    """The subscription key and update type for a Redis channel, None for one we do not serve."""
    if redis_channel == MARKET_REDIS_CHANNEL:
        return "market", "market_update"
    for prefix, channel, kind in _REDIS_PREFIXES:
        if redis_channel.startswith(prefix):
            ident = redis_channel[len(prefix) :]
            if ident.isdigit():
                return subscription_key(channel, int(ident)), kind
    return None


def encode(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, **fields}, separators=(",", ":"))


def update(kind: str, data_json: str) -> str:
    """An update frame around a payload already in JSON (encoded once, sent to many)."""
    return f'{{"type":"{kind}","data":{data_json}}}'


def resync(key: str) -> str | None:
    """Sent after the bridge reconnects: updates may have been missed, so refetch.
    None for alerts: an alert is not state that can be fetched again."""
    if key.startswith("card:"):
        return encode("card_price_update", data={"card_id": int(key[5:]), "price_data": {"resync": True}})
    if key == "market":
        return encode("market_update", data={"resync": True})
    return None
