"""The per-user API on the real fixtures: collection import (preview, all-or-nothing commit, limits),
lots (list, get, edit, delete, sell, CSV export) and the portfolio, each to the cent; Bearer required;
and isolation by id guessing: user B's token against user A's lots and the ids around them."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import text

from app.api import payloads
from app.api.responses import PREFIX
from app.server import create_app
from data.collection_formats import MAX_BYTES
from data.domain import Condition, Finish
from data.holdings import NewLot
from tests.conftest import FIXTURES
from workers.imports import import_mtgjson, import_scryfall

CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"  # MID 44: TCGplayer 0.35 (0.37 a day before), foil 0.74
DELUGE = "dc00fd1b-3dd9-492a-9ed4-0b6743074730"  # MID 62: TCGplayer 0.17, Cardmarket 0.37 EUR
PASSWORD = "correct horse battery"
D = Decimal
MOXFIELD = (
    '"Count","Tradelist Count","Name","Edition","Condition","Language","Foil","Tags","Last Modified",'
    '"Collector Number","Alter","Proxy","Purchase Price"\r\n'
)


def moxfield(*rows: str) -> bytes:
    return (MOXFIELD + "".join(row + "\r\n" for row in rows)).encode()


GOOD_ROWS = (
    '"2","0","Consider","mid","Near Mint","English","","binder","2025-10-01 10:00:00.000000","44","False","False",'
    '"0.30"',
    '"3","0","Memory Deluge","mid","Good (Lightly Played)","English","foil","","","62","False","False","1.25"',
)
UNMATCHED_ROW = '"1","0","No Such Card","mid","Near Mint","English","","","","999","False","False",""'
BAD_COUNT_ROW = '"x2","0","Consider","mid","Near Mint","English","","","","44","False","False",""'


@pytest.fixture
def loaded(services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    mtgjson = FIXTURES / "mtgjson"
    import_mtgjson(services, mtgjson / "AllPrices-sample.json", [mtgjson / "AllIdentifiers-sample.json"])
    return services


@pytest.fixture
def client(loaded):
    return create_app(loaded).server.test_client()


@pytest.fixture
def cards(loaded) -> dict[str, int]:
    return {
        "consider": loaded.cards.get_by_scryfall_id(CONSIDER).id,
        "deluge": loaded.cards.get_by_scryfall_id(DELUGE).id,
    }


def account(services, email: str) -> tuple[int, dict[str, str]]:
    """A user and the Authorization header of a token of theirs."""
    user = services.accounts.register(email, PASSWORD)
    token = services.accounts.issue_token(user.id, "tests").token
    return user.id, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def alice(loaded):
    return account(loaded, "alice@example.com")


@pytest.fixture
def bob(loaded):
    return account(loaded, "bob@example.com")


@pytest.fixture
def holding(loaded, alice, cards) -> list[int]:
    """Alice's three lots: 4 Consider at 0.25 USD, 2 Lightly Played foil Consider at 1.00, 3 Deluge at no cost."""
    user, _ = alice
    return loaded.lots.add_many(
        user,
        [
            NewLot(cards["consider"], 4, acquired_price=D("0.25"), currency="USD", acquired_on=date(2025, 10, 1)),
            NewLot(cards["consider"], 2, Finish.FOIL, Condition.LIGHTLY_PLAYED, acquired_price=D("1.00")),
            NewLot(cards["deluge"], 3, notes="from a trade"),
        ],
    )


def upload(client, headers, data: bytes, name: str = "collection.csv", query: str = "", **fields):
    return client.post(
        f"{PREFIX}/collection/import{query}",
        data={"file": (io.BytesIO(data), name), **fields},
        headers=headers,
        content_type="multipart/form-data",
    )


def lot_count(services) -> int:
    with services.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM lots")).scalar_one()


def test_every_route_needs_a_token(client, loaded, holding):
    lot = holding[0]
    for method, path in (
        ("get", "/collection"),
        ("get", f"/collection/{lot}"),
        ("patch", f"/collection/{lot}"),
        ("delete", f"/collection/{lot}"),
        ("post", f"/collection/{lot}/sell"),
        ("post", "/collection/import"),
        ("get", "/portfolio"),
        ("get", "/portfolio/history"),
    ):
        response = getattr(client, method)(PREFIX + path, json={})
        assert response.status_code == 401, path
        assert response.get_json()["error"].startswith("Authorization: this endpoint needs 'Bearer <token>'")
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="cardcharts"'
        wrong = getattr(client, method)(PREFIX + path, json={}, headers={"Authorization": "Bearer cc_wrong"})
        assert wrong.status_code == 401 and wrong.get_json() == {
            "error": "Authorization: the token is unknown or revoked"
        }
    assert lot_count(loaded) == 3


def test_the_preview_names_matches_misses_and_problems_and_writes_nothing(client, loaded, alice, cards):
    _, headers = alice
    response = upload(client, headers, moxfield(*GOOD_ROWS, UNMATCHED_ROW, BAD_COUNT_ROW), currency="EUR")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    payloads.ImportPreview.model_validate(body)
    assert (body["format"], body["committed"], body["copies"]) == ("moxfield", False, 5)
    assert body["matched"] == [
        {
            "line": 2,
            "matched_by": "number",
            "card_id": cards["consider"],
            "name": "Consider",
            "set_code": "mid",
            "set_name": "Innistrad: Midnight Hunt",
            "collector_number": "44",
            "scryfall_id": CONSIDER,
            "quantity": 2,
            "finish": "nonfoil",
            "condition": "NEAR_MINT",
            "language": "English",
            "price": "0.30",
            "currency": "EUR",
            "acquired_on": "2025-10-01",
            "notes": "binder",
        },
        {
            "line": 3,
            "matched_by": "number",
            "card_id": cards["deluge"],
            "name": "Memory Deluge",
            "set_code": "mid",
            "set_name": "Innistrad: Midnight Hunt",
            "collector_number": "62",
            "scryfall_id": DELUGE,
            "quantity": 3,
            "finish": "foil",
            "condition": "LIGHTLY_PLAYED",
            "language": "English",
            "price": "1.25",
            "currency": "EUR",
            "acquired_on": None,
            "notes": "",
        },
    ]
    assert body["unmatched"] == [
        {
            "line": 4,
            "reason": "no printing matches mid #999, name 'No Such Card'",
            "name": "No Such Card",
            "set_code": "mid",
            "collector_number": "999",
            "scryfall_id": None,
            "quantity": 1,
        }
    ]
    [problem] = body["problems"]
    assert (problem["line"], problem["column"]) == (5, "Count")
    assert "x2" in problem["message"]
    assert lot_count(loaded) == 0


def test_a_commit_is_all_or_nothing(client, loaded, alice, cards):
    user, headers = alice
    mixed = moxfield(*GOOD_ROWS, UNMATCHED_ROW)
    refused = upload(client, headers, mixed, query="?commit=1")
    assert refused.status_code == 422
    body = refused.get_json()
    payloads.ImportRefusedBody.model_validate(body)
    assert body["error"].startswith("import refused, nothing written: 1 row(s) unmatched or invalid (line 4: ")
    assert [row["line"] for row in body["matched"]] == [2, 3] and [row["line"] for row in body["unmatched"]] == [4]
    unreadable = upload(client, headers, moxfield(*GOOD_ROWS, BAD_COUNT_ROW), query="?commit=1")
    assert unreadable.status_code == 422
    assert unreadable.get_json()["error"] == "import refused, nothing written: 1 row problem(s)"
    assert unreadable.get_json()["problems"][0]["line"] == 4
    assert lot_count(loaded) == 0

    skipped = upload(client, headers, moxfield(*GOOD_ROWS, UNMATCHED_ROW), query="?commit=1&skip_unmatched=1")
    assert skipped.status_code == 201
    done = skipped.get_json()
    payloads.ImportCommitted.model_validate(done)
    assert (done["committed"], done["copies"], [row["line"] for row in done["skipped"]]) == (True, 5, [4])
    assert [(lot.card_id, lot.quantity, lot.acquired_price, lot.currency) for lot in loaded.lots.list(user)] == [
        (cards["consider"], 2, D("0.30"), "USD"),
        (cards["deluge"], 3, D("1.25"), "USD"),
    ]
    assert [lot.id for lot in loaded.lots.list(user)] == done["lot_ids"]

    clean = upload(client, headers, moxfield(GOOD_ROWS[0]), query="?commit=1", currency="EUR")
    assert clean.status_code == 201 and clean.get_json()["skipped"] == []
    assert loaded.lots.get(user, clean.get_json()["lot_ids"][0]).currency == "EUR"


def test_unreadable_files_and_bad_uploads_are_refused_clearly(client, loaded, alice):
    _, headers = alice
    unknown = upload(client, headers, b"Foo,Bar\n1,2\n")
    assert unknown.status_code == 400
    body = unknown.get_json()
    payloads.FileRefused.model_validate(body)
    assert body["line"] == 1 and body["error"].startswith(
        "line 1: unrecognised header: found columns 'Foo', 'Bar'; known formats"
    )
    missing = upload(client, headers, moxfield().replace(b'"Name",', b""))
    assert missing.status_code == 400
    assert missing.get_json() == {
        "error": "line 1, column 'Name': collection.csv: the header lacks Name",
        "line": 1,
        "column": "Name",
    }
    no_file = client.post(f"{PREFIX}/collection/import", data={"currency": "EUR"}, headers=headers)
    assert no_file.status_code == 400 and no_file.get_json()["error"].startswith("file: ")
    as_json = client.post(f"{PREFIX}/collection/import", json={"file": "x"}, headers=headers)
    assert as_json.status_code == 400 and as_json.get_json()["error"].startswith("file: ")
    bad_currency = upload(client, headers, moxfield(*GOOD_ROWS), currency="euro")
    assert bad_currency.status_code == 400 and bad_currency.get_json()["error"].startswith("currency: ")
    bad_flag = upload(client, headers, moxfield(*GOOD_ROWS), query="?commit=yes")
    assert bad_flag.status_code == 400 and bad_flag.get_json()["error"].startswith("commit: ")
    big = upload(client, headers, moxfield(*GOOD_ROWS) + b" " * MAX_BYTES, query="?commit=1")
    assert big.status_code == 413
    assert big.get_json() == {"error": f"file: larger than the limit of {MAX_BYTES:,} bytes; split the collection"}
    # Larger than the server's 1 MiB body limit for forms, within the import's own: read, and previewed.
    padded = moxfield(*GOOD_ROWS) + b" " * (1200 * 1024)  # a last line of blanks: no row
    accepted = upload(client, headers, padded)
    assert accepted.status_code == 200 and accepted.get_json()["copies"] == 5
    assert lot_count(loaded) == 0


def test_lots_list_with_values_and_one_lot(client, alice, holding, cards):
    _, headers = alice
    response = client.get(f"{PREFIX}/collection", headers=headers)
    assert response.status_code == 200 and "Authorization" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"  # one user's answer: kept by no cache
    body = response.get_json()
    payloads.Collection.model_validate(body)
    first, foil, deluge = holding
    assert body["basis"] == "tcgplayer"
    by_id = {lot["id"]: lot for lot in body["lots"]}
    assert by_id[first] == {
        "id": first,
        "card_id": cards["consider"],
        "name": "Consider",
        "set_code": "mid",
        "set_name": "Innistrad: Midnight Hunt",
        "collector_number": "44",
        "finish": "nonfoil",
        "condition": "NEAR_MINT",
        "language": "English",
        "quantity": 4,
        "price": "0.25",
        "currency": "USD",
        "acquired_on": "2025-10-01",
        "notes": "",
        "unit_price": "0.35",
        "value": "1.40",
        "value_currency": "USD",
        "fallback": False,
        "pnl": "0.40",
    }
    assert (by_id[foil]["unit_price"], by_id[foil]["value"], by_id[foil]["fallback"], by_id[foil]["pnl"]) == (
        "0.74",
        "1.48",
        True,
        "-0.52",
    )
    assert (by_id[deluge]["value"], by_id[deluge]["price"], by_id[deluge]["pnl"]) == ("0.51", None, None)
    one = client.get(f"{PREFIX}/collection/{first}", headers=headers)
    assert one.status_code == 200
    payloads.Lot.model_validate(one.get_json())
    assert one.get_json() == {
        key: value
        for key, value in by_id[first].items()
        if key not in ("unit_price", "value", "value_currency", "fallback", "pnl")
    }
    cardmarket = client.get(f"{PREFIX}/collection?basis=cardmarket", headers=headers).get_json()
    assert {lot["id"]: lot["value"] for lot in cardmarket["lots"]}[deluge] == "1.11"  # 3 x 0.37 EUR
    bad = client.get(f"{PREFIX}/collection?basis=ebay", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"].startswith("basis: unknown basis 'ebay'")


def test_csv_export_in_each_apps_format(client, alice, holding):
    _, headers = alice
    response = client.get(f"{PREFIX}/collection?format=csv&app=moxfield", headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="collection-moxfield.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [
        (r["Count"], r["Name"], r["Edition"], r["Collector Number"], r["Foil"], r["Purchase Price"]) for r in rows
    ] == [
        ("4", "Consider", "mid", "44", "", "0.25"),
        ("2", "Consider", "mid", "44", "foil", "1.00"),
        ("3", "Memory Deluge", "mid", "62", "", ""),
    ]
    assert rows[1]["Condition"] == "Good (Lightly Played)" and rows[2]["Tags"] == "from a trade"
    manabox = client.get(f"{PREFIX}/collection?format=csv&app=manabox", headers=headers)
    assert manabox.status_code == 200 and manabox.get_data(as_text=True).startswith("Name,")
    for query, message in (
        ("format=csv", "app: format=csv needs app, one of "),
        ("format=csv&app=excel", "app: unknown app 'excel'; use one of "),
        ("app=moxfield", "app: only with format=csv"),
    ):
        refused = client.get(f"{PREFIX}/collection?{query}", headers=headers)
        assert refused.status_code == 400 and refused.get_json()["error"].startswith(message), query


def test_patch_validates_each_field_and_changes_only_what_is_given(client, loaded, alice, holding):
    user, headers = alice
    lot = holding[2]
    changed = client.patch(
        f"{PREFIX}/collection/{lot}",
        json={"quantity": 5, "price": "0.30", "condition": "MP", "notes": "trade", "acquired_on": "2025-09-30"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    payloads.Lot.model_validate(body)
    assert (
        body["quantity"],
        body["price"],
        body["currency"],
        body["condition"],
        body["notes"],
        body["acquired_on"],
    ) == (
        5,
        "0.30",
        "USD",
        "MODERATELY_PLAYED",
        "trade",
        "2025-09-30",
    )
    before = loaded.lots.get(user, lot)
    for change, message in (
        ({"quantity": 0}, "quantity: quantity must be a whole number from 1 to 1,000,000"),
        ({"quantity": "2"}, "quantity: input should be a valid integer"),
        ({"quantity": True}, "quantity: input should be a valid integer"),
        ({"price": "-1"}, "price: price cannot be negative"),
        ({"price": "0.001"}, "price: price finer than a cent (0.001)"),
        ({"price": "abc"}, "price: not an amount: 'abc'"),
        ({"currency": "usd"}, "currency: currency must be a 3-letter ISO code in capitals, got 'usd'"),
        ({"acquired_on": "2999-01-01"}, "acquired_on: acquired date is in the future"),
        ({"acquired_on": "01/02/2025"}, "acquired_on: not a date as YYYY-MM-DD: '01/02/2025'"),
        ({"notes": "x" * 2001}, "notes: notes longer than 2000 characters"),
        ({"condition": "Mint-ish"}, "condition: "),
        ({"finish": "shiny"}, "finish: unknown finish 'shiny'; use nonfoil, foil or etched"),
        ({"language": "Elvish"}, "language: "),
        ({"quantity": None}, "quantity cannot be null"),
        ({"card_id": 1}, "card_id: extra inputs are not permitted"),
    ):
        refused = client.patch(f"{PREFIX}/collection/{lot}", json=change, headers=headers)
        assert refused.status_code == 400, change
        assert refused.get_json()["error"].startswith(message), (change, refused.get_json())
    assert loaded.lots.get(user, lot) == before
    cleared = client.patch(f"{PREFIX}/collection/{lot}", json={"price": None}, headers=headers)
    assert cleared.get_json()["price"] is None and cleared.get_json()["quantity"] == 5


def test_sell_records_realized_pnl_and_delete_removes(client, loaded, alice, holding):
    user, headers = alice
    first = holding[0]
    sold = client.post(
        f"{PREFIX}/collection/{first}/sell",
        json={"quantity": 1, "price": "0.50", "currency": "USD", "sold_on": "2025-11-04"},
        headers=headers,
    )
    assert sold.status_code == 201, sold.get_data(as_text=True)
    payloads.SaleRecorded.model_validate(sold.get_json())
    assert {k: v for k, v in sold.get_json().items() if k != "sale_id"} == {
        "lot_id": first,
        "remaining": 3,
        "cost": "0.25",
    }
    too_many = client.post(
        f"{PREFIX}/collection/{first}/sell",
        json={"quantity": 4, "price": "0.50", "currency": "USD", "sold_on": "2025-11-04"},
        headers=headers,
    )
    assert too_many.status_code == 409
    assert too_many.get_json() == {"error": f"quantity: cannot sell 4 copies: lot {first} holds 3"}
    for sale, message in (
        ({"quantity": 1, "price": "0.50", "currency": "USD"}, "sold_on: field required"),
        ({"quantity": 1, "price": "0.50", "currency": "USD", "sold_on": "2999-01-01"}, "sold_on: sale date is in"),
        ({"quantity": 0, "price": "0.50", "currency": "USD", "sold_on": "2025-11-04"}, "quantity: "),
    ):
        refused = client.post(f"{PREFIX}/collection/{first}/sell", json=sale, headers=headers)
        assert refused.status_code == 400 and refused.get_json()["error"].startswith(message), refused.get_json()
    assert loaded.lots.get(user, first).quantity == 3 and len(loaded.lots.sales(user)) == 1

    summary = client.get(f"{PREFIX}/portfolio", headers=headers).get_json()
    assert summary["realized"] == {
        "USD": {"sales": 1, "copies": 1, "proceeds": "0.50", "pnl": "0.25", "unknown_cost": 0}
    }
    deleted = client.delete(f"{PREFIX}/collection/{holding[2]}", headers=headers)
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert client.get(f"{PREFIX}/collection/{holding[2]}", headers=headers).status_code == 404
    assert client.delete(f"{PREFIX}/collection/{holding[2]}", headers=headers).status_code == 404


def test_portfolio_value_cost_pnl_movers_and_history_to_the_cent(client, alice, holding):
    _, headers = alice
    response = client.get(f"{PREFIX}/portfolio", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    payloads.Portfolio.model_validate(body)
    # 4 x 0.35 + 2 x 0.74 (LP foil: Near Mint's price) + 3 x 0.17
    assert body["value"] == {"USD": {"amount": "3.39", "lots": 3, "copies": 9, "fallbacks": 1}}
    assert body["cost"] == {"USD": {"amount": "3.00", "lots": 2, "copies": 6}}
    assert body["unknown_cost"] == {"lots": 1, "copies": 3}
    assert body["unrealized"] == {"USD": {"value": "2.88", "cost": "3.00", "pnl": "-0.12", "lots": 2, "copies": 6}}
    assert body["unpriced"] == {"lots": 0, "copies": 0, "named": []}
    assert body["realized"] == {}
    assert body["movers"]["gainers"] == []
    assert [
        (m["name"], m["quantity"], m["price"], m["before"], m["change"], m["change_pct"])
        for m in body["movers"]["losers"]
    ] == [("Consider", 4, "0.35", "0.37", "-0.08", "-5.41")]
    buylist = client.get(f"{PREFIX}/portfolio?basis=cardkingdom_buylist", headers=headers).get_json()
    assert buylist["value"] == {"USD": {"amount": "0.40", "lots": 1, "copies": 4, "fallbacks": 0}}
    assert buylist["unpriced"]["lots"] == 2 and buylist["unpriced"]["copies"] == 5
    assert [lot["name"] for lot in buylist["unpriced"]["named"]] == ["Consider", "Memory Deluge"]

    history = client.get(f"{PREFIX}/portfolio/history?days=3", headers=headers)
    assert history.status_code == 200
    payloads.PortfolioHistory.model_validate(history.get_json())
    assert history.get_json() == {
        "basis": "tcgplayer",
        "days": 3,
        "start": "2025-11-01",
        "end": "2025-11-03",
        "series": {
            "USD": [
                {"day": "2025-11-01", "value": "3.43", "variants": 3},
                {"day": "2025-11-02", "value": "3.47", "variants": 3},
                {"day": "2025-11-03", "value": "3.39", "variants": 3},
            ]
        },
    }
    for query, message in (("days=0", "days: "), ("days=366", "days: "), ("basis=x", "basis: "), ("day=3", "unknown")):
        refused = client.get(f"{PREFIX}/portfolio/history?{query}", headers=headers)
        assert refused.status_code == 400 and refused.get_json()["error"].startswith(message), query


def test_another_users_lots_and_guessed_ids_are_404_and_unchanged(client, loaded, alice, bob, holding):
    owner, _ = alice
    _, headers = bob
    before = loaded.lots.list(owner)
    guesses = [*holding, min(holding) - 1, max(holding) + 1, max(holding) + 2, 0, 2**31, "abc", "-1"]
    for lot in guesses:
        for method, path, body in (
            ("get", f"/collection/{lot}", None),
            ("patch", f"/collection/{lot}", {"quantity": 1}),
            ("delete", f"/collection/{lot}", None),
            (
                "post",
                f"/collection/{lot}/sell",
                {"quantity": 1, "price": "1.00", "currency": "USD", "sold_on": "2025-11-04"},
            ),
        ):
            response = getattr(client, method)(PREFIX + path, json=body, headers=headers)
            assert response.status_code == 404, (method, path, response.get_data(as_text=True))
            assert response.get_json()["error"].startswith("no lot with id "), (method, path)
    assert client.get(f"{PREFIX}/collection", headers=headers).get_json() == {"basis": "tcgplayer", "lots": []}
    empty = client.get(f"{PREFIX}/portfolio", headers=headers).get_json()
    assert (empty["value"], empty["cost"], empty["realized"]) == ({}, {}, {})
    export = client.get(f"{PREFIX}/collection?format=csv&app=moxfield", headers=headers).get_data(as_text=True)
    assert export.count("\n") == 1  # the header only
    assert loaded.lots.list(owner) == before and loaded.lots.sales(owner) == []


def test_the_openapi_document_describes_the_per_user_routes(client):
    doc = client.get(f"{PREFIX}/openapi.json").get_json()
    validate_openapi(doc)
    upload_body = doc["paths"][f"{PREFIX}/collection/import"]["post"]
    form = upload_body["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form == {"$ref": "#/components/schemas/ImportForm"}
    assert doc["components"]["schemas"]["ImportForm"]["properties"]["file"]["format"] == "binary"
    assert set(upload_body["responses"]) == {"200", "201", "400", "401", "413", "422"}
    assert upload_body["security"] == [{"bearer": []}]
    patch = doc["paths"][f"{PREFIX}/collection/{{lot_id}}"]["patch"]
    assert patch["parameters"][0]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2147483647}
    assert patch["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/LotChanges"}
    listing = {p["name"]: p for p in doc["paths"][f"{PREFIX}/collection"]["get"]["parameters"]}
    assert listing["app"]["schema"]["enum"] == [
        "manabox",
        "tcgplayer",
        "archidekt",
        "dragonshield",
        "deckbox",
        "moxfield",
        "delverlens",
    ]
    assert set(doc["paths"][f"{PREFIX}/collection"]["get"]["responses"]["200"]["content"]) == {
        "application/json",
        "text/csv",
    }
    assert "security" not in doc["paths"][f"{PREFIX}/sources"]["get"]  # the read API stays open
