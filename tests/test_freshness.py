"""Freshness follows the provider's date for its data, never the time a run finished."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.server import create_app
from data.domain import MalformedInput
from data.repositories.source_runs import RUN_LOCKS, RunTotals
from data.use_cases.recovery import RecoverRuns
from data.use_cases.sources import SourceQueries
from layouts.freshness import age_text, utc_text
from layouts.market import sources_figure
from tests.conftest import FIXTURES
from tests.dash_requests import DashRequests
from workers.imports import import_cardmarket, import_scryfall

SCRYFALL = FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz"
CARDMARKET = FIXTURES / "cardmarket" / "price_guide_1-sample.json"
CARDMARKET_DATE = datetime(2025, 11, 2, 1, 45, tzinfo=UTC)  # its createdAt, 2025-11-02T02:45:00+0100
SOURCE_NUMBERS = itertools.count()


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _status(services, now: datetime) -> dict[str, dict[str, Any]]:
    return {row["source"]: row for row in services.source_queries.status(now=now)}


def _texts(tree: Any) -> list[str]:
    """Every string in a component tree (Python components or their JSON), hover titles included."""
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, list | tuple):
        return [found for item in tree for found in _texts(item)]
    if isinstance(tree, dict):
        props = tree.get("props", tree)
        return _texts(props.get("children")) + ([props["title"]] if props.get("title") else [])
    props = getattr(tree, "to_plotly_json", lambda: {})()
    return _texts(props.get("props", {})) if props else []


def _page_values(dash: DashRequests, path: str) -> dict[tuple[str, str], Any]:
    """Every (id, property) value of a page's components as the server renders it: its callbacks' defaults."""
    found: dict[tuple[str, str], Any] = {}
    stack: list[Any] = [dash.outputs(dash.page(path))]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            props = node.get("props", node)
            if isinstance(props.get("id"), str):
                found |= {(props["id"], key): value for key, value in props.items()}
            stack.extend(value for value in props.values() if isinstance(value, dict | list))
    return found


def test_an_old_file_imported_today_is_stale(services):
    as_of = _minute(datetime.now(UTC)) - timedelta(days=400)
    import_scryfall(services, SCRYFALL, as_of=as_of)
    import_cardmarket(services, CARDMARKET)  # dated by the file's own createdAt
    now = as_of + timedelta(days=400)
    rows = _status(services, now)

    scryfall = rows["scryfall"]
    assert (scryfall["freshness"], scryfall["age_hours"], scryfall["last_status"]) == ("stale", 9600.0, "succeeded")
    assert (scryfall["file_date"], scryfall["data_date"], scryfall["data_dated"]) == (as_of.isoformat(),) * 2 + (True,)
    # The run finished just now: measured from its finish the source would have looked fresh.
    finished = datetime.fromisoformat(scryfall["last_finished"])
    assert abs(datetime.now(UTC) - finished) < timedelta(minutes=5)

    cardmarket = rows["cardmarket"]
    assert (cardmarket["freshness"], cardmarket["file_date"]) == ("stale", CARDMARKET_DATE.isoformat())
    assert cardmarket["age_hours"] == round((now - CARDMARKET_DATE).total_seconds() / 3600, 1)
    assert (rows["mtgjson"]["freshness"], rows["mtgjson"]["age_hours"]) == ("never", None)


def test_a_recent_file_is_fresh_until_twice_its_interval(services):
    as_of = _minute(datetime.now(UTC)) - timedelta(hours=3)
    import_scryfall(services, SCRYFALL, as_of=as_of)  # scryfall is collected every 24 h
    assert (_status(services, as_of + timedelta(hours=3))["scryfall"]["freshness"]) == "fresh"
    at_limit = _status(services, as_of + timedelta(hours=48))["scryfall"]
    assert (at_limit["freshness"], at_limit["age_hours"]) == ("fresh", 48.0)
    past = _status(services, as_of + timedelta(hours=48, seconds=1))["scryfall"]
    assert (past["freshness"], past["age_hours"]) == ("stale", 48.0)


def test_an_old_file_found_unchanged_today_stays_stale(services):
    as_of = _minute(datetime.now(UTC)) - timedelta(days=400)
    import_scryfall(services, SCRYFALL, as_of=as_of)
    services.runs.record("scryfall", "unchanged", SCRYFALL.name, None, None)
    row = _status(services, as_of + timedelta(days=400))["scryfall"]
    assert (row["last_status"], row["freshness"], row["age_hours"]) == ("unchanged", "stale", 9600.0)


def test_a_failed_newest_run_shows_failed_while_age_follows_the_delivered_data(services, tmp_path):
    as_of = _minute(datetime.now(UTC)) - timedelta(hours=3)
    import_scryfall(services, SCRYFALL, as_of=as_of)
    junk = tmp_path / "default-cards-20261129.jsonl"
    junk.write_text("this is not JSON\n")
    with pytest.raises(MalformedInput) as failure:
        import_scryfall(services, junk)
    row = _status(services, as_of + timedelta(hours=3))["scryfall"]
    assert (row["last_status"], row["last_failed"], row["last_error"]) == ("failed", True, str(failure.value))
    assert (row["freshness"], row["age_hours"], row["file_date"]) == ("fresh", 3.0, as_of.isoformat())

    # A run whose process dies is 'interrupted' once recovered; its file date is no delivery.
    run_id = services.runs.start("scryfall", "default-cards-later.json", file_date=as_of + timedelta(hours=2))
    with services.engine.begin() as conn:
        killed = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks"
                " WHERE locktype = 'advisory' AND classid = :locks AND objid = :id AND objsubid = 2"
            ),
            {"locks": RUN_LOCKS, "id": run_id},
        ).scalar_one()
    assert killed
    assert RecoverRuns(services.runs, services.ingest)() == [run_id]
    row = _status(services, as_of + timedelta(hours=3))["scryfall"]
    assert (row["last_status"], row["last_failed"]) == ("interrupted", True)
    assert row["last_error"].startswith("interrupted: the process stopped")
    assert (row["freshness"], row["age_hours"], row["file_date"]) == ("fresh", 3.0, as_of.isoformat())


def test_a_source_without_data_dates_counts_from_the_run_and_says_so(services):
    queries = SourceQueries(services.runs, {"manual": timedelta(hours=6), "dated": timedelta(hours=6)})
    undated = services.runs.start("manual", "prices.csv")
    services.runs.finish(undated, "succeeded", RunTotals(inserted=1))
    finished = services.runs.get(undated)["finished_at"]
    row = next(r for r in queries.status(now=finished + timedelta(hours=13)) if r["source"] == "manual")
    assert (row["data_dated"], row["file_date"], row["data_date"]) == (False, None, finished.isoformat())
    assert (row["freshness"], row["age_hours"]) == ("stale", 13.0)

    # Once a source has a dated delivery, an undated later one cannot make it look newer.
    old = finished - timedelta(days=30)
    dated = services.runs.start("dated", "old.csv", file_date=old)
    services.runs.finish(dated, "succeeded", RunTotals(inserted=1))
    later = services.runs.start("dated", "undated.csv")
    services.runs.finish(later, "succeeded", RunTotals(inserted=1))
    row = next(r for r in queries.status(now=finished) if r["source"] == "dated")
    assert (row["data_dated"], row["file_date"], row["freshness"], row["age_hours"]) == (
        True,
        old.isoformat(),
        "stale",
        720.0,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    age=st.integers(min_value=0, max_value=3_000 * 3600),
    every_minutes=st.integers(min_value=1, max_value=30 * 24 * 60),
    extra_runs=st.lists(st.sampled_from(["failed", "unchanged", "older"]), max_size=3),
)
def test_stale_exactly_when_the_newest_data_is_older_than_twice_the_interval(services, age, every_minutes, extra_runs):
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    source = f"prop-{next(SOURCE_NUMBERS)}"  # a source of its own per example
    every = timedelta(minutes=every_minutes)
    data_date = now - timedelta(seconds=age)
    run = services.runs.start(source, "file", file_date=data_date)
    services.runs.finish(run, "succeeded", RunTotals(inserted=1))
    for kind in extra_runs:  # none of these carries newer data
        if kind == "older":
            older = services.runs.start(source, "older", file_date=data_date - timedelta(days=3))
            services.runs.finish(older, "succeeded", RunTotals(inserted=1))
        elif kind == "unchanged":
            services.runs.record(source, "unchanged", "file", None, None)
        else:
            failed = services.runs.start(source, "broken", file_date=now)
            services.runs.finish(failed, "failed", RunTotals(), "broken file")
    row = next(r for r in SourceQueries(services.runs, {source: every}).status(now=now) if r["source"] == source)
    assert row["freshness"] == ("stale" if timedelta(seconds=age) > 2 * every else "fresh")
    assert row["age_hours"] == round(age / 3600, 1)
    assert row["file_date"] == data_date.isoformat()
    assert row["last_failed"] == (bool(extra_runs) and extra_runs[-1] == "failed")


def test_dates_and_ages_read_as_utc_and_hours_or_days():
    assert utc_text("2026-11-29T14:00:00+00:00") == "2026-11-29 14:00 UTC"
    assert utc_text("2026-11-29T15:30:59+01:00") == "2026-11-29 14:30 UTC"
    assert utc_text(None) == ""
    assert [age_text(h) for h in (0.25, 3.2, 47.4, 49, 9600.0, None)] == ["15 min", "3 h", "47 h", "2 d", "400 d", ""]


def test_the_overview_names_each_sources_data_age(services):
    recent = _minute(datetime.now(UTC)) - timedelta(hours=3)
    import_scryfall(services, SCRYFALL, as_of=recent)
    import_cardmarket(services, CARDMARKET)
    failed = services.runs.start("cardkingdom", "pricelist.json")
    services.runs.finish(failed, "failed", RunTotals(), "pricelist.json: not a Card Kingdom price list")
    now = recent + timedelta(hours=3)
    cardmarket_days = round((now - CARDMARKET_DATE).total_seconds() / 3600 / 24)

    texts = _texts(sources_figure(services.source_queries.status(now=now)))
    assert "1 fresh · 1 stale" in texts
    assert "scryfall 3 h" in texts
    assert f"cardmarket {cardmarket_days} d (stale)" in texts
    assert "cardkingdom never (failed)" in texts
    assert "mtgjson never" in texts
    assert f"newest data from {recent:%Y-%m-%d %H:%M} UTC" in texts
    assert "newest data from 2025-11-02 01:45 UTC" in texts

    # The market page's callback builds the same card from a live read.
    dash = DashRequests(create_app(services).server.test_client())
    response = dash.post("market-overview.children", _page_values(dash, "/"))
    assert response.status_code == 200
    texts = _texts(dash.outputs(response)["market-overview"]["children"])
    assert "scryfall 3 h" in texts and f"cardmarket {cardmarket_days} d (stale)" in texts


def test_the_sources_grid_shows_dates_ages_and_failures(services):
    as_of = _minute(datetime.now(UTC)) - timedelta(days=400)
    import_scryfall(services, SCRYFALL, as_of=as_of)
    failed = services.runs.start("scryfall", "default-cards-broken.json")
    services.runs.finish(failed, "failed", RunTotals(rejected=1), "default-cards-broken.json: malformed JSON")
    dash = DashRequests(create_app(services).server.test_client())
    response = dash.post("sources-grid.rowData", {})
    assert response.status_code == 200
    outputs = dash.outputs(response)
    row = next(r for r in outputs["sources-grid"]["rowData"] if r["source"] == "scryfall")
    shown = (row["freshness"], row["age_text"], row["data_date_text"])
    assert shown == ("stale", "400 d", utc_text(as_of.isoformat(), ""))
    assert (row["last_status"], row["last_error"]) == ("failed", "default-cards-broken.json: malformed JSON")
    alerts = " ".join(_texts(outputs["sources-status"]["children"]))
    assert "Last run failed: scryfall (failed)" in alerts and "Stale: scryfall (400 d old)" in alerts
