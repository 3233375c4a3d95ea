"""Hostile provider files and CLI faults: one line and a non-zero exit, never a traceback;
bounded memory; a malformed file changes no stored row; the good rows of a partly
bad file are imported; every run ends recorded as failed or succeeded."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from data.domain import MalformedInput
from tests.conftest import FIXTURES
from tests.helpers import cli_process, free_port, watch_peak_rss
from workers.collect import collect, unwrap_html
from workers.http import Fetcher
from workers.imports import import_cardkingdom, import_cardmarket, import_mtgjson, import_scryfall

SCRYFALL = FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz"
GUIDE = FIXTURES / "cardmarket" / "price_guide_1-sample.json"
PRICELIST = FIXTURES / "cardkingdom" / "pricelist-sample.json"
ALL_PRICES = FIXTURES / "mtgjson" / "AllPrices-sample.json"
IDENTIFIERS = FIXTURES / "mtgjson" / "AllIdentifiers-sample.json"
CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"
CONSIDER_UUID = "5f8a2c9e-1b2d-5a4e-9c3f-000000000001"  # its MTGJSON uuid in AllIdentifiers-sample
CONSIDER_CARDMARKET = 573807
AS_OF = datetime(2025, 12, 1, tzinfo=UTC)  # hostile files' prices never share the baseline's instants
IMPORTERS = {
    "scryfall": import_scryfall,
    "cardmarket": import_cardmarket,
    "cardkingdom": import_cardkingdom,
    "mtgjson": lambda services, path, as_of=None: import_mtgjson(services, path),
}
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def _env(services, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": services.settings.database_url.replace("+psycopg", ""),
        "REDIS_URL": services.settings.redis_url,
        "CARDCHARTS_LOG_LEVEL": "WARNING",
        **extra,
    }


def cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = cli_process(env, *args)
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def failure(returncode: int, out: str, err: str) -> str:
    """The one line a failed command ends with (its log records aside): no traceback, a non-zero exit."""
    assert returncode != 0, out + err
    assert "Traceback" not in out + err, err
    lines = [line for line in err.splitlines() if line.strip() and not LOG_RECORD.match(line)]
    assert len(lines) == 1, err
    return lines[0]


def stored(services) -> tuple:
    """Counts and checksums of every price snapshot and printing."""
    with services.engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    """
                    SELECT (SELECT count(*) FROM price_snapshots),
                           (SELECT md5(COALESCE(string_agg(p::text, '|' ORDER BY p::text), '')) FROM price_snapshots p),
                           (SELECT count(*) FROM cards),
                           (SELECT md5(COALESCE(string_agg(c::text, '|' ORDER BY c.id), '')) FROM cards c)
                    """
                )
            ).one()
        )


def last_run(services, source: str) -> dict:
    with services.engine.connect() as conn:
        return dict(
            conn.execute(
                text("SELECT * FROM source_runs WHERE source = :source ORDER BY id DESC LIMIT 1"), {"source": source}
            )
            .mappings()
            .one()
        )


def no_run_left_running(services) -> bool:
    with services.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM source_runs WHERE status = 'running'")).scalar() == 0


def dumps(value) -> bytes:
    return json.dumps(value).encode()


# -- 1. deep nesting: bounded memory ------------------------------------------------


@pytest.mark.parametrize("source", IMPORTERS)
def test_deep_nesting_is_refused_in_bounded_memory(services, tmp_path, source):
    deep = tmp_path / "d.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    before = stored(services)
    process = cli_process(_env(services), "import", source, str(deep))
    peak = watch_peak_rss(process)
    out, err = process.communicate(timeout=120)
    print(f"\n{source}: 200,000-deep file, peak RSS {peak:.0f} MB")
    line = failure(process.returncode, out, err)
    assert re.fullmatch(
        rf"import failed: {re.escape(str(deep))} near byte [\d,]+: nested deeper than 32 levels.*",
        line,
    )
    assert peak < 300
    assert stored(services) == before
    assert last_run(services, source)["status"] == "failed"


def test_a_50_mb_deep_file_and_a_deep_json_lines_record_in_bounded_memory(services, tmp_path):
    deep = tmp_path / "AllPrices.json"
    with open(deep, "w") as out:
        out.write('{"meta": {"date": "2025-11-03"}, "data": {"x": ')
        for brackets in "[]":
            for _ in range(25):
                out.write(brackets * (1 << 20))
        out.write("}}")
    lines = tmp_path / "cards-2025-11-01.jsonl"
    lines.write_text('{"object": "card", "x": ' + "[" * 1_000_000 + "]" * 1_000_000 + "}\n")
    before = stored(services)
    for source, path, problem in (
        ("mtgjson", deep, "nested deeper than 32 levels"),
        ("scryfall", lines, "line 1: nested too deeply"),
    ):
        process = cli_process(_env(services), "import", source, str(path))
        peak = watch_peak_rss(process)
        out, err = process.communicate(timeout=120)
        print(f"\n{source}: {path.stat().st_size / 2**20:.0f} MB deep file, peak RSS {peak:.0f} MB")
        line = failure(process.returncode, out, err)
        assert line.startswith(f"import failed: {path}") and problem in line
        assert peak < 300
    assert stored(services) == before


# -- 2. prices dated in the future or before Magic; a settle that raises -----------------


def test_prices_dated_in_the_future_or_before_magic_are_rejected_row_by_row(services, tmp_path):
    import_scryfall(services, SCRYFALL)
    today = datetime.now(UTC).date()
    days = {
        "2030-01-01": 0.01,
        "1990-01-01": 0.5,
        "1993-08-05": 1.25,  # Alpha's release day
        "2025-11-03": 0.35,
        (today + timedelta(days=1)).isoformat(): 0.4,  # within a day of now: time zones
        (today + timedelta(days=2)).isoformat(): 0.45,
    }
    prices = tmp_path / "AllPrices.json"
    prices.write_bytes(
        dumps(
            {
                "meta": {"date": "2025-11-03"},
                "data": {CONSIDER_UUID: {"paper": {"cardmarket": {"retail": {"normal": days}, "currency": "EUR"}}}},
            }
        )
    )
    report = import_mtgjson(services, prices, [IDENTIFIERS])
    assert report.status == "succeeded"
    rejections = {reason: detail["count"] for reason, detail in report.totals.rejections.items()}
    assert rejections == {"dated in the future": 2, "dated before Magic existed (1993-08-05)": 1}
    with services.engine.connect() as conn:
        kept = conn.execute(
            text("SELECT time::date FROM price_snapshots WHERE source_run_id = :run ORDER BY time"),
            {"run": report.run_id},
        ).scalars()
        assert list(kept) == [date(1993, 8, 5), date(2025, 11, 3), today + timedelta(days=1)]


def test_a_file_dated_in_the_future_is_refused(services, tmp_path):
    import_scryfall(services, SCRYFALL)
    before = stored(services)
    env = _env(services)
    line = failure(*cli(env, "import", "cardmarket", str(GUIDE), "--as-of", "2030-01-01"))
    assert line == f"import failed: {GUIDE.name}: file date 2030-01-01T00:00:00+00:00: dated in the future"
    line = failure(*cli(env, "import", "cardkingdom", str(PRICELIST), "--as-of", "1990-01-01T00:00Z"))
    assert line.endswith("dated before Magic existed (1993-08-05)")
    future = tmp_path / "pricelist.json"
    future.write_bytes(PRICELIST.read_bytes().replace(b"2025-11-02 05:05:11", b"2999-01-01 00:00:00"))
    line = failure(*cli(env, "import", "cardkingdom", str(future)))
    assert line.startswith("import failed: pricelist.json: file date 2999-01-01") and "in the future" in line
    assert stored(services) == before
    assert (last_run(services, "cardmarket")["status"], last_run(services, "cardkingdom")["status"]) == (
        "failed",
        "failed",
    )


def test_a_run_whose_settle_raises_ends_recorded_and_keeps_its_rows(services, monkeypatch, scryfall_objects, tmp_path):
    def settle_fails(*args, **kwargs):
        raise ConnectionError("rollups unavailable")

    monkeypatch.setattr(services.ingest, "settle", settle_fails)
    with pytest.raises(ConnectionError):
        import_scryfall(services, SCRYFALL)
    run = last_run(services, "scryfall")
    assert (run["status"], run["rows_inserted"]) == ("failed", 1964)
    assert run["error"] == "settling failed: rollups unavailable"
    assert stored(services)[0] == 1964  # the committed rows stay

    # The import fails (a truncated file), then its settle fails too: still recorded, the first error reported.
    whole = gzip.compress("\n".join(json.dumps(o) for o in scryfall_objects).encode())
    broken = tmp_path / "cards-2025-11-02.jsonl.gz"
    broken.write_bytes(whole[: len(whole) * 2 // 3])
    services.imports.batch_size = 500
    with pytest.raises(MalformedInput, match="truncated"):
        import_scryfall(services, broken)
    run = last_run(services, "scryfall")
    assert run["status"] == "failed" and run["rows_inserted"] > 0
    assert "truncated" in run["error"] and "then settling failed: rollups unavailable" in run["error"]
    assert no_run_left_running(services)


# -- 9 and 10. malformed and wrong files: one line, nothing stored, not fresh -------------


def _gz(data: bytes) -> bytes:
    return gzip.compress(data)


def _zip(data: bytes, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("file.json", data)
    return buffer.getvalue()


def _zip_with_method(data: bytes, method: int) -> bytes:
    """A zip whose member claims a compression method (99: AES, which zipfile cannot read)."""
    raw = bytearray(_zip(data, zipfile.ZIP_STORED))
    local, central = raw.index(b"PK\x03\x04"), raw.index(b"PK\x01\x02")
    raw[local + 8 : local + 10] = method.to_bytes(2, "little")
    raw[central + 10 : central + 12] = method.to_bytes(2, "little")
    return bytes(raw)


def _empty_zip() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w"):
        pass
    return buffer.getvalue()


def _corrupt_xz(data: bytes) -> bytes:
    packed = bytearray(lzma.compress(data))
    packed[len(packed) // 2] ^= 0xFF
    return bytes(packed)


GUIDE_ROW = {"idProduct": CONSIDER_CARDMARKET, "idCategory": 1, "trend": 0.5}
CK_ROW = json.loads(PRICELIST.read_text())["data"][0]
MTGJSON_POINTS = {"retail": {"normal": {"2025-11-03": 0.35}}, "currency": "USD"}

# (source, file name, content, what the one line says): real failures seen on junk files.
JUNK = [
    ("cardmarket", "utf16.json", '{"priceGuides": []}'.encode("utf-16"), "malformed JSON: lexical error"),
    ("cardmarket", "bad-utf8.json", b'{"createdAt": "\xff\xfe", "priceGuides": []}', "malformed JSON"),
    ("cardmarket", "date-number.json", dumps({"createdAt": 5, "priceGuides": [GUIDE_ROW]}), "createdAt is not an"),
    ("cardmarket", "date-text.json", dumps({"createdAt": "soon", "priceGuides": [GUIDE_ROW]}), "createdAt is not an"),
    ("cardmarket", "date-map.json", dumps({"createdAt": {"a": 1}, "priceGuides": [GUIDE_ROW]}), "createdAt is not"),
    ("cardmarket", "guides-map.json", dumps({"priceGuides": GUIDE_ROW}), "not a Cardmarket price guide"),
    ("cardmarket", "guides-junk.json", dumps({"priceGuides": [1, "x", None, [], {}]}), "not a Cardmarket price guide"),
    ("cardmarket", "empty.json", b"", "malformed JSON: parse error: premature EOF"),
    ("cardmarket", "binary.json", bytes(range(256)) * 4, "malformed JSON"),
    ("cardmarket", "lines.json", b'{"a": 1}\n{"b": 2}\n', "malformed JSON: parse error: trailing garbage"),
    ("cardmarket", "digits.json", b'{"priceGuides": [{"idProduct": ' + b"9" * 5000 + b"}]}", "malformed JSON"),
    ("cardmarket", "fake.zip", b"PK\x03\x04 this is no zip", "not a readable zip archive"),
    ("cardmarket", "empty.zip", _empty_zip(), "empty zip archive"),
    ("cardmarket", "aes.zip", _zip_with_method(GUIDE.read_bytes(), 99), "cannot read the zip's first file"),
    ("cardmarket", "cut.json.gz", _gz(GUIDE.read_bytes())[:-30], "truncated or corrupt compressed file"),
    ("cardmarket", "flipped.json.xz", _corrupt_xz(GUIDE.read_bytes()), "truncated or corrupt compressed file"),
    ("cardkingdom", "guide-as-ck.json", GUIDE.read_bytes(), "not a Card Kingdom price list"),
    ("cardkingdom", "meta-list.json", dumps({"meta": [], "data": {}}), "not a Card Kingdom price list"),
    ("cardkingdom", "created-number.json", dumps({"meta": {"created_at": 12345}, "data": [CK_ROW]}), "is not an ISO"),
    ("cardkingdom", "created-bad.json", dumps({"meta": {"created_at": "2025-13-45"}, "data": []}), "is not an ISO"),
    ("cardkingdom", "data-text.json", dumps({"meta": {}, "data": "abc"}), "not a Card Kingdom price list"),
    ("cardkingdom", "empty-list.json", dumps({"meta": {}, "data": []}), "not a Card Kingdom price list"),
    ("cardkingdom", "no-ids.json", dumps({"data": [{**CK_ROW, "scryfall_id": None}]}), "not a Card Kingdom price list"),
    ("cardkingdom", "long-string.json", dumps({"data": ["x" * (5 << 20)]}), "over 4 MiB without a JSON value"),
    ("cardkingdom", "wide-record.json", dumps({"data": [[0] * 600_000]}), "a record of more than 500,000 values"),
    ("cardkingdom", "long-record.json", dumps({"data": [["x" * 1000] * 5000]}), "a record longer than 4 MiB"),
    ("cardkingdom", "cut.json.bz2", bz2.compress(PRICELIST.read_bytes())[:-40], "truncated or corrupt"),
    ("mtgjson", "providers-list.json", dumps({"data": {CONSIDER_UUID: {"paper": []}}}), "not an MTGJSON price file"),
    ("mtgjson", "lists-list.json", dumps({"data": {CONSIDER_UUID: {"paper": {"tcgplayer": []}}}}), "not an MTGJSON"),
    (
        "mtgjson",
        "points-list.json",
        dumps({"data": {CONSIDER_UUID: {"paper": {"tcgplayer": {"retail": {"normal": [1, 2]}}}}}}),
        "not an MTGJSON price file",
    ),
    ("mtgjson", "date-number.json", dumps({"meta": {"date": 20251103}, "data": {}}), "meta.date is not an ISO"),
    ("mtgjson", "date-bad.json", dumps({"meta": {"date": "2025-02-30"}, "data": {}}), "meta.date is not an ISO"),
    ("mtgjson", "identifiers.json", IDENTIFIERS.read_bytes(), "not an MTGJSON price file"),
    ("mtgjson", "data-list.json", dumps({"data": []}), "not an MTGJSON price file"),
    ("scryfall", "guide-as-cards.jsonl", GUIDE.read_bytes(), "not a Scryfall bulk file"),
    ("scryfall", "sets.jsonl", b'{"object": "set"}\n', "not a Scryfall bulk file"),
    ("scryfall", "numbers.json", b"[1, 2, 3]", "not a Scryfall bulk file"),
    ("scryfall", "empty-array.json", b"[]", "not a Scryfall bulk file"),
    ("scryfall", "pretty.json", b'{\n  "object": "card"\n}\n', "line 1: malformed JSON"),
    ("scryfall", "long-line.jsonl", b'{"object": "card", "x": "' + b"x" * (5 << 20) + b'"}\n', "line 1: longer than"),
    ("scryfall", "deep-line.jsonl", b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", "line 1: nested too deeply"),
    ("scryfall", "bad-utf8.jsonl", b'{"object": "card", "name": "\xff"}\n', "line 1: malformed JSON: 'utf-8' codec"),
    ("scryfall", "cut-line.jsonl", SCRYFALL.read_bytes()[:0] + b'{"object": "card", "na', "line 1: malformed JSON"),
]


def test_malformed_files_fail_with_one_message_and_change_nothing(services, tmp_path):
    import_scryfall(services, SCRYFALL)
    before = stored(services)
    problems = []
    for source, name, content, expected in JUNK:
        path = tmp_path / source / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
        try:
            IMPORTERS[source](services, path, AS_OF if source == "scryfall" else None)
        except MalformedInput as exc:
            message = str(exc)
            if expected not in message or not message.startswith(str(path)) or "\n" in message:
                problems.append(f"{source} {name}: {message[:300]!r}")
            run = last_run(services, source)
            if (run["status"], run["file_name"], run["error"]) != ("failed", name, message):
                problems.append(f"{source} {name}: run recorded as {run['status']} {run['error']!r:.200}")
        except Exception as exc:  # the point: nothing but MalformedInput
            problems.append(f"{source} {name}: {type(exc).__name__}: {exc!s:.300}")
        else:
            problems.append(f"{source} {name}: imported")
        if stored(services) != before:
            problems.append(f"{source} {name}: stored rows changed")
            before = stored(services)
    assert problems == []
    assert no_run_left_running(services)
    for source in ("cardmarket", "cardkingdom", "mtgjson"):  # never marked fresh
        assert services.runs.last_success(source) is None


@pytest.mark.parametrize(
    "source, name",
    [
        ("cardmarket", "utf16.json"),
        ("cardmarket", "aes.zip"),
        ("cardmarket", "date-number.json"),
        ("cardkingdom", "guide-as-ck.json"),
        ("mtgjson", "points-list.json"),
        ("scryfall", "bad-utf8.jsonl"),
    ],
)
def test_the_cli_says_one_line_for_a_malformed_file(services, tmp_path, source, name):
    content, expected = next((c, e) for s, n, c, e in JUNK if (s, n) == (source, name))
    path = tmp_path / name
    path.write_bytes(content)
    before = stored(services)
    line = failure(*cli(_env(services), "import", source, str(path)))
    assert line.startswith(f"import failed: {path}") and expected in line
    assert stored(services) == before
    assert last_run(services, source)["status"] == "failed"
    assert services.runs.last_success(source) is None


def test_a_wrong_identifiers_file_is_refused(services):
    import_scryfall(services, SCRYFALL)
    before = stored(services)
    line = failure(*cli(_env(services), "import", "mtgjson", str(ALL_PRICES), "--identifiers", str(GUIDE)))
    assert line == (
        f"import failed: {GUIDE}: not an MTGJSON identifiers file (AllIdentifiers, AllPrintings or a set file)"
    )
    assert stored(services) == before
    assert last_run(services, "mtgjson")["status"] == "failed"


# -- 9. bad records are rejected row by row; the rest import ---------------------------


def test_bad_printings_are_rejected_and_the_rest_imported(services, scryfall_objects, tmp_path):
    good = scryfall_objects[:5]
    spare = scryfall_objects[5:20]
    broken = [
        {**spare[0], "id": "not-a-uuid"},
        {**spare[1], "tcgplayer_id": "abc"},
        {**spare[2], "name": None},
        {**spare[3], "name": "Con\u0000sider"},
        {**spare[4], "set": "x" * 10_000},
        {**spare[5], "collector_number": ""},
        {**spare[6], "legalities": {"standard\u0000": "legal"}},
        {**spare[7], "finishes": "foil"},
        {**spare[8], "cardmarket_id": 2**40},
        {**spare[9], "released_at": 20211231},
        {**spare[10], "image_uris": 5},  # must not erase a stored image
        {**{k: v for k, v in spare[13].items() if k not in ("oracle_id", "image_uris")}, "card_faces": ["no face"]},
    ]
    odd_prices = [{**spare[11], "prices": ["0.10"]}, {**spare[12], "lang": 5}]
    lines = [*good, good[0], *broken, *odd_prices]
    path = tmp_path / "cards-2025-11-01.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in lines))
    report = import_scryfall(services, path)
    assert report.status == "succeeded"
    assert report.totals.cards == 5 + len(odd_prices)  # a printing with odd prices is still a printing
    reasons = set(report.totals.rejections)
    assert {
        "invalid printing: id is not a UUID",
        "invalid printing: tcgplayer_product_id is not a product id",
        "invalid printing: name is missing",
        "invalid printing: name contains a NUL character",
        "invalid printing: set_code longer than 16 characters",
        "invalid printing: collector_number is missing",
        "invalid printing: legalities is not an object of formats",
        "invalid printing: finishes is not a list of finishes",
        "invalid printing: cardmarket_id is not a product id",
        "invalid printing: released_at is not a date",
        "invalid printing: image_uris is not an object",
        "invalid printing: card_faces is not a list of faces",
        "prices are not an object",
        "language outside the card_language enum",
    } == reasons
    expected = sum(1 for o in good for v in o["prices"].values() if v is not None)
    assert stored(services)[0] == expected == report.totals.inserted
    assert stored(services)[2] == 5 + len(odd_prices)


def test_bad_price_rows_are_rejected_and_the_rest_imported(services, tmp_path):
    import_scryfall(services, SCRYFALL)
    before = stored(services)[0]
    nul = CONSIDER[:-1] + "\u0000"
    ck_rows = [
        CK_ROW,
        {**CK_ROW, "id": 2, "scryfall_id": "not-a-uuid"},
        {**CK_ROW, "id": 3, "scryfall_id": nul},
        {**CK_ROW, "id": 4, "condition_values": {**CK_ROW["condition_values"], "nm_qty": 2**40}},
        {**CK_ROW, "id": 5, "condition_values": {**CK_ROW["condition_values"], "ex_qty": -1}},
        {**CK_ROW, "id": 6, "qty_buying": "lots"},
        {**CK_ROW, "id": 7, "condition_values": "nm"},
        {**CK_ROW, "id": 8, "qty_buying": 2**70},
        "not a row",
    ]
    ck = tmp_path / "pricelist.json"
    ck.write_bytes(dumps({"meta": {"created_at": "2025-11-05 00:00:00"}, "data": ck_rows}))
    report = import_cardkingdom(services, ck)
    assert (report.totals.inserted, report.status) == (5, "succeeded")  # CK_ROW: four grades and the buylist
    assert set(report.totals.rejections) == {
        "scryfall_id is not a UUID",
        "not a quantity",
        "quantity out of range",
        "condition_values is not an object",
        "pricelist row is not an object",
    }

    guide_rows = [
        GUIDE_ROW,
        {**GUIDE_ROW, "idProduct": "abc"},
        {**GUIDE_ROW, "idProduct": f"{CONSIDER_CARDMARKET}\u0000"},
        {**GUIDE_ROW, "idProduct": 10**12},
        {**GUIDE_ROW, "idProduct": CONSIDER_CARDMARKET + 0.5},
        {**GUIDE_ROW, "idProduct": None},
    ]
    guide = tmp_path / "price_guide_1.json"
    guide.write_bytes(dumps({"createdAt": "2025-11-05T02:45:00+0100", "priceGuides": guide_rows}))
    report = import_cardmarket(services, guide)
    assert report.totals.inserted == 1
    assert {reason: d["count"] for reason, d in report.totals.rejections.items()} == {
        "cardmarket_id is not a product id": 5
    }

    entry = {"paper": {"cardmarket": {"retail": {"normal": {"2025-11-05": 0.52}}, "currency": "EUR"}}}
    data = {
        CONSIDER_UUID: entry,
        "not-a-uuid": entry,
        CONSIDER_UUID[:-1] + "\u0000": entry,
        "5f8a2c9e-1b2d-5a4e-9c3f-000000000002": {
            "paper": {"tcgplayer": {"retail": {"normal": [0.1]}}, "cardkingdom": {"retail": {"foil": {"x": 1}}}},
            "mtgo": {"cardhoarder": {"retail": {"normal": {"2025-11-05": 0.03}}, "currency": "ignored"}},
        },
        "5f8a2c9e-1b2d-5a4e-9c3f-000000000003": {"paper": {"tcgplayer": {"retail": {"normal": {"2025-11-05": 1}}}}},
    }
    prices = tmp_path / "AllPricesToday.json"
    prices.write_bytes(dumps({"meta": {"date": "2025-11-05"}, "data": data}))
    report = import_mtgjson(services, prices, [IDENTIFIERS])
    assert report.totals.inserted == 2  # Consider's Cardmarket price and Memory Deluge's MTGO one
    assert set(report.totals.rejections) == {
        "uuid is not a UUID",
        "prices are not an object of dates",
        "Invalid isoformat string",
        "unknown mtgjson_uuid",
    }
    assert stored(services)[0] == before + 5 + 1 + 2


def test_rejection_reasons_kept_by_a_run_are_bounded(services, tmp_path):
    import_scryfall(services, SCRYFALL)
    lists = {f"shop{n}-{'x' * 300}": {"retail": {}} for n in range(500)}
    prices = tmp_path / "AllPrices.json"
    prices.write_bytes(dumps({"data": {CONSIDER_UUID: {"paper": {**lists, "tcgplayer": MTGJSON_POINTS}}}}))
    report = import_mtgjson(services, prices, [IDENTIFIERS])
    assert report.totals.rejected == 500
    assert len(report.totals.rejections) <= 51 and "other reasons" in report.totals.rejections
    assert all(len(e) <= 200 for d in report.totals.rejections.values() for e in d["examples"])


# -- collection: what a provider's server answers is input too -----------------------


def _fetcher(tmp_path, routes: dict, waits: list | None = None) -> Fetcher:
    def answer(request: httpx.Request) -> httpx.Response:
        return routes[str(request.url)]()

    return Fetcher(tmp_path, httpx.MockTransport(answer), sleep=(waits if waits is not None else []).append)


def test_collection_refuses_hostile_answers(services, tmp_path):
    bulk = "https://api.scryfall.com/bulk-data/default-cards"
    good = "https://data.scryfall.io/default-cards/default-cards-20251201091712.jsonl.gz"
    for descriptor, problem in (
        ([1, 2], "not a bulk-data object"),
        ({"download_uri": 5}, "without an https download URI"),
        ({"jsonl_download_uri": "http://data.scryfall.io/a.jsonl.gz"}, "without an https download URI"),
        ({"jsonl_download_uri": "https://data.scryfall.io/x/.."}, "no plain file name"),
        ({"jsonl_download_uri": "https://data.scryfall.io/x/"}, "no plain file name"),
        ({"jsonl_download_uri": good, "updated_at": "soon"}, "updated_at is not a time"),
    ):
        fetcher = _fetcher(tmp_path, {bulk: lambda d=descriptor: httpx.Response(200, json=d)})
        with pytest.raises(MalformedInput, match=problem):
            collect(services, "scryfall", fetcher)
    for body, problem in ((b"<html>busy</html>", "answer is not JSON"), (b"[" * 100_000, "answer is not JSON")):
        fetcher = _fetcher(tmp_path, {bulk: lambda b=body: httpx.Response(200, content=b)})
        with pytest.raises(MalformedInput, match=problem):
            collect(services, "scryfall", fetcher)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, least of all outside the folder

    page = tmp_path / "pricelist.json"
    page.write_bytes(b"<html><head></head><body>Service Unavailable</body></html>")
    with pytest.raises(MalformedInput, match="an HTML page without JSON"):
        unwrap_html(page)


def test_a_429_wait_is_capped_and_a_strange_retry_after_means_the_documented_wait(tmp_path):
    url = "https://api.scryfall.com/bulk-data/default-cards"
    for retry_after, wait in ((b"999999999", 600.0), (b"\xb2", 30.0), (b"-5", 30.0), (b"nan", 30.0), (b"1.5", 1.5)):
        answers = iter([httpx.Response(429, headers=[(b"Retry-After", retry_after)]), httpx.Response(200, json={})])
        waits: list[float] = []
        assert _fetcher(tmp_path, {url: lambda a=answers: next(a)}, waits).json("GET", url) == {}
        assert wait in waits


# -- 15. every CLI failure: one line and an exit code -----------------------------------


def test_cli_failures_with_the_database_down_are_one_line(services, tmp_path):
    dead = _env(services, DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/cardcharts")
    for args in (
        ("db", "status"),
        ("db", "upgrade"),
        ("db", "downgrade", "base"),
        ("retention", "run"),
        ("rollups", "refresh", "--since", "2025-11-01"),
        ("import", "cardmarket", str(GUIDE)),
    ):
        line = failure(*cli(dead, *args))
        assert line.startswith(("error: database unavailable: ", "import failed: database unavailable: ")), args
        assert "Connection refused" in line


def test_cli_bad_arguments_and_files_are_one_line(services, tmp_path):
    env = _env(services)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    cases = [
        (("token", "7", "--days", "100000000"), 2, "error: Invalid value for '--days': 100000000 is not in the range"),
        (("rollups", "refresh", "--since", "yesterday"), 2, "error: Invalid value for --since: 'yesterday' is not"),
        (("rollups", "refresh", "--since", "2025-11-02", "--until", "2025-11-01"), 2, "error: Invalid value for --u"),
        (("import", "cardmarket", str(tmp_path)), 2, "error: Invalid value for 'FILE': File"),
        (("import", "cardmarket", str(tmp_path / "absent.json")), 2, "error: Invalid value for 'FILE': File"),
        (("import", "cardmarket", str(GUIDE), "--as-of", "tomorrow"), 2, "error: Invalid value for --as-of"),
        (("import", "cardmarket", str(fifo)), 1, f"import failed: {fifo}: not a regular file"),
        (("db", "downgrade", "no-such-revision"), 1, "error: Can't locate revision identified by 'no-such-revision'"),
        (("nonsense",), 2, "error: No such command 'nonsense'."),
    ]
    if os.geteuid() != 0:  # root reads any file
        unreadable = tmp_path / "unreadable.json"
        unreadable.write_bytes(GUIDE.read_bytes())
        unreadable.chmod(0)
        cases.append((("import", "cardmarket", str(unreadable)), 2, "error: Invalid value for 'FILE'"))
    for args, code, start in cases:
        returncode, out, err = cli(env, *args)
        assert returncode == code, (args, err)
        assert failure(returncode, out, err).startswith(start), (args, err)
    line = failure(*cli({**env, "DATABASE_URL": "mysql://db/x", "CARDCHARTS_PORT": "0"}, "db", "status"))
    assert line.startswith("invalid configuration: DATABASE_URL: ") and "; CARDCHARTS_PORT: " in line


def test_cli_logs_with_timestamps_and_the_configured_level(services, tmp_path):
    junk = tmp_path / "prices.json"
    junk.write_bytes(b"[1, 2")
    returncode, _, err = cli(_env(services, CARDCHARTS_LOG_LEVEL="INFO"), "import", "mtgjson", str(junk))
    assert failure(returncode, "", err).startswith(f"import failed: {junk} near byte")
    assert any(LOG_RECORD.match(line) and " WARNING " in line for line in err.splitlines())
    returncode, _, err = cli(_env(services, CARDCHARTS_LOG_LEVEL="ERROR"), "import", "mtgjson", str(junk))
    assert [line for line in err.splitlines() if LOG_RECORD.match(line)] == []


# -- property: hostile files for each adapter -------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        ["", "\u0000", "0.00", "-1", "1e400", "abc", "2030-01-01", "1990-01-01", "2025-12-01", CONSIDER, "573807"]
    ),
)
JUNK_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _mostly(good: st.SearchStrategy) -> st.SearchStrategy:
    """Four times in five a value of the format, else junk of any shape."""
    return st.integers(0, 4).flatmap(lambda n: good if n else JUNK_VALUES)


def _maybe(good) -> st.SearchStrategy:
    return _mostly(st.just(good))


@st.composite
def _spoiled(draw, valid: st.SearchStrategy) -> dict:
    """A value of the format, one time in three with a field (or a new one) turned to junk."""
    value = dict(draw(valid))
    if draw(st.integers(0, 2)) == 0:
        value[draw(st.sampled_from([*sorted(value), "extra"]))] = draw(JUNK_VALUES)
    return value


PRICE = st.sampled_from([0.49, "0.49", 1.5, 0, "0.00", None])
BAD_PRICE = st.integers(0, 5).flatmap(
    lambda n: st.sampled_from([-1, 10**9, "abc", "NaN", True, "1e400"]) if n == 0 else PRICE
)
QUANTITY = st.sampled_from([0, 3, "7", None])
CK_ROWS = _spoiled(
    st.fixed_dictionaries(
        {
            "id": st.integers(1, 10**6),
            "scryfall_id": st.sampled_from([CONSIDER, CONSIDER, "dc00fd1b-3dd9-492a-9ed4-0b6743074730", None, "x"]),
            "is_foil": st.sampled_from(["false", "true"]),
            "variation": st.sampled_from(["", "Foil Etched"]),
            "price_retail": BAD_PRICE,
            "price_buy": PRICE,
            "qty_buying": st.sampled_from([0, 3, "7", None, 0, 3, 2**40, -1, "lots"]),
            "condition_values": _spoiled(
                st.fixed_dictionaries(
                    {"nm_price": PRICE, "nm_qty": QUANTITY, "ex_price": BAD_PRICE, "ex_qty": QUANTITY}
                )
            ),
        }
    )
)
GUIDE_ROWS = _spoiled(
    st.fixed_dictionaries(
        {
            "idProduct": st.sampled_from([CONSIDER_CARDMARKET, 574996, 999999901, 10**12, "573807", "57\u00003"]),
            "idCategory": st.sampled_from([1, 1, 2]),
            "trend": BAD_PRICE,
            "low": PRICE,
            "avg": PRICE,
            "avg1": PRICE,
            "trend-foil": PRICE,
        }
    )
)
DAYS = st.sampled_from(["2025-12-01", "2025-12-02", "2025-12-03", "2030-01-01", "1990-01-01", "12/01/2025", "\u0000"])
POINTS = _spoiled(
    st.fixed_dictionaries(
        {
            "retail": st.dictionaries(
                st.sampled_from(["normal", "foil", "normal", "gold"]),
                _mostly(st.dictionaries(DAYS, BAD_PRICE, min_size=1, max_size=3)),
                min_size=1,
                max_size=2,
            ),
            "buylist": st.just({}),
            "currency": st.sampled_from(["USD", "EUR", "usd", "ÄÖÜ"]),
        }
    )
)
MTGJSON_ENTRIES = _mostly(
    st.fixed_dictionaries(
        {
            "paper": _mostly(
                st.dictionaries(
                    st.sampled_from(["tcgplayer", "cardmarket", "cardkingdom", "shop"]), POINTS, min_size=1, max_size=3
                )
            )
        }
    )
)
UUIDS = st.sampled_from(
    [CONSIDER_UUID, CONSIDER_UUID, "5f8a2c9e-1b2d-5a4e-9c3f-000000000002", "5f8a2c9e-1b2d-5a4e-9c3f-9", "\u0000"]
)


@st.composite
def scryfall_cards(draw, objects: list[dict]) -> dict:
    card = dict(draw(st.sampled_from(objects[:40])))
    card["id"] = draw(_mostly(st.uuids().map(str)).filter(lambda value: value != CONSIDER))  # never a stored one
    for field in draw(st.lists(st.sampled_from(sorted(card)), max_size=4)):
        card[field] = draw(JUNK_VALUES)
    return card


def documents(source: str, objects: list[dict]) -> st.SearchStrategy:
    """A whole file's JSON value: the format's envelope with hostile rows, or junk at its paths."""
    if source == "cardkingdom":
        rows = _mostly(st.lists(CK_ROWS, min_size=1, max_size=6))
        return st.fixed_dictionaries({"meta": _maybe({"created_at": "2025-12-01 05:00:00"}), "data": rows})
    if source == "cardmarket":
        rows = _mostly(st.lists(GUIDE_ROWS, min_size=1, max_size=6))
        return st.fixed_dictionaries({"createdAt": _maybe("2025-12-01T02:45:00+0100"), "priceGuides": rows})
    if source == "mtgjson":
        entries = _mostly(st.dictionaries(UUIDS, MTGJSON_ENTRIES, min_size=1, max_size=4))
        return st.fixed_dictionaries({"meta": _maybe({"date": "2025-12-01"}), "data": entries})
    return st.lists(_mostly(scryfall_cards(objects)), min_size=1, max_size=5)


def _deepen(text: str, depth: int) -> str:
    return "[" * depth + text + "]" * depth


@st.composite
def hostile_files(draw, source: str, objects: list[dict]) -> bytes:
    value = draw(documents(source, objects))
    if source == "scryfall" and draw(st.booleans()):
        body = "\n".join(json.dumps(v) for v in value).encode()  # JSON Lines
    else:
        body = json.dumps(value).encode()
    damage = draw(st.sampled_from(["none"] * 4 + ["gz", "xz", "zip", "deep", "cut", "bytes", "cut-gz", "flip-xz"]))
    if damage == "deep":
        body = _deepen(body.decode(), draw(st.sampled_from([20, 40, 2000]))).encode()
    elif damage == "cut":
        body = body[: draw(st.integers(0, max(0, len(body) - 1)))]
    elif damage == "bytes":
        body = draw(st.binary(max_size=200))
    elif damage == "gz":
        body = gzip.compress(body)
    elif damage == "xz":
        body = lzma.compress(body)
    elif damage == "zip":
        body = _zip(body)
    elif damage == "cut-gz":
        packed = gzip.compress(body)
        body = packed[: draw(st.integers(0, len(packed) - 1))]
    elif damage == "flip-xz":
        body = _corrupt_xz(body)
    return body


def _valid_file(source: str, objects: list[dict]) -> bytes:
    """A file of the format with one good price (dated apart from the baseline's)."""
    if source == "cardkingdom":
        return dumps({"meta": {"created_at": "2025-12-01 05:00:00"}, "data": [CK_ROW]})
    if source == "cardmarket":
        return dumps({"createdAt": "2025-12-01T02:45:00+0100", "priceGuides": [GUIDE_ROW]})
    if source == "mtgjson":
        points = {"retail": {"normal": {"2025-12-01": 0.5}}, "currency": "EUR"}
        return dumps({"meta": {"date": "2025-12-01"}, "data": {CONSIDER_UUID: {"paper": {"cardmarket": points}}}})
    return dumps({**objects[0], "id": "00000000-0000-4000-8000-000000000001"})


def _baseline(services) -> tuple:
    """The rows of the Scryfall sample (2025-11-01), which no hostile file may touch."""
    with services.engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    """
                    SELECT (SELECT md5(string_agg(p::text, '|' ORDER BY p::text)) FROM price_snapshots p
                            WHERE time = '2025-11-01T00:00:00+00'),
                           (SELECT md5(string_agg(c::text, '|' ORDER BY c.id)) FROM cards c WHERE c.id <= 461)
                    """
                )
            ).one()
        )


@pytest.mark.parametrize("source", IMPORTERS)
def test_hostile_files_import_with_rejections_or_fail_cleanly(services, scryfall_objects, tmp_path, source):
    import_scryfall(services, SCRYFALL)
    if source == "mtgjson":
        import_mtgjson(services, ALL_PRICES, [IDENTIFIERS])  # links the sample's uuids (its own dates)
    baseline = _baseline(services)
    outcomes = {"succeeded": 0, "refused": 0}

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(content=hostile_files(source, scryfall_objects))
    @example(content=_valid_file(source, scryfall_objects))
    def check(content: bytes) -> None:
        path = tmp_path / ("cards-2025-12-01.jsonl" if source == "scryfall" else "file.json")
        path.write_bytes(content)
        try:
            report = IMPORTERS[source](services, path, AS_OF if source != "mtgjson" else None)
        except MalformedInput as exc:
            message = str(exc)
            assert "\n" not in message and str(path.name) in message
            assert last_run(services, source)["status"] == "failed"
            outcomes["refused"] += 1
        else:  # something of the file was right: a stored row, or an identity the catalog lacks
            totals = report.totals
            assert report.status == "succeeded"
            assert totals.inserted + totals.updated + totals.unchanged + totals.cards > 0 or any(
                reason.startswith("unknown ") for reason in totals.rejections
            )
            outcomes["succeeded"] += 1
        assert no_run_left_running(services)
        assert _baseline(services) == baseline

    check()
    print(f"\n{source}: {outcomes}")
    assert outcomes["refused"] > 0 and outcomes["succeeded"] > 0
