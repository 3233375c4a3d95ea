"""Webhook delivery of price alerts: Discord-compatible JSON, sent by a Celery task (never inside a
settle), with retries.

An attempt that meets a 5xx, a timeout or a connection error is retried after a back-off, a 429
after its Retry-After (capped); any other 4xx is final. Every attempt re-checks the URL (its host may
now resolve to a private address) and connects to the address it checked, with the host's name in
the Host header and TLS SNI, so the certificate is still verified against the name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from data.repositories.alerts import AlertRepository
from data.webhook_urls import STRICT, Resolver, Target, UnsafeWebhook, WebhookPolicy, check, system_resolver

log = logging.getLogger(__name__)

ATTEMPTS = 3
BACKOFF_SECONDS = (2.0, 8.0)  # before the 2nd and the 3rd attempt
MAX_RETRY_AFTER_SECONDS = 60.0
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "CardCharts-Alerts/0.1 (+https://github.com/cardcharts/cardcharts)"
# Discord's limits: content 2,000 characters, an embed title 256, a field value 1,024.
_CONTENT_CHARS = 2000
_TITLE_CHARS = 256
_KIND_WORDS = {
    "above": "rose above",
    "below": "fell below",
    "buylist_above": "buylist price rose above",
    "change_24h": "moved more than {level}% in 24 hours",
    "change_7d": "moved more than {level}% in 7 days",
}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def discord_payload(alert: dict[str, Any]) -> dict[str, Any]:
    """The webhook body for an alert's payload: {"content": ..., "embeds": [...]}, as Discord takes it
    (and any endpoint that reads JSON)."""
    variant = alert["variant"]
    card = f"{alert['card_name']} ({alert['set_code'].upper()} #{alert['collector_number']})"
    price = f"{alert['price']} {alert['currency']}"
    if alert["kind"] in ("change_24h", "change_7d"):
        what = _KIND_WORDS[alert["kind"]].format(level=alert["level"])
        summary = f"{card} {what}: {alert['before']} → {price} ({Decimal(alert['change']):+}%)"
    else:
        summary = f"{card} {_KIND_WORDS[alert['kind']]} {alert['level']} {alert['currency']}: now {price}"
    where = f"{variant['marketplace']}, {variant['condition']}, {variant['finish']}, {variant['language']}"
    fields = [
        {"name": "Price", "value": price, "inline": True},
        {"name": "Rule", "value": f"{alert['kind']} {alert['level']}", "inline": True},
        {"name": "Variant", "value": _cut(where, 1024), "inline": False},
    ]
    if alert.get("change") is not None:
        fields.insert(1, {"name": "Change", "value": f"{Decimal(alert['change']):+}%", "inline": True})
    return {
        "content": _cut(f"Price alert: {summary}", _CONTENT_CHARS),
        "embeds": [
            {
                "title": _cut(card, _TITLE_CHARS),
                "description": _cut(summary, 4096),
                "timestamp": alert["time"],
                "fields": fields,
                "footer": {"text": f"CardCharts alert {alert['id']}"},
            }
        ],
    }


def _retry_after(value: str | None) -> float | None:
    try:
        wait = float(value) if value is not None else None
    except ValueError:
        return None
    return None if wait is None or wait < 0 else min(wait, MAX_RETRY_AFTER_SECONDS)


def _request_url(target: Target) -> str:
    """The URL with the checked address in place of the host (the Host header keeps the name)."""
    parts = target.url
    host = f"[{target.address}]" if target.address.version == 6 else str(target.address)
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc, fragment="").geturl()


class WebhookSender:
    def __init__(
        self,
        repository: AlertRepository,
        policy: WebhookPolicy = STRICT,
        resolver: Resolver = system_resolver,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        backoff: tuple[float, ...] = BACKOFF_SECONDS,
    ) -> None:
        self.repository = repository
        self.policy = policy
        self.resolver = resolver
        self.sleep = sleep
        self.backoff = backoff
        self.client = httpx.Client(
            transport=transport, timeout=TIMEOUT, follow_redirects=False, headers={"User-Agent": USER_AGENT}
        )

    def close(self) -> None:
        self.client.close()

    def deliver(self, alert_id: int) -> str | None:
        """Send one alert's webhook with retries, recording each attempt; the final state
        ('delivered' or 'failed'), None when the alert has no pending delivery."""
        job = self.repository.webhook_job(alert_id)
        if job is None:
            self.repository.give_up(alert_id)  # its rule or webhook is gone: nothing to send it to
            return None
        body = discord_payload(job.payload)
        for attempt in range(job.attempts, ATTEMPTS):
            retry, wait = self._attempt(job.url, body, alert_id)
            last = attempt == ATTEMPTS - 1
            state = "delivered" if retry is None else ("failed" if not retry or last else "pending")
            self.repository.record_attempt(alert_id, state)
            if state != "pending":
                return state
            self.sleep(wait if wait is not None else self.backoff[min(attempt, len(self.backoff) - 1)])
        self.repository.give_up(alert_id)  # picked up again with no attempt left
        return "failed"

    def _attempt(self, url: str, body: dict[str, Any], alert_id: int) -> tuple[bool | None, float | None]:
        """One POST: (None, _) delivered, (True, wait) worth retrying (wait: the server's Retry-After),
        (False, _) final."""
        try:
            target = check(url, self.policy, self.resolver)
        except UnsafeWebhook as exc:
            log.warning("alert %d: webhook refused: %s", alert_id, exc)
            return False, None
        headers = {"Host": target.url.netloc}
        extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
        try:
            response = self.client.post(_request_url(target), json=body, headers=headers, extensions=extensions)
        except httpx.TransportError as exc:  # timeouts included
            log.warning("alert %d: webhook %s: %s", alert_id, target.host, type(exc).__name__)
            return True, None
        status = response.status_code
        if 200 <= status < 300:
            return None, None
        log.warning("alert %d: webhook %s answered %d", alert_id, target.host, status)
        if status == 429:
            return True, _retry_after(response.headers.get("Retry-After"))
        return (status >= 500), None


def enqueue(alert_ids: list[int]) -> None:
    """Hand each alert's delivery to the Celery worker (imported here: the worker's modules import
    the bootstrap that wires this function)."""
    from workers.tasks import deliver_webhook

    for alert_id in alert_ids:
        deliver_webhook.delay(alert_id)
