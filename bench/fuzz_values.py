"""Hostile inputs for bench/fuzz.py: query strings, callback values and bodies, WebSocket frames,
pub/sub messages. Pure functions of a seeded `random.Random`: no sockets, no servers.

Values that JSON cannot hold as Python objects without blowing the client's own recursion
limit (deep nesting) travel as `Raw` JSON text, spliced in by `dumps`.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from urllib.parse import quote

HUGE_DIGITS = "9" * 5000  # past Python's 4,300-digit int() limit
URL_DIGITS = "9" * 4000  # the most that fits in gunicorn's 4,094-byte request line
SUPERSCRIPT_TWO = "\u00b2"  # str.isdigit() is True, int() raises
ARABIC_THREE = "\u0663"  # int() accepts it: 3
FRAME_LIMIT = 4096  # the protocol's limit: bigger frames get an error
HARD_LIMIT = 64 * 1024  # the server's read limit: bigger frames may be closed with 1009


class Raw(str):
    """JSON text to splice into a body as is."""


def deep_json(depth: int, opener: str = "[", leaf: str = "0") -> Raw:
    closer = "]" if opener == "[" else "}"
    return Raw(opener * depth + leaf + closer * depth)


def dumps(value: object) -> str:
    """json.dumps, with every `Raw` inside replaced by its text (NaN and Infinity allowed, as Python sends them)."""
    raws: list[str] = []

    def mark(item: object) -> object:
        if isinstance(item, Raw):
            raws.append(item)
            return f"\x00raw{len(raws) - 1}\x00"
        if isinstance(item, dict):
            return {key: mark(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [mark(inner) for inner in item]
        return item

    text = json.dumps(mark(value))
    for index, raw in enumerate(raws):
        text = text.replace(json.dumps(f"\x00raw{index}\x00"), raw, 1)
    return text


# Strings every input gets to see: numbers in disguise, control characters, markup, SQL, junk encodings.
STRINGS = [
    "",
    " ",
    "all",
    "ALL",
    SUPERSCRIPT_TWO,
    ARABIC_THREE,
    ARABIC_THREE * 4,
    "\U0001d7d9",  # mathematical double-struck one
    "\u2167",  # roman numeral eight
    "\u2460",  # circled one
    "-1",
    "0",
    "00",
    "+1",
    " 1",
    "1.5",
    "1e999",
    "NaN",
    "Infinity",
    "-Infinity",
    HUGE_DIGITS,
    "1" * 19,
    str(2**31),
    str(2**63),
    "\x00",
    "1\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: valid in JSON text, not encodable as UTF-8
    "\uffff",
    "\U0001f600",
    "\u202eevil",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1",
    "'; DROP TABLE cards; --",
    "1 UNION SELECT NULL--",
    "1; SELECT pg_sleep(10)",
    "%",
    "%00",
    "%zz",
    "../../etc/passwd",
    "x" * 100_000,
    "30d" * 1000,
    "usd",
    "USD ",
    "XXX",
    "\r\nX-Injected: 1",
    "\n",
]

# Non-string values for callback inputs and WebSocket fields.
OTHERS: list[object] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**31,
    -(2**31) - 1,
    2**63,
    2**64,
    10**300,
    float("nan"),
    float("inf"),
    float("-inf"),
    -0.0,
    1e308,
    0.5,
    Raw(HUGE_DIGITS),  # an integer token past the parser's digit limit
    Raw("1e999"),
    [],
    [None],
    [1, 2],
    ["1", "2"],
    [SUPERSCRIPT_TWO],
    [[[]]],
    list(range(2000)),
    {},
    {"a": 1},
    {"id": 1, "value": "x"},
    {"__proto__": {"x": 1}},
    deep_json(50),
    deep_json(5000),
    deep_json(100_000),
    deep_json(3000, '{"a":'),
]

HOSTILE: list[object] = [*STRINGS, *OTHERS]

# Valid values, mixed in so that hostile ones reach past the first check.
VALID_STRINGS = [
    "all",
    "24h",
    "7d",
    "30d",
    "90d",
    "1y",
    "all",
    "USD",
    "EUR",
    "NM",
    "LP",
    "nonfoil",
    "foil",
    "etched",
    "en",
    "ja",
    "normalized",
    "absolute",
    "modern",
    "commander",
    "1",
    "tcgplayer",
    "light",
    "dark",
]


def hostile(rng: random.Random) -> object:
    return rng.choice(HOSTILE)


def url_value(rng: random.Random, card_ids: list[int]) -> str:
    """One query-string value, already percent-encoded (or deliberately badly encoded)."""
    roll = rng.random()
    if roll < 0.2:
        return str(rng.choice(card_ids))
    if roll < 0.35:
        return quote(rng.choice(VALID_STRINGS), safe="")
    if roll < 0.5:
        return rng.choice(["%zz", "%", "%0", "%00", "%ff%fe", "%c0%af", "%ed%a0%80", "+", "&&", "==", ";", "%%%"])
    if roll < 0.55:
        return URL_DIGITS
    if roll < 0.6:
        return ",".join(str(rng.choice(card_ids)) for _ in range(rng.randint(2, 40)))
    if roll < 0.65:
        parts = [rng.choice([SUPERSCRIPT_TWO, "-1", "", "x", ARABIC_THREE]) for _ in range(rng.randint(2, 5))]
        return quote(",".join(parts), safe=",")
    value = rng.choice(STRINGS)
    if len(value) > 3000:
        value = value[: rng.choice([100, 1000, 3000])]
    return quote(value, safe="", errors="surrogatepass")


def query_string(rng: random.Random, names: list[str], card_ids: list[int]) -> str:
    """`a=1&a=2&b=%zz…`: a page's own parameters and junk ones, some repeated, some without '='."""
    junk_names = ["", "_", "id[]", "__proto__", "a" * 200, quote(SUPERSCRIPT_TWO), "%00", "x%zz", "ids", "id"]
    pairs = []
    for _ in range(rng.randint(1, 5)):
        name = rng.choice(names) if names and rng.random() < 0.8 else rng.choice(junk_names)
        repeat = 2 if rng.random() < 0.15 else 1
        for _ in range(repeat):
            pairs.append(name if rng.random() < 0.05 else f"{name}={url_value(rng, card_ids)}")
    return "&".join(pairs)


PATHS = ["/", "/card", "/compare", "/sources"]
UNKNOWN_PATHS = [
    "/nope",
    "/card/",
    "/card/1",
    "//",
    "/%00",
    "/%ff",
    "/%c2%b2",
    "/" + "a" * 2000,
    "/..",
    "/assets/../app/web.py",
    "/assets/%2e%2e/%2e%2e/etc/passwd",
    "/assets/nope.css",
    "/_dash-component-suites/dash/../../../../etc/passwd",
    "/_dash-component-suites/nope/nope.js",
    "/_dash-component-suites/dash/dcc/%00.js",
    "/_dash-layout",
    "/_dash-dependencies",
    "/_reload-hash",
    "/_favicon.ico",
    "/healthz",
    "/readyz",
    "/ws",
    "/_dash-update-component",
]


@dataclass(frozen=True)
class Frame:
    """A client frame: text (str), binary (bytes), or invalid UTF-8 sent as text (bytes, text=True)."""

    data: str | bytes
    text: bool
    label: str

    @property
    def size(self) -> int:
        return len(self.data.encode("utf-8", "surrogatepass") if isinstance(self.data, str) else self.data)

    @property
    def may_close(self) -> bool:
        """Frames the server may answer by closing: over its read limit (1009) or not UTF-8 (1007)."""
        return self.size > HARD_LIMIT or (self.text and isinstance(self.data, bytes))


def _command(rng: random.Random, card_ids: list[int]) -> dict:
    """A command with a hostile value in one of its fields."""
    command: dict[str, object] = {
        "action": rng.choice(["subscribe", "unsubscribe", "ping"]),
        "channel": rng.choice(["market", "card", "alerts"]),
    }
    if command["channel"] == "card":
        command["card_id"] = rng.choice(card_ids)
    if command["channel"] == "alerts":
        command["token"] = "a.b.c"
    field = rng.choice(["action", "channel", "card_id", "token", "extra"])
    value = hostile(rng)
    if isinstance(value, str) and len(value) > 3000:
        value = value[:3000]
    if isinstance(value, Raw) and len(value) > 3500:
        value = deep_json(900)
    command[field] = value
    return command


def frames(rng: random.Random, count: int, card_ids: list[int]) -> list[Frame]:
    """`count` hostile frames (valid commands mixed in, so that state builds up between them)."""
    out: list[Frame] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.35:
            text = dumps(_command(rng, card_ids))
            out.append(Frame(text, True, "command with a hostile field"))
        elif roll < 0.45:
            card = rng.choice(card_ids)
            text = rng.choice(
                [
                    '{"action":"ping"}',
                    '{"action":"subscribe","channel":"market"}',
                    '{"action":"unsubscribe","channel":"market"}',
                    f'{{"action":"subscribe","channel":"card","card_id":{card}}}',
                    f'{{"action":"unsubscribe","channel":"card","card_id":{card}}}',
                    f'{{"action":"subscribe","channel":"card","card_id":{rng.randint(1, 2**31 - 1)}}}',
                ]
            )
            out.append(Frame(text, True, "valid command"))
        elif roll < 0.55:
            opener = rng.choice(["[", '{"":'])
            wrapped = rng.random() < 0.5
            room = FRAME_LIMIT - (60 if wrapped else 0)
            text = deep_json(
                min(rng.choice([100, 500, 999, 1000, 1500, 2000]), (room - 2) // (len(opener) + 1)), opener
            )
            if wrapped:
                text = f'{{"action":"subscribe","channel":"card","card_id":{text}}}'
            out.append(Frame(str(text), True, "deep nesting (under 4 KiB)"))
        elif roll < 0.65:
            text = rng.choice(
                [
                    "",
                    " ",
                    "{",
                    "}",
                    "nul",
                    "{'action': 'ping'}",
                    '{"action":"ping"',
                    '{"action":"ping"}{"action":"ping"}',
                    "\x00",
                    '{"action":"ping",}',
                    '{"action":NaN}',
                    '{"action":"ping","x":1e999}',
                    '{"action":"ping","x":' + "9" * 4000 + "}",
                    '{"action":"subscribe","channel":"card","card_id":1e999}',
                    '{"action":"subscribe","channel":"card","card_id":NaN}',
                    '{"action":"subscribe","channel":"card","card_id":-Infinity}',
                    '{"action":"subscribe","channel":"card","card_id":' + "9" * 4000 + "}",
                    "[]",
                    "null",
                    "42",
                    '"ping"',
                    '{"action":"ping"}' + " " * 10,
                    '{"\\ud800":"\\ud800"}',
                    '{"action":"\\ud800"}',
                ]
            )
            out.append(Frame(text, True, "invalid or odd JSON"))
        elif roll < 0.72:
            data = rng.choice([b"", b"\x00", bytes(rng.randrange(256) for _ in range(64)), b'{"action":"ping"}'])
            out.append(Frame(data, False, "binary frame"))
        elif roll < 0.8:
            size = rng.randint(FRAME_LIMIT + 1, HARD_LIMIT - 64)
            text = '{"action":"ping","pad":"' + "x" * size + '"}'
            out.append(Frame(text, True, "oversize (4-64 KiB)"))
        elif roll < 0.82:
            size = rng.randint(HARD_LIMIT + 1, 2 * HARD_LIMIT)
            out.append(Frame("x" * size, True, "over the hard limit (>64 KiB)"))
        elif roll < 0.84:
            out.append(Frame(b'{"action":"\xff\xfe"}', True, "invalid UTF-8 text"))
        elif roll < 0.92:
            value = rng.choice(STRINGS)[:3000]
            raw = rng.random() < 0.5 and not any("\ud800" <= char <= "\udfff" for char in value)
            out.append(Frame(value if raw else dumps({"action": value}), True, "unicode and junk text"))
        else:
            token = rng.choice(
                [
                    "",
                    "a.b.c",
                    "e30.e30.",  # {}.{}. unsigned
                    "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIiwic2NvcGUiOiJhbGVydHMifQ.",  # alg none
                    "x" * 3900,
                    SUPERSCRIPT_TWO,
                    "\ud800",
                    "\x00",
                ]
            )
            text = dumps({"action": "subscribe", "channel": "alerts", "token": token})
            out.append(Frame(text[:FRAME_LIMIT], True, "junk alerts token"))
    return out


@dataclass(frozen=True)
class Message:
    channel: bytes
    payload: bytes
    label: str


def messages(rng: random.Random, count: int, card_id: int, user_id: int) -> list[Message]:
    """At least `count` hostile pub/sub messages: junk payloads on the channels the sockets listen to,
    and junk channel names under the patterns the server subscribes to."""
    payloads = [
        (b"\xff\xfe\xfd", "invalid UTF-8"),
        (b'{"price": "\xff"}', "invalid UTF-8 inside JSON"),
        (b"", "empty"),
        (b"null", "null"),
        (b"1", "a number"),
        (b'"text"', "a string"),
        (b"[]", "an array"),
        (b"[" * 100_000 + b"]" * 100_000, "deep array"),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "deep object"),
        (b"NaN", "NaN"),
        (b"{", "truncated JSON"),
        (b'{"x": 1e999}', "1e999"),
        (b'{"x": ' + HUGE_DIGITS.encode() + b"}", "5000-digit number"),
        (b'{"x": "' + b"a" * 4_000_000 + b'"}', "4 MB object"),
        (b"x" * 2_000_000, "2 MB of junk"),
        (b'{"\\ud800": "\\ud800"}', "lone surrogates"),
        (b"\x00", "NUL"),
    ]
    listened = [
        b"channel:prices:market",
        f"channel:prices:card:{card_id}".encode(),
        f"channel:alerts:user:{user_id}".encode(),
    ]
    junk_channels = [
        f"channel:prices:card:{SUPERSCRIPT_TWO}".encode(),
        f"channel:prices:card:{ARABIC_THREE}".encode(),
        f"channel:prices:card:{ARABIC_THREE}{card_id}".encode(),
        f"channel:alerts:user:{SUPERSCRIPT_TWO}".encode(),
        b"channel:prices:card:" + HUGE_DIGITS.encode(),
        b"channel:alerts:user:" + HUGE_DIGITS.encode(),
        b"channel:prices:card:-1",
        b"channel:prices:card:0",
        b"channel:prices:card:",
        b"channel:prices:card:1.5",
        b"channel:prices:card:\xff",
        b"channel:prices:\xff\xfe",
        b"channel:alerts:user:\xff",
        b"channel:prices:card:1\x00",
        b"channel:prices:nope",
        b"channel:prices:" + b"x" * 100_000,
    ]
    out = [
        Message(channel, payload, f"{label} on {channel.decode()}")
        for channel in listened
        for payload, label in payloads
    ]
    valid = b'{"card_id": 1, "price_data": {}}'
    for channel in junk_channels:
        for payload, label in ((valid, "an object"), *rng.sample(payloads, 2)):
            name = channel[:60].decode("utf-8", "backslashreplace")
            out.append(Message(channel, payload, f"{label} on {name}"))
    rng.shuffle(out)
    while len(out) < count:
        channel = rng.choice(listened + junk_channels)
        payload, label = rng.choice(payloads)
        out.append(Message(channel, payload, f"{label} on {channel[:60].decode('utf-8', 'backslashreplace')}"))
    return out[:count]
