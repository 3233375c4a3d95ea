"""Price alerts: a user's rules and inbox, and the evaluation that runs after each settle.

A rule fires when its condition holds on a variant's newest price (levels are strict: a price equal
to an `above` level does not fire, nor a change of exactly `level` percent), at most once per cooldown.
Fired alerts go to the inbox, to the owner's `channel:alerts:user:{id}` (the /ws price_alert), and to
the rule's webhook through `dispatch` (a Celery task in production), so that no HTTP call is made
inside a settle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from data.domain import Condition, Finish, Language, MarketplaceKind, stored_id
from data.publisher import PricePublisher
from data.repositories.alerts import AlertKind, AlertRepository, FiredAlert, NewRule
from data.webhook_urls import STRICT, UnsafeWebhook, WebhookPolicy, check

log = logging.getLogger(__name__)

MAX_LEVEL = Decimal("9999999999.9999")  # NUMERIC(14, 4)
MIN_COOLDOWN = timedelta(minutes=1)
MAX_COOLDOWN = timedelta(days=365)
MAX_RULES_PER_USER = 1000
MAX_INBOX_PAGE = 200


class InvalidAlert(ValueError):
    """A rule that cannot be stored; the text says what to change."""


def _level(value: object, kind: AlertKind) -> Decimal:
    try:
        level = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidAlert(f"level must be a number, not {value!r:.40}") from None
    if isinstance(value, bool) or not level.is_finite() or level <= 0 or level > MAX_LEVEL:
        what = "a percent" if kind.is_change else "a price"
        raise InvalidAlert(f"level must be {what} above 0 and at most {MAX_LEVEL}")
    if level != level.quantize(Decimal("0.0001")):
        raise InvalidAlert("level has at most 4 decimal places")
    return level


def _enum(parse: Callable[[str], Any], value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidAlert(f"{what} must be text")
    try:
        return parse(value).value
    except ValueError as exc:
        raise InvalidAlert(str(exc)) from None


class AlertRules:
    """A user's rules: create (checked), list, delete."""

    def __init__(
        self,
        repository: AlertRepository,
        policy: WebhookPolicy = STRICT,
        check_webhook: Callable[[str, WebhookPolicy], object] = check,
    ) -> None:
        self.repository = repository
        self.policy = policy
        self.check_webhook = check_webhook

    def create(
        self,
        user_id: int,
        card_id: object,
        kind: object,
        level: object,
        marketplace_id: object = None,
        finish: object = None,
        condition: object = None,
        language: object = None,
        webhook: object = None,
        cooldown: timedelta | None = None,
    ) -> dict[str, Any]:
        """Store a rule after checking every part; InvalidAlert (nothing stored) for a bad one,
        UnknownReference for an unknown card or marketplace."""
        try:
            alert_kind = AlertKind(kind)
        except ValueError:
            raise InvalidAlert(f"kind must be one of {', '.join(k.value for k in AlertKind)}") from None
        card = stored_id(card_id)
        if card is None:
            raise InvalidAlert("card_id must be a positive integer")
        market = None
        if marketplace_id is not None:
            market = stored_id(marketplace_id)
            if market is None:
                raise InvalidAlert("marketplace_id must be a positive integer")
        rule = NewRule(
            card_id=card,
            kind=alert_kind,
            level=_level(level, alert_kind),
            marketplace_id=market,
            finish=_enum(Finish.parse, finish, "finish"),
            condition=_enum(Condition.parse, condition, "condition"),
            language=_enum(Language.parse, language, "language"),
            webhook=self._webhook(webhook),
            cooldown=self._cooldown(cooldown),
        )
        if market is not None:
            self._check_marketplace(market, alert_kind)
        if self.repository.count(user_id) >= MAX_RULES_PER_USER:
            raise InvalidAlert(f"at most {MAX_RULES_PER_USER} alert rules per user: delete some first")
        return self.repository.create(user_id, rule)

    def list(self, user_id: int) -> list[dict[str, Any]]:
        return self.repository.list(user_id)

    def delete(self, user_id: int, rule_id: int) -> None:
        self.repository.delete(user_id, rule_id)

    def _webhook(self, webhook: object) -> str | None:
        if webhook is None or webhook == "":
            return None
        try:
            self.check_webhook(webhook, self.policy)
        except UnsafeWebhook as exc:
            raise InvalidAlert(str(exc)) from None
        return str(webhook)

    @staticmethod
    def _cooldown(cooldown: timedelta | None) -> timedelta:
        if cooldown is None:
            return timedelta(hours=24)
        if not isinstance(cooldown, timedelta) or not MIN_COOLDOWN <= cooldown <= MAX_COOLDOWN:
            raise InvalidAlert("cooldown must be between 1 minute and 365 days")
        return cooldown

    def _check_marketplace(self, marketplace_id: int, kind: AlertKind) -> None:
        found = self.repository.marketplace_kind(marketplace_id)
        if found is None:
            return  # the repository refuses it as unknown, in the same transaction as the insert
        if (found == MarketplaceKind.BUYLIST) != (kind is AlertKind.BUYLIST_ABOVE):
            needed = "a buylist" if kind is AlertKind.BUYLIST_ABOVE else "a retail"
            raise InvalidAlert(f"a {kind.value} rule needs {needed} marketplace")


class AlertInbox:
    """The alerts a user's rules raised."""

    def __init__(self, repository: AlertRepository) -> None:
        self.repository = repository

    def list(self, user_id: int, limit: int = 50, unread_only: bool = False) -> list[dict[str, Any]]:
        if not 1 <= limit <= MAX_INBOX_PAGE:
            raise InvalidAlert(f"limit must be between 1 and {MAX_INBOX_PAGE}")
        return self.repository.inbox(user_id, limit, unread_only)

    def mark_read(self, user_id: int, alert_ids: Iterable[int] | None = None) -> int:
        return self.repository.mark_read(user_id, alert_ids)


class EvaluateAlerts:
    """Run after a settle, over the cards it touched (None: all)."""

    def __init__(
        self,
        repository: AlertRepository,
        publisher: PricePublisher,
        dispatch: Callable[[list[int]], None] | None = None,
    ) -> None:
        self.repository = repository
        self.publisher = publisher
        self.dispatch = dispatch

    def __call__(self, card_ids: Iterable[int] | None, since: datetime) -> list[FiredAlert]:
        fired = self.repository.evaluate(card_ids, since)  # committed: the inbox holds them
        self.publisher.alerts((alert.user_id, alert.payload) for alert in fired)  # one round trip
        hooked = [alert.id for alert in fired if alert.webhook]
        if hooked:
            if self.dispatch is None:
                log.warning("alerts: %d webhook(s) not sent: no dispatcher is wired", len(hooked))
            else:
                try:
                    self.dispatch(hooked)
                except Exception:  # the alerts are stored and published; the sweep retries the webhooks
                    log.exception("alerts: queueing %d webhook(s) failed", len(hooked))
        return fired
