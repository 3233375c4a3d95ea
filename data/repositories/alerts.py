"""Price alert rules, their evaluation after a settle, the inbox of raised alerts and their
webhook delivery state. Every method a user calls takes that user's id: another user's rule or
alert is as unknown as one that does not exist.

Evaluation is one statement over the touched cards' rules (index alert_rules_card) and their
variants' newest prices in latest_prices (kept by the settle that just ran). The rule's cooldown
is checked again where last_fired_at is set: of two settles racing on one rule, the second waits
for the first's row lock, re-reads last_fired_at and fires nothing.

Cost (bench/alerts.py: 100,000 rules on the 10,000 cards a 50,000-row batch touched): most of it is
the join of each rule to its card's variants (about 355,000 pairs, each filtered); then about 0.8 ms
per fired alert (its rule's update, its inbox row and that row's three foreign-key checks), so a
batch that fires 0.2% of the rules costs 4-7% of its settle on a loaded 2-core machine. Splitting
the join (rules naming their whole variant hashed on the full key) measured slower: the planner
materialized the shared parts and merge-joined them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

from data.db import CARD_IDS
from data.domain import NotFound, UnknownReference
from data.repositories.prices import BUCKET_ORIGIN


class AlertKind(enum.StrEnum):
    """Values of the `alert_kind` enum."""

    ABOVE = "above"  # the newest retail price is above the level
    BELOW = "below"  # ... below it
    CHANGE_24H = "change_24h"  # the newest retail price moved more than `level` percent from a day before
    CHANGE_7D = "change_7d"  # ... from a week before
    BUYLIST_ABOVE = "buylist_above"  # a buylist's newest price is above the level

    @property
    def is_change(self) -> bool:
        return self in (AlertKind.CHANGE_24H, AlertKind.CHANGE_7D)


@dataclass(frozen=True)
class NewRule:
    card_id: int
    kind: AlertKind
    level: Decimal
    marketplace_id: int | None = None
    finish: str | None = None
    condition: str | None = None
    language: str | None = None
    webhook: str | None = None
    cooldown: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class FiredAlert:
    id: int
    user_id: int
    rule_id: int
    payload: dict[str, Any]
    webhook: bool


@dataclass(frozen=True)
class WebhookJob:
    alert_id: int
    url: str
    payload: dict[str, Any]
    attempts: int


_RULE_COLUMNS = (
    "id, user_id, card_id, kind::text AS kind, level, marketplace_id, finish::text AS finish,"
    " condition::text AS condition, language::text AS language, webhook, cooldown, last_fired_at, created_at"
)
_ALERT_COLUMNS = "id, rule_id, card_id, raised_at, payload, read_at, webhook_state, webhook_attempts"

# The rule's variant matches a price when each of its set parts is equal; buylist_above reads buylist
# marketplaces and every other kind retail ones. The price is latest_prices' (the newest hour's mean).
# A change is measured as the card page measures it (PriceRepository.latest): against the variant's
# newest hourly mean at least 24 hours (7 days) before, within 3 days; both prices to the cent, the
# percent to two places. latest_prices holds that mean when it lies within 2 days (price_1d, price_7d:
# the same hour, as hours are whole), so the rollup is read only for a variant whose gap is longer.
# Of a rule's matching variants the one furthest past the level is reported.
_EVALUATE = f"""
WITH fresh AS (
    SELECT l.card_id, l.marketplace_id, l.condition, l.finish, l.language, l.currency, l.time,
           ROUND(l.price, 2) AS price, ROUND(l.price_1d, 2) AS price_1d, ROUND(l.price_7d, 2) AS price_7d,
           m.kind = 'buylist' AS buylist, m.slug, m.name AS marketplace,
           l.time >= date_bin('1 hour', CAST(:since AS timestamptz), {BUCKET_ORIGIN}) AS recent
    FROM latest_prices l
    JOIN marketplaces m ON m.id = l.marketplace_id
    WHERE {{prices}}
), due AS (
    SELECT r.* FROM alert_rules r
    WHERE {{rules}} AND (r.last_fired_at IS NULL OR r.last_fired_at <= now() - r.cooldown)
), matched AS (
    SELECT d.id AS rule_id, d.user_id, d.kind, d.level, d.webhook, f.*,
           CASE WHEN f.recent AND d.kind IN ('change_24h', 'change_7d') THEN COALESCE(
               CASE d.kind WHEN 'change_24h' THEN f.price_1d ELSE f.price_7d END,
               (SELECT ROUND(h.avg_price, 2) FROM card_prices_hourly h
                WHERE h.card_id = f.card_id AND h.marketplace_id = f.marketplace_id AND h.condition = f.condition
                  AND h.finish = f.finish AND h.language = f.language AND h.currency = f.currency
                  AND h.bucket <= f.time - CASE d.kind WHEN 'change_24h' THEN interval '24 hours'
                                                       ELSE interval '7 days' END
                  AND h.bucket > f.time - CASE d.kind WHEN 'change_24h' THEN interval '24 hours'
                                                      ELSE interval '7 days' END - interval '3 days'
                ORDER BY h.bucket DESC LIMIT 1))
           END AS before
    FROM due d
    JOIN fresh f ON f.card_id = d.card_id AND f.buylist = (d.kind = 'buylist_above')
         AND (d.marketplace_id IS NULL OR f.marketplace_id = d.marketplace_id)
         AND (d.finish IS NULL OR f.finish = d.finish)
         AND (d.condition IS NULL OR f.condition = d.condition)
         AND (d.language IS NULL OR f.language = d.language)
    WHERE CASE d.kind WHEN 'below' THEN f.price < d.level
                      WHEN 'above' THEN f.price > d.level
                      WHEN 'buylist_above' THEN f.price > d.level
                      ELSE TRUE END
    OFFSET 0  -- a fence: `recent` pushed down to latest_prices is estimated at ~0 rows (its time is always
              -- past the statistics' newest), and that estimate made a nested loop of the whole join
), measured AS (
    SELECT *, ROUND(100 * (price - before) / NULLIF(before, 0), 2) AS change FROM matched WHERE recent
), hits AS (
    SELECT DISTINCT ON (rule_id) *
    FROM measured
    WHERE kind NOT IN ('change_24h', 'change_7d') OR abs(change) > level
    ORDER BY rule_id,
             CASE kind WHEN 'below' THEN -price WHEN 'above' THEN price WHEN 'buylist_above' THEN price
                       ELSE abs(change) END DESC,
             marketplace_id, condition, finish, language, currency
), fired AS (
    UPDATE alert_rules r SET last_fired_at = now()
    WHERE r.id = ANY(ARRAY(SELECT rule_id FROM hits))  -- through the primary key (a hash of every rule: 70 ms)
      AND (r.last_fired_at IS NULL OR r.last_fired_at <= now() - r.cooldown)
    RETURNING r.id
), numbered AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('alerts', 'id')) AS alert_id, h.*, c.name AS card_name, c.set_code,
           c.collector_number
    FROM hits h JOIN fired f ON f.id = h.rule_id JOIN cards c ON c.id = h.card_id
), inserted AS (
    INSERT INTO alerts (id, user_id, rule_id, card_id, raised_at, payload, webhook_state)
    SELECT alert_id, user_id, rule_id, card_id, now(),
           jsonb_build_object(
               'id', alert_id, 'rule_id', rule_id, 'kind', kind, 'level', trim_scale(level)::text,
               'card_id', card_id, 'card_name', card_name, 'set_code', set_code,
               'collector_number', collector_number,
               'variant', jsonb_build_object('marketplace_id', marketplace_id, 'marketplace', marketplace,
                                             'marketplace_slug', slug, 'condition', condition, 'finish', finish,
                                             'language', language),
               'price', price::text, 'currency', currency,
               'time', to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
               'before', CASE WHEN kind IN ('change_24h', 'change_7d') THEN before::text END,
               'change', CASE WHEN kind IN ('change_24h', 'change_7d') THEN change::text END),
           CASE WHEN webhook IS NULL THEN NULL ELSE 'pending' END
    FROM numbered
    RETURNING id, user_id, rule_id, payload, webhook_state IS NOT NULL AS webhook
)
SELECT id, user_id, rule_id, payload, webhook FROM inserted ORDER BY id
"""


def evaluation_sql(all_cards: bool) -> str:
    """The evaluation statement: over the rules of the cards in :card_ids, or of every card."""
    cards = "TRUE" if all_cards else "{column} = ANY(" + CARD_IDS + ")"
    return _EVALUATE.format(prices=cards.format(column="l.card_id"), rules=cards.format(column="r.card_id"))


class AlertRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # Rules -----------------------------------------------------------------------------------

    def marketplace_kind(self, marketplace_id: int) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT kind::text FROM marketplaces WHERE id = :id"), {"id": marketplace_id}
            ).scalar()

    def count(self, user_id: int) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM alert_rules WHERE user_id = :user_id"), {"user_id": user_id}
            ).scalar_one()

    def create(self, user_id: int, rule: NewRule) -> dict[str, Any]:
        """Store a rule; UnknownReference (nothing stored) for an unknown user, card or marketplace."""
        with self.engine.begin() as conn:
            missing = conn.execute(
                text(
                    """
                    SELECT NOT EXISTS (SELECT 1 FROM users WHERE id = :user_id),
                           NOT EXISTS (SELECT 1 FROM cards WHERE id = :card_id),
                           CAST(:marketplace_id AS integer) IS NOT NULL
                               AND NOT EXISTS (SELECT 1 FROM marketplaces WHERE id = :marketplace_id)
                    """
                ),
                {"user_id": user_id, "card_id": rule.card_id, "marketplace_id": rule.marketplace_id},
            ).one()
            for unknown, what in zip(missing, ("user", "card", "marketplace"), strict=True):
                if unknown:
                    raise UnknownReference(f"unknown {what}")
            row = conn.execute(
                text(
                    f"""
                    INSERT INTO alert_rules (user_id, card_id, kind, level, marketplace_id, finish, condition,
                                             language, webhook, cooldown)
                    VALUES (:user_id, :card_id, CAST(:kind AS alert_kind), :level, :marketplace_id,
                            CAST(:finish AS card_finish), CAST(:condition AS card_condition),
                            CAST(:language AS card_language), :webhook, :cooldown)
                    RETURNING {_RULE_COLUMNS}
                    """
                ),
                {
                    "user_id": user_id,
                    "card_id": rule.card_id,
                    "kind": rule.kind.value,
                    "level": rule.level,
                    "marketplace_id": rule.marketplace_id,
                    "finish": rule.finish,
                    "condition": rule.condition,
                    "language": rule.language,
                    "webhook": rule.webhook,
                    "cooldown": rule.cooldown,
                },
            )
            return dict(row.mappings().one())

    def list(self, user_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            result = conn.execute(
                text(f"SELECT {_RULE_COLUMNS} FROM alert_rules WHERE user_id = :user_id ORDER BY id"),
                {"user_id": user_id},
            )
            return [dict(row) for row in result.mappings()]

    def delete(self, user_id: int, rule_id: int) -> None:
        """NotFound when the user has no such rule (another user's included). Its alerts stay in the inbox."""
        with self.engine.begin() as conn:
            deleted = conn.execute(
                text("DELETE FROM alert_rules WHERE id = :id AND user_id = :user_id"),
                {"id": rule_id, "user_id": user_id},
            ).rowcount
        if not deleted:
            raise NotFound(f"no alert rule {rule_id}")

    def rules_for_cards(self, card_ids: Iterable[int]) -> list[dict[str, Any]]:
        """Every user's rules on these cards (what an evaluation of them reads)."""
        with self.engine.connect() as conn:
            result = conn.execute(
                text(f"SELECT {_RULE_COLUMNS} FROM alert_rules WHERE card_id = ANY({CARD_IDS}) ORDER BY id"),
                {"card_ids": sorted(set(card_ids))},
            )
            return [dict(row) for row in result.mappings()]

    # Evaluation ------------------------------------------------------------------------------

    def evaluate(self, card_ids: Iterable[int] | None, since: datetime) -> list[FiredAlert]:
        """Fire the due rules of these cards (None: of every card) whose condition holds on a newest
        price from `since`'s hour on: one alerts row each, last_fired_at set. Returns what fired."""
        ids = None if card_ids is None else sorted(set(card_ids))
        if ids == []:
            return []
        with self.engine.begin() as conn:
            result = conn.execute(text(evaluation_sql(ids is None)), {"card_ids": ids, "since": since})
            return [FiredAlert(*row) for row in result]

    # Inbox -----------------------------------------------------------------------------------

    def inbox(self, user_id: int, limit: int = 50, unread_only: bool = False) -> list[dict[str, Any]]:
        """The user's newest alerts first."""
        unread = " AND read_at IS NULL" if unread_only else ""
        with self.engine.connect() as conn:
            result = conn.execute(
                text(
                    f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE user_id = :user_id{unread}"
                    " ORDER BY raised_at DESC, id DESC LIMIT :limit"
                ),
                {"user_id": user_id, "limit": limit},
            )
            return [dict(row) for row in result.mappings()]

    def mark_read(self, user_id: int, alert_ids: Iterable[int] | None = None) -> int:
        """Mark these alerts (None: all the user's) read; NotFound, changing nothing, when one of the
        ids is not the user's. Returns how many were unread."""
        ids = None if alert_ids is None else sorted(set(alert_ids))
        with self.engine.begin() as conn:
            if ids is not None:
                owned = conn.execute(
                    text("SELECT count(*) FROM alerts WHERE user_id = :user_id AND id = ANY(CAST(:ids AS bigint[]))"),
                    {"user_id": user_id, "ids": ids},
                ).scalar_one()
                if owned != len(ids):
                    raise NotFound("no such alert")
            chosen = "" if ids is None else " AND id = ANY(CAST(:ids AS bigint[]))"
            return conn.execute(
                text(f"UPDATE alerts SET read_at = now() WHERE user_id = :user_id AND read_at IS NULL{chosen}"),
                {"user_id": user_id, "ids": ids},
            ).rowcount

    # Webhook delivery ------------------------------------------------------------------------

    def webhook_job(self, alert_id: int) -> WebhookJob | None:
        """The pending delivery of an alert (its rule's current webhook), None when there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    """
                    SELECT a.id, r.webhook, a.payload, a.webhook_attempts
                    FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
                    WHERE a.id = :id AND a.webhook_state = 'pending' AND r.webhook IS NOT NULL
                    """
                ),
                {"id": alert_id},
            ).one_or_none()
        return None if row is None else WebhookJob(*row)

    def record_attempt(self, alert_id: int, state: str) -> None:
        """One more delivery attempt, and the state it left ('pending' while retries remain)."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE alerts SET webhook_attempts = webhook_attempts + 1, webhook_state = :state WHERE id = :id"
                ),
                {"id": alert_id, "state": state},
            )

    def give_up(self, alert_id: int) -> None:
        """A pending delivery that cannot be made (its rule or webhook was removed)."""
        with self.engine.begin() as conn:
            conn.execute(
                text("UPDATE alerts SET webhook_state = 'failed' WHERE id = :id AND webhook_state = 'pending'"),
                {"id": alert_id},
            )

    def stale_webhooks(self, older_than: timedelta, newer_than: timedelta) -> list[int]:
        """Alerts whose delivery is still pending long after they were raised (its task was lost)."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT id FROM alerts WHERE webhook_state = 'pending'"
                        " AND raised_at < now() - :older AND raised_at > now() - :newer ORDER BY id"
                    ),
                    {"older": older_than, "newer": newer_than},
                ).scalars()
            )
