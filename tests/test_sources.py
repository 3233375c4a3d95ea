"""The sources page: newest run per source, rows, errors and staleness."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from app.server import create_app
from data.repositories.source_runs import RunTotals
from tests.conftest import FIXTURES
from workers.imports import import_scryfall


def test_status_reports_freshness_per_source(services):
    report = import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    failed = services.runs.start("cardmarket", "price_guide_1.json")
    services.runs.finish(failed, "failed", RunTotals(rejected=2), "price_guide_1.json near byte 59: malformed JSON")
    with services.engine.connect() as conn:
        finished = conn.execute(
            text("SELECT finished_at FROM source_runs WHERE id = :id"), {"id": report.run_id}
        ).scalar()
    rows = {row["source"]: row for row in services.source_queries.status(now=finished + timedelta(hours=30))}
    assert set(rows) == {"scryfall", "mtgjson", "cardmarket", "cardkingdom"}
    assert (rows["scryfall"]["freshness"], rows["scryfall"]["age_hours"]) == ("fresh", 30.0)
    assert rows["scryfall"]["rows_inserted"] == 1964
    assert rows["scryfall"]["file_date"].startswith("2025-11-01")
    assert (rows["cardmarket"]["freshness"], rows["cardmarket"]["last_status"]) == ("never", "failed")
    assert "malformed JSON" in rows["cardmarket"]["last_error"]
    assert rows["mtgjson"]["last_status"] is None
    later = {row["source"]: row for row in services.source_queries.status(now=finished + timedelta(hours=49))}
    assert later["scryfall"]["freshness"] == "stale"


def test_sources_page_lists_the_runs(dash_duo, services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/sources")
    dash_duo.wait_for_contains_text("#sources-grid", "scryfall", timeout=15)
    grid = dash_duo.find_element("#sources-grid").text
    assert "succeeded" in grid and "1964" in grid.replace(",", "")
    assert "never" in grid  # mtgjson, cardmarket, cardkingdom have not run
    assert dash_duo.get_logs() == []
