"""The collection, portfolio and alerts pages in a real browser: a signed-out visitor is asked to log in;
a signed-in user imports a collection file (preview first, nothing written before the confirm), adds a
card, has an edit refused, sees the portfolio's value to the cent and follows a price landing live,
creates an alert rule and receives its alert live. Screenshots of each page at 390 and 1440 px in both
themes go to /tmp/shots13/ (set SHOTS13=0 to skip them)."""

from __future__ import annotations

import base64
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from app.server import create_app
from tests.conftest import FIXTURES
from tests.helpers import snap
from workers.imports import import_mtgjson, import_scryfall

LIVE_STATUS = "return document.getElementById('live-status')?.textContent"  # null until the header renders

CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"  # MID #44: TCGplayer 0.35 USD on 2025-11-03
EMAIL, PASSWORD = "collector@example.com", "correct horse battery"
PHONE, LAPTOP = (390, 844), (1440, 900)
SHOTS = Path("/tmp/shots13")


def _wait(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _errors(dash_duo) -> list[str]:
    """Console errors, less the card images (the tests are offline) and the favicon the /login page lacks."""
    found = [
        log["message"]
        for log in dash_duo.get_logs()
        if "cards.scryfall.io" not in log["message"] and "favicon.ico" not in log["message"]  # /login has none
    ]
    Path("/tmp/shots13-console.txt").write_text("\n\n".join(found))
    return found


@pytest.fixture
def loaded(services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    mtgjson = FIXTURES / "mtgjson"
    import_mtgjson(services, mtgjson / "AllPrices-sample.json", [mtgjson / "AllIdentifiers-sample.json"])
    return services


def _sign_in(dash_duo, next_path: str) -> None:
    """Register through the API, then log in through the /login form, as a person would."""
    answer = httpx.post(f"{dash_duo.server_url}/api/v1/auth/register", json={"email": EMAIL, "password": PASSWORD})
    assert answer.status_code in (200, 201), answer.text
    dash_duo.driver.get(f"{dash_duo.server_url}/login?next={next_path}")
    dash_duo.wait_for_element("input[name=email]", timeout=10).send_keys(EMAIL)
    dash_duo.find_element("input[name=password]").send_keys(PASSWORD)
    dash_duo.find_element("form.cc-form button[type=submit]").click()
    _wait(lambda: dash_duo.driver.current_url.endswith(next_path))


def _choose(dash_duo, select_id: str, typed: str, option: str) -> None:
    """Type into a searchable Select and click the option that contains `option`."""
    box = dash_duo.find_element(f"#{select_id}")
    box.send_keys(typed)
    _wait(lambda: any(option in o.text for o in dash_duo.find_elements(".mantine-Select-option")))
    next(o for o in dash_duo.find_elements(".mantine-Select-option") if option in o.text).click()


def _tab(dash_duo, name: str) -> None:
    next(t for t in dash_duo.find_elements("#collection-tabs [role=tab]") if t.text == name).click()


def _save_full_page(driver, path: Path) -> None:
    """The whole page, below the fold too (the viewport shot stops at the window's height)."""
    height = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]["height"]
    width = driver.execute_script("return window.innerWidth")  # the capture drops the scrollbar: lay out at it
    clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "clip": clip})
    path.write_bytes(base64.b64decode(shot["data"]))


def _shots(dash_duo, name: str, ready: str, folder: Path = SHOTS, whole: bool = False) -> None:
    """The page at a phone's and a laptop's width in both themes (`whole`: also the whole page, below the
    fold); none scrolls sideways."""
    if os.environ.get("SHOTS13") == "0":
        return
    folder.mkdir(exist_ok=True)
    driver = dash_duo.driver
    for scheme in ("light", "dark"):
        switch = driver.find_element(By.ID, "color-scheme-switch")
        if switch.is_selected() != (scheme == "dark"):
            driver.execute_script("arguments[0].click()", switch)
            _wait(lambda wanted=scheme: driver.execute_script("return document.body.dataset.agThemeMode") == wanted)
        for width, height in (PHONE, LAPTOP):
            driver.set_window_size(width, height)
            time.sleep(0.8)
            dash_duo.wait_for_element(ready, timeout=10)
            overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (name, scheme, width)
            driver.save_screenshot(str(folder / f"{name}-{width}-{scheme}.png"))
            if whole:
                _save_full_page(driver, folder / f"{name}-{width}-{scheme}-full.png")
    switch = driver.find_element(By.ID, "color-scheme-switch")
    if switch.is_selected():
        driver.execute_script("arguments[0].click()", switch)
    driver.set_window_size(*LAPTOP)


def test_signed_out_visitors_are_asked_to_log_in(dash_duo, services):
    dash_duo.start_server(create_app(services))
    for path, what in (("/collection", "collection"), ("/portfolio", "portfolio"), ("/alerts", "price alerts")):
        dash_duo.wait_for_page(f"{dash_duo.server_url}{path}")
        dash_duo.wait_for_contains_text("#sign-in-prompt", f"Log in to see your {what}", timeout=15)
        link = dash_duo.find_element("#sign-in-link").get_attribute("href")
        assert link == f"{dash_duo.server_url}/login?next={path}"
    _shots(dash_duo, "signed-out", "#sign-in-prompt")
    assert _errors(dash_duo) == []


def test_import_add_edit_and_the_portfolio_to_the_cent(dash_duo, loaded):
    consider = loaded.cards.get_by_scryfall_id(CONSIDER).id
    dash_duo.start_server(create_app(loaded))
    dash_duo.driver.set_window_size(*LAPTOP)
    _sign_in(dash_duo, "/collection")
    dash_duo.wait_for_contains_text("#collection-status", "No lots yet", timeout=15)

    # Import: the preview names the app, the matched rows and the rows left out with line and reason.
    _tab(dash_duo, "Import")
    upload = dash_duo.find_element("#collection-upload input[type=file]")
    upload.send_keys(str(FIXTURES / "collections" / "moxfield.csv"))
    dash_duo.wait_for_contains_text("#import-summary", "Moxfield file: 3 rows matched (4 copies), 2 left out", 15)
    left_out = dash_duo.find_element("#import-unmatched").text
    assert "ltr #100 has no etched finish" in left_out and "Count: quantity 'x2' is not a whole number" in left_out
    assert [row.text.split(" ")[0] for row in dash_duo.find_elements("#import-unmatched tbody tr")] == ["5", "6"]
    assert dash_duo.find_element("#collection-import-confirm").text == "Import 3 lots"
    with loaded.engine.connect() as conn:  # nothing is written before the confirm
        assert conn.exec_driver_sql("SELECT count(*) FROM lots").scalar_one() == 0
    _shots(dash_duo, "collection-import", "#import-summary")
    dash_duo.find_element("#collection-import-confirm").click()
    dash_duo.wait_for_contains_text("#collection-edit-status", "Imported 3 lots (4 copies)", timeout=15)
    dash_duo.wait_for_contains_text("#collection-count", "3 lots, 4 copies.", timeout=15)
    grid = dash_duo.find_element("#collection-grid").text
    assert "9.56 USD" in grid and "4.78 USD" in grid  # Jace ORI #60 NM: 2 x 4.78 (TCGplayer market)

    # Add 4 Consider at 0.25 each.
    _tab(dash_duo, "Add")
    _choose(dash_duo, "collection-add-card", "Consid", "Consider — MID #44")
    quantity = dash_duo.find_element("#collection-add-quantity")
    quantity.send_keys(Keys.CONTROL, "a")
    quantity.send_keys("4")
    dash_duo.find_element("#collection-add-cost").send_keys("0.25")
    dash_duo.find_element("#collection-add-date").send_keys("2025-10-01")
    dash_duo.find_element("#collection-add").click()
    dash_duo.wait_for_contains_text("#collection-add-status", "Added 4 x Consider (nonfoil, NM, en).", timeout=15)
    _tab(dash_duo, "Lots")
    dash_duo.wait_for_contains_text("#collection-count", "4 lots, 8 copies.", timeout=15)

    # A refused edit says why and puts the stored value back.
    cell = dash_duo.find_element(f"#collection-grid .ag-row[row-id='{_lot_of(loaded, consider)}'] [col-id=quantity]")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    cell.click()
    cell.send_keys(Keys.ENTER)
    editor = dash_duo.wait_for_element("#collection-grid .ag-cell-inline-editing input", timeout=5)
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys("0", Keys.ENTER)
    dash_duo.wait_for_contains_text("#collection-edit-status", "quantity must be a whole number", timeout=15)
    _wait(lambda: cell.text == "4")
    _shots(dash_duo, "collection", "#collection-grid .ag-row")

    # The portfolio: 9.56 + 4 x 0.35 = 10.96 USD; cost 25.99 + 1.00; P&L over the priced, costed lots.
    dash_duo.wait_for_page(f"{dash_duo.server_url}/portfolio")
    dash_duo.wait_for_text_to_equal("#portfolio-value-USD", "10.96 USD", timeout=15)
    summary = dash_duo.find_element("#portfolio-summary").text
    assert "26.99 USD" in summary  # cost basis: 2 x 12.50 + 0.99 + 4 x 0.25
    assert "-15.04 USD" in summary  # 10.96 against 26.00 (the 0.99 lot has no price)
    unpriced = dash_duo.find_element("#portfolio-unpriced-alert").text
    assert "2 lots (2 copies) have no price on this basis (TCGplayer market price)" in unpriced
    assert "Okaun, Eye of Chaos (BBD #6) · foil, LP, ja · 1 copy" in unpriced
    traces = dash_duo.driver.execute_script(
        "return document.querySelector('#portfolio-history-graph .js-plotly-plot').data"
    )
    assert [t["name"] for t in traces] == ["Value, USD"]
    assert traces[0]["customdata"][-1][:2] == ["10.96", "USD"]  # the last day is the value now
    _wait(lambda: dash_duo.driver.execute_script(LIVE_STATUS) == "live")
    _shots(dash_duo, "portfolio", "#portfolio-history-graph .main-svg")

    # A new TCGplayer price of a held card lands: the page refetches by itself (4 x 0.50 instead of 4 x 0.35).
    tcgplayer = loaded.marketplaces.by_slug("tcgplayer").id
    loaded.ingest([snap(consider, tcgplayer, "0.50", datetime(2025, 11, 4, 12, tzinfo=UTC))])
    dash_duo.wait_for_text_to_equal("#portfolio-value-USD", "11.56 USD", timeout=15)
    assert _errors(dash_duo) == []


def _lot_of(services, card_id: int) -> int:
    with services.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT id FROM lots WHERE card_id = %s", (card_id,)).scalar_one()


def test_an_alert_rule_and_its_alert_arriving_live(dash_duo, loaded):
    consider = loaded.cards.get_by_scryfall_id(CONSIDER).id
    dash_duo.start_server(create_app(loaded))
    dash_duo.driver.set_window_size(*LAPTOP)
    _sign_in(dash_duo, "/alerts")
    dash_duo.wait_for_contains_text("#alerts-rules", "No rules yet", timeout=15)
    _choose(dash_duo, "alerts-card", "Consid", "Consider — MID #44")
    dash_duo.find_element("#alerts-level").send_keys("0.40")
    dash_duo.find_element("#alerts-create").click()
    dash_duo.wait_for_contains_text("#alerts-create-status", "Rule created", timeout=15)
    dash_duo.wait_for_contains_text("#alerts-rules-table", "above 0.40", timeout=15)
    assert "Consider (MID #44)" in dash_duo.find_element("#alerts-rules-table").text
    _wait(lambda: dash_duo.driver.execute_script(LIVE_STATUS) == "live")

    tcgplayer = loaded.marketplaces.by_slug("tcgplayer").id
    loaded.ingest([snap(consider, tcgplayer, "0.50", datetime(2025, 11, 4, 12, tzinfo=UTC))])
    dash_duo.wait_for_contains_text("#alerts-inbox", "0.50 USD, above 0.40", timeout=15)
    assert "Consider (MID #44) · TCGplayer nonfoil NM en" in dash_duo.find_element("#alerts-inbox").text
    _shots(dash_duo, "alerts", "#alerts-rules-table")
    dash_duo.find_element("#alerts-inbox button").click()  # mark read
    _wait(lambda: "· read" in dash_duo.find_element("#alerts-inbox").text)

    # A bad level is refused with the reason, and nothing is stored.
    dash_duo.find_element("#alerts-level").send_keys(Keys.CONTROL, "a")
    dash_duo.find_element("#alerts-level").send_keys("-3")
    dash_duo.find_element("#alerts-create").click()
    dash_duo.wait_for_contains_text("#alerts-create-status", "level must be a price above 0", timeout=15)
    assert len(loaded.alert_rules.list(_user(loaded))) == 1
    assert _errors(dash_duo) == []


def _user(services) -> int:
    with services.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT id FROM users WHERE email = %s", (EMAIL,)).scalar_one()
