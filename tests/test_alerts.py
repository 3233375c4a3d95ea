"""Price alerts on real PostgreSQL and Redis: each kind at its exact edges, evaluation after a real
ingest's settle (the touched cards' rules only, once per cooldown, on the owner's channel only, even
with two settles racing), webhook delivery with retries against a local server, the private-address
guard, and one user's rules and inbox out of another's reach."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from data.domain import Finish, NotFound, UnknownReference
from data.publisher import alerts_channel
from data.repositories.alerts import AlertRepository, evaluation_sql
from data.use_cases.alerts import AlertInbox, AlertRules, EvaluateAlerts, InvalidAlert
from data.use_cases.ingest import IngestPrices
from data.webhook_urls import UnsafeWebhook, WebhookPolicy, check
from tests.helpers import T0, add_cards, add_marketplaces, snap
from workers.webhooks import WebhookSender, discord_payload

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
LOCAL = WebhookPolicy.parse("127.0.0.0/8")


def public_resolver(host: str, port: int) -> list[str]:
    return ["93.184.215.14"]  # a public address, for names in tests that never reach the network


def add_user(services, name: str) -> int:
    with services.engine.begin() as conn:
        return conn.execute(
            text("INSERT INTO users (email, password_hash) VALUES (:email, 'x') RETURNING id"),
            {"email": f"{name}-{uuid.uuid4().hex[:8]}@example.com"},
        ).scalar_one()


@pytest.fixture
def world(services, scryfall_objects):
    """Cards, marketplaces, two users, and the alert use cases wired into an ingest."""
    with services.engine.begin() as conn:
        conn.execute(text("TRUNCATE users RESTART IDENTITY CASCADE"))
    cards = list(add_cards(services, scryfall_objects, 3).values())
    markets = add_marketplaces(services)
    repo = AlertRepository(services.engine)
    dispatched: list[int] = []
    evaluate = EvaluateAlerts(repo, services.publisher, dispatch=dispatched.extend)
    return SimpleNamespace(
        services=services,
        cards=cards,
        tcg=markets["tcgplayer"],
        mkm=markets["cardmarket"],
        buylist=markets["cardkingdom-buylist"],
        repo=repo,
        rules=AlertRules(repo, LOCAL),
        inbox=AlertInbox(repo),
        evaluate=evaluate,
        ingest=IngestPrices(services.prices, services.rollups, services.cache, services.publisher, alerts=evaluate),
        dispatched=dispatched,
        alice=add_user(services, "alice"),
        bob=add_user(services, "bob"),
    )


def fired_rules(world) -> set[int]:
    with world.services.engine.connect() as conn:
        return set(conn.execute(text("SELECT rule_id FROM alerts")).scalars())


def listen(redis_client, *users: int):
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(*(alerts_channel(user) for user in users))
    for _ in users:
        pubsub.get_message(timeout=1)  # the subscription confirmations
    return pubsub


def drain(pubsub, wait: float = 0.5) -> list[tuple[str, dict]]:
    got = []
    while (message := pubsub.get_message(timeout=wait)) is not None:
        got.append((message["channel"].decode(), json.loads(message["data"])))
    return got


# Each kind at its edges ---------------------------------------------------------------------


def test_each_kind_fires_exactly_past_its_level(world):
    a, b, c = world.cards
    # History: a day and a week before T0, then the rules, then the batch at T0 that settles them.
    world.ingest(
        [
            snap(a, world.tcg, "8.00", T0 - 7 * DAY),
            snap(a, world.tcg, "10.00", T0 - DAY),
            snap(b, world.tcg, "16.00", T0 - 9 * DAY - 12 * HOUR),  # past latest_prices' 7-9 days: read from the rollup
            snap(b, world.tcg, "10.00", T0 - DAY),
            snap(c, world.tcg, "2.00", T0 - 3 * DAY - 12 * HOUR),  # past latest_prices' 1-3 days: from the rollup
        ]
    )
    rule = world.rules.create
    alice = world.alice
    expected = {
        rule(alice, a, "above", "10.99")["id"],
        rule(alice, a, "below", "11.01")["id"],
        rule(alice, a, "change_24h", "9.99")["id"],  # +10.00%
        rule(alice, a, "change_7d", "37.49")["id"],  # 8.00 -> 11.00: +37.50%
        rule(alice, b, "change_24h", "19.99")["id"],  # 10.00 -> 8.00: -20.00%, measured as 20.00
        rule(alice, b, "change_7d", "49.99")["id"],  # 16.00 -> 8.00: -50.00%
        rule(alice, c, "change_24h", "49.99")["id"],  # 2.00 -> 3.00: +50.00%
        rule(alice, a, "buylist_above", "4.99")["id"],
        rule(alice, a, "above", "10", marketplace_id=world.tcg, condition="NM", finish="nonfoil", language="en")["id"],
    }
    silent = {
        rule(alice, a, "above", "11")["id"],  # equal is not above
        rule(alice, a, "below", "11")["id"],
        rule(alice, a, "change_24h", "10")["id"],  # exactly 10% is not more than 10%
        rule(alice, a, "change_7d", "37.5")["id"],
        rule(alice, b, "change_24h", "20")["id"],
        rule(alice, b, "change_7d", "50")["id"],
        rule(alice, c, "change_24h", "50")["id"],
        rule(alice, a, "buylist_above", "5")["id"],
        rule(alice, a, "buylist_above", "6")["id"],  # the retail 11.00 is no buylist price
        rule(alice, a, "below", "6")["id"],  # nor is the buylist's 5.00 a retail one
        rule(alice, a, "above", "10", finish="foil")["id"],  # no foil price
        rule(alice, a, "above", "10", condition="LP")["id"],
        rule(alice, a, "above", "10", marketplace_id=world.mkm)["id"],
        rule(alice, c, "change_7d", "1")["id"],  # no price 7 to 10 days before
    }
    world.ingest(
        [
            snap(a, world.tcg, "11.00"),
            snap(a, world.buylist, "5.00"),
            snap(b, world.tcg, "8.00"),
            snap(c, world.tcg, "3.00"),
        ]
    )
    assert fired_rules(world) == expected
    assert not fired_rules(world) & silent

    inbox = {alert["rule_id"]: alert["payload"] for alert in world.inbox.list(alice)}
    with world.services.engine.connect() as conn:
        name, set_code, number = conn.execute(
            text("SELECT name, set_code, collector_number FROM cards WHERE id = :id"), {"id": a}
        ).one()
    change = min(expected, key=lambda rule_id: rule_id if inbox[rule_id]["kind"] == "change_24h" else 10**9)
    assert inbox[change] == {
        "id": inbox[change]["id"],
        "rule_id": change,
        "kind": "change_24h",
        "level": "9.99",
        "card_id": a,
        "card_name": name,
        "set_code": set_code,
        "collector_number": number,
        "variant": {
            "marketplace_id": world.tcg,
            "marketplace": "TCGplayer",
            "marketplace_slug": "tcgplayer",
            "condition": "NEAR_MINT",
            "finish": "nonfoil",
            "language": "English",
        },
        "price": "11.00",
        "currency": "USD",
        "time": "2025-11-01T12:00:00+00:00",
        "before": "10.00",
        "change": "10.00",
    }
    by_kind = {(p["card_id"], p["kind"]): p for p in inbox.values()}
    for card, kind, before, change in (
        (b, "change_24h", "10.00", "-20.00"),
        (b, "change_7d", "16.00", "-50.00"),
        (c, "change_24h", "2.00", "50.00"),
    ):
        assert (by_kind[card, kind]["price"], by_kind[card, kind]["before"], by_kind[card, kind]["change"]) == (
            {b: "8.00", c: "3.00"}[card],
            before,
            change,
        )
    buylist = next(p for p in inbox.values() if p["kind"] == "buylist_above")
    assert (buylist["price"], buylist["level"], buylist["variant"]["marketplace_slug"]) == (
        "5.00",
        "4.99",
        "cardkingdom-buylist",
    )
    assert world.dispatched == []  # no rule has a webhook


def test_a_rule_reports_the_variant_furthest_past_its_level(world):
    a = world.cards[0]
    world.rules.create(world.alice, a, "above", "5")
    world.ingest([snap(a, world.tcg, "6.00"), snap(a, world.tcg, "9.00", finish=Finish.FOIL)])
    (alert,) = world.inbox.list(world.alice)
    assert (alert["payload"]["price"], alert["payload"]["variant"]["finish"]) == ("9.00", "foil")


# A real ingest: the owner's channel, once per cooldown -------------------------------------


def test_an_ingest_publishes_on_the_owners_channel_once_per_cooldown(world, redis_client):
    a, b, _ = world.cards
    alice_rule = world.rules.create(world.alice, a, "above", "10")["id"]
    world.rules.create(world.bob, b, "above", "100")
    pubsub = listen(redis_client, world.alice, world.bob)

    world.ingest([snap(a, world.tcg, "11.00"), snap(b, world.tcg, "50.00")])
    messages = drain(pubsub)
    assert [(channel, data["rule_id"], data["price"]) for channel, data in messages] == [
        (alerts_channel(world.alice), alice_rule, "11.00")
    ]
    assert messages[0][1] == world.inbox.list(world.alice)[0]["payload"]  # what /ws sends is what the inbox holds

    world.ingest([snap(a, world.tcg, "12.00", T0 + timedelta(hours=1))])  # still above, within the cooldown
    assert drain(pubsub) == []
    assert len(world.inbox.list(world.alice)) == 1
    assert world.inbox.list(world.bob) == []

    with world.services.engine.begin() as conn:  # the cooldown has passed
        conn.execute(text("UPDATE alert_rules SET last_fired_at = now() - interval '24 hours 1 second'"))
    world.ingest([snap(a, world.tcg, "13.00", T0 + timedelta(hours=2))])
    assert [(channel, data["price"]) for channel, data in drain(pubsub)] == [(alerts_channel(world.alice), "13.00")]
    pubsub.close()


def waiting_on_a_lock(engine) -> bool:
    with engine.connect() as conn:  # a fresh transaction: activity is read once per transaction
        return conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE '%WITH fresh AS%' AND pid <> pg_backend_pid())"
            )
        ).scalar()


def test_two_racing_settles_fire_a_rule_once(world):
    a = world.cards[0]
    world.services.ingest([snap(a, world.tcg, "11.00")])  # the price is in place before the rule exists
    rule_id = world.rules.create(world.alice, a, "above", "10")["id"]
    engine = world.services.engine
    with engine.connect() as other:
        other.execute(text("SELECT 1 FROM alert_rules WHERE id = :id FOR UPDATE"), {"id": rule_id})
        result: list = []
        racer = threading.Thread(target=lambda: result.append(world.repo.evaluate([a], T0)))
        racer.start()
        deadline = time.monotonic() + 10
        while not waiting_on_a_lock(engine):
            assert time.monotonic() < deadline, "the racing evaluation never reached the rule's lock"
            time.sleep(0.02)
        # The first settle fires the rule and commits while the second waits for the row.
        other.execute(text("UPDATE alert_rules SET last_fired_at = now() WHERE id = :id"), {"id": rule_id})
        other.commit()
        racer.join(10)
    assert result == [[]]
    assert world.inbox.list(world.alice) == []


def test_evaluation_reads_only_the_touched_cards_rules(world):
    a, b, _ = world.cards
    world.services.ingest([snap(a, world.tcg, "11.00"), snap(b, world.tcg, "11.00")])
    on_a = world.rules.create(world.alice, a, "above", "10")["id"]
    on_b = world.rules.create(world.alice, b, "above", "10")["id"]
    assert [r["id"] for r in world.repo.rules_for_cards([a])] == [on_a]

    world.ingest([snap(a, world.tcg, "12.00")])  # b's newest price is as new, but b was not touched
    assert fired_rules(world) == {on_a}
    world.ingest.settle([T0], None, {})  # all cards touched: every rule is evaluated
    assert fired_rules(world) == {on_a, on_b}


def test_the_evaluation_plan_reaches_rules_through_the_card_index(world, scryfall_objects):
    ids = list(add_cards(world.services, scryfall_objects, 400).values())
    with world.services.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alert_rules (user_id, card_id, kind, level)"
                " SELECT :user, card, 'above', 5 FROM unnest(CAST(:ids AS int[])) AS card, generate_series(1, 5)"
            ),
            {"user": world.alice, "ids": ids},
        )
        conn.execute(text("ANALYZE alert_rules"))
        plan = "\n".join(
            conn.execute(
                text("EXPLAIN " + evaluation_sql(all_cards=False)), {"card_ids": ids[:2], "since": T0}
            ).scalars()
        )
    assert "alert_rules_card" in plan
    assert "Seq Scan on alert_rules" not in plan


def test_a_failing_evaluation_never_breaks_the_settle(world, caplog):
    def broken(card_ids, since):
        raise RuntimeError("boom")

    ingest = IngestPrices(
        world.services.prices, world.services.rollups, world.services.cache, world.services.publisher, alerts=broken
    )
    a = world.cards[0]
    with caplog.at_level(logging.ERROR):
        result = ingest([snap(a, world.tcg, "11.00")])
    assert result.inserted == 1
    assert "evaluating price alerts failed" in caplog.text
    assert world.services.prices.latest(a)[0]["price"] == Decimal("11.00")


# Rules and inbox belong to one user ---------------------------------------------------------


def test_rules_and_inbox_are_each_users_own(world):
    a = world.cards[0]
    mine = world.rules.create(world.alice, a, "above", "10")
    world.rules.create(world.bob, a, "above", "20")
    world.ingest([snap(a, world.tcg, "11.00")])

    assert [r["id"] for r in world.rules.list(world.alice)] == [mine["id"]]
    assert [r["level"] for r in world.rules.list(world.bob)] == [Decimal("20.0000")]
    with pytest.raises(NotFound):
        world.rules.delete(world.bob, mine["id"])
    assert [r["id"] for r in world.rules.list(world.alice)] == [mine["id"]]

    (alert,) = world.inbox.list(world.alice)
    assert world.inbox.list(world.bob) == []
    with pytest.raises(NotFound):
        world.inbox.mark_read(world.bob, [alert["id"]])
    assert world.inbox.list(world.alice, unread_only=True)[0]["id"] == alert["id"]
    assert world.inbox.mark_read(world.alice, [alert["id"]]) == 1
    assert world.inbox.list(world.alice, unread_only=True) == []

    world.rules.delete(world.alice, mine["id"])
    assert world.rules.list(world.alice) == []
    assert world.inbox.list(world.alice)[0]["rule_id"] is None  # the alert stays in the inbox


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "sideways"}, "kind must be one of"),
        ({"level": "0"}, "level must be a price above 0"),
        ({"level": "-1"}, "above 0"),
        ({"level": "abc"}, "level must be a number"),
        ({"level": "NaN"}, "above 0"),
        ({"level": "1e20"}, "at most"),
        ({"level": "1.00001"}, "at most 4 decimal places"),
        ({"kind": "change_24h", "level": "0"}, "level must be a percent"),
        ({"card_id": "x"}, "card_id must be a positive integer"),
        ({"condition": "shiny"}, "unknown condition"),
        ({"kind": "buylist_above", "marketplace": "tcg"}, "needs a buylist marketplace"),
        ({"marketplace": "buylist"}, "needs a retail marketplace"),
        ({"webhook": "https://127.0.0.1/hook"}, "loopback"),
        ({"cooldown": timedelta(seconds=5)}, "cooldown"),
    ],
)
def test_a_bad_rule_is_refused_and_nothing_is_stored(world, fields, message):
    fields = dict(fields)
    market = fields.pop("marketplace", None)
    arguments = {"card_id": world.cards[0], "kind": "above", "level": "10", **fields}
    if market is not None:
        arguments["marketplace_id"] = world.tcg if market == "tcg" else world.buylist
    rules = AlertRules(world.repo)  # the production policy: nothing private
    with pytest.raises(InvalidAlert, match=message):
        rules.create(world.alice, **arguments)
    assert world.rules.list(world.alice) == []


def test_unknown_card_or_marketplace_is_refused(world):
    with pytest.raises(UnknownReference, match="card"):
        world.rules.create(world.alice, 999_999, "above", "1")
    with pytest.raises(UnknownReference, match="marketplace"):
        world.rules.create(world.alice, world.cards[0], "above", "1", marketplace_id=999_999)
    assert world.rules.list(world.alice) == []


# Webhooks ----------------------------------------------------------------------------------


class Hook:
    """A local webhook endpoint answering a scripted series of statuses (then 200)."""

    def __init__(self, *answers: tuple[int, dict[str, str]]) -> None:
        self.answers = list(answers)
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hook.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                status, headers = hook.answers.pop(0) if hook.answers else (200, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook_with():
    made: list[Hook] = []

    def make(*answers):
        made.append(Hook(*answers))
        return made[-1]

    yield make
    for hook in made:
        hook.close()


def fire_with_webhook(world, url: str) -> int:
    a = world.cards[0]
    world.rules.create(world.alice, a, "above", "10", webhook=url)
    world.ingest([snap(a, world.tcg, "11.00")])
    (alert_id,) = world.dispatched
    return alert_id


def webhook_row(world, alert_id: int) -> tuple[str, int]:
    with world.services.engine.connect() as conn:
        return tuple(
            conn.execute(
                text("SELECT webhook_state, webhook_attempts FROM alerts WHERE id = :id"), {"id": alert_id}
            ).one()
        )


def test_webhook_retries_5xx_and_is_delivered_on_the_third_attempt(world, hook_with):
    hook = hook_with((503, {}), (503, {}))
    alert_id = fire_with_webhook(world, hook.url)
    assert webhook_row(world, alert_id) == ("pending", 0)  # queued by the settle, not sent in it
    waits: list[float] = []
    sender = WebhookSender(world.repo, LOCAL, sleep=waits.append)
    assert sender.deliver(alert_id) == "delivered"
    assert webhook_row(world, alert_id) == ("delivered", 3)
    assert waits == [2.0, 8.0]
    payload = world.inbox.list(world.alice)[0]["payload"]
    assert hook.bodies == [discord_payload(payload)] * 3
    body = hook.bodies[0]
    assert set(body) == {"content", "embeds"}
    assert body["content"].startswith("Price alert: ") and "rose above 10 USD: now 11.00 USD" in body["content"]
    assert body["embeds"][0]["timestamp"] == "2025-11-01T12:00:00+00:00"
    assert sender.deliver(alert_id) is None  # delivered: nothing left to send
    assert len(hook.bodies) == 3
    sender.close()


def test_webhook_honours_retry_after_and_gives_up_on_4xx_and_after_three_5xx(world, hook_with):
    waits: list[float] = []
    sender = WebhookSender(world.repo, LOCAL, sleep=waits.append)
    limited = hook_with((429, {"Retry-After": "3"}))
    alert_id = fire_with_webhook(world, limited.url)
    assert sender.deliver(alert_id) == "delivered"
    assert (webhook_row(world, alert_id), waits, len(limited.bodies)) == (("delivered", 2), [3.0], 2)

    for answers, attempts in (((404, {}),), 1), (((500, {}), (502, {}), (503, {}), (200, {})), 3):
        with world.services.engine.begin() as conn:
            conn.execute(text("DELETE FROM alert_rules"))
        world.dispatched.clear()
        hook = hook_with(*answers)
        alert_id = fire_with_webhook(world, hook.url)
        assert sender.deliver(alert_id) == "failed"
        assert webhook_row(world, alert_id) == ("failed", attempts)
        assert len(hook.bodies) == attempts
    sender.close()


def test_delivery_rechecks_the_address_against_dns_rebinding(world, hook_with):
    hook = hook_with()
    public = hook.url.replace("127.0.0.1", "hooks.example.com")
    rules = AlertRules(
        world.repo, WebhookPolicy(), check_webhook=lambda url, policy: check(url, policy, public_resolver)
    )
    a = world.cards[0]
    with pytest.raises(InvalidAlert, match="https"):  # plain http only ever for allowed local networks
        rules.create(world.alice, a, "above", "10", webhook=public)
    secure = public.replace("http://", "https://")
    rules.create(world.alice, a, "above", "10", webhook=secure)
    world.ingest([snap(a, world.tcg, "11.00")])
    (alert_id,) = world.dispatched
    # The name now resolves to the loopback address: refused at delivery, nothing sent.
    sender = WebhookSender(world.repo, WebhookPolicy(), resolver=lambda host, port: ["127.0.0.1"])
    assert sender.deliver(alert_id) == "failed"
    assert webhook_row(world, alert_id) == ("failed", 1)
    assert hook.bodies == []
    sender.close()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://[fd00::1]/hook", "private"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://240.0.0.1/hook", "reserved"),
        ("https://100.64.0.1/hook", "not a public address"),
        ("https://2130706433/hook", "cannot be resolved|loopback"),
        ("https://localhost/hook", "loopback"),
        ("https://user:secret@hooks.example.com/hook", "user name or password"),
        ("https://@hooks.example.com/hook", "user name or password"),
        ("http://hooks.example.com/hook", "https"),
        ("ftp://hooks.example.com/hook", "https"),
        ("https:///hook", "needs a host"),
        ("https://hooks.example.com:99999/", "not a valid URL"),
        ("https://hooks.example.com/" + "x" * 2000, "at most 2000"),
    ],
)
def test_private_and_malformed_webhooks_are_refused(url, reason):
    resolver = public_resolver if "example.com" in url else None
    with pytest.raises(UnsafeWebhook, match=reason):
        check(url, WebhookPolicy(), resolver) if resolver else check(url, WebhookPolicy())


def test_a_name_with_any_private_address_is_refused():
    def mixed(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.0.0.7"]

    with pytest.raises(UnsafeWebhook, match=r"10\.0\.0\.7 is a private address"):
        check("https://hooks.example.com/x", WebhookPolicy(), mixed)
    target = check("https://hooks.example.com:8443/x", WebhookPolicy(), public_resolver)
    assert (str(target.address), target.host, target.url.port) == ("93.184.215.14", "hooks.example.com", 8443)
    assert WebhookPolicy.parse("").allowed == ()
    with pytest.raises(ValueError, match="CARDCHARTS_WEBHOOK_ALLOW_PRIVATE"):
        WebhookPolicy.parse("not-a-network")
