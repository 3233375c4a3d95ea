"""The alerts API on the real Scryfall sample: rules created (each kind, narrowed by marketplace and
variant), listed and deleted; bad rules refused naming the field; the inbox filled by a real ingest,
and marked read; a token required; isolation by id guessing: user B's token against user A's rule
and alert ids, and the ids around them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import text

from app.api import payloads
from app.api.responses import PREFIX
from app.server import create_app
from data.use_cases.alerts import AlertRules
from data.webhook_urls import WebhookPolicy
from tests.conftest import FIXTURES
from tests.helpers import T0, snap
from workers.imports import import_mtgjson, import_scryfall

CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"
PASSWORD = "correct horse battery"


@pytest.fixture
def loaded(services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    mtgjson = FIXTURES / "mtgjson"  # Card Kingdom's buylist among its marketplaces
    import_mtgjson(services, mtgjson / "AllPrices-sample.json", [mtgjson / "AllIdentifiers-sample.json"])
    return services


@pytest.fixture
def client(loaded):
    # Webhooks to 127.0.0.0/8 allowed (as CARDCHARTS_WEBHOOK_ALLOW_PRIVATE does), so that a rule with a
    # webhook is stored without resolving a real host.
    local = dataclasses.replace(loaded, alert_rules=AlertRules(loaded.alerts, WebhookPolicy.parse("127.0.0.0/8")))
    return create_app(local).server.test_client()


@pytest.fixture
def consider(loaded) -> int:
    return loaded.cards.get_by_scryfall_id(CONSIDER).id


@pytest.fixture
def markets(loaded) -> dict[str, int]:
    return {market.slug: market.id for market in loaded.marketplaces.all()}


def account(services, email: str) -> tuple[int, dict[str, str]]:
    user = services.accounts.register(email, PASSWORD)
    return user.id, {"Authorization": f"Bearer {services.accounts.issue_token(user.id, 'tests').token}"}


@pytest.fixture
def alice(loaded):
    return account(loaded, "alice@example.com")


@pytest.fixture
def bob(loaded):
    return account(loaded, "bob@example.com")


def create(client, headers, **rule):
    return client.post(f"{PREFIX}/alerts", json=rule, headers=headers)


def rules_in_store(services) -> list[tuple]:
    with services.engine.connect() as conn:
        return list(conn.execute(text("SELECT id, user_id, kind::text, level FROM alert_rules ORDER BY id")))


def test_rules_are_created_listed_and_deleted(client, alice, consider, markets):
    _, headers = alice
    above = create(client, headers, card_id=consider, kind="above", level="12.50")
    assert above.status_code == 201, above.get_data(as_text=True)
    body = above.get_json()
    payloads.AlertRule.model_validate(body)
    assert {key: value for key, value in body.items() if key != "created_at"} == {
        "id": body["id"],
        "card_id": consider,
        "kind": "above",
        "level": "12.5",
        "marketplace_id": None,
        "marketplace": None,
        "finish": None,
        "condition": None,
        "language": None,
        "webhook": None,
        "cooldown_seconds": 86400,
        "last_fired_at": None,
    }
    narrowed = create(
        client,
        headers,
        card_id=consider,
        kind="change_24h",
        level="15",
        marketplace="tcgplayer",
        finish="foil",
        condition="NM",
        language="en",
        webhook="http://127.0.0.1:9/hook",
    ).get_json()
    assert (narrowed["marketplace_id"], narrowed["marketplace"], narrowed["finish"]) == (
        markets["tcgplayer"],
        "tcgplayer",
        "foil",
    )
    assert (narrowed["condition"], narrowed["language"], narrowed["level"], narrowed["webhook"]) == (
        "NEAR_MINT",
        "English",
        "15",
        "http://127.0.0.1:9/hook",
    )
    buylist = create(
        client, headers, card_id=consider, kind="buylist_above", level="0.25", marketplace="cardkingdom-buylist"
    )
    assert buylist.status_code == 201 and buylist.get_json()["marketplace"] == "cardkingdom-buylist"
    for kind in ("below", "change_7d"):
        assert create(client, headers, card_id=consider, kind=kind, level="3").status_code == 201

    listed = client.get(f"{PREFIX}/alerts", headers=headers)
    assert listed.status_code == 200 and "Authorization" in listed.headers["Vary"]
    payloads.AlertRules.model_validate(listed.get_json())
    rules = listed.get_json()["rules"]
    assert [rule["kind"] for rule in rules] == ["above", "change_24h", "buylist_above", "below", "change_7d"]
    assert rules[0] == body

    deleted = client.delete(f"{PREFIX}/alerts/{body['id']}", headers=headers)
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert client.delete(f"{PREFIX}/alerts/{body['id']}", headers=headers).status_code == 404
    assert [rule["id"] for rule in client.get(f"{PREFIX}/alerts", headers=headers).get_json()["rules"]] == [
        rule["id"] for rule in rules[1:]
    ]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"card_id": ..., "kind": "above", "level": "1"}, "card_id: field required"),  # ...: left out
        ({"card_id": "1", "kind": "above", "level": "1"}, "card_id: input should be a valid integer"),
        ({"card_id": 999999, "kind": "above", "level": "1"}, "card_id: unknown card"),
        ({"card_id": 0, "kind": "above", "level": "1"}, "card_id: input should be greater than or equal to 1"),
        ({"kind": "sideways", "level": "1"}, "kind must be one of above, below, change_24h, change_7d, buylist_above"),
        ({"kind": "above", "level": "abc"}, "level must be a number, not 'abc'"),
        ({"kind": "above", "level": "0"}, "level must be a price above 0 and at most 9999999999.9999"),
        ({"kind": "change_24h", "level": "-5"}, "level must be a percent above 0"),
        ({"kind": "above", "level": "1.00001"}, "level has at most 4 decimal places"),
        ({"kind": "above", "level": "1", "marketplace": "ebay"}, "marketplace: unknown slug 'ebay'; use one of "),
        (
            {"kind": "above", "level": "1", "marketplace": "cardkingdom-buylist"},
            "marketplace: a above rule needs a retail marketplace",
        ),
        (
            {"kind": "buylist_above", "level": "1", "marketplace": "tcgplayer"},
            "marketplace: a buylist_above rule needs a buylist marketplace",
        ),
        ({"kind": "above", "level": "1", "finish": "shiny"}, "finish: unknown finish 'shiny'"),
        ({"kind": "above", "level": "1", "condition": "Mint-ish"}, "condition: "),
        ({"kind": "above", "level": "1", "language": "Elvish"}, "language: "),
        ({"kind": "above", "level": "1", "webhook": "ftp://example.com/x"}, "webhook: a webhook must be an https://"),
        (
            {"kind": "above", "level": "1", "webhook": "https://10.1.2.3/hook"},
            "webhook: the webhook host 10.1.2.3 may not be called: ",
        ),
        ({"kind": "above", "level": "1", "cooldown": 60}, "cooldown: extra inputs are not permitted"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field_and_nothing_is_stored(client, loaded, alice, consider, rule, message):
    _, headers = alice
    body = {key: value for key, value in {"card_id": consider, **rule}.items() if value is not ...}
    response = create(client, headers, **body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"].startswith(message), response.get_json()
    assert rules_in_store(loaded) == []


def test_the_inbox_holds_what_a_real_ingest_raised_and_marks_it_read(client, loaded, alice, consider, markets):
    _, headers = alice
    rule = create(client, headers, card_id=consider, kind="above", level="1.00", marketplace="tcgplayer").get_json()
    create(client, headers, card_id=consider, kind="below", level="0.01")  # never fires
    loaded.ingest([snap(consider, markets["tcgplayer"], "2.00", T0 + timedelta(days=3))])

    inbox = client.get(f"{PREFIX}/alerts/inbox", headers=headers)
    assert inbox.status_code == 200
    payloads.Inbox.model_validate(inbox.get_json())
    [alert] = inbox.get_json()["alerts"]
    assert (alert["rule_id"], alert["card_id"], alert["read_at"], alert["webhook_state"]) == (
        rule["id"],
        consider,
        None,
        None,
    )
    payload = alert["payload"]
    assert (payload["kind"], payload["level"], payload["price"], payload["currency"], payload["card_name"]) == (
        "above",
        "1",
        "2.00",
        "USD",
        "Consider",
    )
    assert payload["variant"]["marketplace_slug"] == "tcgplayer" and payload["time"] == "2025-11-04T12:00:00+00:00"
    fired = client.get(f"{PREFIX}/alerts", headers=headers).get_json()["rules"][0]
    assert fired["last_fired_at"] is not None

    assert client.get(f"{PREFIX}/alerts/inbox?unread=1", headers=headers).get_json()["alerts"] == [alert]
    marked = client.post(f"{PREFIX}/alerts/inbox/read", json={"ids": [alert["id"]]}, headers=headers)
    assert marked.status_code == 200 and marked.get_json() == {"marked": 1}
    assert client.get(f"{PREFIX}/alerts/inbox?unread=1", headers=headers).get_json()["alerts"] == []
    assert client.get(f"{PREFIX}/alerts/inbox", headers=headers).get_json()["alerts"][0]["read_at"] is not None
    assert client.post(f"{PREFIX}/alerts/inbox/read", headers=headers).get_json() == {"marked": 0}
    for query, message in (("limit=0", "limit: "), ("limit=201", "limit: "), ("unread=yes", "unread: ")):
        refused = client.get(f"{PREFIX}/alerts/inbox?{query}", headers=headers)
        assert refused.status_code == 400 and refused.get_json()["error"].startswith(message), query
    bad_ids = client.post(f"{PREFIX}/alerts/inbox/read", json={"ids": ["1"]}, headers=headers)
    assert bad_ids.status_code == 400 and bad_ids.get_json()["error"].startswith("ids.0: ")


def test_every_route_needs_a_token(client, loaded, alice, consider):
    _, headers = alice
    rule = create(client, headers, card_id=consider, kind="above", level="1").get_json()
    for method, path in (
        ("post", "/alerts"),
        ("get", "/alerts"),
        ("delete", f"/alerts/{rule['id']}"),
        ("get", "/alerts/inbox"),
        ("post", "/alerts/inbox/read"),
    ):
        response = getattr(client, method)(PREFIX + path, json={"card_id": consider, "kind": "above", "level": "1"})
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="cardcharts"'
    assert len(rules_in_store(loaded)) == 1


def test_another_users_rules_and_alerts_are_404_and_unchanged(client, loaded, alice, bob, consider, markets):
    owner, headers = alice
    _, intruder = bob
    ids = [
        create(client, headers, card_id=consider, kind="above", level=level).get_json()["id"] for level in ("1", "2")
    ]
    loaded.ingest([snap(consider, markets["tcgplayer"], "5.00", T0 + timedelta(days=3))])
    alert_ids = [alert["id"] for alert in client.get(f"{PREFIX}/alerts/inbox", headers=headers).get_json()["alerts"]]
    assert len(alert_ids) == 2
    before = rules_in_store(loaded)

    for guess in [*ids, min(ids) - 1, max(ids) + 1, max(ids) + 2, 0, 2**31, "abc"]:
        response = client.delete(f"{PREFIX}/alerts/{guess}", headers=intruder)
        assert response.status_code == 404, guess
        assert response.get_json()["error"].startswith("no alert rule"), response.get_json()
    for guess in [*alert_ids, max(alert_ids) + 1, 0, 2**63]:
        response = client.post(f"{PREFIX}/alerts/inbox/read", json={"ids": [guess]}, headers=intruder)
        assert response.status_code == 404 and response.get_json() == {"error": "no such alert"}, guess
    mixed = client.post(f"{PREFIX}/alerts/inbox/read", json={"ids": alert_ids}, headers=intruder)
    assert mixed.status_code == 404
    assert client.post(f"{PREFIX}/alerts/inbox/read", headers=intruder).get_json() == {"marked": 0}
    assert client.get(f"{PREFIX}/alerts", headers=intruder).get_json() == {"rules": []}
    assert client.get(f"{PREFIX}/alerts/inbox", headers=intruder).get_json() == {"alerts": []}

    assert rules_in_store(loaded) == before and {row[1] for row in before} == {owner}
    unread = client.get(f"{PREFIX}/alerts/inbox?unread=1", headers=headers).get_json()["alerts"]
    assert sorted(alert["id"] for alert in unread) == sorted(alert_ids)
