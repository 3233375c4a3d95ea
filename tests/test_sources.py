"""The sources page: newest run per source, rows, errors and staleness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.server import create_app
from data.repositories.source_runs import RunTotals
from tests.conftest import FIXTURES
from workers.imports import import_scryfall


def test_status_reports_freshness_per_source(services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    failed = services.runs.start("cardmarket", "price_guide_1.json")
    services.runs.finish(failed, "failed", RunTotals(rejected=2), "price_guide_1.json near byte 59: malformed JSON")
    file_date = datetime(2025, 11, 1, tzinfo=UTC)  # from the file's name: ages count from it, not from the run
    rows = {row["source"]: row for row in services.source_queries.status(now=file_date + timedelta(hours=30))}
    assert set(rows) == {"scryfall", "mtgjson", "cardmarket", "cardkingdom"}
    assert (rows["scryfall"]["freshness"], rows["scryfall"]["age_hours"]) == ("fresh", 30.0)
    assert rows["scryfall"]["rows_inserted"] == 1964
    assert rows["scryfall"]["file_date"] == file_date.isoformat()
    assert (rows["cardmarket"]["freshness"], rows["cardmarket"]["last_status"]) == ("never", "failed")
    assert rows["cardmarket"]["last_failed"] is True
    assert "malformed JSON" in rows["cardmarket"]["last_error"]
    assert rows["mtgjson"]["last_status"] is None
    later = {row["source"]: row for row in services.source_queries.status(now=file_date + timedelta(hours=49))}
    assert later["scryfall"]["freshness"] == "stale"


def test_sources_page_lists_the_runs(dash_duo, services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/sources")
    dash_duo.wait_for_contains_text("#sources-grid", "scryfall", timeout=15)
    grid = dash_duo.find_element("#sources-grid").text
    assert "succeeded" in grid and "1964" in grid.replace(",", "")
    assert "never" in grid  # mtgjson, cardmarket, cardkingdom have not run
    assert "2025-11-01 00:00" in grid and "stale" in grid  # the file's date, long past (UTC, the header says)
    headers = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('#sources-grid .ag-header-cell-text')].map((h) => h.innerText)"
    )
    assert "Newest data (UTC)" in headers and "Started (UTC)" in headers
    assert dash_duo.get_logs() == []
