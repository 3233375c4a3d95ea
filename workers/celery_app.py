"""The Celery application: broker and results on REDIS_URL, and the beat schedule.

Tasks are idempotent (every write is an upsert) and acknowledged late, so a
worker killed mid-task leaves the message to be delivered again; failures are
retried with exponential back-off and jitter.
"""

from __future__ import annotations

from datetime import timedelta

from celery import Celery
from celery.signals import setup_logging

from app.bootstrap import collection_intervals
from app.logs import configure_logging
from app.settings import Settings, load_settings
from workers.schedules import CollectionSchedule

RECOVERY_EVERY = timedelta(minutes=5)
WEBHOOK_SWEEP_EVERY = timedelta(minutes=5)


def schedule(settings: Settings) -> dict:
    """Each enabled source once its data is older than its interval (at once on an empty
    database: workers/schedules.py), recovery of interrupted runs every few minutes, and
    retention once a day."""
    entries = {
        f"collect-{source}": {
            "task": "workers.tasks.collect_source",
            "schedule": CollectionSchedule(every, source, settings.database_url or ""),
            "args": (source,),
        }
        for source, every in collection_intervals(settings).items()
    }
    entries["recover-runs"] = {"task": "workers.tasks.recover_runs", "schedule": RECOVERY_EVERY}
    entries["retention"] = {"task": "workers.tasks.apply_retention", "schedule": timedelta(days=1)}
    entries["webhooks"] = {"task": "workers.tasks.sweep_webhooks", "schedule": WEBHOOK_SWEEP_EVERY}
    return entries


def make_celery(settings: Settings) -> Celery:
    app = Celery(
        "cardcharts", broker=settings.celery_broker_url, backend=settings.celery_broker_url, include=["workers.tasks"]
    )
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=timedelta(days=1),
        broker_connection_retry_on_startup=True,
        # A collection can run for many minutes: the message must not be re-delivered meanwhile.
        broker_transport_options={"visibility_timeout": 6 * 3600},
        beat_schedule=schedule(settings),
        timezone="UTC",
    )
    return app


@setup_logging.connect
def _logging(**_: object) -> None:
    """The worker and beat log like every other process (a receiver here stops Celery's own setup)."""
    configure_logging(load_settings().log_level)


celery = make_celery(load_settings())
