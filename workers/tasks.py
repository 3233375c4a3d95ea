"""Celery tasks: thin wrappers over the collectors and the maintenance jobs."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache

import httpx
from sqlalchemy.exc import OperationalError

from app.bootstrap import Services, bootstrap
from app.settings import load_settings
from data.use_cases.imports import summary
from workers.celery_app import celery
from workers.collect import collect

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
