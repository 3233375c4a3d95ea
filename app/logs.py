"""Logging for every process (gunicorn master and workers, the CLI, Celery): one format, one level."""

from __future__ import annotations

import logging.config
from typing import Any

FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def logging_config(level: str) -> dict[str, Any]:
    """A dictConfig: each record to stderr with time, level, process and logger name, at `level`.

    gunicorn's own loggers lose their handlers and propagate to the root, so their error
    log takes this format too. Access lines (gunicorn.access) stay at INFO whatever the level:
    they are switched on and off by gunicorn's `accesslog` setting."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"cardcharts": {"format": FORMAT}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "cardcharts", "stream": "ext://sys.stderr"}
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
        },
    }


def configure_logging(level: str) -> None:
    """Configure this process's logging (CARDCHARTS_LOG_LEVEL: DEBUG, INFO, WARNING or ERROR)."""
    logging.config.dictConfig(logging_config(level))
