"""Junk provider files for bench/fuzz.py, written into a directory of the caller's.

Each file is junk in one way: unreadable (empty, random bytes, truncated archives,
deep nesting, another provider's format: `must_fail`, the import must exit non-zero),
or readable with every row junk (wrong types at the right paths, non-UUID ids,
future dates, huge quantities: the import may succeed, rejecting every row). Rows
that name real printings are junk copies of the fixtures' own rows, so a junk value
that gets stored shows up as a changed row.
"""

from __future__ import annotations

import bz2
import copy
import gzip
import io
import json
import lzma
import random
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.fuzz_values import ARABIC_THREE, HUGE_DIGITS, SUPERSCRIPT_TWO

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SOURCES = ("scryfall", "mtgjson", "cardmarket", "cardkingdom")
LINKED_UUID = "5f8a2c9e-1b2d-5a4e-9c3f-000000000001"  # in AllIdentifiers-sample.json, linked at setup
BIG_NESTING = 25_000_000  # '[' then ']' this many times: a 50 MB file


@dataclass
class Junk:
    path: Path
    source: str
    label: str
    must_fail: bool
    identifiers: list[Path] = field(default_factory=list)


def _scryfall_objects(count: int) -> list[dict]:
    with gzip.open(FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for _, line in zip(range(count), handle, strict=False)]


def right_format() -> dict[str, bytes]:
    """A small file of each provider's own format (the fixtures)."""
    lines = b"".join(json.dumps(obj).encode() + b"\n" for obj in _scryfall_objects(20))
    return {
        "scryfall": lines,
        "mtgjson": (FIXTURES / "mtgjson" / "AllPrices-sample.json").read_bytes(),
        "cardmarket": (FIXTURES / "cardmarket" / "price_guide_1-sample.json").read_bytes(),
        "cardkingdom": (FIXTURES / "cardkingdom" / "pricelist-sample.json").read_bytes(),
    }


def _zip(member: bytes, name: str = "data.json") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, member)
    return buffer.getvalue()


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("folder/"), b"")
    return buffer.getvalue()


def _unreadable(rng: random.Random, source: str, formats: dict[str, bytes]) -> list[tuple[str, bytes]]:
    """Files that are not a readable file of `source`'s format at all."""
    own = formats[source]
    files = [
        ("empty file", b""),
        ("whitespace only", b" \n\t\r\n" * 200),
        ("4 KiB of random bytes", rng.randbytes(4096)),
        ("1 MiB of random bytes", rng.randbytes(1 << 20)),
        ("'[' x 200,000", b"[" * 200_000),
        ("'{\"a\":' x 100,000", b'{"a":' * 100_000),
        ("balanced deep nesting x 100,000", b"[" * 100_000 + b"]" * 100_000),
        ("truncated gzip", gzip.compress(own)[: len(gzip.compress(own)) // 2]),
        ("truncated xz", lzma.compress(own)[: len(lzma.compress(own)) // 2]),
        ("truncated bz2", bz2.compress(own)[: len(bz2.compress(own)) // 2]),
        ("truncated zip", _zip(own)[: len(_zip(own)) // 2]),
        ("zip without members", _empty_zip()),
        ("zip of random bytes", _zip(rng.randbytes(10_000))),
        ("gzip of random bytes", gzip.compress(rng.randbytes(10_000))),
        ("right format cut in half", own[: len(own) // 2]),
        ("null", b"null"),
        ("42", b"42"),
        ('"a string"', b'"a string"'),
        ("{}", b"{}"),
        ("NUL bytes", b"\x00" * 1000),
        ("UTF-16 text", json.dumps({"data": []}).encode("utf-16")),
        ("invalid UTF-8 throughout", own.replace(b'"', b'"\xff\xfe', 20)),
    ]
    for other in SOURCES:
        if other != source:
            files.append((f"a {other} file", formats[other]))
    wrong_container = {
        "scryfall": [b"[1, 2, 3]", b'"a"\n"b"\n', b"[[]]", b"true\nfalse\n"],
        "mtgjson": [b'{"meta":{"date":"2025-11-03"},"data":"x"}', b'{"meta":{"date":"2025-11-03"},"data":5}'],
        "cardmarket": [b'{"createdAt":"2025-11-02T02:45:00+0100","priceGuides":"x"}', b'{"priceGuides":{"a":1}}'],
        "cardkingdom": [b'{"meta":{"created_at":"2025-11-02 05:05:11"},"data":"x"}', b'{"data":{"a":1}}'],
    }
    files += [(f"wrong type at the top: {text[:40]!r}", text) for text in wrong_container[source]]
    return files


def _bad_scryfall(objects: list[dict]) -> list[tuple[str, bytes]]:
    """Real printings with one junk field each; their prices junk too, so no valid row remains."""
    junk_prices = {
        key: value
        for key, value in zip(
            ("usd", "usd_foil", "eur", "eur_foil", "tix"), ("-1", "x", "1e999", "99999999999999", True), strict=True
        )
    }
    cases = {
        "non-UUID id": {"id": "not-a-uuid"},
        "superscript id": {"id": SUPERSCRIPT_TWO},
        "5000-digit id": {"id": HUGE_DIGITS},
        "id as a list": {"id": [1]},
        "name with NUL": {"name": "Consider\x00"},
        "name of 1 MB": {"name": "x" * 1_000_000},
        "name as a dict": {"name": {"en": "x"}},
        "set of 5000 chars": {"set": "s" * 5000},
        "collector number with NUL": {"collector_number": "4\x004"},
        "released_at 2025-13-45": {"released_at": "2025-13-45"},
        "released_at as a number": {"released_at": 20251101},
        "legalities as a list": {"legalities": ["modern"]},
        "finishes as a string": {"finishes": "foil"},
        "tcgplayer_id of 31 digits": {"tcgplayer_id": 10**30},
        "cardmarket_id negative": {"cardmarket_id": -1},
        "oracle_id not a UUID": {"oracle_id": "oracle"},
        "lang not a language": {"lang": "xx-\x00"},
        "image_uris as a number": {"image_uris": 5},
        "prices as a list": {"prices": ["1.00"]},
        "every price junk": {},
    }
    files = []
    for index, (label, change) in enumerate(cases.items()):
        obj = copy.deepcopy(objects[index % len(objects)])
        obj["prices"] = dict(junk_prices)
        obj.update(change)
        files.append((f"card object: {label}", json.dumps(obj).encode() + b"\n"))
    return files


def _bad_cardkingdom() -> list[tuple[str, bytes]]:
    pricelist = json.loads((FIXTURES / "cardkingdom" / "pricelist-sample.json").read_text())
    row = pricelist["data"][0]
    cases = {
        "scryfall_id not a UUID": {"scryfall_id": "not-a-uuid"},
        "scryfall_id superscript": {"scryfall_id": SUPERSCRIPT_TWO},
        "scryfall_id as a number": {"scryfall_id": 12345},
        "scryfall_id of 5000 digits": {"scryfall_id": HUGE_DIGITS},
        "quantity of 31 digits": {"condition_values": {**row["condition_values"], "nm_qty": 10**30}},
        "negative quantity": {"condition_values": {**row["condition_values"], "nm_qty": -5}},
        "quantity as text": {"condition_values": {**row["condition_values"], "nm_qty": "many"}},
        "quantity 1e400": {"condition_values": {**row["condition_values"], "nm_qty": "1e400"}},
        "qty_buying of 31 digits": {"qty_buying": 10**30},
        "qty_buying as a list": {"qty_buying": [1]},
        "price_retail negative": {"price_retail": "-0.49", "condition_values": {}},
        "price_retail 1e999": {"price_retail": "1e999", "condition_values": {}},
        "price_retail out of range": {"price_retail": "123456789012", "condition_values": {}},
        "condition_values as a string": {"condition_values": "nm"},
        "is_foil as a list": {"is_foil": ["true"]},
    }
    files = []
    for label, change in cases.items():
        bad = {**copy.deepcopy(row), **change}
        files.append((f"pricelist row: {label}", json.dumps({"meta": pricelist["meta"], "data": [bad]}).encode()))
    files.append(
        (
            "pricelist rows that are not objects",
            json.dumps({"meta": pricelist["meta"], "data": [1, "x", None, []]}).encode(),
        )
    )
    for date in ("99999-01-01 00:00:00", "not a date", 20251102, "2025-02-30 00:00:00"):
        bad = {**copy.deepcopy(row), "scryfall_id": "not-a-uuid"}
        files.append((f"created_at {date!r}", json.dumps({"meta": {"created_at": date}, "data": [bad]}).encode()))
    return files


def _bad_cardmarket() -> list[tuple[str, bytes]]:
    guide = json.loads((FIXTURES / "cardmarket" / "price_guide_1-sample.json").read_text())
    row = guide["priceGuides"][0]
    all_prices = ("avg", "low", "trend", "avg1", "avg-foil", "low-foil", "trend-foil", "avg1-foil")
    cases: dict[str, dict] = {
        "idProduct superscript": {"idProduct": SUPERSCRIPT_TWO},
        "idProduct Arabic digit": {"idProduct": ARABIC_THREE},
        "idProduct negative": {"idProduct": -1},
        "idProduct of 31 digits": {"idProduct": 10**30},
        "idProduct 1.5": {"idProduct": 1.5},
        "idProduct null": {"idProduct": None},
        "idProduct as a list": {"idProduct": [573807]},
    }
    for value in (-1, "x", [], {}, True, "NaN"):
        cases[f"every price {value!r}"] = dict.fromkeys(all_prices, value)
    files = []
    for label, change in cases.items():
        bad = {**copy.deepcopy(row), **change}
        if not label.startswith("every price"):
            bad.update(dict.fromkeys(all_prices, "-1"))
        files.append((f"price guide row: {label}", json.dumps({**guide, "priceGuides": [bad]}).encode()))
    for label, token in (("1e999", b"1e999"), ("31 digits", b"1" + b"0" * 30), ("5000 digits", HUGE_DIGITS.encode())):
        text = b'{"version":1,"createdAt":"2025-11-02T02:45:00+0100","priceGuides":[{"idProduct":573807,"idCategory":1,'
        text += b",".join(b'"%s":%s' % (name.encode(), token) for name in all_prices) + b"}]}"
        files.append((f"every price {label} (JSON number)", text))
    for date in ("99999-01-01T00:00:00+0000", "not a date", 20251102):
        bad = {**copy.deepcopy(row), "idProduct": SUPERSCRIPT_TWO}
        files.append((f"createdAt {date!r}", json.dumps({"createdAt": date, "priceGuides": [bad]}).encode()))
    return files


def _prices_file(entry: object, meta: object = None) -> bytes:
    meta = {"date": "2025-11-03", "version": "5.2.2+20251103"} if meta is None else meta
    return json.dumps({"meta": meta, "data": {LINKED_UUID: entry}}).encode()


def _bad_mtgjson() -> list[tuple[str, bytes]]:
    def tcgplayer(points: object, currency: object = "USD") -> dict:
        return {"paper": {"tcgplayer": {"buylist": {}, "retail": {"normal": points}, "currency": currency}}}

    files = [
        ("future-dated price 2999-01-01", _prices_file(tcgplayer({"2999-01-01": 1.0}))),
        ("future-dated price 9999-12-31", _prices_file(tcgplayer({"9999-12-31": 1.0}))),
        ("price dated 0001-01-01", _prices_file(tcgplayer({"0001-01-01": 1.0}))),
        ("price dated 2025-02-30", _prices_file(tcgplayer({"2025-02-30": 1.0}))),
        ("price dated 99999-01-01", _prices_file(tcgplayer({"99999-01-01": 1.0}))),
        ("price dated by a superscript", _prices_file(tcgplayer({f"2025-11-0{SUPERSCRIPT_TWO}": 1.0}))),
        ("currency as a number", _prices_file(tcgplayer({"2025-11-03": 0.38}, 5))),
        ("currency in lower case", _prices_file(tcgplayer({"2025-11-03": 0.38}, "usd"))),
        ("currency as a list", _prices_file(tcgplayer({"2025-11-03": 0.38}, ["USD"]))),
        ("provider entry as a string", _prices_file({"paper": {"tcgplayer": "x"}})),
        ("format entry as a list", _prices_file({"paper": [1, 2]})),
        ("retail as a list", _prices_file({"paper": {"tcgplayer": {"retail": [1]}}})),
        ("points as a string", _prices_file(tcgplayer("x"))),
        (
            "non-UUID key",
            json.dumps({"meta": {"date": "2025-11-03"}, "data": {"not-a-uuid": tcgplayer({"2025-11-03": 1})}}).encode(),
        ),
        (
            "superscript key",
            json.dumps(
                {"meta": {"date": "2025-11-03"}, "data": {SUPERSCRIPT_TWO: tcgplayer({"2025-11-03": 1})}}
            ).encode(),
        ),
        (
            "5000-digit key",
            json.dumps({"meta": {"date": "2025-11-03"}, "data": {HUGE_DIGITS: tcgplayer({"2025-11-03": 1})}}).encode(),
        ),
    ]
    for value in (-1, "x", [], {}, True, "NaN", "1e999", 10**20):
        files.append((f"price {value!r}", _prices_file(tcgplayer({"2025-11-03": value}))))
    for meta in ({"date": "99999-01-01"}, {"date": 5}, {"date": "not a date"}, "meta", {"date": ["2025-11-03"]}):
        files.append((f"meta {meta!r}", _prices_file(tcgplayer({"2999-01-01": -1}), meta)))
    return files


def _bad_identifiers(real_scryfall_id: str) -> list[tuple[str, bytes]]:
    def identifiers(key: str, scryfall_id: object) -> bytes:
        card = {"identifiers": {"scryfallId": scryfall_id}, "name": "Consider", "uuid": key}
        return json.dumps({"meta": {"date": "2025-11-03"}, "data": {key: card}}).encode()

    return [
        ("identifiers: non-UUID key", identifiers("not-a-uuid", real_scryfall_id)),
        ("identifiers: superscript key", identifiers(SUPERSCRIPT_TWO, real_scryfall_id)),
        ("identifiers: scryfallId not a UUID", identifiers("5f8a2c9e-1b2d-5a4e-9c3f-00000000ffff", "not-a-uuid")),
        ("identifiers: scryfallId superscript", identifiers("5f8a2c9e-1b2d-5a4e-9c3f-00000000fffe", SUPERSCRIPT_TWO)),
        ("identifiers: scryfallId as a list", identifiers("5f8a2c9e-1b2d-5a4e-9c3f-00000000fffd", [real_scryfall_id])),
        ("identifiers: '[' x 200,000", b"[" * 200_000),
    ]


def _write(directory: Path, index: int, source: str, data: bytes, name: str | None = None) -> Path:
    path = directory / (name or f"junk-{index:03d}-{source}.json")
    path.write_bytes(data)
    return path


def junk_files(directory: Path, rng: random.Random, count: int | None = None, big: bool = True) -> list[Junk]:
    """The junk catalogue (all of it when `count` is None, else a sample of `count`, padded with random
    bytes when it asks for more) in `directory`. `big` adds a 50 MB deeply nested file and a gzip bomb."""
    formats = right_format()
    plans: list[tuple[str, str, bytes, bool]] = []  # source, label, bytes, must_fail
    for source in SOURCES:
        plans += [(source, label, data, True) for label, data in _unreadable(rng, source, formats)]
    objects = _scryfall_objects(20)
    plans += [("scryfall", label, data, False) for label, data in _bad_scryfall(objects)]
    plans += [("cardkingdom", label, data, False) for label, data in _bad_cardkingdom()]
    plans += [("cardmarket", label, data, False) for label, data in _bad_cardmarket()]
    plans += [("mtgjson", label, data, False) for label, data in _bad_mtgjson()]
    if count is not None:
        if count < len(plans):
            plans = rng.sample(plans, count)
        while len(plans) < count:
            source = rng.choice(SOURCES)
            plans.append((source, "random bytes", rng.randbytes(rng.randint(1, 100_000)), True))
    junk = [
        Junk(_write(directory, index, source, data), source, label, must_fail)
        for index, (source, label, data, must_fail) in enumerate(plans)
    ]
    if count is None or count >= 40:
        junk += _named_oddly(directory, formats)
        empty_prices = _write(directory, len(junk), "mtgjson-prices", b'{"meta":{"date":"2025-11-03"},"data":{}}')
        for index, (label, data) in enumerate(_bad_identifiers(objects[0]["id"])):
            ids = _write(directory, len(junk) + index, "mtgjson-identifiers", data)
            junk.append(Junk(empty_prices, "mtgjson", label, False, [ids]))
    if big:
        nested = directory / "nested-50MB.json"
        with nested.open("wb") as handle:
            for chunk in (b"[", b"]"):
                for _ in range(BIG_NESTING // 1_000_000):
                    handle.write(chunk * 1_000_000)
        bomb = directory / "bomb.json.gz"
        with gzip.open(bomb, "wb", compresslevel=9) as handle:
            for _ in range(300):
                handle.write(b" " * 1_000_000)  # 300 MB of whitespace: no data, read in bounded memory
        for source in SOURCES:
            junk.append(Junk(nested, source, "50 MB of nesting", True))
            junk.append(Junk(bomb, source, "gzip bomb: 300 MB of whitespace", True))
    return junk


def _named_oddly(directory: Path, formats: dict[str, bytes]) -> list[Junk]:
    """Another provider's file under odd names (the name lands in source_runs and in the file date)."""
    names = {
        "scryfall": ["default-cards-99999999999999.json", "default-cards-2025-02-30.json", "new\nline \u202e.json"],
        "cardmarket": ["price_guide_\U0001f600.json", " leading space.json"],
        "cardkingdom": ["-dash-first.json", "x" * 200 + ".json"],
        "mtgjson": ["AllPrices \x01\x7f.json"],
    }
    junk = []
    for source, files in names.items():
        wrong = formats["cardkingdom" if source != "cardkingdom" else "cardmarket"]
        for name in files:
            junk.append(
                Junk(_write(directory, 0, source, wrong, name), source, f"another format, named {name!r}", True)
            )
    return junk
