"""The collection and portfolio pages' other flows in a real browser, checked against PostgreSQL: selling
from the grid (the sale, the lot shrinking then going, the realized P&L to the cent), deleting (the
confirmation, and another user's lot refused), exporting in each app's format (the downloaded file), an
import cancelled at the preview, and the portfolio's value on each price basis. One app, one browser and
one sign-in serve the module; each test starts from the same lots. Screenshots of both pages at 390 and
1440 px in both themes go to /tmp/shots13b/ (set SHOTS13=0 to skip them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from app.bootstrap import Services, bootstrap
from app.server import create_app
from data.collection_formats import FORMATS, read
from data.domain import Condition, Finish, Language
from data.holdings import NewLot
from tests.conftest import FIXTURES, make_settings
from tests.dash_requests import UPDATE, Callback, _split
from tests.helpers import add_marketplaces, snap
from tests.test_collection_page import CONSIDER, EMAIL, LAPTOP, PASSWORD, _shots, _sign_in, _tab, _wait
from workers.imports import import_scryfall

JACE = "02d6d693-f1f3-4317-bcc0-c21fa8490d38"  # ORI #60
ADELINE = "18092f68-b96e-4084-9eba-b240d2195d81"  # MID #1
OTHER = "other@example.com"
SHOTS = Path("/tmp/shots13b")
PRICED_AT = datetime(2025, 11, 10, 12, tzinfo=UTC)  # after the Scryfall file's own prices: these are the latest
# Per basis: (marketplace slug, currency, {(scryfall id, finish): one copy's price}). Adeline has no buylist price.
PRICES = {
    "tcgplayer": (
        "tcgplayer",
        "USD",
        {(JACE, Finish.NONFOIL): "5.11", (CONSIDER, Finish.NONFOIL): "0.37", (ADELINE, Finish.FOIL): "4.49"},
    ),
    "cardmarket": (
        "cardmarket",
        "EUR",
        {(JACE, Finish.NONFOIL): "4.62", (CONSIDER, Finish.NONFOIL): "0.29", (ADELINE, Finish.FOIL): "6.05"},
    ),
    "cardkingdom_buylist": (
        "cardkingdom-buylist",
        "USD",
        {(JACE, Finish.NONFOIL): "3.40", (CONSIDER, Finish.NONFOIL): "0.10"},
    ),
}
# The signed-in user's lots: (scryfall id, quantity, finish, cost of one copy, cost currency).
LOTS = (
    (JACE, 3, Finish.NONFOIL, "12.50", "USD"),
    (CONSIDER, 4, Finish.NONFOIL, "0.25", "USD"),
    (ADELINE, 1, Finish.FOIL, "3.00", "EUR"),
)


@pytest.fixture(scope="module")
def world(database_url: str, redis_server: str) -> Iterator[Services]:
    """An emptied database with the Scryfall sample's catalog and this module's prices on all three bases."""
    built = bootstrap(make_settings(database_url, redis_server))
    with built.engine.begin() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
        ).scalars()
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    built.redis.flushdb()
    import_scryfall(built, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    markets = add_marketplaces(built)
    built.ingest(
        [
            snap(_card(built, scryfall_id), markets[slug], price, PRICED_AT, currency, finish=finish)
            for slug, currency, prices in PRICES.values()
            for (scryfall_id, finish), price in prices.items()
        ]
    )
    yield built
    built.close()


@pytest.fixture(scope="module")
def duo(request: pytest.FixtureRequest, world: Services, tmp_path_factory: pytest.TempPathFactory):
    """One server and one browser for the module, signed in as EMAIL; OTHER is registered too."""
    from dash.testing.application_runners import ThreadedRunner
    from dash.testing.composite import DashComposite

    option = request.config.getoption
    with (
        ThreadedRunner() as server,
        DashComposite(
            server=server,
            browser=option("webdriver"),
            remote=option("remote"),
            remote_url=option("remote_url"),
            headless=option("headless"),
            options=request.config.hook.pytest_setup_options(),
            download_path=str(tmp_path_factory.mktemp("download")),
            percy_assets_root=option("percy_assets"),
            percy_finalize=option("nopercyfinalize"),
            pause=option("pause"),
        ) as composite,
    ):
        composite.start_server(create_app(world))
        composite.driver.set_window_size(*LAPTOP)
        answer = httpx.post(f"{composite.server_url}/api/v1/auth/register", json={"email": OTHER, "password": PASSWORD})
        assert answer.status_code in (200, 201), answer.text
        _sign_in(composite, "/collection")
        yield composite


@pytest.fixture
def lots(world: Services, duo) -> dict[str, int]:
    """The signed-in user's LOTS and one lot of OTHER's (7 x Jace), nothing else, no sales: lot ids by name."""
    with world.engine.begin() as conn:
        conn.execute(text("DELETE FROM sales"))
        conn.execute(text("DELETE FROM lots"))
    mine = world.lots.add_many(
        _user(world, EMAIL),
        [
            NewLot(_card(world, s), q, f, acquired_price=Decimal(c), currency=cur, acquired_on=date(2025, 6, 1))
            for s, q, f, c, cur in LOTS
        ],
    )
    (theirs,) = world.lots.add_many(_user(world, OTHER), [NewLot(_card(world, JACE), 7, acquired_price=Decimal(1))])
    duo.get_logs()  # console errors count from here
    return {"jace": mine[0], "consider": mine[1], "adeline": mine[2], "theirs": theirs}


def _card(services: Services, scryfall_id: str) -> int:
    return services.cards.get_by_scryfall_id(scryfall_id).id


def _user(services: Services, email: str) -> int:
    with services.engine.connect() as conn:
        return conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email}).scalar_one()


def _scalar(services: Services, sql: str, **params: object) -> object:
    with services.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _errors(duo) -> list[str]:
    """Console errors, less the card images (the tests are offline)."""
    return [log["message"] for log in duo.get_logs() if "cards.scryfall.io" not in log["message"]]


def _open(duo, path: str, ready: str) -> None:
    duo.wait_for_page(f"{duo.server_url}{path}")
    duo.wait_for_element(ready, timeout=15)


def _rows(duo) -> set[int]:
    """The lot ids the grid shows."""
    ids = duo.driver.execute_script(  # in one go: the grid re-renders its rows under a row-by-row read
        "return [...document.querySelectorAll('#collection-grid .ag-center-cols-container .ag-row')]"
        ".map((row) => row.getAttribute('row-id'))"
    )
    return {int(i) for i in ids}


def _cell(duo, lot_id: int, column: str):
    return duo.find_element(f"#collection-grid .ag-center-cols-container .ag-row[row-id='{lot_id}'] [col-id={column}]")


def _select_row(duo, lot_id: int) -> None:
    _cell(duo, lot_id, "set").click()  # not the name: it is a link
    _wait(lambda: duo.find_element("#collection-sell-open").is_enabled())


def _pick(duo, select_id: str, label: str) -> None:
    """Open a Select and click its option `label`."""
    duo.find_element(f"#{select_id}").click()
    _wait(lambda: any(o.text == label for o in duo.find_elements(".mantine-Select-option")))
    next(o for o in duo.find_elements(".mantine-Select-option") if o.text == label).click()


def _type(duo, selector: str, value: str) -> None:
    box = duo.find_element(selector)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(value)


def _sell(duo, quantity: str, price: str, day: str) -> None:
    duo.find_element("#collection-sell-open").click()
    today = datetime.now(UTC).date().isoformat()  # the opened form's sale date: typing before it lands loses
    _wait(lambda: [e.get_attribute("value") for e in duo.find_elements("#collection-sell-date")] == [today])
    # The form starts afresh: not the quantity and price typed for an earlier sale (another card's, maybe).
    assert duo.find_element("#collection-sell-quantity").get_attribute("value") == "1"
    assert duo.find_element("#collection-sell-price").get_attribute("value") == ""
    _type(duo, "#collection-sell-quantity", quantity)
    _type(duo, "#collection-sell-price", price)
    _type(duo, "#collection-sell-date", day)
    duo.find_element("#collection-sell-confirm").click()


def test_selling_from_the_grid_records_the_sale_and_the_realized_pnl(duo, world, lots):
    jace = lots["jace"]
    _open(duo, "/collection", f"#collection-grid .ag-row[row-id='{jace}']")
    _select_row(duo, jace)

    # A price with a decimal comma: refused with the reason, the form stays open, nothing written.
    _sell(duo, "2", "20,00", "2025-11-15")
    duo.wait_for_contains_text("#collection-sell-status", "sale price must be an amount like 12.50, not '20,00'", 15)
    assert _scalar(world, "SELECT count(*) FROM sales") == 0
    duo.find_element("#collection-sell-cancel").click()
    _wait(lambda: not duo.find_elements("#collection-sell-confirm"))

    # 2 of the 3 at 20.00: the sale keeps the lot's cost, the lot keeps 1 copy.
    _sell(duo, "2", "20.00", "2025-11-15")
    duo.wait_for_contains_text(
        "#collection-edit-status", "Sold 2 x Jace, Vryn's Prodigy // Jace, Telepath Unbound at 20.00 USD; 1 left", 15
    )
    _wait(lambda: _cell(duo, jace, "quantity").text == "1")
    assert _scalar(world, "SELECT quantity FROM lots WHERE id = :id", id=jace) == 1

    # The last copy at 4.00 (below its cost): the lot goes, from the grid and from the database.
    _select_row(duo, jace)
    _sell(duo, "1", "4", "2025-11-16")
    duo.wait_for_contains_text("#collection-edit-status", "the lot is now empty and removed", timeout=15)
    _wait(lambda: jace not in _rows(duo))
    assert _rows(duo) == {lots["consider"], lots["adeline"]}
    assert _scalar(world, "SELECT count(*) FROM lots WHERE id = :id", id=jace) == 0
    with world.engine.connect() as conn:
        sales = conn.execute(
            text("SELECT lot_id, quantity, price, cost, currency, sold_on FROM sales WHERE user_id = :u ORDER BY id"),
            {"u": _user(world, EMAIL)},
        ).all()
    assert [tuple(sale) for sale in sales] == [
        (None, 2, Decimal("20.00"), Decimal("12.50"), "USD", date(2025, 11, 15)),  # their lot is gone: no lot id
        (None, 1, Decimal("4.00"), Decimal("12.50"), "USD", date(2025, 11, 16)),
    ]

    # Realized: 2 x (20.00 - 12.50) + 1 x (4.00 - 12.50) = +6.50 USD, from proceeds of 44.00 USD.
    pnl = sum(q * (price - cost) for _, q, price, cost, _, _ in sales)
    proceeds = sum(q * price for _, q, price, _, _, _ in sales)
    assert (pnl, proceeds) == (Decimal("6.50"), Decimal("44.00"))
    _open(duo, "/portfolio", "#portfolio-value-USD")
    summary = duo.find_element("#portfolio-summary").text
    assert f"REALIZED P&L\n+{pnl} USD\n2 sales, proceeds {proceeds} USD" in summary
    assert _errors(duo) == []


def _forged_delete(duo, lot_id: int) -> str:
    """The delete callback posted from the signed-in browser (its cookies and CSRF token) for a lot id the
    grid never showed, as a crafted request would; the answer's text."""
    dependencies = httpx.get(f"{duo.server_url}/_dash-dependencies").json()
    found = next(d for d in dependencies if "collection-delete-modal.opened" in d["output"])
    callback = Callback(
        output=found["output"],
        outputs=_split(found["output"]),
        inputs=[(i["id"], i["property"]) for i in found["inputs"]],
        state=[(s["id"], s["property"]) for s in found["state"]],
    )
    row = {"id": lot_id, "name": "Jace", "set": "ORI", "number": "60", "quantity": 7}
    row |= {"finish": "nonfoil", "condition": "NM", "language": "en"}
    body = callback.body(
        {("collection-delete-confirm", "n_clicks"): 1, ("collection-grid", "selectedRows"): [row]},
        changed=[("collection-delete-confirm", "n_clicks")],
    )
    answer = duo.driver.execute_async_script(
        """
        const [url, body, done] = arguments;
        const token = (document.cookie.match(/(?:^|; )_csrf_token=([^;]*)/) || [])[1] || '';
        fetch(url, {method: 'POST', body: body, credentials: 'same-origin',
                    headers: {'Content-Type': 'application/json', 'X-CSRFToken': decodeURIComponent(token)}})
            .then(async (r) => done(r.status + ' ' + await r.text()), (e) => done('failed ' + e));
        """,
        f"{duo.server_url}{UPDATE}",
        json.dumps(body),
    )
    return answer


def test_deleting_a_lot_asks_first_and_another_users_lot_is_refused(duo, world, lots):
    consider = lots["consider"]
    _open(duo, "/collection", f"#collection-grid .ag-row[row-id='{consider}']")
    _select_row(duo, consider)

    # "Keep it" keeps it.
    duo.find_element("#collection-delete-open").click()
    duo.wait_for_text_to_equal(
        "#collection-delete-text", "4 x Consider (MID #44, nonfoil, NM, en) will be removed from your collection.", 5
    )
    duo.find_element("#collection-delete-cancel").click()
    _wait(lambda: not duo.find_elements("#collection-delete-confirm"))
    assert _scalar(world, "SELECT count(*) FROM lots WHERE id = :id", id=consider) == 1

    duo.find_element("#collection-delete-open").click()
    duo.wait_for_element("#collection-delete-confirm", timeout=5).click()
    duo.wait_for_contains_text("#collection-edit-status", "Deleted 4 x Consider (MID #44, nonfoil, NM, en).", 15)
    _wait(lambda: consider not in _rows(duo))
    assert _rows(duo) == {lots["jace"], lots["adeline"]}
    assert _scalar(world, "SELECT count(*) FROM lots WHERE id = :id", id=consider) == 0
    duo.wait_for_text_to_equal("#collection-count", "2 lots, 4 copies.", timeout=15)

    # Another user's lot id, sent by the signed-in browser: refused as unknown, and it stays.
    theirs = lots["theirs"]
    answer = _forged_delete(duo, theirs)
    assert answer.startswith("200 ") and f"Not deleted: no lot with id {theirs}." in answer, answer
    assert _scalar(world, "SELECT quantity FROM lots WHERE id = :id", id=theirs) == 7
    assert _rows(duo) == {lots["jace"], lots["adeline"]}  # never shown to this user
    assert _errors(duo) == []


def _header(path: Path) -> bytes:
    """A CSV's bytes up to the end of its header line (past Dragon Shield's "sep=," line)."""
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    return b"".join(lines[:2]) if lines[0].startswith(b'"sep=') else lines[0]


def _downloaded(duo, name: str) -> Path:
    path = Path(duo.download_path) / name
    _wait(lambda: path.exists() and not Path(f"{path}.crdownload").exists())
    return path


def test_export_downloads_each_apps_exact_header_and_the_users_lots(duo, world, lots):
    with world.engine.connect() as conn:
        held = conn.execute(
            text(
                "SELECT c.name, c.set_code, c.collector_number, l.quantity, l.finish::text, l.condition::text,"
                " l.language::text, l.acquired_price, l.currency FROM lots l JOIN cards c ON c.id = l.card_id"
                " WHERE l.user_id = :u ORDER BY l.id"
            ),
            {"u": _user(world, EMAIL)},
        ).all()
    assert len(held) == len(LOTS)
    _open(duo, "/collection", "#collection-grid .ag-row")
    _tab(duo, "Export")
    day = datetime.now(UTC).date().isoformat()
    for name, app in FORMATS.items():
        _pick(duo, "collection-export-format", app.label)
        duo.find_element("#collection-export").click()
        duo.wait_for_contains_text("#collection-export-status", f"{len(held)} lots written as {app.label} CSV.", 15)
        path = _downloaded(duo, f"cardcharts-{name}-{day}.csv")
        # The header byte for byte as the app's own export has it (tests/fixtures/collections: real exports).
        assert _header(path) == _header(FIXTURES / "collections" / f"{name}.csv"), name
        parsed = read(path.read_bytes(), path.name)
        assert parsed.format == name and parsed.problems == [], (name, parsed.problems)
        # Each row is one of the user's lots, in order; OTHER's 7 x Jace is not there.
        carried = app.carries
        for row, lot in zip(parsed.rows, held, strict=True):
            assert row.name == lot.name and row.set_code == lot.set_code, name
            assert (row.collector_number, row.quantity) == (lot.collector_number, lot.quantity), name
            if "finish" in carried:
                assert row.finish is Finish(lot.finish), name
            if "condition" in carried:
                assert row.condition is Condition(lot.condition), name
            if "language" in carried:
                assert row.language is Language(lot.language), name
            if "price" in carried:  # Deckbox's My Price is in dollars: a price in euros is left out
                dollars_only = name == "deckbox" and lot.currency != "USD"
                assert row.price == (None if dollars_only else lot.acquired_price), name
            if "currency" in carried and row.price is not None:
                assert row.currency == lot.currency, name
        path.unlink()
    assert _errors(duo) == []


def test_an_import_cancelled_at_the_preview_writes_nothing(duo, world, lots):
    _open(duo, "/collection", "#collection-grid .ag-row")
    count = "SELECT count(*) FROM lots"
    before = _scalar(world, count)
    assert before == len(LOTS) + 1
    _tab(duo, "Import")
    upload = duo.find_element("#collection-upload input[type=file]")
    upload.send_keys(str(FIXTURES / "collections" / "moxfield.csv"))
    duo.wait_for_contains_text("#import-summary", "Moxfield file: 3 rows matched (4 copies), 2 left out", 15)
    duo.find_element("#collection-import-cancel").click()
    duo.wait_for_contains_text("#collection-import-status", "Import cancelled: nothing was written.", timeout=15)
    _wait(lambda: not duo.find_elements("#import-summary"))
    assert not duo.find_element("#collection-import-confirm").is_displayed()
    assert _scalar(world, count) == before
    _tab(duo, "Lots")
    duo.wait_for_text_to_equal("#collection-count", "3 lots, 8 copies.", timeout=15)

    # The same file chosen again previews again. (Opening the file dialog empties the input; sending keys
    # to the input skips the dialog, so the test empties it.)
    _tab(duo, "Import")
    duo.driver.execute_script("arguments[0].value = ''", upload)
    upload.send_keys(str(FIXTURES / "collections" / "moxfield.csv"))
    duo.wait_for_contains_text("#import-summary", "Moxfield file: 3 rows matched (4 copies), 2 left out", 15)
    duo.find_element("#collection-import-cancel").click()
    duo.wait_for_contains_text("#collection-import-status", "Import cancelled", timeout=15)
    assert _scalar(world, count) == before
    assert _errors(duo) == []


def _expected(basis: str) -> tuple[str, Decimal, list[str]]:
    """The value of LOTS on a basis from PRICES: currency, amount, and the cards left unpriced."""
    _, currency, prices = PRICES[basis]
    total, unpriced = Decimal(0), []
    for scryfall_id, quantity, finish, _, _ in LOTS:
        price = prices.get((scryfall_id, finish))
        if price is None:
            unpriced.append(scryfall_id)
        else:
            total += quantity * Decimal(price)
    return currency, total, unpriced


def test_switching_the_price_basis_shows_each_bases_value_to_the_cent(duo, world, lots):
    _open(duo, "/portfolio", "#portfolio-value-USD")
    figures = {}
    for basis, label in (
        ("tcgplayer", "TCGplayer market"),
        ("cardmarket", "Cardmarket trend"),
        ("cardkingdom_buylist", "Card Kingdom buylist"),
        ("tcgplayer", "TCGplayer market"),
    ):
        if duo.find_element("#portfolio-basis").get_attribute("value") != label:
            _pick(duo, "portfolio-basis", label)
        currency, amount, unpriced = _expected(basis)
        shown = f"{amount:.2f} {currency}"
        duo.wait_for_text_to_equal(f"#portfolio-value-{currency}", shown, timeout=15)
        figures[basis] = shown
        other = "EUR" if currency == "USD" else "USD"  # lots bought in both currencies: both panels show
        assert duo.find_element(f"#portfolio-value-{other}").text == "—", basis
        alert = duo.find_elements("#portfolio-unpriced-alert")
        if unpriced:
            assert "1 lot (1 copy) has no price on this basis (Card Kingdom buylist)" in alert[0].text
            assert "Adeline, Resplendent Cathar (MID #1) · foil, NM, en · 1 copy" in alert[0].text
        else:
            assert alert == [], basis
    # 3 x 5.11 + 4 x 0.37 + 4.49; 3 x 4.62 + 4 x 0.29 + 6.05; 3 x 3.40 + 4 x 0.10 (Adeline unpriced).
    assert figures == {"tcgplayer": "21.30 USD", "cardmarket": "21.07 EUR", "cardkingdom_buylist": "10.60 USD"}

    # The collection grid follows its own basis picker the same way: Jace at 3 x 4.62 EUR.
    _open(duo, "/collection?basis=cardmarket", f"#collection-grid .ag-row[row-id='{lots['jace']}']")
    _wait(lambda: _cell(duo, lots["jace"], "value").text == "13.86 EUR")
    _pick(duo, "collection-basis", "Card Kingdom buylist")
    _wait(lambda: _cell(duo, lots["jace"], "value").text == "10.20 USD")
    assert _cell(duo, lots["adeline"], "value").text == "no price"
    assert _errors(duo) == []


def _right_gap(duo, lot_id: int, column: str) -> float:
    """Pixels between a grid cell's text and the cell's right edge."""
    return duo.driver.execute_script(
        """
        const cell = arguments[0], range = document.createRange();
        range.selectNodeContents(cell);
        return cell.getBoundingClientRect().right - range.getBoundingClientRect().right;
        """,
        _cell(duo, lot_id, column),
    )


def test_amounts_align_right_and_the_pages_screenshots(duo, world, lots):
    world.lots.sell(_user(world, EMAIL), lots["consider"], 1, Decimal("0.90"), "USD", date(2025, 11, 12))
    _open(duo, "/collection", f"#collection-grid .ag-row[row-id='{lots['jace']}']")
    # Numbers line up on the right like their headers, editable (Qty, Cost) or not (Price, Value).
    gaps = {column: _right_gap(duo, lots["jace"], column) for column in ("quantity", "cost", "unit_price", "value")}
    assert all(gap < 24 for gap in gaps.values()), gaps
    _shots(duo, "collection", "#collection-grid .ag-row", SHOTS, whole=True)
    _open(duo, "/portfolio", "#portfolio-value-USD")
    _shots(duo, "portfolio", "#portfolio-history-graph .main-svg", SHOTS, whole=True)
    assert _errors(duo) == []
