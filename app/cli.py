"""The `cardcharts` command: serve the dashboard, manage the schema, refresh rollups.

Every failure ends in one line on stderr and a non-zero exit, never a traceback:
bad input and unreachable services are expected (the traceback is logged at DEBUG).
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click

from app.logs import configure_logging
from app.settings import ConfigError, Settings, load_settings
from app.users_cli import users

log = logging.getLogger("cardcharts")
MAX_MESSAGE = 1000


def _one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    joined = ""
    for line in lines:
        joined += ("" if not joined else " " if joined.endswith(":") else "; ") + line
    return joined[:MAX_MESSAGE]


def _describe(exc: BaseException) -> str:
    """An error as one line a user can act on."""
    from redis.exceptions import RedisError
    from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

    if isinstance(exc, DBAPIError) and exc.orig is not None:
        kind = "database unavailable" if isinstance(exc, OperationalError) else "database error"
        return _one_line(f"{kind}: {exc.orig}")
    if isinstance(exc, SQLAlchemyError):
        return _one_line(f"database error: {str(exc).split('(Background on this error', 1)[0]}")
    if isinstance(exc, RedisError):
        return _one_line(f"redis unavailable: {exc}")
    if isinstance(exc, ValueError | OSError | LookupError | ConfigError) or type(exc).__module__.startswith("alembic"):
        return _one_line(str(exc) or type(exc).__name__)
    return _one_line(f"{type(exc).__name__}: {exc}")


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(_one_line(message), err=True)
    sys.exit(code)


class _OneLineErrors(click.Group):
    """Usage errors, bad input and dead services alike: one line on stderr, a non-zero exit."""

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> NoReturn:
        try:
            code = super().main(args, prog_name, standalone_mode=False, **extra)
        except click.ClickException as exc:
            _fail(f"error: {exc.format_message()}", exc.exit_code)
        except click.Abort:
            _fail("aborted")
        except Exception as exc:
            log.debug("cardcharts failed", exc_info=True)
            _fail(f"error: {_describe(exc)}")
        sys.exit(code if isinstance(code, int) else 0)


def _settings() -> Settings:
    try:
        settings = load_settings()
    except ConfigError as exc:
        _fail(str(exc), 2)
    configure_logging(settings.log_level)
    return settings


def _secret_key(settings: Settings) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data directory."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
        log.warning("SECRET_KEY not set: generated one in %s (set SECRET_KEY in production)", path)
    return path.read_text().strip()


@contextmanager
def runtime(settings: Settings, need_redis: bool = True) -> Iterator[Settings]:
    """Settings with DATABASE_URL and REDIS_URL resolved, starting embedded servers for unset ones.

    The URLs are also exported to the environment so that forked web workers see them."""
    from app.embedded import EmbeddedPostgres, EmbeddedRedis

    started = []
    try:
        database_url, redis_url = settings.database_url, settings.redis_url
        if database_url is None:
            postgres = EmbeddedPostgres(settings.data_dir)
            started.append(postgres)
            database_url = postgres.start()
        if redis_url is None and need_redis:
            redis = EmbeddedRedis(settings.data_dir)
            started.append(redis)
            redis_url = redis.start()
        resolved = settings.model_copy(update={"database_url": database_url, "redis_url": redis_url})
        os.environ["DATABASE_URL"] = database_url
        if redis_url:
            os.environ["REDIS_URL"] = redis_url
        yield resolved
    finally:
        for service in reversed(started):
            service.stop()


def _parse_time(value: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        example = "such as 2026-11-01T00:00Z"
        raise click.BadParameter(f"{value!r:.40} is not an ISO 8601 time {example}", param_hint=option) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group(cls=_OneLineErrors)
def main() -> None:
    """CardCharts: real-time Magic: The Gathering price analytics."""


@main.command()
@click.option("--host", default=None, help="Address to bind (default CARDCHARTS_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default CARDCHARTS_PORT or 8050).")
def run(host: str | None, port: int | None) -> None:
    """Migrate the database and serve the dashboard (embedded PostgreSQL/Redis when unset)."""
    from app.web import serve
    from migrations import runner

    settings = _settings()
    with runtime(settings) as resolved:
        runner.upgrade(resolved.database_url)
        secret = _secret_key(settings)
        os.environ["SECRET_KEY"] = secret
        _plain_http_cookies(resolved, host or resolved.host)
        resolved = resolved.model_copy(update={"secret_key": secret})
        # The collection worker and its scheduler run beside the web server and stop with it.
        helpers = [
            subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()", role])
            for role in ("worker", "beat")
        ]
        try:
            serve(resolved, host or resolved.host, port or resolved.port)
        finally:
            for helper in helpers:
                helper.terminate()
            for helper in helpers:
                helper.wait(30)


def _plain_http_cookies(settings: Settings, host: str) -> None:
    """`cardcharts run` on a loopback address is the local, plain-http app (the README opens
    http://127.0.0.1:8050): its session cookies go without Secure, which Safari would drop otherwise.
    Set CARDCHARTS_INSECURE_COOKIES=0 when a TLS proxy fronts it; `cardcharts web` never guesses."""
    from ipaddress import ip_address

    if "CARDCHARTS_INSECURE_COOKIES" in os.environ or settings.insecure_cookies:
        return
    try:
        loopback = host == "localhost" or ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        os.environ["CARDCHARTS_INSECURE_COOKIES"] = "1"
        log.info("serving plain http on %s: session cookies without Secure", host)


@main.command()
@click.option("--host", default=None, help="Address to bind (default CARDCHARTS_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default CARDCHARTS_PORT or 8050).")
def web(host: str | None, port: int | None) -> None:
    """Serve the dashboard only (gunicorn, gevent workers) on DATABASE_URL and REDIS_URL."""
    from app.web import serve

    settings = _settings()
    if not settings.database_url or not settings.redis_url:
        click.echo("cardcharts web needs DATABASE_URL and REDIS_URL (cardcharts run starts embedded ones)", err=True)
        sys.exit(2)
    sys.exit(serve(settings, host or settings.host, port or settings.port))


@main.command()
@click.argument("user_id", type=click.IntRange(min=1))
@click.option(
    "--days", type=click.IntRange(min=1, max=3650), default=30, show_default=True, help="How long it stays valid."
)
def token(user_id: int, days: int) -> None:
    """Print a token that subscribes to USER_ID's price alerts on /ws (signed with SECRET_KEY)."""
    from app.live import tokens

    click.echo(tokens.issue(_secret_key(_settings()), user_id, timedelta(days=days)))


@main.command()
@click.option("--concurrency", type=int, default=1, help="Worker processes (imports are I/O and database bound).")
def worker(concurrency: int) -> None:
    """The Celery worker that runs collections and maintenance."""
    settings = _settings()
    with runtime(settings) as resolved:
        from workers.celery_app import make_celery

        make_celery(resolved).worker_main(
            ["worker", f"--loglevel={resolved.log_level}", f"--concurrency={concurrency}", "--without-gossip"]
        )


@main.command()
def beat() -> None:
    """The Celery beat scheduler: each enabled source on its interval, retention daily."""
    settings = _settings()
    with runtime(settings) as resolved:
        from workers.celery_app import make_celery

        resolved.data_dir.mkdir(parents=True, exist_ok=True)
        schedule = resolved.data_dir / "celerybeat-schedule"
        make_celery(resolved).start(["beat", f"--loglevel={resolved.log_level}", f"--schedule={schedule}"])


@main.command("collect")
@click.argument("source", type=click.Choice(["scryfall", "mtgjson", "cardmarket", "cardkingdom", "tcgplayer"]))
def collect_command(source: str) -> None:
    """Download a source's current file (if it changed) and import it now."""
    from workers.collect import collect

    with services() as built:

        def action():
            report = collect(built, source)
            if report is None:
                click.echo(f"{source}: the provider's file has not changed since the last run; nothing imported")
                sys.exit(0)
            return report

        _report(action)


@main.group()
def db() -> None:
    """Schema migrations."""


@db.command()
def upgrade() -> None:
    """Build or migrate the schema to the newest revision."""
    from migrations import runner

    with runtime(_settings(), need_redis=False) as resolved:
        runner.upgrade(resolved.database_url)
        click.echo(f"database at revision {runner.current_revision(resolved.database_url)}")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Step the schema back to REVISION ('base' removes it all)."""
    from migrations import runner

    with runtime(_settings(), need_redis=False) as resolved:
        runner.downgrade(resolved.database_url, revision)
        click.echo(f"database at revision {runner.current_revision(resolved.database_url) or 'base'}")


@db.command()
def status() -> None:
    """Revision, storage mode (TimescaleDB or plain PostgreSQL) and row counts."""
    from data.db import make_engine
    from data.repositories.status import database_status
    from migrations import runner

    with runtime(_settings(), need_redis=False) as resolved:
        engine = make_engine(resolved.database_url, pool_size=1)
        try:
            report = database_status(engine)
        finally:
            engine.dispose()
        current = runner.current_revision(resolved.database_url)
        head = runner.head_revision()
        click.echo(f"revision:  {current or 'none (run: cardcharts db upgrade)'} (newest: {head})")
        for key, value in report.items():
            click.echo(f"{key + ':':<10} {value}")
        if current != head:
            sys.exit(1)


@main.group()
def rollups() -> None:
    """The market and per-card rollups."""


@rollups.command()
@click.option("--since", required=True, help="Rebuild buckets from this time (ISO 8601, UTC if no zone).")
@click.option("--until", default=None, help="... up to this time (default: all newer data).")
def refresh(since: str, until: str | None) -> None:
    """Recompute the rollups from the raw snapshots for a time window."""
    from data.db import make_engine
    from data.repositories.rollups import RollupRepository

    start, end = _parse_time(since, "--since"), (_parse_time(until, "--until") if until else None)
    if end is not None and end <= start:
        raise click.BadParameter("must be later than --since", param_hint="--until")
    with runtime(_settings(), need_redis=False) as resolved:
        engine = make_engine(resolved.database_url, pool_size=1)
        try:
            repository = RollupRepository(engine, outlier_multiple=resolved.outlier_multiple)
            repository.refresh_since(start, end)
            click.echo(f"rollups refreshed from {start.isoformat()} ({repository.mode.value} mode)")
        finally:
            engine.dispose()


@contextmanager
def services() -> Iterator:
    """Wired services on the configured (or embedded) stores, with the schema migrated."""
    from app.bootstrap import bootstrap
    from migrations import runner

    with runtime(_settings()) as resolved:
        runner.upgrade(resolved.database_url)
        built = bootstrap(resolved)
        try:
            yield built
        finally:
            built.close()


def _report(action) -> None:
    """Run an import, print what it did; a bad file exits 1 with the reason (the run is recorded)."""
    try:
        report = action()
    except Exception as exc:
        log.debug("import failed", exc_info=True)
        _fail(f"import failed: {_describe(exc)}")
    click.echo("\n".join(report.lines()))


@main.group("import")
def import_() -> None:
    """Import a provider's file (for first runs and offline machines)."""


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_AS_OF = click.option("--as-of", default=None, help="Time the prices were taken (default: from the file).")


@import_.command("scryfall")
@click.argument("file", type=_FILE)
@_AS_OF
def import_scryfall(file: Path, as_of: str | None) -> None:
    """A Scryfall bulk file (default_cards / all_cards; .jsonl.gz or legacy .json): catalog and prices."""
    from workers.imports import import_scryfall as run

    moment = _parse_time(as_of, "--as-of") if as_of else None
    with services() as built:
        _report(lambda: run(built, file, moment))


@import_.command("mtgjson")
@click.argument("prices", type=_FILE)
@click.option(
    "--identifiers",
    "identifiers",
    multiple=True,
    type=_FILE,
    help="AllIdentifiers.json, AllPrintings.json or per-set files (uuid -> Scryfall id).",
)
def import_mtgjson(prices: Path, identifiers: tuple[Path, ...]) -> None:
    """MTGJSON AllPrices (90-day backfill) or AllPricesToday."""
    from workers.imports import import_mtgjson as run

    with services() as built:
        _report(lambda: run(built, prices, identifiers))


@import_.command("cardmarket")
@click.argument("file", type=_FILE)
@_AS_OF
def import_cardmarket(file: Path, as_of: str | None) -> None:
    """Cardmarket's price guide (price_guide_1.json)."""
    from workers.imports import import_cardmarket as run

    moment = _parse_time(as_of, "--as-of") if as_of else None
    with services() as built:
        _report(lambda: run(built, file, moment))


@import_.command("cardkingdom")
@click.argument("file", type=_FILE)
@_AS_OF
def import_cardkingdom(file: Path, as_of: str | None) -> None:
    """Card Kingdom's pricelist (api/v2/pricelist)."""
    from workers.imports import import_cardkingdom as run

    moment = _parse_time(as_of, "--as-of") if as_of else None
    with services() as built:
        _report(lambda: run(built, file, moment))


@main.group()
def retention() -> None:
    """Raw snapshot retention (2 years)."""


@retention.command("run")
def retention_run() -> None:
    """Delete raw snapshots older than two years (plain PostgreSQL; a policy on TimescaleDB)."""
    from data.db import make_engine
    from data.repositories.rollups import RollupRepository

    with runtime(_settings(), need_redis=False) as resolved:
        engine = make_engine(resolved.database_url, pool_size=1)
        try:
            removed = RollupRepository(engine).apply_retention()
            click.echo(f"removed {removed} snapshots older than two years")
        finally:
            engine.dispose()


main.add_command(users)  # app/users_cli.py: accounts
