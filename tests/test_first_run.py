"""A first run: every stale source collected at once, MTGJSON's 90 days of history on its first
collection, and a collection's progress visible while it runs."""

from __future__ import annotations

import json
import lzma
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
from celery.beat import ScheduleEntry

from data.domain import IdentityKind, PriceObservation
from data.repositories.source_runs import RUN_LOCKS, RunTotals
from tests.conftest import FIXTURES
from tests.helpers import cli_process
from workers.celery_app import make_celery
from workers.collect import MTGJSON_BASE, collect
from workers.http import Fetcher
from workers.imports import import_scryfall
from workers.schedules import CollectionSchedule
from workers.sources.scryfall import parse_card

DAY = timedelta(hours=24)


def _entries(services) -> dict[str, ScheduleEntry]:
    """The beat schedule's collection entries, as a beat that has just started holds them."""
    app = make_celery(services.settings)
    return {
        name: ScheduleEntry(name=name, app=app, **{key: entry[key] for key in ("task", "schedule", "args")})
        for name, entry in app.conf.beat_schedule.items()
        if name.startswith("collect-")
    }


def test_on_an_empty_database_every_source_is_due_at_start(services):
    entries = _entries(services)
    assert sorted(entries) == ["collect-cardkingdom", "collect-cardmarket", "collect-mtgjson", "collect-scryfall"]
    for entry in entries.values():
        assert isinstance(entry.schedule, CollectionSchedule)
        assert entry.is_due() == (True, entry.schedule.seconds)


def test_a_fresh_source_is_not_collected_again_at_a_restart_and_a_stale_one_is(services):
    services.runs.record("cardmarket", "succeeded", "price_guide_1.json", '"v1"', None)  # fetched just now
    stale = services.runs.record("scryfall", "unchanged", "default-cards-1.jsonl.gz", None, None)
    with services.engine.begin() as conn:  # scryfall was last fetched 25 hours ago (interval: 24)
        conn.exec_driver_sql(
            f"UPDATE source_runs SET started_at = now() - interval '25 hours',"
            f" finished_at = now() - interval '25 hours' WHERE id = {stale}"
        )
    entries = _entries(services)  # a beat (re)started now
    due, wait = entries["collect-cardmarket"].is_due()
    assert not due and 24 * 3600 - 60 < wait <= 24 * 3600
    assert entries["collect-scryfall"].is_due()[0]


def test_beat_sends_a_due_source_once_until_its_interval_passes(services):
    entry = _entries(services)["collect-mtgjson"]
    # Beat asks while building its heap, then again when it sends: both say due.
    assert entry.is_due()[0] and entry.is_due()[0]
    sent = entry.next()  # what beat keeps after sending (last_run_at: now)
    due, wait = sent.is_due()  # still no run in the database (the task is queued): not sent again
    assert not due and 24 * 3600 - 60 < wait <= 24 * 3600


def test_a_source_being_collected_is_not_due(services):
    run_id = services.runs.start("cardkingdom")
    try:
        due, wait = _entries(services)["collect-cardkingdom"].is_due()
        assert (due, wait) == (False, 60)
    finally:
        services.runs.finish(run_id, "succeeded", RunTotals())
    assert not _entries(services)["collect-cardkingdom"].is_due()[0]  # fetched just now


def test_a_runs_progress_is_visible_while_it_runs(services, scryfall_objects):
    """Rows are counted on the run's row after each batch, and collecting() reports the run."""
    services.imports.batch_size = 2
    cards = [parse_card(obj) for obj in scryfall_objects[:3]]
    file_date = datetime(2025, 11, 1, tzinfo=UTC)
    seen: list[list[dict]] = []

    def items():
        yield from cards
        for day in range(3):
            for card in cards:
                yield PriceObservation(
                    identity=IdentityKind.SCRYFALL_ID,
                    key=card.scryfall_id,
                    marketplace="tcgplayer",
                    time=file_date + day * DAY,
                    price=Decimal("1.00"),
                    currency="USD",
                )
            seen.append(services.source_queries.collecting())

    assert services.source_queries.collecting() == []
    report = services.imports("scryfall", items(), file_name="progress.jsonl", file_date=file_date)
    run = services.runs.get(report.run_id)
    started = run["started_at"].isoformat()
    # Batches of 2: a batch is counted once the next one goes to the writer (at most one in flight),
    # so after 3, 6 and 9 prices have been read, 0, 4 and 6 rows are counted.
    assert [[row["rows"] for row in rows] for rows in seen] == [[0], [4], [6]]
    assert seen[-1] == [{"source": "scryfall", "started_at": started, "rows": 6, "file_date": file_date.isoformat()}]
    assert (run["status"], run["rows_inserted"]) == ("succeeded", 9)
    assert services.source_queries.collecting() == []


def test_a_run_whose_process_died_is_not_shown_as_collecting(services):
    run_id = services.runs.start("cardmarket")
    services.runs.progress(run_id, RunTotals(inserted=5, unchanged=2))
    [shown] = services.source_queries.collecting()
    assert (shown["source"], shown["rows"], shown["file_date"]) == ("cardmarket", 7, None)
    with services.engine.begin() as conn:  # the process holding its lock is gone
        conn.exec_driver_sql(
            # With a timeout it waits for the backend to exit, and so for its lock to go.
            f"SELECT pg_terminate_backend(pid, 5000) FROM pg_locks WHERE locktype = 'advisory'"
            f" AND classid = {RUN_LOCKS} AND objid = {run_id}"
        )
    assert services.source_queries.collecting() == []
    assert services.recover_runs() == [run_id]  # recovery still finds and settles it
    assert services.runs.get(run_id)["status"] == "interrupted"


def _xz(value: object) -> bytes:
    return lzma.compress(json.dumps(value).encode())


def test_the_first_mtgjson_collection_brings_its_90_days_then_only_today(services, tmp_path):
    """AllPrices on the first run (every one of its 90 days imported), AllPricesToday on the next."""
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    identifiers = json.loads((FIXTURES / "mtgjson" / "AllIdentifiers-sample.json").read_text())
    uuid = next(iter(identifiers["data"]))
    today = datetime.now(UTC).date()
    days = [(today - timedelta(days=89 - d)).isoformat() for d in range(90)]
    all_prices = {
        "meta": {"date": today.isoformat(), "version": "5.2.2"},
        "data": {
            uuid: {
                "paper": {
                    "tcgplayer": {
                        "buylist": {},
                        "retail": {"normal": {day: 1 + n / 100 for n, day in enumerate(days)}},
                        "currency": "USD",
                    }
                }
            }
        },
    }
    tomorrow = (today + timedelta(days=1)).isoformat()
    today_prices = {
        "meta": {"date": tomorrow, "version": "5.2.2"},
        "data": {
            uuid: {"paper": {"tcgplayer": {"buylist": {}, "retail": {"normal": {tomorrow: 2.5}}, "currency": "USD"}}}
        },
    }
    bodies = {
        "AllIdentifiers.json.xz": _xz(identifiers),
        "AllPrices.json.xz": _xz(all_prices),
        "AllPricesToday.json.xz": _xz(today_prices),
    }
    asked: list[str] = []

    def provider(request: httpx.Request) -> httpx.Response:
        name = str(request.url).removeprefix(MTGJSON_BASE)
        asked.append(name)
        return httpx.Response(200, content=bodies[name], headers={"ETag": f'"{name}"'})

    fetcher = Fetcher(tmp_path, httpx.MockTransport(provider), sleep=lambda s: None)
    first = collect(services, "mtgjson", fetcher)
    assert asked == ["AllIdentifiers.json.xz", "AllPrices.json.xz"]
    assert first.totals.inserted == 90
    with services.engine.connect() as conn:
        stored = conn.exec_driver_sql(
            f"SELECT min(time)::date, max(time)::date, count(DISTINCT time) FROM price_snapshots"
            f" WHERE source_run_id = {first.run_id}"
        ).one()
    assert stored == (date.fromisoformat(days[0]), date.fromisoformat(days[-1]), 90)
    second = collect(services, "mtgjson", fetcher)
    assert asked[2:] == ["AllIdentifiers.json.xz", "AllPricesToday.json.xz"]
    assert second.totals.inserted == 1


def test_the_embedded_servers_start_quietly(tmp_path):
    """initdb, pg_ctl and the Redis banner stay out of a command's output unless they fail."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(CARDCHARTS_DATA_DIR=str(tmp_path), CARDCHARTS_LOG_LEVEL="INFO")
    process = cli_process(env, "db", "upgrade")
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert out.startswith("database at revision ")
    assert err == ""
