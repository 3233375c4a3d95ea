"""The bulk (staged JSON) path of an MTGJSON import stores exactly what the per-row path stores.

Each file is imported twice over the same catalog, once through the per-row reader
(`mtgjson.read`) and once as `cardcharts import mtgjson` does (`mtgjson.read_staged`), and
everything a run leaves behind is compared: raw rows, the four rollups, latest prices,
variant days, the market index, outlier flags, marketplaces, the run's report and the
prices published per card.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from data.domain import MalformedInput
from data.staged import StagedPrices
from tests.conftest import FIXTURES
from tests.helpers import EVERY_DAY
from workers.imports import import_scryfall, link_mtgjson_identities
from workers.sources import mtgjson

PRICES = FIXTURES / "mtgjson" / "AllPrices-sample.json"
IDENTIFIERS = FIXTURES / "mtgjson" / "AllIdentifiers-sample.json"
SCRYFALL = FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz"
CONSIDER = "5f8a2c9e-1b2d-5a4e-9c3f-000000000001"
DELUGE = "5f8a2c9e-1b2d-5a4e-9c3f-000000000002"
# A second uuid of Consider's printing (MTGJSON gives each face of a card a uuid of its own).
CONSIDER_TOO = "5f8a2c9e-1b2d-5a4e-9c3f-0000000000aa"

TABLES = {
    "price_snapshots": "time, card_id, marketplace_id",
    "card_prices_hourly": "bucket, card_id, marketplace_id",
    "market_index_30min": "bucket",
    "market_index_hourly": "bucket",
    "market_index_daily": "bucket",
    "latest_prices": "card_id, marketplace_id",
    "variant_days": "day, card_id, marketplace_id",
    "market_index": "resolution, currency, kind, key, bucket",
    "price_outliers": "bucket, card_id",
    "format_volume": "currency, format",
    "market_totals": "currency",
    "marketplaces": "id",
}
RELATIONS = {"variant_days": EVERY_DAY}  # the days stored, and those read from lone hours


def _days(first: int, count: int) -> list[str]:
    return [f"2025-10-{day:02d}" for day in range(first, first + count)]


def _quirky_prices(shift: Decimal = Decimal(0)) -> dict:
    """The sample's entries and more: many days, nulls, zeros, cents to round half to even,
    integers, exponents, a second uuid of one printing, parts the per-row path must reject
    (a negative price, a day that is no date, an unknown finish, a list of prices, a bad
    currency) beside plain parts of the same entry, and an unknown uuid."""
    document = json.loads(PRICES.read_text(), parse_float=Decimal)
    data = document["data"]

    def series(base: str, days: list[str]) -> dict:
        return {day: Decimal(base) + shift + Decimal(n) / 100 for n, day in enumerate(days)}

    consider = data[CONSIDER]["paper"]
    consider["tcgplayer"]["retail"]["normal"].update(series("0.30", _days(1, 25)))
    consider["tcgplayer"]["retail"]["etched"] = {"2025-10-05": Decimal("1.125"), "2025-10-06": Decimal("1.135")}
    consider["cardkingdom"]["buylist"]["foil"] = {"2025-10-07": None, "2025-10-08": 0, "2025-10-09": 2}
    consider["cardmarket"]["retail"]["foil"].update({"2025-10-10": Decimal("1E+1"), "2025-10-11": Decimal("0.005")})
    data[CONSIDER_TOO] = {
        "paper": {
            "tcgplayer": {"retail": {"normal": series("0.30", _days(1, 25))}, "currency": "USD"},
            "cardmarket": {
                "retail": {"normal": {"2025-10-02": Decimal("0.25") + shift}, "foil": {"2025-11-03": "1.4", "x": 1}},
                "buylist": [],
            },
        }
    }
    deluge = data[DELUGE]["paper"]
    deluge["tcgplayer"]["retail"]["normal"].update(series("0.15", _days(3, 20)))
    deluge["tcgplayer"]["retail"]["etched"] = {"2025-10-04": Decimal("-1"), "2025-10-05": Decimal("0.5")}
    deluge["cardkingdom"] = {"retail": {"normal": {"2025-10-01": 1, "not a day": 2}, "foil": [1]}, "currency": "USD"}
    deluge["manapool"] = {"retail": {"normal": series("0.20", _days(1, 9)), "gilded": {}}, "currency": "usd"}
    deluge["cardmarket"] = {"retail": {"normal": {"2025-10-06": Decimal("0.31"), "2025-10-07": None}}, "currency": ""}
    data["5f8a2c9e-1b2d-5a4e-9c3f-00000000000f"] = {
        "paper": {"tcgplayer": {"retail": {"normal": series("3", _days(1, 3))}}}
    }
    return document


def _write(document: dict, path: Path) -> Path:
    """JSON with exact decimals (json.dumps would write a Decimal as a string)."""

    def encode(value):
        if isinstance(value, dict):
            return "{" + ",".join(f"{json.dumps(k)}:{encode(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ",".join(encode(v) for v in value) + "]"
        if isinstance(value, Decimal):
            return str(value)
        return json.dumps(value)

    path.write_text(encode(document))
    return path


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    first = _write(_quirky_prices(), tmp_path / "AllPrices.json")
    second = _write(_quirky_prices(Decimal("0.02")), tmp_path / "AllPrices-2.json")
    identifiers = json.loads(IDENTIFIERS.read_text())
    identifiers["data"][CONSIDER_TOO] = {
        "identifiers": dict(identifiers["data"][CONSIDER]["identifiers"]),
        "uuid": CONSIDER_TOO,
    }
    linked = tmp_path / "AllIdentifiers.json"
    linked.write_text(json.dumps(identifiers))
    return first, second, linked


def _reset(services) -> None:
    with services.engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE cards, card_identities, marketplaces, price_snapshots, source_runs, market_index_30min,"
                " market_index_hourly, market_index_daily, card_prices_hourly, latest_prices, format_volume,"
                " market_totals, market_index, price_outliers, variant_days RESTART IDENTITY CASCADE"
            )
        )
    services.imports._marketplace_ids.clear()  # the run's cache of the ids just emptied


def _stored(services) -> dict[str, list[str]]:
    with services.engine.connect() as conn:
        stored = {
            table: conn.execute(text(f"SELECT t::text FROM {RELATIONS.get(table, table)} t ORDER BY {order}, t::text"))
            .scalars()
            .all()
            for table, order in TABLES.items()
        }
        stored["source_runs"] = [
            json.dumps(row, default=str, sort_keys=True)
            for row in conn.execute(
                text(
                    "SELECT id, source, status, file_name, rows_inserted, rows_updated, rows_unchanged, rows_rejected,"
                    " rejections, error FROM source_runs ORDER BY id"
                )
            ).mappings()
        ]
    return stored


def _import(services, reader, paths: list[Path], identifiers: Path) -> tuple[dict, list, list]:
    """From the same start each time: the Scryfall sample (whose TCGplayer prices some of MTGJSON's
    repeat) and the linked uuids."""
    _reset(services)
    import_scryfall(services, SCRYFALL)
    link_mtgjson_identities(services, [identifiers])
    published: list[dict] = []
    publish = services.ingest.publisher.cards

    def recording(updates: dict) -> None:
        published.append(updates)
        publish(updates)

    services.ingest.publisher.cards = recording
    try:
        reports = [
            services.imports(mtgjson.SOURCE, reader(path), file_name=path.name, file_date=mtgjson.file_date(path))
            for path in paths
        ]
    finally:
        services.ingest.publisher.cards = publish
    return _stored(services), [report.lines() for report in reports], _merged(published)


def _merged(published: list[dict]) -> list:
    """Per card, every variant published, whatever the batches."""
    variants: dict[int, list] = {}
    for updates in published:
        for card_id, update in updates.items():
            variants.setdefault(card_id, []).extend(update["price_data"]["variants"])
    return sorted((card_id, sorted(map(json.dumps, found))) for card_id, found in variants.items())


@pytest.mark.parametrize("quirky", [False, True], ids=["sample", "quirky"])
def test_the_staged_path_stores_what_the_per_row_path_stores(services, tmp_path, quirky):
    if quirky:
        first, second, identifiers = _files(tmp_path)
        paths = [first, second, first]  # new rows, then changed prices, then the first prices again
    else:
        first, identifiers, paths = PRICES, IDENTIFIERS, [PRICES, PRICES]
    items = list(mtgjson.read_staged(first))
    assert sum(isinstance(item, StagedPrices) for item in items) >= 3  # the bulk path is taken

    per_row = _import(services, mtgjson.read, paths, identifiers)
    staged = _import(services, mtgjson.read_staged, paths, identifiers)

    assert staged[1] == per_row[1]  # the runs' reports, rejections and their examples included
    assert staged[0] == per_row[0]
    assert staged[2] == per_row[2]
    assert len(per_row[0]["price_snapshots"]) > (60 if quirky else 10)


def _flat(items) -> list:
    return [part for item in items for part in (item.expand() if isinstance(item, StagedPrices) else (item,))]


def _outcome(read, path: Path) -> tuple[list, str | None]:
    found: list = []
    try:
        for item in read(path):
            found.extend(_flat([item]))
    except MalformedInput as exc:
        return sorted(map(repr, found)), str(exc)
    return sorted(map(repr, found)), None


ENTRY = '{"paper":{"tcgplayer":{"retail":{"normal":{"2025-11-01":0.5,"2025-11-02":1.25}},"currency":"USD"}}}'
DEEP = "[" * 40 + "]" * 40


def _data(*members: tuple[str, str], head: str = "") -> str:
    return "{" + head + '"data":{' + ",".join(f'"{key}":{value}' for key, value in members) + "}}"


def _one(value: str) -> str:
    return '{"paper":{"tcgplayer":{"retail":{"normal":{' + value + "}}}}}"


PLAIN = (CONSIDER, ENTRY)
DOCUMENTS = {
    "plain": _data(PLAIN, (DELUGE, ENTRY), head='"meta":{"date":"2025-11-03"},'),
    "spaced": f' {{\n "data" : {{\n  "{CONSIDER}" : {ENTRY} ,\n "{DELUGE}":{ENTRY}\n }} ,"meta":{{}}}}\n',
    "escape": _data(PLAIN, (DELUGE, _one('"2025-11-0\\u0031":1'))),
    "nan": _data(PLAIN, (DELUGE, _one('"2025-11-01":NaN'))),
    "cut": _data(PLAIN, (DELUGE, ENTRY))[:-30],
    "trailing": _data(PLAIN) + " x",
    "deep": _data(PLAIN, (DELUGE, '{"paper":{"tcgplayer":{"x":' + DEEP + "}}}")),
    "deep-meta": _data(PLAIN, head=f'"meta":{DEEP},'),
    "list-entry": _data(PLAIN, (DELUGE, "[1]")),
    "data-list": '{"data":[' + ENTRY + "]}",
    "not-utf8": _data(PLAIN, (DELUGE, '{"paper":{"\xff":{}}}')),
    "huge-number": _data(PLAIN, (DELUGE, _one('"2025-11-01":' + "9" * 5000))),
    "duplicate-keys": _data((CONSIDER, _one('"2025-11-01":1,"2025-11-01":2')), PLAIN),
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_fast_reader_reads_or_refuses_as_the_careful_one(tmp_path, name):
    """Whatever the fast reader does not read as ijson does, it hands over to the careful reader, which
    then yields the rest of the file (or refuses it) exactly as the per-row path does."""
    path = tmp_path / "AllPrices.json"
    path.write_bytes(DOCUMENTS[name].encode().replace(b"\xc3\xbf", b"\xff"))
    fast, careful = _outcome(mtgjson.read_staged, path), _outcome(mtgjson.read, path)
    if name == "huge-number":
        # ijson drops what it parsed in the 64 KB where an integer Python cannot convert ends; the fast
        # reader has handed over the entries before it (a failing run: its batch is not written).
        assert fast[1] == careful[1] and set(careful[0]) <= set(fast[0])
    else:
        assert fast == careful


@pytest.mark.parametrize("roll", ["off", "failing"])
def test_cards_rolled_up_batch_by_batch_are_what_one_settle_computes(services, tmp_path, roll):
    """An import rolls each written batch's cards up (hourly rollup, variant days) while it writes the
    next one, and its settle skips them. Batch by batch, or a roll that fails (then the settle does it
    all, and the run succeeds), every table ends as one settle of the whole run leaves it."""
    first, second, identifiers = _files(tmp_path)
    paths = [first, second, first]
    services.imports.batch_size = 40  # a batch for every few printings: cards roll while others are written
    rolled = _import(services, mtgjson.read_staged, paths, identifiers)

    def refuse(written):
        if roll == "failing":
            raise RuntimeError("the server went away")
        return False  # as on TimescaleDB: the settle does it

    services.ingest.roll = refuse
    settled = _import(services, mtgjson.read_staged, paths, identifiers)
    assert settled[1] == rolled[1] and all("succeeded" in lines[0] for lines in settled[1])
    assert settled[0] == rolled[0]
    assert len(rolled[0]["card_prices_hourly"]) > 60 and len(rolled[0]["variant_days"]) > 60
