"""Collection: provider adapters, Celery tasks and the beat schedule."""
