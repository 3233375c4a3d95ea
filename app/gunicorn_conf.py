"""gunicorn settings, the same wherever the dashboard is served (`cardcharts run`,
`cardcharts web`, docker-compose): `gunicorn -c python:app.gunicorn_conf 'app.web:create_server()'`.

gevent workers: every socket and request is a greenlet, so thousands of open
WebSockets leave ordinary requests unstarved (gthread pins a thread per socket,
and once they run out, pages hang too: measured in the shared notes). One Redis
subscriber per worker fans updates out to that worker's sockets.

Image export (kaleido) hangs under gevent: it must run in a Celery task or a
separate thread-worker server, never in these workers.
"""

import resource

from app.logs import logging_config
from app.settings import load_settings

_settings = load_settings()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.web_workers
worker_class = "gevent"
worker_connections = 10_000
timeout = 60
graceful_timeout = 10
worker_tmp_dir = "/dev/shm"
accesslog = "-"
# Master and workers (forked from it) log with time, level and logger name at CARDCHARTS_LOG_LEVEL.
loglevel = _settings.log_level.lower()
logconfig_dict = logging_config(_settings.log_level)
# No control socket (gunicorn >= 25): nothing uses it, and every server on a machine would share
# its one default path (~/.gunicorn/gunicorn.ctl).
control_socket_disable = True

# One descriptor per socket: lift the soft limit (often 1024) towards the hard one.
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
_wanted = 65_536 if _hard == resource.RLIM_INFINITY else min(_hard, 65_536)
if _wanted > _soft:
    resource.setrlimit(resource.RLIMIT_NOFILE, (_wanted, _hard))
