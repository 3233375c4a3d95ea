"""Fuzz benchmark: hostile input against a live server and the importers. Every count should be zero.

    python bench/fuzz.py [--quick] [--requests 10000] [--frames 5000] [--messages 100] [--files N] [--seed 1]

Creates a database of its own (on --admin-url) and a Redis of its own, imports the real
fixtures (461 Scryfall printings, Cardmarket, Card Kingdom, MTGJSON samples), starts the
production web server (gunicorn, 2 gevent workers) with its log in a file, then sends,
to 127.0.0.1 only:
- URL requests: the pages and unknown paths with hostile query strings, and the page-routing
  callback (`_pages_location` pathname + search) as the renderer posts it;
- callback requests: every server callback of /_dash-dependencies with hostile inputs and
  states, and malformed bodies;
- WebSocket frames on /ws (a socket may be closed only after a frame over the 64 KiB read
  limit, 1009, or invalid UTF-8, 1007), then a ping on every socket;
- pub/sub messages on the channels the server listens to, each followed by a probe update
  that every subscribed socket must receive, and a final market, card and alert update;
- junk files through `cardcharts import <source> FILE`, each in a process of its own whose
  peak memory is sampled.
Prints requests, 5xx, 4xx (informative), frames, sockets dropped wrongly, messages, live
delivery failures, junk files, junk accepted, import tracebacks, server-log tracebacks, rows
changed (every table but source_runs compared before and after, plus source_runs rows that
junk left 'running' or, for unreadable files, 'succeeded'), and peak importer memory
(target <= 300 MB), with examples of each failure. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket as sockets
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from inspect import Parameter, signature
from pathlib import Path

import httpx
import psutil
import psycopg
import websockets
from redis import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.embedded import EmbeddedRedis
from bench import fuzz_files, fuzz_values
from bench.fuzz_values import Frame, Message, dumps

ROOT = Path(__file__).resolve().parent.parent

SECRET = "fuzz-secret-that-is-long-enough-to-validate"
FIXTURES = ROOT / "tests" / "fixtures"
ALERT_USER = 7
MEMORY_TARGET_MB = 300
WEB_WORKERS = 2
NOT_COMPARED = {"source_runs", "maintenance_jobs", "alembic_version"}  # bookkeeping, not data
TRACEBACK = "Traceback (most recent call last)"


# ---------------------------------------------------------------- counting


@dataclass
class Tally:
    """Counts by class, and for failures, examples grouped by a signature (first of each kept)."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, dict[str, list]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, name: str, signature: str | None = None, example: str | None = None, n: int = 1) -> None:
        self.counts[name] += n
        if signature is None:
            return
        seen = self.examples[name]
        if signature in seen:
            seen[signature][0] += n
        elif len(seen) < 200:
            seen[signature] = [n, example or signature]

    def show(self, name: str, limit: int) -> None:
        groups = sorted(self.examples.get(name, {}).values(), key=lambda group: -group[0])
        for count, example in groups[:limit]:
            print(f"    x{count:<5} {example}")
        if len(groups) > limit:
            print(f"    ... and {len(groups) - limit} more kinds")


def short(value: object, limit: int = 160) -> str:
    """`value` printable on one line (control characters and lone surrogates escaped), cut at `limit`."""
    text = value if isinstance(value, str) else repr(value)
    size = len(text)
    text = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text[:limit])
    return text if size <= limit else f"{text}...({size:,} chars)"


# ---------------------------------------------------------------- the stores and the server


def free_port() -> int:
    with sockets.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def plain_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def database(admin_url: str, keep: bool) -> Iterator[str]:
    """A database of its own on the admin URL's server, dropped after unless `keep`; its SQLAlchemy URL."""
    name = f"cardcharts_fuzz_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = admin_url.partition("?")
    url = f"postgresql+psycopg://{base.rsplit('/', 1)[0].split('://', 1)[1]}/{name}"
    try:
        yield f"{url}?{query}" if query else url
    finally:
        if keep:
            print(f"database kept: {name}")
        else:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load_fixtures(url: str, redis_url: str) -> list[int]:
    """Schema and real data: the Scryfall printings, then each provider's sample. The card ids."""
    from app.bootstrap import bootstrap
    from app.settings import Settings
    from migrations import runner
    from workers.imports import import_cardkingdom, import_cardmarket, import_mtgjson, import_scryfall

    runner.upgrade(url)
    services = bootstrap(Settings(database_url=url, redis_url=redis_url, secret_key=SECRET))
    try:
        import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
        import_cardmarket(services, FIXTURES / "cardmarket" / "price_guide_1-sample.json")
        import_cardkingdom(services, FIXTURES / "cardkingdom" / "pricelist-sample.json")
        mtgjson = FIXTURES / "mtgjson"
        import_mtgjson(
            services,
            mtgjson / "AllPrices-sample.json",
            [mtgjson / "AllIdentifiers-sample.json", mtgjson / "MID-sample.json"],
        )
    finally:
        services.close()
    with psycopg.connect(plain_url(url)) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM cards ORDER BY id")]


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"

    def workers(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []


@contextmanager
def web_server(url: str, redis_url: str, log: Path) -> Iterator[Server]:
    """The production server (app.web.GUNICORN, 2 gevent workers), its output in `log`."""
    from app.web import GUNICORN

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": SECRET,
        "CARDCHARTS_HOST": "127.0.0.1",
        "CARDCHARTS_PORT": str(port),
        "CARDCHARTS_WEB_WORKERS": str(WEB_WORKERS),
    }
    with log.open("wb") as output:
        process = subprocess.Popen(GUNICORN, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1, trust_env=False).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the web server did not start:\n{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.1)
            yield Server(port, process, log)
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# ---------------------------------------------------------------- rows changed


def table_rows(url: str) -> dict[str, Counter]:
    """Every data table's rows, as a multiset of content hashes (updated_at left out: an upsert of the
    same row bumps it)."""
    with psycopg.connect(plain_url(url)) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                " AND table_type = 'BASE TABLE' UNION SELECT matviewname FROM pg_matviews WHERE schemaname = 'public'"
            )
        ]
        return {
            name: Counter(
                row[0] for row in conn.execute(f"SELECT md5((to_jsonb(t) - 'updated_at')::text) FROM \"{name}\" t")
            )
            for name in sorted(set(names) - NOT_COMPARED)
        }


def rows_changed(before: dict[str, Counter], after: dict[str, Counter]) -> dict[str, int]:
    """Rows added, removed or changed, by table (a changed row counts once)."""
    out = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, Counter()), after.get(name, Counter())
        changed = max((new - old).total(), (old - new).total())
        if changed:
            out[name] = changed
    return out


# ---------------------------------------------------------------- URL and callback requests


@dataclass
class Call:
    kind: str  # url, route, callback, malformed
    label: str
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    detail: str = ""  # the hostile part, for examples


def page_parameters() -> dict[str, list[str]]:
    """Each page's query-string parameters: its layout function's own arguments."""
    from layouts import card, compare, market, sources

    pages = {"/": market.layout, "/card": card.layout, "/compare": compare.layout, "/sources": sources.layout}
    return {
        path: [p.name for p in signature(fn).parameters.values() if p.kind is not Parameter.VAR_KEYWORD]
        for path, fn in pages.items()
    }


def outputs_of(output: str) -> list[dict] | dict:
    if output.startswith(".."):
        return [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in output[2:-2].split("...")]
    return dict(zip(("id", "property"), output.rsplit(".", 1), strict=True))


def body_for(callback: dict, values: dict[str, object]) -> dict:
    """The body the renderer posts for `callback` with these "id.property" values."""

    def items(deps: list[dict]) -> list[dict]:
        return [{**dep, "value": values.get(f"{dep['id']}.{dep['property']}")} for dep in deps]

    inputs = items(callback["inputs"])
    return {
        "output": callback["output"],
        "outputs": outputs_of(callback["output"]),
        "inputs": inputs,
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"] if inputs else [],
        "state": items(callback["state"]),
    }


def component_values(tree: object) -> dict[str, object]:
    """ "id.property" -> value for every component with a string id in a layout tree."""
    found: dict[str, object] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict):
                if isinstance(props.get("id"), str):
                    found.update({f"{props['id']}.{key}": value for key, value in props.items()})
                stack.extend(value for value in props.values() if isinstance(value, dict | list))
    return found


@dataclass
class Dash:
    """What the renderer learns from the server: the callbacks, and the components' values."""

    callbacks: list[dict]
    routing: dict
    values: dict[str, object]


def discover(client: httpx.Client, card_ids: list[int]) -> Dash:
    dependencies = client.get("/_dash-dependencies").raise_for_status().json()
    server_side = [cb for cb in dependencies if not cb.get("clientside_function")]
    routing = next(cb for cb in server_side if "_pages_content.children" in cb["output"])
    values = component_values(client.get("/_dash-layout").raise_for_status().json())
    real = [str(card_id) for card_id in card_ids[:3]]
    for pathname, search in (
        ("/", ""),
        ("/card", f"?id={real[0]}"),
        ("/compare", f"?ids={','.join(real)}"),
        ("/sources", ""),
    ):
        body = body_for(routing, {"_pages_location.pathname": pathname, "_pages_location.search": search})
        response = client.post("/_dash-update-component", json=body).raise_for_status().json()
        values.update(component_values(response["response"]["_pages_content"]["children"]))
    return Dash([cb for cb in server_side if cb is not routing], routing, values)


def _json_call(kind: str, label: str, body: object, detail: str) -> Call:
    text = dumps(body).encode()
    return Call(kind, label, "POST", "/_dash-update-component", text, {"Content-Type": "application/json"}, detail)


def _url_call(rng: random.Random, pages: dict[str, list[str]], card_ids: list[int]) -> Call:
    if rng.random() < 0.8:
        path = rng.choice(list(pages))
        names = pages[path]
    else:
        path, names = rng.choice(fuzz_values.UNKNOWN_PATHS), ["id", "x"]
    query = fuzz_values.query_string(rng, names, card_ids) if rng.random() < 0.9 else ""
    return Call("url", f"GET {path}", "GET", f"{path}?{query}" if query else path)


def _route_call(rng: random.Random, dash: Dash, pages: dict[str, list[str]], card_ids: list[int]) -> Call:
    path = rng.choice(list(pages))
    roll = rng.random()
    if roll < 0.8:
        pathname: object = path
    elif roll < 0.9:
        pathname = rng.choice(fuzz_values.UNKNOWN_PATHS)
    else:
        pathname = fuzz_values.hostile(rng)
    roll = rng.random()
    if roll < 0.85:
        search: object = "?" + fuzz_values.query_string(rng, pages[path], card_ids)
    elif roll < 0.9:
        search = rng.choice(["", "?", "??", "?&", "?=", "id=1"])
    else:
        search = fuzz_values.hostile(rng)
    if isinstance(pathname, str) and pathname in pages:
        label = f"page route {pathname}"
    elif isinstance(pathname, str):
        label = "page route to another path" if pathname in fuzz_values.UNKNOWN_PATHS else "page route to a junk path"
    else:
        label = f"page route, pathname a {type(pathname).__name__}"
    if not isinstance(search, str):
        label += f", search a {type(search).__name__}"
    body = body_for(dash.routing, {"_pages_location.pathname": pathname, "_pages_location.search": search})
    return _json_call("route", label, body, f"pathname={short(pathname, 60)} search={short(search, 160)}")


def _callback_call(rng: random.Random, dash: Dash, card_ids: list[int]) -> Call:
    callback = rng.choice(dash.callbacks)
    values = dict(dash.values)
    values["card-id.data"] = str(rng.choice(card_ids))
    values["compare-ids.data"] = [str(card_id) for card_id in rng.sample(card_ids, 3)]
    keys = [f"{dep['id']}.{dep['property']}" for dep in callback["inputs"] + callback["state"]]
    roll = rng.random()
    hit = keys if roll < 0.1 else [] if roll < 0.15 else rng.sample(keys, min(len(keys), rng.choice([1, 1, 2])))
    for key in hit:
        values[key] = fuzz_values.hostile(rng)
    body = body_for(callback, values)
    if rng.random() < 0.2 and body["inputs"]:  # the renderer names what changed; name the hostile one
        changed = rng.choice(body["inputs"])
        body["changedPropIds"] = [f"{changed['id']}.{changed['property']}"]
    output = callback["output"].strip(".").split(".")[0]
    detail = "; ".join(f"{key}={short(values[key], 80)}" for key in hit) or "no hostile value"
    return _json_call("callback", f"callback {output}: hostile {', '.join(hit) or 'nothing'}", body, detail)


def _malformed_call(rng: random.Random, dash: Dash, card_ids: list[int], oversize: bool) -> Call:
    callback = rng.choice(dash.callbacks)
    good = body_for(callback, {**dash.values, "card-id.data": str(card_ids[0])})
    text = dumps(good).encode()
    json_type = {"Content-Type": "application/json"}
    cases: list[tuple[str, bytes, dict[str, str]]] = [
        ("empty body", b"", json_type),
        ("[]", b"[]", json_type),
        ("{}", b"{}", json_type),
        ("null", b"null", json_type),
        ("a number", b"1", json_type),
        ("a string", b'"x"', json_type),
        ("not JSON", b"not json", json_type),
        ("truncated JSON", text[: len(text) // 2], json_type),
        ("invalid UTF-8", b'{"output": "\xff\xfe"}', json_type),
        ("deep nesting x 100,000", b"[" * 100_000 + b"]" * 100_000, json_type),
        (
            "deep nesting in a value",
            text.replace(b'"inputs": [', b'"inputs": [' + b"[" * 50_000 + b"]" * 50_000 + b",", 1),
            json_type,
        ),
        ("5000-digit number", b'{"output": ' + fuzz_values.HUGE_DIGITS.encode() + b"}", json_type),
        ("duplicate keys", text[:-1] + b', "output": "nope.children"}', json_type),
        ("text/plain", text, {"Content-Type": "text/plain"}),
        ("no content type", text, {}),
        ("form encoded", b"output=x&inputs=y", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("multipart junk", b"--x\r\n\r\n--x--", {"Content-Type": "multipart/form-data; boundary=x"}),
    ]
    for key in ("output", "outputs", "inputs", "state", "changedPropIds"):
        cases.append((f"missing {key}", dumps({k: v for k, v in good.items() if k != key}).encode(), json_type))
        junk = fuzz_values.hostile(rng)
        cases.append((f"{key} = {short(junk, 30)}", dumps({**good, key: junk}).encode(), json_type))
    for output in ("nope.children", "color-scheme.data", "", ".", "....", "..a...b..", "_pages_content.children"):
        cases.append((f"unknown output {output!r}", dumps({**good, "output": output}).encode(), json_type))
    if good["inputs"]:
        first = good["inputs"][0]
        for label, inputs in (
            ("inputs without value", [{k: v for k, v in i.items() if k != "value"} for i in good["inputs"]]),
            ("inputs without id", [{k: v for k, v in i.items() if k != "id"} for i in good["inputs"]]),
            ("one input too few", good["inputs"][1:]),
            ("one input too many", [*good["inputs"], first]),
            ("inputs of numbers", [1] * len(good["inputs"])),
            ("input id a dict", [{**first, "id": {"type": "x", "index": 1}}, *good["inputs"][1:]]),
            ("input id a list", [{**first, "id": [1]}, *good["inputs"][1:]]),
            ("input property junk", [{**first, "property": "\x00"}, *good["inputs"][1:]]),
        ):
            cases.append((label, dumps({**good, "inputs": inputs}).encode(), json_type))
    label, body, headers = rng.choice(cases)
    method = "POST"
    if rng.random() < 0.03:
        method, label = rng.choice(["GET", "PUT", "DELETE"]), f"{label}, method {method}"
    if oversize:
        label, body = "8 MB body", dumps({**good, "pad": "x" * 8_000_000}).encode()
    detail = short(body.decode("utf-8", "replace"), 120)
    return Call("malformed", f"malformed: {label}", method, "/_dash-update-component", body, headers, detail)


def plan_calls(rng: random.Random, count: int, dash: Dash, card_ids: list[int]) -> list[Call]:
    pages = page_parameters()
    calls = []
    oversize_left = max(1, count // 2000)
    for _ in range(count):
        roll = rng.random()
        if roll < 0.3:
            calls.append(_url_call(rng, pages, card_ids))
        elif roll < 0.5:
            calls.append(_route_call(rng, dash, pages, card_ids))
        elif roll < 0.9:
            calls.append(_callback_call(rng, dash, card_ids))
        else:
            oversize = oversize_left > 0 and rng.random() < 0.02
            oversize_left -= oversize
            calls.append(_malformed_call(rng, dash, card_ids, oversize))
    return calls


def send(client: httpx.Client, call: Call) -> tuple[int | None, str]:
    """The status and the first line of the answer, or None and the transport error."""
    url = client.base_url.copy_with(raw_path=call.path.encode())
    try:
        response = client.request(call.method, url, content=call.body, headers=call.headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return response.status_code, short(response.text.strip().split("\n", 1)[0], 120)


def http_phase(server: Server, calls: list[Call], tally: Tally, deadline: float, workers: int = 6) -> None:
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    client = httpx.Client(base_url=f"http://{server.base}", timeout=30, limits=limits, trust_env=False)
    with client, ThreadPoolExecutor(workers) as pool:
        futures = {}
        for index, call in enumerate(calls):
            if time.monotonic() > deadline:
                tally.add("time limit", "http", f"{len(calls) - index:,} of {len(calls):,} requests left unsent")
                break
            futures[pool.submit(send, client, call)] = call
            if len(futures) >= 200:  # a bounded backlog, so that the deadline is honoured
                _collect(futures, tally, wait_all=False)
        _collect(futures, tally, wait_all=True)


def _collect(futures: dict, tally: Tally, wait_all: bool) -> None:
    for future in as_completed(list(futures)):
        call = futures.pop(future)
        status, answer = future.result()
        tally.add("requests")
        tally.add(f"requests: {call.kind}")
        example = f"{call.label}: {call.method} {short(call.path, 140)} {call.detail} -> {status} {answer}"
        if status is None:
            tally.add("http errors", f"{call.label}: {answer.split(':')[0]}", example)
        elif status >= 500:
            tally.add("5xx", call.label, example)
        elif status >= 400:
            tally.add("4xx", call.label, example)
            tally.add(f"4xx: {call.kind}")
        if not wait_all and len(futures) < 100:
            return


# ---------------------------------------------------------------- WebSocket frames


async def _connect(server: Server, max_size: int | None = 1 << 20):
    return await websockets.connect(
        f"ws://{server.base}/ws",
        origin=f"http://{server.base}",
        proxy=None,
        compression=None,
        max_size=max_size,
        open_timeout=10,
        ping_interval=None,
    )


async def _alive(socket, timeout: float = 5) -> str | None:
    """None when the socket answers an application ping and a protocol ping, else why not."""
    try:
        await socket.send('{"action":"ping"}')
        async with asyncio.timeout(timeout):
            while True:
                message = await socket.recv()
                if isinstance(message, str) and '"pong"' in message:
                    break
            await (await socket.ping())
    except TimeoutError:
        return "no pong within 5 s"
    except websockets.ConnectionClosed as exc:
        return f"closed {exc.rcvd.code if exc.rcvd else 'without a close frame'}"
    return None


def _expected_close(frame: Frame, code: int | None) -> bool:
    if frame.size > fuzz_values.HARD_LIMIT:
        return code == 1009
    return frame.text and isinstance(frame.data, bytes) and code == 1007


async def _drive(server: Server, frames: list[Frame], tally: Tally, deadline: float) -> None:
    try:
        await _drive_one(server, frames, tally, deadline)
    except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
        tally.add("sockets dropped wrongly", "no connection", f"/ws refused a new socket: {type(exc).__name__}: {exc}")


async def _drive_one(server: Server, frames: list[Frame], tally: Tally, deadline: float) -> None:
    socket = await _connect(server)
    for index, frame in enumerate(frames):
        if time.monotonic() > deadline:
            tally.add("time limit", "frames", "frames left unsent by some sockets")
            break
        tally.add("frames")
        example = f"{frame.label}: {short(frame.data, 100)} ({frame.size:,} bytes)"
        try:
            await socket.send(frame.data, text=frame.text)
            await asyncio.wait_for(socket.recv(), 5)
        except websockets.ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
            if _expected_close(frame, code):
                tally.add("sockets closed as expected")
            else:
                tally.add("sockets dropped wrongly", f"{frame.label} -> close {code}", f"{example} -> close {code}")
            socket = await _connect(server)
            continue
        except TimeoutError:
            if not frame.may_close:
                tally.add("sockets dropped wrongly", f"{frame.label} -> no answer", f"{example} -> no answer in 5 s")
            await socket.close()
            socket = await _connect(server)
            continue
        if index % 25 == 24:
            problem = await _alive(socket)
            if problem:
                tally.add("sockets dropped wrongly", f"{frame.label} -> {problem}", f"after {example}: {problem}")
                socket = await _connect(server)
    problem = await _alive(socket)
    if problem:
        tally.add("sockets dropped wrongly", f"final ping -> {problem}", f"after every frame: {problem}")
    await socket.close()


async def frames_phase(server: Server, frames: list[Frame], tally: Tally, deadline: float, sockets: int) -> None:
    share = -(-len(frames) // sockets)
    await asyncio.gather(
        *(_drive(server, frames[i : i + share], tally, deadline) for i in range(0, len(frames), share))
    )


# ---------------------------------------------------------------- pub/sub


@dataclass
class Listener:
    socket: object
    worker: int | None = None
    seen: set[str] = field(default_factory=set)
    closed: str | None = None
    dead_after: str | None = None


async def _listen(listener: Listener) -> None:
    try:
        async for raw in listener.socket:
            try:
                message = json.loads(raw)
                marker = message["data"].get("fuzz")
            except (ValueError, TypeError, KeyError, AttributeError):
                continue
            if isinstance(marker, str):
                listener.seen.add(marker)
    except websockets.ConnectionClosed as exc:
        listener.closed = f"closed {exc.rcvd.code if exc.rcvd else 'without a close frame'}"
    else:
        listener.closed = "closed normally"


def _worker_of(server: Server, socket) -> int | None:
    port = socket.local_address[1]
    for worker in server.workers():
        try:
            if any(c.raddr and c.raddr.port == port for c in worker.net_connections(kind="tcp")):
                return worker.pid
        except psutil.Error:
            continue
    return None


async def _subscribed_listeners(server: Server, card_id: int, token: str, count: int) -> list[Listener]:
    """`count` sockets subscribed to the market, a card and alerts (more if one worker has none)."""
    listeners: list[Listener] = []
    workers = {worker.pid for worker in server.workers()}
    while len(listeners) < count or (workers - {lst.worker for lst in listeners} and len(listeners) < 4 * count):
        batch = await asyncio.gather(*(_connect(server, max_size=None) for _ in range(count)))
        for socket in batch:
            for command in (
                {"action": "subscribe", "channel": "market"},
                {"action": "subscribe", "channel": "card", "card_id": card_id},
                {"action": "subscribe", "channel": "alerts", "token": token},
            ):
                await socket.send(json.dumps(command))
                answer = json.loads(await asyncio.wait_for(socket.recv(), 5))
                if answer.get("type") != "subscribed":
                    raise RuntimeError(f"could not subscribe {command}: {answer}")
            listeners.append(Listener(socket, _worker_of(server, socket)))
    return listeners


async def _delivered(listeners: list[Listener], markers: list[str], timeout: float) -> list[Listener]:
    """Those of `listeners` that did not get every marker within `timeout`."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        missing = [lst for lst in listeners if not set(markers) <= lst.seen]
        if not missing:
            return []
        await asyncio.sleep(0.01)
    return [lst for lst in listeners if not set(markers) <= lst.seen]


async def pubsub_phase(
    server: Server, redis_url: str, messages: list[Message], card_id: int, tally: Tally, deadline: float
) -> None:
    from app.live import tokens

    token = tokens.issue(SECRET, ALERT_USER, timedelta(hours=1))
    try:
        listeners = await _subscribed_listeners(server, card_id, token, 6)
    except (OSError, TimeoutError, RuntimeError, ValueError, websockets.WebSocketException) as exc:
        tally.add("live delivery failures", "no subscription", f"could not subscribe: {type(exc).__name__}: {exc}")
        return
    covered = {lst.worker for lst in listeners}
    workers = {worker.pid for worker in server.workers()}
    if covered < workers:
        print(f"  note: the listening sockets reached workers {sorted(covered)} of {sorted(workers)}")
    readers = [asyncio.create_task(_listen(lst)) for lst in listeners]
    publisher = Redis.from_url(redis_url)
    market = b"channel:prices:market"
    alive = list(listeners)
    for number, message in enumerate(messages):
        if time.monotonic() > deadline:
            tally.add("time limit", "messages", f"{len(messages) - number} of {len(messages)} messages left unsent")
            break
        publisher.publish(message.channel, message.payload)
        tally.add("messages")
        marker = f"probe-{number}"
        publisher.publish(market, json.dumps({"fuzz": marker}))
        for listener in await _delivered(alive, [marker], 3):
            listener.dead_after = message.label
            alive.remove(listener)
            tally.add(
                "probe misses",
                message.label,
                f"worker {listener.worker}'s socket stopped receiving after {message.label}"
                f" ({short(message.payload, 60)}) {listener.closed or ''}",
            )
    publisher.publish(market, json.dumps({"fuzz": "final-market"}))
    publisher.publish(f"channel:prices:card:{card_id}", json.dumps({"card_id": card_id, "fuzz": "final-card"}))
    publisher.publish(f"channel:alerts:user:{ALERT_USER}", json.dumps({"fuzz": "final-alert"}))
    for listener in await _delivered(listeners, ["final-market", "final-card", "final-alert"], 5):
        missed = sorted({"final-market", "final-card", "final-alert"} - listener.seen)
        cause = f"first missed a probe after: {listener.dead_after}" if listener.dead_after else ""
        tally.add(
            "live delivery failures",
            f"{missed} {cause}",
            f"worker {listener.worker}'s socket missed {', '.join(missed)} {listener.closed or ''} {cause}",
        )
    publisher.close()
    for reader in readers:
        reader.cancel()
    for listener in listeners:
        await listener.socket.close()


# ---------------------------------------------------------------- junk files


@dataclass
class Outcome:
    junk: fuzz_files.Junk
    code: int | None
    output: str
    peak_mb: float
    stopped: str | None = None


def run_import(junk: fuzz_files.Junk, env: dict[str, str], cap_mb: float, timeout: float) -> Outcome:
    """`cardcharts import` on one file in a process of its own, its peak RSS sampled every 20 ms;
    stopped past `cap_mb` or `timeout`."""
    extra = [arg for path in junk.identifiers for arg in ("--identifiers", str(path))]
    command = [sys.executable, "-c", "from app.cli import main; main()", "import", junk.source, str(junk.path), *extra]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
        watched, peak, stopped = psutil.Process(process.pid), 0, None
        started = time.monotonic()
        while process.poll() is None:
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.NoSuchProcess:
                break
            if peak > cap_mb * 2**20 or time.monotonic() - started > timeout:
                stopped = (
                    f"stopped at {peak / 2**20:.0f} MB" if peak > cap_mb * 2**20 else f"stopped after {timeout:.0f} s"
                )
                process.kill()
                break
            time.sleep(0.02)
        process.wait()
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    return Outcome(junk, process.returncode, text, peak / 2**20, stopped)


def _traceback_summary(text: str) -> list[str]:
    """The exception line ending each traceback in `text`."""
    lines = text.splitlines()
    found = []
    for index, line in enumerate(lines):
        if TRACEBACK in line:
            for after in lines[index + 1 :]:
                if after and not after.startswith((" ", "\t")) and TRACEBACK not in after:
                    found.append(short(after, 200))
                    break
    return found


def _new_runs(url: str, after_id: int) -> list[tuple]:
    with psycopg.connect(plain_url(url)) as conn:
        return conn.execute(
            "SELECT id, source, file_name, status, error FROM source_runs WHERE id > %s ORDER BY id", (after_id,)
        ).fetchall()


def junk_phase(
    files: list[fuzz_files.Junk], url: str, redis_url: str, tally: Tally, deadline: float, jobs: int, cap_mb: float
) -> float:
    """Every junk file imported, `jobs` at a time; rows are compared after each batch. The peak memory."""
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": SECRET}
    env.pop("CARDCHARTS_DATA_DIR", None)
    previous = table_rows(url)
    with psycopg.connect(plain_url(url)) as conn:
        last_run = conn.execute("SELECT coalesce(max(id), 0) FROM source_runs").fetchone()[0]
    peak = 0.0
    with ThreadPoolExecutor(jobs) as pool:
        for start in range(0, len(files), jobs):
            if time.monotonic() > deadline:
                tally.add("time limit", "junk", f"{len(files) - start} of {len(files)} junk files left unimported")
                break
            batch = files[start : start + jobs]
            outcomes = list(pool.map(lambda junk: run_import(junk, env, cap_mb, 180), batch))
            for outcome in outcomes:
                junk = outcome.junk
                what = f"import {junk.source} [{junk.label}] {short(junk.path.name, 60)}"
                tally.add("junk files")
                peak = max(peak, outcome.peak_mb)
                if outcome.peak_mb > MEMORY_TARGET_MB:
                    tally.add(
                        "imports over 300 MB", junk.label, f"{what}: {outcome.peak_mb:.0f} MB {outcome.stopped or ''}"
                    )
                if outcome.stopped and "after" in outcome.stopped:
                    tally.add("imports hung", junk.label, f"{what}: {outcome.stopped}")
                if outcome.code == 0 and junk.must_fail:
                    tally.add(
                        "junk accepted", junk.label, f"{what}: exit 0: {short(outcome.output.strip()[-200:], 200)}"
                    )
                for line in _traceback_summary(outcome.output):
                    tally.add("import tracebacks", f"{junk.source}: {line[:80]}", f"{what}: {line}")
            current = table_rows(url)
            for table, changed in rows_changed(previous, current).items():
                names = " or ".join(f"{o.junk.source} [{o.junk.label}]" for o in outcomes)
                tally.add("rows changed", f"{table}: {names}", f"{changed} rows of {table} by {names}", n=changed)
            previous = current
            by_file = {(o.junk.source, o.junk.path.name): o for o in outcomes}
            for run_id, source, file_name, status, error in _new_runs(url, last_run):
                last_run = run_id
                outcome = by_file.get((source, file_name))
                if outcome is not None and outcome.stopped:
                    continue  # killed by us: left 'running' through no fault of its own
                if status == "running" or (status == "succeeded" and outcome is not None and outcome.junk.must_fail):
                    label, code = (outcome.junk.label, outcome.code) if outcome else ("?", None)
                    said = outcome.output.strip().splitlines()[-1] if outcome and outcome.output.strip() else ""
                    tally.add(
                        "rows changed",
                        f"source_runs {status}: {source} [{label}]",
                        f"source_runs {run_id} left {status}: {source} [{label}] {file_name!r}"
                        f" (exit {code}, error {short(error, 60)}; the import's last line: {short(said, 120)})",
                    )
    return peak


# ---------------------------------------------------------------- the server's log


def server_log(log: Path, tally: Tally) -> None:
    text = log.read_text(errors="replace")
    for line in _traceback_summary(text):
        tally.add("server-log tracebacks", line[:100], line)
    if text.count(TRACEBACK) > tally.counts["server-log tracebacks"]:
        tally.add("server-log tracebacks", n=text.count(TRACEBACK) - tally.counts["server-log tracebacks"])
    # A worker that dies is replaced: count the replacements, and show why the old ones went.
    events = [
        line for line in text.splitlines() if re.search(r"WORKER TIMEOUT|was sent SIG(?!TERM)|exited with code", line)
    ]
    for line in events:
        tally.add("worker crashes", short(line.split("] ", 1)[-1], 80), short(line, 200), n=0)
    tally.add("worker crashes", n=max(text.count("Booting worker") - WEB_WORKERS, 1 if events else 0))


# ---------------------------------------------------------------- main


# (printed name, tally key, is a target that must be zero)
REPORT = [
    ("requests (URL + callback)", "requests", False),
    ("  5xx", "5xx", True),
    ("  4xx (informative)", "4xx", False),
    ("  transport errors / timeouts", "http errors", True),
    ("WebSocket frames", "frames", False),
    ("  sockets dropped wrongly", "sockets dropped wrongly", True),
    ("  closed as expected (>64 KiB, bad UTF-8)", "sockets closed as expected", False),
    ("pub/sub messages", "messages", False),
    ("  probe misses (informative)", "probe misses", False),
    ("  live delivery failures", "live delivery failures", True),
    ("junk files", "junk files", False),
    ("  junk accepted", "junk accepted", True),
    ("  import tracebacks", "import tracebacks", True),
    ("  imports hung", "imports hung", True),
    ("server-log tracebacks", "server-log tracebacks", True),
    ("worker crashes/timeouts", "worker crashes", True),
    ("rows changed", "rows changed", True),
    ("stopped by the time limit", "time limit", True),
]


def run(args: argparse.Namespace, rng: random.Random, work: Path, tally: Tally, deadline: float) -> float:
    """Every phase against stores and a server of its own, in `work`; the importers' peak memory."""
    started = time.monotonic()
    with ExitStack() as stack:
        redis = EmbeddedRedis(work)
        redis_url = redis.start()
        stack.callback(redis.stop)
        url = stack.enter_context(database(args.admin_url, args.keep))
        card_ids = load_fixtures(url, redis_url)
        before = table_rows(url)
        server = stack.enter_context(web_server(url, redis_url, work / "server.log"))
        print(f"setup: {len(card_ids)} printings, server on {server.base}, {time.monotonic() - started:.0f} s")

        mark = time.monotonic()
        with httpx.Client(base_url=f"http://{server.base}", timeout=30, trust_env=False) as client:
            dash = discover(client, card_ids)
        calls = plan_calls(rng, args.requests, dash, card_ids)
        http_phase(server, calls, tally, deadline)
        print(f"requests: {tally.counts['requests']:,} in {time.monotonic() - mark:.0f} s")

        mark = time.monotonic()
        frames = fuzz_values.frames(rng, args.frames, card_ids)
        asyncio.run(frames_phase(server, frames, tally, deadline, sockets=10))
        print(f"frames: {tally.counts['frames']:,} in {time.monotonic() - mark:.0f} s")

        mark = time.monotonic()
        messages = fuzz_values.messages(rng, args.messages, card_ids[0], ALERT_USER)
        asyncio.run(pubsub_phase(server, redis_url, messages, card_ids[0], tally, deadline))
        print(f"messages: {tally.counts['messages']:,} in {time.monotonic() - mark:.0f} s")

        for table, changed in rows_changed(before, table_rows(url)).items():
            tally.add("rows changed", f"{table} during the server phases", f"{changed} rows of {table}", n=changed)

        mark = time.monotonic()
        junk_dir = work / "junk"
        junk_dir.mkdir()
        files = fuzz_files.junk_files(junk_dir, rng, args.files, big=not args.quick)
        peak = junk_phase(files, url, redis_url, tally, deadline, args.import_jobs, args.memory_cap)
        print(f"junk files: {tally.counts['junk files']} in {time.monotonic() - mark:.0f} s")
    server_log(work / "server.log", tally)  # read once the server has stopped: complete
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--frames", type=int, default=5_000)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--files", type=int, default=None, help="junk files (default: the whole catalogue, 100+)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a small smoke run (no 50 MB file)")
    parser.add_argument(
        "--admin-url", default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the server log")
    parser.add_argument("--max-seconds", type=float, default=900, help="stop sending after this long")
    parser.add_argument(
        "--import-jobs", type=int, default=1, help="junk imports at a time (rows are compared after each batch)"
    )
    parser.add_argument("--memory-cap", type=float, default=1024, help="MB at which a junk import is stopped")
    parser.add_argument("--examples", type=int, default=5, help="examples shown per failure class")
    args = parser.parse_args()
    if args.quick:
        args.requests = min(args.requests, 600)
        args.frames = min(args.frames, 300)
        args.messages = min(args.messages, 30)
        args.files = args.files or 24
    rng = random.Random(args.seed)
    started = time.monotonic()
    deadline = started + args.max_seconds
    tally = Tally()
    work = Path(tempfile.mkdtemp(prefix="cc-fuzz-"))
    try:
        peak = run(args, rng, work, tally, deadline)
    finally:
        if args.keep:
            print(f"server log and junk files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started

    print(f"\n{'count':<44} {'value':>10}   (seed {args.seed}, {elapsed:.0f} s)")
    failed = False
    for name, key, target in REPORT:
        value = tally.counts[key]
        bad = target and value > 0
        failed |= bad
        print(f"{name:<44} {value:>10,}" + ("   <- target 0" if bad else ""))
        if key == "requests":
            kinds = ("url", "route", "callback", "malformed")
            print("    by kind: " + ", ".join(f"{k} {tally.counts[f'requests: {k}']:,}" for k in kinds))
            print("    4xx by kind: " + ", ".join(f"{k} {tally.counts[f'4xx: {k}']:,}" for k in kinds))
    memory_bad = peak > MEMORY_TARGET_MB
    failed |= memory_bad
    print(f"{'peak importer memory (MB)':<44} {peak:>10.0f}" + ("   <- target <= 300" if memory_bad else ""))
    for name, key, target in REPORT:
        if (target and tally.counts[key]) or (key == "probe misses" and tally.counts[key]):
            print(f"\n{name.strip()}: {tally.counts[key]:,}")
            tally.show(key, args.examples)
    if memory_bad:
        print("\nimports over 300 MB:")
        tally.show("imports over 300 MB", args.examples)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
