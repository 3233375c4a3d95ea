"""The card page in a real browser takes a new price from /ws without a reload."""

from __future__ import annotations

import gzip
import json
import time

from app.server import create_app
from tests.conftest import FIXTURES
from workers.imports import import_scryfall

LIVE_STATUS = "return document.getElementById('live-status')?.textContent"  # null until the header renders

CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"
TCG_NONFOIL = "TCGplayer · nonfoil · NM · en"


def _trace(dash_duo, name: str) -> dict:
    """The chart's trace of that name; {} while the chart is not drawn yet (or is drawn without it)."""
    traces = dash_duo.driver.execute_script(
        "const plot = document.querySelector('#card-history-graph .js-plotly-plot'); return plot && plot.data"
    )
    return next((t for t in traces or [] if t.get("name") == name), {})


def _wait(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_card_chart_gains_the_imported_point_without_a_reload(dash_duo, services, scryfall_objects, tmp_path):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    card = services.cards.get_by_scryfall_id(CONSIDER).id
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card?id={card}&range=24h&currency=USD")
    _wait(lambda: dash_duo.driver.execute_script(LIVE_STATUS) == "live")
    _wait(lambda: _trace(dash_duo, TCG_NONFOIL).get("y") == [0.36])
    dash_duo.driver.execute_script("window.notReloaded = true")

    consider = next(o for o in scryfall_objects if o["id"] == CONSIDER)
    next_day = tmp_path / "scryfall-cards-2025-11-02.jsonl.gz"
    with gzip.open(next_day, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({**consider, "prices": {**consider["prices"], "usd": "0.41"}}) + "\n")
    import_scryfall(services, next_day)

    _wait(lambda: _trace(dash_duo, TCG_NONFOIL).get("y") == [0.36, 0.41])
    trace = _trace(dash_duo, TCG_NONFOIL)
    assert trace["x"][-1].startswith("2025-11-02T00:00:00")
    assert trace["customdata"][-1] == ["0.41", "USD"]
    assert dash_duo.driver.execute_script("return window.notReloaded") is True
    dash_duo.wait_for_contains_text("#card-latest-grid", "0.41", timeout=15)  # the grid refetched too
    logs = [log for log in dash_duo.get_logs() if "cards.scryfall.io" not in log["message"]]
    assert logs == []
