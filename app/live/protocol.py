"""The design's WebSocket protocol: what a client may send, what the server answers.

Client: {"action": "subscribe" | "unsubscribe", "channel": "market"},
        {..., "channel": "card", "card_id": N}, {..., "channel": "alerts", "token": "<JWT>"},
        {"action": "ping"}.
Server: subscribed / unsubscribed / pong / error, and the updates market_update,
card_price_update and price_alert, each {"type": ..., "data": {...}}.

Pure functions: no sockets, no Redis, so every rule is tested directly.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from typing import Any

from data.domain import stored_id

MAX_FRAME_BYTES = 4096  # a command is a few dozen bytes; anything bigger is refused
MAX_UPDATE_BYTES = 2**20  # a card's update: a few KiB, a few hundred variants at most (~50 KiB); bigger is dropped
# json.loads recurses once per level (RecursionError past ~1000), so nesting is measured before
# parsing. Commands are flat and updates four levels deep: this leaves room and bounds the work.
MAX_DEPTH = 32
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
    """One client frame as a command, or ProtocolError saying what is wrong with it.

    Strict JSON (no NaN or Infinity); with duplicate keys the last one counts, as in browsers."""
    if isinstance(frame, bytes):
        raise ProtocolError("binary frames are not accepted: send JSON text")
    message = _json(frame, MAX_FRAME_BYTES, "frame")
    if not isinstance(message, dict):
        raise ProtocolError('a message is a JSON object such as {"action": "ping"}')
    action = message.get("action")
    if action not in ACTIONS:  # tuples compare with ==, so unhashable values are merely unknown
        raise ProtocolError(f"unknown action {_shown(action)}: use {', '.join(ACTIONS)}")
    if action == "ping":
        return Command("ping")
    channel = message.get("channel")
    if channel not in CHANNELS:
        raise ProtocolError(f"unknown channel {_shown(channel)}: use {', '.join(CHANNELS)}")
    if channel == "card":
        card_id = message.get("card_id")
        if card_id is None:
            raise ProtocolError("the card channel needs a card_id")
        if not isinstance(card_id, int) or stored_id(card_id) is None:  # a number, not digits in a string
            raise ProtocolError(f"card_id must be a positive integer, not {_shown(card_id)}")
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
            ident = stored_id(redis_channel[len(prefix) :])
            return None if ident is None else (subscription_key(channel, ident), kind)
    return None


def update_payload(data: bytes | str) -> str:
    """A published update's JSON text, checked before it goes out to browsers: UTF-8, at most
    MAX_UPDATE_BYTES, a JSON object nested at most MAX_DEPTH deep, strict JSON (browsers' JSON.parse
    refuses NaN, so one would break every page it reached). ProtocolError says what is wrong."""
    if isinstance(data, bytes):
        try:
            data = data.decode()
        except UnicodeDecodeError:
            raise ProtocolError("not UTF-8") from None
    if not isinstance(_json(data, MAX_UPDATE_BYTES, "update"), dict):
        raise ProtocolError("not a JSON object")
    return data


# A JSON string (possessive, and its closing quote optional, so that an unterminated one ends the
# match instead of being retried from every later quote), and what is not a bracket.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON text nests arrays and objects more than `limit` deep. Linear and mostly in C:
    counting brackets settles almost every text; otherwise strings are cut out, then the brackets
    left are summed as they come."""
    if text.count("[") + text.count("{") <= limit:
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json(text: str, max_bytes: int, what: str) -> Any:
    """Parsed JSON text within the limits; ProtocolError for anything else."""
    try:
        size = len(text.encode())
    except UnicodeEncodeError:  # lone surrogates: never from a socket or Redis, but never let them through
        raise ProtocolError("not valid UTF-8") from None
    if size > max_bytes:
        raise ProtocolError(f"{what} of {size} bytes is over the {max_bytes}-byte limit")
    if too_deep(text):
        raise ProtocolError(f"nested more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # ValueError includes numbers of over 4300 digits
        raise ProtocolError("not valid JSON") from None


def _shown(value: Any, limit: int = 40) -> str:
    """A client's value for an error message: repr, cut short."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return "a number too long to show"
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
