"""Adapters and import runs: exact rows per provider, re-imports, bad input."""

from __future__ import annotations

import gzip
import json
import lzma
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from data.domain import MalformedInput
from tests.conftest import FIXTURES
from workers.imports import import_cardkingdom, import_cardmarket, import_mtgjson, import_scryfall

SCRYFALL = FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz"
MTGJSON = FIXTURES / "mtgjson"
CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"


def rows(services, where: str = "TRUE", **params) -> list[tuple]:
    sql = f"""
        SELECT c.scryfall_id::text, m.slug, p.time, p.condition::text, p.finish::text, p.language::text,
               p.currency, p.price::text, p.price_low::text, p.price_mid::text, p.price_market::text,
               p.total_quantity
        FROM price_snapshots p JOIN cards c ON c.id = p.card_id JOIN marketplaces m ON m.id = p.marketplace_id
        WHERE {where} ORDER BY 1, 2, 3, 4, 5, 6"""
    with services.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def count(services, sql: str) -> int:
    with services.engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def test_scryfall_real_sample_one_snapshot_per_non_null_price(services, scryfall_objects):
    report = import_scryfall(services, SCRYFALL)
    expected = sum(1 for o in scryfall_objects for v in o["prices"].values() if v is not None)
    assert expected == 1964
    assert (report.status, report.totals.cards, report.totals.inserted, report.totals.rejected) == (
        "succeeded",
        461,
        1964,
        0,
    )
    day = datetime(2025, 11, 1, tzinfo=UTC)
    assert rows(services, "c.scryfall_id = :id", id=CONSIDER) == [
        (CONSIDER, "cardhoarder", day, "NEAR_MINT", "nonfoil", "English", "TIX", "0.03", None, None, None, None),
        (CONSIDER, "cardmarket", day, "NEAR_MINT", "foil", "English", "EUR", "1.55", None, None, None, None),
        (CONSIDER, "cardmarket", day, "NEAR_MINT", "nonfoil", "English", "EUR", "0.52", None, None, None, None),
        (CONSIDER, "tcgplayer", day, "NEAR_MINT", "foil", "English", "USD", "0.74", None, None, "0.74", None),
        (CONSIDER, "tcgplayer", day, "NEAR_MINT", "nonfoil", "English", "USD", "0.36", None, None, "0.36", None),
    ]
    consider = services.cards.get_by_scryfall_id(CONSIDER)
    assert (consider.name, consider.set_code, consider.collector_number, consider.cardmarket_id) == (
        "Consider",
        "mid",
        "44",
        573807,
    )
    run = services.runs.get(report.run_id)
    assert (run["status"], run["rows_inserted"], run["file_name"]) == ("succeeded", 1964, SCRYFALL.name)
    assert count(services, f"SELECT count(*) FROM price_snapshots WHERE source_run_id = {report.run_id}") == 1964

    again = import_scryfall(services, SCRYFALL)
    assert (again.totals.inserted, again.totals.updated, again.totals.unchanged) == (0, 0, 1964)
    assert count(services, "SELECT count(*) FROM price_snapshots") == 1964
    # the market page's index now has the sample's day
    assert services.market_queries.index("24h")["time"] == ["2025-11-01T00:00:00+00:00"]


def test_scryfall_legacy_json_array_and_compressions_parse_alike(services, scryfall_objects, tmp_path):
    sample = scryfall_objects[:40]
    files = {
        "default-cards-20251101000000.json": json.dumps(sample).encode(),
        "cards-2025-11-01.json.xz": lzma.compress("\n".join(map(json.dumps, sample)).encode()),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    with zipfile.ZipFile(tmp_path / "cards-2025-11-01.zip", "w") as archive:
        archive.writestr("cards.json", json.dumps(sample))
    expected = sum(1 for o in sample for v in o["prices"].values() if v is not None)
    first = import_scryfall(services, tmp_path / "default-cards-20251101000000.json")
    assert first.totals.inserted == expected
    for name in ("cards-2025-11-01.json.xz", "cards-2025-11-01.zip"):
        assert import_scryfall(services, tmp_path / name).totals.unchanged == expected


def test_mtgjson_prices_with_identifiers(services):
    import_scryfall(services, SCRYFALL)
    report = import_mtgjson(
        services,
        MTGJSON / "AllPrices-sample.json",
        [MTGJSON / "AllIdentifiers-sample.json", MTGJSON / "MID-sample.json"],
    )
    # Scryfall's TCGplayer prices of 2025-11-01 are the same series and values: present already
    assert (report.totals.inserted, report.totals.unchanged, report.totals.rejected) == (11, 2, 3)
    assert set(report.totals.rejections) == {"unknown provider 'cardtrader'", "negative price", "unknown mtgjson_uuid"}
    mtgjson_rows = rows(services, "p.source_run_id = :run", run=report.run_id)
    tcg = rows(services, "c.scryfall_id = :id AND m.slug = 'tcgplayer'", id=CONSIDER)
    consider_tcg = [(r[2].date().isoformat(), r[4], r[7]) for r in tcg]
    assert consider_tcg == [
        ("2025-11-01", "foil", "0.74"),
        ("2025-11-01", "nonfoil", "0.36"),
        ("2025-11-02", "nonfoil", "0.37"),
        ("2025-11-03", "nonfoil", "0.35"),
    ]
    assert {r[1] for r in mtgjson_rows} == {
        "cardhoarder",
        "cardkingdom",
        "cardkingdom-buylist",
        "cardmarket",
        "tcgplayer",
        "cardsphere",
    }
    buylist = services.marketplaces.by_slug("cardkingdom-buylist")
    assert (buylist.kind.value, buylist.currency) == ("buylist", "USD")
    assert services.cards.get_by_scryfall_id(CONSIDER).mtgjson_uuid == "5f8a2c9e-1b2d-5a4e-9c3f-000000000001"
    assert count(services, "SELECT count(*) FROM price_snapshots") == 1964 + 11


def test_cardmarket_price_guide_quirks(services):
    import_scryfall(services, SCRYFALL)
    report = import_cardmarket(services, FIXTURES / "cardmarket" / "price_guide_1-sample.json")
    assert (report.totals.inserted + report.totals.unchanged, report.totals.rejected) == (6, 2)
    assert set(report.totals.rejections) == {"unknown cardmarket_id", "negative price"}
    moment = datetime(2025, 11, 2, 1, 45, tzinfo=UTC)
    got = rows(services, "p.time = :t", t=moment)
    consider = [r for r in got if r[0] == CONSIDER]
    assert consider == [
        (CONSIDER, "cardmarket", moment, "NEAR_MINT", "foil", "English", "EUR", "1.55", "1.10", "1.60", "1.70", None),
        (
            CONSIDER,
            "cardmarket",
            moment,
            "NEAR_MINT",
            "nonfoil",
            "English",
            "EUR",
            "0.52",
            "0.20",
            "0.55",
            "0.60",
            None,
        ),
    ]
    finishes = sorted((r[0][:8], r[4]) for r in got)
    assert finishes == [
        ("0b3f40a0", "foil"),
        ("0b3f40a0", "nonfoil"),
        ("a211d505", "foil"),
        ("a211d505", "nonfoil"),
        ("dc00fd1b", "nonfoil"),
        ("e7e1afd0", "nonfoil"),
    ]


def test_cardkingdom_pricelist(services):
    import_scryfall(services, SCRYFALL)
    report = import_cardkingdom(services, FIXTURES / "cardkingdom" / "pricelist-sample.json")
    assert (report.totals.inserted, report.totals.rejected) == (9, 2)
    assert set(report.totals.rejections) == {"no scryfall_id", "not a price"}
    moment = datetime(2025, 11, 2, 5, 5, 11, tzinfo=UTC)
    got = [(r[0][:8], r[1], r[3], r[4], r[7], r[11]) for r in rows(services, "p.time = :t", t=moment)]
    assert got == [
        ("a211d505", "cardkingdom", "HEAVILY_PLAYED", "nonfoil", "0.20", 0),
        ("a211d505", "cardkingdom", "LIGHTLY_PLAYED", "foil", "0.79", 0),
        ("a211d505", "cardkingdom", "LIGHTLY_PLAYED", "nonfoil", "0.39", 5),
        ("a211d505", "cardkingdom", "MODERATELY_PLAYED", "nonfoil", "0.29", 3),
        ("a211d505", "cardkingdom", "NEAR_MINT", "foil", "0.99", 2),
        ("a211d505", "cardkingdom", "NEAR_MINT", "nonfoil", "0.49", 12),
        ("a211d505", "cardkingdom-buylist", "NEAR_MINT", "nonfoil", "0.10", 40),
        ("e7e1afd0", "cardkingdom", "NEAR_MINT", "etched", "1.99", 1),
        ("e7e1afd0", "cardkingdom-buylist", "NEAR_MINT", "etched", "0.75", 4),
    ]


def test_truncated_file_fails_the_run_keeps_committed_rows_and_rerun_completes(services, scryfall_objects, tmp_path):
    lines = [json.dumps(o) for o in scryfall_objects]
    whole = gzip.compress("\n".join(lines).encode())
    broken = tmp_path / "cards-2025-11-01.jsonl.gz"
    broken.write_bytes(whole[: len(whole) * 2 // 3])
    services.imports.batch_size = 500  # commit several batches before the damage
    with pytest.raises(MalformedInput, match=r"cards-2025-11-01.jsonl.gz.*truncated"):
        import_scryfall(services, broken)
    failed = services.runs.latest_per_source()[0]
    assert failed["status"] == "failed" and "truncated" in failed["error"]
    kept = count(services, "SELECT count(*) FROM price_snapshots")
    assert 0 < kept < 1964
    broken.write_bytes(whole)
    report = import_scryfall(services, broken)
    assert report.totals.inserted == 1964 - kept and report.totals.unchanged == kept
    assert count(services, "SELECT count(*) FROM price_snapshots") == 1964


def test_not_json_and_missing_files_are_refused(services, tmp_path):
    junk = tmp_path / "prices.json"
    junk.write_text('{"meta": {"date": "2025-11-03"}, "data": {"abc": {"paper": ')
    with pytest.raises(MalformedInput, match=r"prices.json near byte"):
        import_mtgjson(services, junk)
    with pytest.raises(MalformedInput, match="no such file"):
        import_cardmarket(services, tmp_path / "absent.json")
    assert count(services, "SELECT count(*) FROM price_snapshots") == 0


def test_prices_are_exact_decimals(services, tmp_path):
    from workers.sources.prices import BadPrice, price

    assert price(0.1) == Decimal("0.10") and price("13.45") == Decimal("13.45")
    assert price(Decimal("0.30000000000000004")) == Decimal("0.30")
    assert price(0, zero_is_missing=True) is None and price(None) is None
    for bad in (-1, "abc", "NaN", True, "1e12"):
        with pytest.raises(BadPrice):
            price(bad)
