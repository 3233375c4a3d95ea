"""The server as a whole under hostile input and faults: security headers on every response, no
version leaks, only assets from the assets folder, a cap on bodies, a 400 for a malformed callback
request (never a 500 or a traceback), database timeouts, and timestamped logs in the web workers."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from flask import request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError

from app.bootstrap import bootstrap
from app.security import MAX_BODY_BYTES
from app.server import create_app
from app.settings import ConfigError, load_settings
from data.db import CONNECT_TIMEOUT_SECONDS
from layouts import card as card_layout
from layouts import compare as compare_layout
from layouts import market as market_layout
from layouts import sources as sources_layout
from layouts.shell import shell
from tests.conftest import FIXTURES, SECRET, make_settings
from tests.helpers import web_server
from workers.imports import import_scryfall

CALLBACK = "/_dash-update-component"
CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"
# One server callback per page that reads the database, with the page layout it is fired from.
PAGE_CALLBACKS = {
    "..market-index-graph.figure...market-overview.children...market-status.children..": lambda: market_layout.layout(),
    "..card-history-graph.figure...card-status.children..": lambda: card_layout.layout(id="1"),
    "..compare-graph.figure...compare-status.children..": lambda: compare_layout.layout(ids="1,2"),
    "..sources-grid.rowData...sources-status.children..": lambda: sources_layout.layout(),
}
SEARCH = "card-search.data"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) \[\d+\] [\w.]+: ")


def _dependency(key: str) -> dict:
    component, prop = key.rsplit(".", 1)
    return {"id": component, "property": prop}


def callback_body(app, output: str, page=None, **values) -> dict:
    """The body the renderer posts for `output`, with the values the page's layout starts with."""
    trees = [shell()] + ([page] if page is not None else [])
    components = {
        c.id: c for tree in trees for c in [tree, *(child for child in tree._traverse())] if getattr(c, "id", None)
    }
    spec = app.callback_map[output]

    def filled(dependency: dict) -> dict:
        default = getattr(components.get(dependency["id"]), dependency["property"], None)
        return {**dependency, "value": values.get(dependency["id"], default)}

    outputs = (
        [_dependency(key) for key in output[2:-2].split("...")] if output.startswith("..") else _dependency(output)
    )
    inputs = [filled(d) for d in spec["inputs"]]
    return {
        "output": output,
        "outputs": outputs,
        "inputs": inputs,
        "state": [filled(d) for d in spec["state"]],
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }


def search_body(app, text_value) -> dict:
    return callback_body(app, SEARCH, **{"card-search": text_value})


@pytest.fixture
def app(services):
    return create_app(services)


@pytest.fixture
def client(app):
    client = app.server.test_client()
    client.get("/")  # the app sets itself up on its first request (Dash pages adds its routing callback)
    return client


# ---------------------------------------------------------------- headers and version leaks


def assert_hardened(response, host: str = "localhost") -> None:
    policy = dict(directive.split(" ", 1) for directive in response.headers["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'self'"
    assert policy["img-src"].split() == ["'self'", "data:", "blob:", "https://cards.scryfall.io"]
    assert policy["connect-src"].split() == ["'self'", f"ws://{host}", f"wss://{host}"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_every_kind_of_response_carries_the_security_headers(app, caplog):
    @app.server.get("/test-fault")
    def fault():
        raise RuntimeError("a genuine fault")

    client = app.server.test_client()
    page = client.get("/card")
    suite = re.search(r'src="(/_dash-component-suites/[^"]+)"', page.text).group(1)
    responses = {
        "page": page,
        "layout": client.get("/_dash-layout"),
        "dependencies": client.get("/_dash-dependencies"),
        "component suite": client.get(suite),
        "asset": client.get("/assets/cardcharts.css"),
        "healthz": client.get("/healthz"),
        "readyz": client.get("/readyz"),
        "callback": client.post(CALLBACK, json=search_body(app, "consider")),
        "missing asset": client.get("/assets/nothing.css"),
        "malformed callback": client.post(CALLBACK, json=[]),
        "oversize body": client.post(CALLBACK, data=b"x" * (MAX_BODY_BYTES + 1), content_type="application/json"),
        "server fault": client.get("/test-fault"),
    }
    assert {kind: r.status_code for kind, r in responses.items()} == {
        "page": 200,
        "layout": 200,
        "dependencies": 200,
        "component suite": 200,
        "asset": 200,
        "healthz": 200,
        "readyz": 200,
        "callback": 200,
        "missing asset": 404,
        "malformed callback": 400,
        "oversize body": 413,
        "server fault": 500,
    }
    for response in responses.values():
        assert_hardened(response)
    # A genuine fault is still logged, with its traceback, at ERROR.
    faults = [record for record in caplog.records if record.levelname == "ERROR"]
    assert len(faults) == 1 and faults[0].exc_info and "a genuine fault" in str(faults[0].exc_info[1])


def test_the_page_allows_exactly_its_own_inline_scripts(client):
    """Dash starts its renderer and defines inline clientside callbacks in inline scripts: each is allowed
    by its hash (the browser test proves the pages run), and a script the page does not hold is not."""
    import base64
    import hashlib

    page = client.get("/")
    html = re.sub(r"<!--.*?-->", "", page.text, flags=re.S)  # (an IE-only script in a conditional comment)
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", html, re.S)
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'" for script in inline
    }
    script_src = page.headers["Content-Security-Policy"].split("script-src ", 1)[1].split(";", 1)[0].split()
    assert len(inline) >= 2 and set(script_src) == {"'self'", *hashes}


def test_no_version_is_leaked(client):
    python = sys.version.split()[0]
    for path in ("/", "/sources", "/card"):
        page = client.get(path)
        assert page.status_code == 200
        config = json.loads(re.search(r'<script id="_dash-config"[^>]*>(.*?)</script>', page.text)[1])
        assert "python_version" not in config
        assert python not in page.text and sys.version not in page.text


def test_only_asset_files_are_served_from_the_assets_folder(client):
    assert client.get("/assets/cardcharts.css").status_code == 200
    assert client.get("/assets/live.js").status_code == 200
    for path in (
        "/assets/__init__.py",
        "/assets/__init__.PY",
        "/assets/x/../__init__.py",
        "/assets/x/..%2f__init__.py",
        "/assets/__init__.py%00.css",
        "/assets/__pycache__/__init__.cpython-311.pyc",
        "/assets/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"__init__" not in response.data


def test_unknown_component_files_are_404_not_500(client, caplog):
    assert client.get("/_dash-component-suites/dash/dcc/dash_core_components.js").status_code in (200, 304)
    for path in ("/_dash-component-suites/nope/nope.js", "/_dash-component-suites/dash/dcc/%00.js"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert_hardened(response)
    assert [r for r in caplog.records if r.levelno >= 40] == []


def test_the_page_router_refuses_a_pathname_a_browser_never_sends(app, client, caplog):
    """Dash's router raises UnsupportedRelativePath (a 500) on a pathname without its leading '/', and a
    TypeError on none at all once a page has a path template (the embeds)."""
    router = next(output for output in app.callback_map if "_pages_content" in output)
    spec = app.callback_map[router]
    cases = (("-1", 400), ("", 400), ("%", 400), (None, 400), ("/card", 200), ("/embed/card/x", 200))
    for pathname, status in cases:
        body = {
            "output": router,
            "outputs": [_dependency(key) for key in router[2:-2].split("...")],
            "inputs": [
                {**dependency, "value": {"pathname": pathname, "search": "?id=1"}.get(dependency["property"])}
                for dependency in spec["inputs"]
            ],
            "state": [{**dependency, "value": None} for dependency in spec["state"]],
            "changedPropIds": ["_pages_location.pathname"],
        }
        response = client.post(CALLBACK, json=body)
        assert response.status_code == status, (pathname, response.data[:300])
    assert [r for r in caplog.records if r.levelno >= 40] == []


def test_a_client_hostname_that_is_not_a_host_is_left_out_of_connect_src(client):
    response = client.get("/healthz", headers={"Host": "evil.example; script-src *"})
    policy = response.headers["Content-Security-Policy"]
    assert "connect-src 'self';" in policy and "evil" not in policy


# ---------------------------------------------------------------- bodies


def test_an_oversize_body_is_refused_with_413_and_a_clear_message(app, client):
    body = search_body(app, "x" * MAX_BODY_BYTES)
    response = client.post(CALLBACK, json=body)
    assert response.status_code == 413
    assert response.json == {"error": "the request body is larger than the 1024 KiB limit"}


MALFORMED = {
    "empty list": b"[]",
    "empty object": b"{}",
    "a number": b"12",
    "null": b"null",
    "not json": b"{'output': 1",
    "invalid utf-8": b'{"output": "\xff\xfe"}',
    "empty": b"",
    "unknown output": json.dumps({"output": "nope.children", "outputs": {"id": "nope", "property": "children"}}),
    "clientside output": json.dumps(
        {"output": "color-scheme.data", "outputs": {"id": "color-scheme", "property": "data"}, "inputs": []}
    ),
    "deep nesting": b'{"output": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
}


def _malformed_from_search(app) -> dict[str, dict]:
    good = search_body(app, "consider")
    without = {key: {k: v for k, v in good.items() if k != key} for key in ("output", "outputs", "inputs")}
    return {
        **{f"missing {key}": body for key, body in without.items()},
        "no inputs": {**good, "inputs": []},
        "an extra input": {**good, "inputs": good["inputs"] * 2},
        "inputs not a list": {**good, "inputs": {"id": "card-search"}},
        "input without id": {**good, "inputs": [{"property": "searchValue", "value": "x"}]},
        "input of another component": {**good, "inputs": [{**good["inputs"][0], "id": "compare-search"}]},
        "unknown output component": {**good, "outputs": {"id": "ghost", "property": "data"}},
        "outputs a string": {**good, "outputs": "card-search.data"},
        "changedPropIds not strings": {**good, "changedPropIds": [1, None]},
        "a value nested too deep": search_body(app, json.loads("[" * 40 + "]" * 40)),
        "NUL in search text": search_body(app, "Consider\x00"),
        "NUL in a key": {**good, "state": [], "inputs": [{**good["inputs"][0], "value": {"a\x00": 1}}]},
        "lone surrogate in search text": search_body(app, "Consider\ud800"),
        "a pattern id with an object": {**good, "outputs": {"id": {"type": {"x": 1}}, "property": "data"}},
        "too many multi outputs": {
            **callback_body(app, next(iter(PAGE_CALLBACKS)), market_layout.layout()),
            "outputs": [_dependency("market-status.children")] * 5,
        },
    }


def test_malformed_callback_requests_get_400_and_log_no_error(app, client, caplog):
    bodies = {**MALFORMED, **{name: json.dumps(body) for name, body in _malformed_from_search(app).items()}}
    errors = {}
    for name, body in bodies.items():
        response = client.post(CALLBACK, data=body, content_type="application/json")
        assert response.status_code == 400, (name, response.data[:300])
        assert set(response.json) == {"error"} and len(response.json["error"]) < 200, name
        errors[name] = response.json["error"]
    assert errors["deep nesting"] == "the body nests too deep for a callback request"
    assert errors["a value nested too deep"] == "the body nests deeper than 32 levels"
    assert errors["NUL in search text"] == errors["NUL in a key"] == "text must not contain NUL characters"
    assert "lone surrogate" in errors["lone surrogate in search text"]
    assert errors["invalid utf-8"] == "the body must be UTF-8"
    assert errors["not json"] == "the body is not valid JSON"
    assert errors["unknown output"] == errors["clientside output"] == "no server callback has this output"
    assert errors["unknown output component"] == "'outputs' do not match the callback's declaration"
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = client.post(CALLBACK, data=json.dumps(search_body(app, "consider")), content_type=content_type)
        assert response.status_code == 400, content_type
    assert [r for r in caplog.records if r.levelno >= 40] == []
    assert client.post(CALLBACK, json=search_body(app, "consider")).status_code == 200


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=JSON)
def test_random_json_bodies_never_get_a_5xx(client, body):
    assert client.post(CALLBACK, data=json.dumps(body), content_type="application/json").status_code < 500


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=400))
def test_random_bytes_never_get_a_5xx(client, body):
    assert client.post(CALLBACK, data=body, content_type="application/json").status_code < 500


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _replaced(value, path, new):
    if not path:
        return new
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replaced(value[head], rest, new)
    return copy


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_real_bodies_with_one_part_of_their_frame_replaced_never_get_a_5xx(app, client, data):
    """Each server callback's own body, with one part outside its values (output, ids, properties,
    counts, changedPropIds) swapped for random JSON: a 4xx, or an answer when it still makes sense."""
    output = data.draw(st.sampled_from(sorted(key for key, spec in app.callback_map.items() if "callback" in spec)))
    body = callback_body(app, output)
    frame = [path for path in _paths(body) if "value" not in path]  # the values are each page's to judge
    path = data.draw(st.sampled_from(frame))
    if path and data.draw(st.booleans()):  # drop it instead
        *parent, last = path
        broken = _replaced(body, parent, _without(_get(body, parent), last))
    else:
        broken = _replaced(body, path, data.draw(JSON))
    assert client.post(CALLBACK, data=json.dumps(broken), content_type="application/json").status_code < 500


def _get(value, path):
    for step in path:
        value = value[step]
    return value


def _without(container, key):
    if isinstance(container, dict):
        return {k: v for k, v in container.items() if k != key}
    return [item for index, item in enumerate(container) if index != key]


# ---------------------------------------------------------------- the real server (gunicorn, gevent workers)


def _log_lines(log) -> list[str]:
    log.seek(0)
    return log.read().decode(errors="replace").splitlines()


def test_the_served_app_is_hardened_and_logs_with_time_and_level(app, database_url, redis_server):
    with tempfile.TemporaryFile() as log:
        with (
            web_server(database_url, redis_server, SECRET, log=log, CARDCHARTS_LOG_LEVEL="DEBUG") as address,
            httpx.Client(base_url=f"http://{address}", timeout=10) as http,
        ):
            for path in ("/", "/card", "/sources", "/healthz", "/assets/cardcharts.css"):
                response = http.get(path)
                assert response.status_code == 200, path
                assert_hardened(response, address)
                assert response.headers["server"] == "gunicorn"  # no version
                assert "python_version" not in response.text and sys.version.split()[0] not in response.text
            assert http.get("/assets/__init__.py").status_code == 404
            json_type = {"content-type": "application/json"}
            oversize = http.post(CALLBACK, content=b"x" * (MAX_BODY_BYTES + 1), headers=json_type)
            assert oversize.status_code == 413 and "limit" in oversize.json()["error"]
            chunked = http.post(  # no Content-Length: the limit holds as the body streams in
                CALLBACK, content=iter([b"x" * 65_536] * 32), headers=json_type
            )
            assert chunked.status_code == 413
            for name, body in {**MALFORMED, **_malformed_from_search(app)}.items():
                content = body if isinstance(body, bytes | str) else json.dumps(body)
                response = http.post(CALLBACK, content=content, headers=json_type)
                assert response.status_code == 400, name
                assert_hardened(response, address)
            assert http.post(CALLBACK, json=search_body(app, "consider")).status_code == 200
        lines = _log_lines(log)
    assert not any("Traceback" in line for line in lines)
    # Every record has a time, level, process and logger; only a record's continuation lines do not.
    assert all(LOG_LINE.match(line) or line.startswith(" ") for line in lines), lines[:20]
    worker = next(line for line in lines if "Booting worker with pid" in line)
    worker_pid = worker.split("[", 1)[1].split("]", 1)[0]
    from_worker = [line for line in lines if f" [{worker_pid}] " in line]
    assert any(" DEBUG " in line and "POST /_dash-update-component" in line for line in from_worker)
    assert any(" INFO " in line and "gunicorn.access" in line and '" 413 ' in line for line in from_worker)


@pytest.mark.parametrize("fault", ["refused", "unresponsive"])
def test_with_the_database_down_the_pages_answer_within_seconds(app, redis_server, fault):
    """Nothing listens (refused), or a listener accepts and never answers (a hung server or host):
    each page's callback still answers within seconds, and the server logs at the configured level."""
    with socket.socket() as hole, tempfile.TemporaryFile() as log:
        hole.bind(("127.0.0.1", 0))
        if fault == "unresponsive":
            hole.listen(64)  # the kernel completes connections; nobody ever reads or answers
        port = hole.getsockname()[1]
        if fault == "refused":
            hole.close()
        dead = f"postgresql://postgres@127.0.0.1:{port}/cardcharts"
        with (
            web_server(dead, redis_server, SECRET, log=log, CARDCHARTS_LOG_LEVEL="WARNING") as address,
            httpx.Client(base_url=f"http://{address}", timeout=30) as http,
        ):
            bodies = {output: callback_body(app, output, page()) for output, page in PAGE_CALLBACKS.items()}
            bodies[SEARCH] = search_body(app, "consider")
            limit = 1.5 if fault == "refused" else CONNECT_TIMEOUT_SECONDS + 2

            def timed(body: dict | None) -> tuple[int, float]:
                started = time.monotonic()
                response = http.post(CALLBACK, json=body) if body else http.get("/readyz")
                return response.status_code, time.monotonic() - started

            # All at once: the worker serves each on its own greenlet while the others wait on the database.
            with ThreadPoolExecutor(len(bodies) + 1) as pool:
                answers = dict(zip([*bodies, "/readyz"], pool.map(timed, [*bodies.values(), None]), strict=True))
            assert answers.pop("/readyz")[0] == 503
            for output, (status, elapsed) in answers.items():
                assert status < 500 and elapsed < limit, (output, status, elapsed)
        lines = _log_lines(log)
    records = [line for line in lines if LOG_LINE.match(line)]
    assert any(" WARNING " in line or " ERROR " in line for line in records)
    assert not [line for line in records if " INFO " in line and "gunicorn.access" not in line]
    assert not [line for line in records if " DEBUG " in line]


# ---------------------------------------------------------------- database timeouts and recovery


def test_web_requests_have_a_statement_timeout_and_workers_none(database_url, redis_server, monkeypatch):
    settings = make_settings(database_url, redis_server).model_copy(update={"db_statement_timeout_ms": 300})
    web, worker = bootstrap(settings, web=True), bootstrap(settings)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"), web.engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(5)"))
        assert time.monotonic() - started < 2
        with web.engine.connect() as conn:  # the pool hands out a working connection afterwards
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "300ms"
        with worker.engine.connect() as conn:  # rollup refreshes may rightly run for minutes
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"
    finally:
        web.close()
        worker.close()
    assert load_settings(DATABASE_URL=None).db_statement_timeout_ms == 5000
    monkeypatch.setenv("CARDCHARTS_DB_STATEMENT_TIMEOUT_MS", "-1")
    with pytest.raises(ConfigError, match="CARDCHARTS_DB_STATEMENT_TIMEOUT_MS"):
        load_settings()


class CuttableProxy:
    """A TCP forwarder to PostgreSQL that a test can cut (every connection dropped, the port refusing
    new ones) and restore on the same port: the database going away and coming back."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream, self.port, self.listener, self.sockets = upstream, 0, None, []

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (close alone would not)
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65_536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)


def test_the_pool_recovers_by_itself_when_the_database_comes_back(database_url, redis_server):
    url = make_url(database_url)
    if not url.host or "host" in url.query:
        pytest.skip("the test database is not reached over TCP")
    proxy = CuttableProxy((url.host, url.port or 5432))
    proxy.start()
    settings = make_settings(url.set(host="127.0.0.1", port=proxy.port).render_as_string(False), redis_server)
    services = bootstrap(settings, web=True)
    try:
        app = create_app(services)
        client = app.server.test_client()
        search = search_body(app, "consider")
        assert client.get("/readyz").status_code == 200
        assert client.post(CALLBACK, json=search).status_code == 200
        proxy.cut()
        started = time.monotonic()
        assert client.get("/readyz").status_code == 503
        assert client.post(CALLBACK, json=search_body(app, "another")).status_code < 500
        assert time.monotonic() - started < 2
        proxy.start()
        assert client.get("/readyz").status_code == 200  # without a restart
        assert client.post(CALLBACK, json=search_body(app, "third")).json["response"]["card-search"]["data"] == []
    finally:
        proxy.cut()
        services.close()


# ---------------------------------------------------------------- the pages in a browser, under the policy


def test_every_page_runs_under_the_policy_with_no_console_error(dash_duo, services):
    """The Content-Security-Policy is active and no page breaks it: no violation, no console error.
    Also measures the largest callback body a page sends, against the body limit."""
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    card = services.cards.get_by_scryfall_id(CONSIDER).id
    app = create_app(services)
    sizes = []

    @app.server.after_request
    def measure(response):
        if request.path == CALLBACK:
            sizes.append(request.content_length or 0)
        return response

    dash_duo.start_server(app)
    pages = {
        "/": "#market-index-graph .main-svg",
        f"/card?id={card}": "#card-history-graph .main-svg",
        f"/compare?ids={card}": "#compare-graph .main-svg",
        "/sources": "#sources-grid .ag-row",
    }
    for path, drawn in pages.items():
        dash_duo.wait_for_page(f"{dash_duo.server_url}{path}")
        dash_duo.wait_for_element(drawn, timeout=15)
        time.sleep(1)
        policy = dash_duo.driver.execute_script(
            "return fetch(location.href).then(r => r.headers.get('content-security-policy'))"
        )
        assert "default-src 'self'" in policy
        # The card image comes from Scryfall, which these offline tests cannot reach (allowed, not blocked).
        errors = [
            log
            for log in dash_duo.get_logs()
            if not ("cards.scryfall.io" in log["message"] and "net::ERR" in log["message"])
        ]
        assert errors == [], path
    assert sizes and max(sizes) < MAX_BODY_BYTES // 64


def test_pattern_matching_inputs_pass_the_body_check():
    """callback_map holds a pattern-matching id as JSON text: its matches (a list) must pass."""
    from dash import ALL, Dash, Input, Output, html

    from app.callback_bodies import MalformedCallback, check_callback_body

    pattern_app = Dash(__name__)
    pattern_app.layout = html.Div()

    @pattern_app.callback(Output("out", "children"), Input({"type": "hint", "index": ALL}, "n_clicks"))
    def clicked(clicks):
        return str(clicks)

    matches = [{"id": {"type": "hint", "index": n}, "property": "n_clicks", "value": n} for n in range(2)]
    body = {
        "output": "out.children",
        "outputs": {"id": "out", "property": "children"},
        "inputs": [matches],
        "changedPropIds": ['{"index":0,"type":"hint"}.n_clicks'],
    }
    check_callback_body(body, pattern_app.callback_map)
    with pytest.raises(MalformedCallback):
        check_callback_body(
            {**body, "inputs": [[{"id": {"type": ["x"]}, "property": "n_clicks"}]]}, pattern_app.callback_map
        )
