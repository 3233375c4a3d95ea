"""Celery tasks: thin wrappers over the collectors and the maintenance jobs."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import cache

import httpx
from sqlalchemy.exc import OperationalError

from app.bootstrap import Services, bootstrap
from app.settings import load_settings
from data.repositories.alerts import AlertRepository
from data.use_cases.imports import summary
from data.webhook_urls import WebhookPolicy
from workers.celery_app import celery
from workers.collect import collect
from workers.webhooks import WebhookSender

log = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (httpx.TransportError, httpx.HTTPStatusError, OperationalError, ConnectionError),
    "retry_backoff": 60,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 5,
}


@cache
def services() -> Services:
    """One set of services per worker process."""
    return bootstrap(load_settings())


@celery.task(name="workers.tasks.collect_source", **RETRY)
def collect_source(source: str) -> dict | None:
    report = collect(services(), source)
    return None if report is None else summary(report)


@celery.task(name="workers.tasks.refresh_rollups", **RETRY)
def refresh_rollups(since: str) -> None:
    services().rollups.refresh_since(datetime.fromisoformat(since))


@celery.task(name="workers.tasks.recover_runs", **RETRY)
def recover_runs() -> list[int]:
    """Settle the rows of runs whose process died (an import also does this as it starts)."""
    return services().recover_runs()


@celery.task(name="workers.tasks.apply_retention", **RETRY)
def apply_retention() -> int:
    return services().rollups.apply_retention()


@cache
def webhook_sender() -> WebhookSender:
    built = services()
    return WebhookSender(AlertRepository(built.engine), WebhookPolicy.parse(built.settings.webhook_allow_private))


@celery.task(name="workers.tasks.deliver_webhook", **RETRY)
def deliver_webhook(alert_id: int) -> str | None:
    """One alert's webhook, with its own retries (workers/webhooks.py); the state it ended in."""
    return webhook_sender().deliver(alert_id)


# A delivery takes at most ~3 minutes (3 attempts, 10 s timeouts, 60 s Retry-After): one still pending
# 15 minutes after its alert lost its task (a broker outage at the settle); after a day it is moot.
STALE_WEBHOOK = timedelta(minutes=15)
MOOT_WEBHOOK = timedelta(days=1)


@celery.task(name="workers.tasks.sweep_webhooks", **RETRY)
def sweep_webhooks() -> int:
    """Queue again the deliveries whose task was lost."""
    stale = AlertRepository(services().engine).stale_webhooks(STALE_WEBHOOK, MOOT_WEBHOOK)
    for alert_id in stale:
        deliver_webhook.delay(alert_id)
    return len(stale)
