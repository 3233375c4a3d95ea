"""POST /api/v1/cards/<id>/refresh against a local fake Scryfall (a real card object of the sample, in
Scryfall's exact format): the prices stored through the import use case, the headers Scryfall requires,
a failing or unreachable Scryfall answered 502 with nothing stored, the per-user limit (429 with
Retry-After), and the refusals (401, 404, 409)."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import text

from app.api import payloads
from app.api.responses import PREFIX
from app.server import create_app
from data.rate_limit import rate_limit_key
from tests.conftest import FIXTURES
from workers.http import USER_AGENT
from workers.imports import import_scryfall
from workers.sources import scryfall_api

CONSIDER = (
    "a211d505-4d40-4914-a9da-220770d6ddbc"  # its prices: usd 0.36, usd_foil 0.74, eur 0.52, eur_foil 1.55, tix 0.03
)
PASSWORD = "correct horse battery"


class FakeScryfall:
    """`GET /cards/{id}` answered with the sample's card object (or `status` with an error object)."""

    def __init__(self, cards: dict[str, dict]) -> None:
        self.cards = cards
        self.status = 200
        self.requests: list[tuple[str, dict[str, str]]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append((self.path, dict(self.headers)))
                card = fake.cards.get(self.path.removeprefix("/cards/"))
                if fake.status != 200 or card is None:
                    status = fake.status if fake.status != 200 else 404
                    body = {"object": "error", "code": "not_found", "status": status, "details": "No card found."}
                else:
                    status, body = 200, card
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def scryfall(scryfall_objects) -> Iterator[FakeScryfall]:
    fake = FakeScryfall({obj["id"]: obj for obj in scryfall_objects})
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def loaded(services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    return services


def app_client(services, url: str, rate: str = "3/hour"):
    settings = services.settings.model_copy(update={"scryfall_api_url": url, "refresh_rate_limit": rate})
    return create_app(dataclasses.replace(services, settings=settings)).server.test_client()


@pytest.fixture
def client(loaded, scryfall):
    return app_client(loaded, scryfall.url)


@pytest.fixture
def consider(loaded) -> int:
    return loaded.cards.get_by_scryfall_id(CONSIDER).id


@pytest.fixture
def alice(loaded) -> tuple[int, dict[str, str]]:
    user = loaded.accounts.register("alice@example.com", PASSWORD)
    return user.id, {"Authorization": f"Bearer {loaded.accounts.issue_token(user.id, 'tests').token}"}


def stored(services) -> int:
    with services.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM price_snapshots")).scalar_one()


def test_a_refresh_stores_scryfalls_current_prices_through_the_import(client, loaded, scryfall, consider, alice):
    _, headers = alice
    before = stored(loaded)
    started = datetime.now(UTC).replace(second=0, microsecond=0)
    response = client.post(f"{PREFIX}/cards/{consider}/refresh", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    payloads.Refreshed.model_validate(body)
    assert (body["card_id"], body["scryfall_id"], body["inserted"], body["updated"], body["rejected"]) == (
        consider,
        CONSIDER,
        5,
        0,
        0,
    )
    assert datetime.fromisoformat(body["time"]) >= started
    assert body["prices"] == [
        {"marketplace": "tcgplayer", "finish": "nonfoil", "language": "English", "currency": "USD", "price": "0.36"},
        {"marketplace": "tcgplayer", "finish": "foil", "language": "English", "currency": "USD", "price": "0.74"},
        {"marketplace": "cardmarket", "finish": "nonfoil", "language": "English", "currency": "EUR", "price": "0.52"},
        {"marketplace": "cardmarket", "finish": "foil", "language": "English", "currency": "EUR", "price": "1.55"},
        {"marketplace": "cardhoarder", "finish": "nonfoil", "language": "English", "currency": "TIX", "price": "0.03"},
    ]
    assert stored(loaded) == before + 5
    # Asked as Scryfall requires: its card path, our User-Agent and an Accept header.
    [(path, sent)] = scryfall.requests
    assert path == f"/cards/{CONSIDER}"
    assert sent["User-Agent"] == USER_AGENT and sent["Accept"] == "application/json;q=0.9,*/*;q=0.8"
    # Stored as every source's rows: under a recorded run, at the refresh's time, and read by the card page.
    with loaded.engine.connect() as conn:
        run = conn.execute(
            text("SELECT source, status, file_name, rows_inserted FROM source_runs WHERE id = :id"),
            {"id": body["run_id"]},
        ).one()
        rows = conn.execute(
            text("SELECT count(*) FROM price_snapshots WHERE source_run_id = :id AND time = :time"),
            {"id": body["run_id"], "time": datetime.fromisoformat(body["time"])},
        ).scalar_one()
    assert tuple(run) == (scryfall_api.SOURCE, "succeeded", f"cards/{CONSIDER}", 5) and rows == 5
    tcgplayer = loaded.marketplaces.by_slug("tcgplayer").id
    latest = {(row["marketplace_id"], row["finish"]): row for row in loaded.card_queries.detail(consider)["latest"]}[
        tcgplayer, "nonfoil"
    ]
    assert (latest["price"], latest["time"]) == ("0.36", body["time"])

    again = client.post(f"{PREFIX}/cards/{consider}/refresh", headers=headers).get_json()
    if again["time"] == body["time"]:  # within the same minute: the same rows, unchanged
        assert (again["inserted"], again["unchanged"]) == (0, 5)
    else:
        assert again["inserted"] == 5


def test_a_failing_or_unreachable_scryfall_is_a_502_and_nothing_is_stored(client, loaded, scryfall, consider, alice):
    _, headers = alice
    before, runs = stored(loaded), loaded.runs.latest_per_source()
    scryfall.status = 500
    response = client.post(f"{PREFIX}/cards/{consider}/refresh", headers=headers)
    assert response.status_code == 502
    assert response.get_json() == {"error": f"upstream: Scryfall answered HTTP 500 for {scryfall.url}/cards/{CONSIDER}"}
    scryfall.status = 200
    scryfall.cards[CONSIDER] = {**scryfall.cards[CONSIDER], "id": "dc00fd1b-3dd9-492a-9ed4-0b6743074730"}
    other = client.post(f"{PREFIX}/cards/{consider}/refresh", headers=headers)
    assert other.status_code == 502
    assert other.get_json()["error"] == (
        f"upstream: Scryfall answered card 'dc00fd1b-3dd9-492a-9ed4-0b6743074730' for {CONSIDER}"
    )
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    down = app_client(loaded, f"http://127.0.0.1:{port}")
    unreachable = down.post(f"{PREFIX}/cards/{consider}/refresh", headers=headers)
    assert unreachable.status_code == 502
    assert unreachable.get_json()["error"].startswith(
        f"upstream: Scryfall could not be reached at http://127.0.0.1:{port}/cards/{CONSIDER}: ConnectError"
    )
    assert stored(loaded) == before and loaded.runs.latest_per_source() == runs


def test_refreshes_are_limited_per_user(client, loaded, scryfall, consider, alice, redis_client):
    user, headers = alice
    for _ in range(3):
        assert client.post(f"{PREFIX}/cards/{consider}/refresh", headers=headers).status_code == 200
    refused = client.post(f"{PREFIX}/cards/{consider}/refresh", headers=headers)
    assert refused.status_code == 429
    assert refused.get_json()["error"].startswith("too many refreshes: the limit is 3/hour per user; retry in ")
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
    assert redis_client.zcard(rate_limit_key("user", str(user), "refresh")) == 3
    assert len(scryfall.requests) == 3  # the refused one never reached Scryfall
    other = loaded.accounts.register("bob@example.com", PASSWORD)
    bob = {"Authorization": f"Bearer {loaded.accounts.issue_token(other.id, 'tests').token}"}
    assert client.post(f"{PREFIX}/cards/{consider}/refresh", headers=bob).status_code == 200  # a window per user


def test_refusals_before_scryfall_is_asked(client, loaded, scryfall, consider, alice):
    _, headers = alice
    anonymous = client.post(f"{PREFIX}/cards/{consider}/refresh")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == 'Bearer realm="cardcharts"'
    for card in (999999, 0, 2**31, "abc"):
        missing = client.post(f"{PREFIX}/cards/{card}/refresh", headers=headers)
        assert missing.status_code == 404, card
        assert missing.get_json()["error"].startswith("no card with id "), card
    with loaded.engine.begin() as conn:
        unlinked = conn.execute(
            text("INSERT INTO cards (name, set_code, collector_number) VALUES ('Local Card', 'tst', '1') RETURNING id")
        ).scalar_one()
    conflict = client.post(f"{PREFIX}/cards/{unlinked}/refresh", headers=headers)
    assert conflict.status_code == 409
    assert conflict.get_json() == {
        "error": f"card {unlinked} has no Scryfall id: its prices come from other sources only"
    }
    assert client.get(f"{PREFIX}/cards/{consider}/refresh", headers=headers).status_code in (404, 405)  # not a refresh
    assert scryfall.requests == []
