"""Reading providers' files as streams, in bounded memory, whatever their size or shape.

.json, .jsonl, and either compressed as .gz, .xz, .bz2 or .zip (first member).
JSON is parsed incrementally from ijson's low-level events (C backend), and only
the records asked for are built, one at a time: ijson's own `items` keeps the path
of every nesting level, which costs memory quadratic in the depth of a hostile file.
Whatever a file holds, memory stays bounded: nesting deeper than any provider's
format, a record or a single value larger than any real one, and a JSON Lines line
longer than any real one are refused. Every error is a MalformedInput naming the
file and the position (line, or byte offset of the decompressed text).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import json
import lzma
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TypeVar

import ijson
from ijson.utils import sendable_list

from data.domain import MalformedInput, Rejected

T = TypeVar("T")

# Limits with wide margins over the real formats (measured): MTGJSON AllPrintings
# nests 8 levels, AllPrices 7, a Scryfall card 4 (5 in a legacy array); one card's
# 90 days of AllPrices are under 10,000 JSON values and 100 KB; Scryfall's largest
# card objects are about 100 KB; no provider's string or number nears a kilobyte.
MAX_DEPTH = 32
MAX_RECORD_VALUES = 500_000
MAX_RECORD_BYTES = 4 << 20  # one record: an element asked for, or a JSON Lines line
MAX_VALUE_BYTES = 4 << 20  # read without one JSON event: a giant string, number or padding
CHUNK = 1 << 16

_MAGIC = {
    b"\x1f\x8b": gzip.open,
    b"\xfd7zXZ": lzma.open,
    b"BZh": bz2.open,
}
# What a decompressor (or the disk) raises on damaged data.
_READ_ERRORS = (EOFError, OSError, lzma.LZMAError, zlib.error, zipfile.BadZipFile)


def _first_line(exc: BaseException) -> str:
    """An error's message on one line (yajl's messages draw the text around the error below it)."""
    text = str(exc)
    if text[:2] in ("b'", 'b"'):
        text = text[2:]
    return (text.replace("\\n", "\n").strip().splitlines() or [type(exc).__name__])[0].strip()


class _Source(io.RawIOBase):
    """The decompressed bytes, counted to say where a problem is."""

    def __init__(self, path: Path, inner: IO[bytes], compressed: bool) -> None:
        self.path = path
        self.inner = inner
        self.compressed = compressed
        self.position = 0

    def where(self) -> str:
        of = " of the decompressed data" if self.compressed else ""
        return f"{self.path} near byte {self.position:,}{of}"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self.inner.read(len(buffer))
        except _READ_ERRORS as exc:
            what = "truncated or corrupt compressed file" if self.compressed else "cannot read"
            raise MalformedInput(f"{self.where()}: {what}: {_first_line(exc)}") from exc
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


@contextmanager
def open_stream(path: Path) -> Iterator[_Source]:
    """The decompressed bytes of a provider file, chosen by content, not by name."""
    with open(path, "rb") as probe:
        head = probe.read(6)
    if head.startswith(b"PK"):
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise MalformedInput(f"{path}: not a readable zip archive: {_first_line(exc)}") from exc
        with archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if not members:
                raise MalformedInput(f"{path}: empty zip archive")
            try:
                member = archive.open(members[0])
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, OSError) as exc:
                # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method
                raise MalformedInput(f"{path}: cannot read the zip's first file: {_first_line(exc)}") from exc
            with member:
                yield _Source(path, member, compressed=True)
        return
    opener = next((fn for magic, fn in _MAGIC.items() if head.startswith(magic)), None)
    with (opener or open)(path, "rb") as raw:
        yield _Source(path, raw, compressed=opener is not None)


def _too_deep(source: _Source) -> MalformedInput:
    return MalformedInput(f"{source.where()}: nested deeper than {MAX_DEPTH} levels, more than any provider's format")


def _values(source: _Source, reader: IO[bytes], patterns: Iterable[str]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, value) of every value whose path matches a pattern: dot-separated keys,
    'item' for an array's elements, '*' for any key ('' is the top level)."""
    wanted = [tuple(p.split(".")) if p else () for p in patterns]
    lengths = {len(p) for p in wanted}

    def matches(trail: list) -> bool:
        return len(trail) in lengths and any(
            len(p) == len(trail) and all(w == "*" or w == t for w, t in zip(p, trail, strict=True)) for p in wanted
        )

    events = sendable_list()
    parser = ijson.basic_parse_coro(events, use_float=False)
    trail: list[str | None] = []  # per open container outside a record: its current key, or 'item'
    record: list | None = None  # the containers of the record being built, outermost first
    record_path: tuple[str, ...] = ()
    depth = count = quiet = started = 0
    key: Any = None
    while True:
        chunk = reader.read(CHUNK)
        failure = None
        try:
            if chunk:
                parser.send(chunk)
            else:
                parser.close()
        except (ijson.JSONError, ValueError) as exc:
            failure = exc
        except SystemError as exc:  # ijson's wrapping of a number Python cannot convert (too many digits)
            failure = exc.__cause__ or exc
            del events[:]  # its last event holds no value: never read it
        quiet = quiet + len(chunk) if not events else 0
        if quiet > MAX_VALUE_BYTES:
            raise MalformedInput(
                f"{source.where()}: over {MAX_VALUE_BYTES >> 20} MiB without a JSON value (a giant string or padding)"
            )
        for event, value in events:
            if record is not None:  # inside a record: build it
                if event == "map_key":
                    key = value
                    continue
                count += 1
                if count > MAX_RECORD_VALUES:
                    raise MalformedInput(f"{source.where()}: a record of more than {MAX_RECORD_VALUES:,} values")
                if event == "end_map" or event == "end_array":
                    depth -= 1
                    done = record.pop()
                    if not record:
                        record = None
                        yield record_path, done
                    continue
                if event == "start_map" or event == "start_array":
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise _too_deep(source)
                    value = {} if event == "start_map" else []
                parent = record[-1]
                if parent.__class__ is list:
                    parent.append(value)
                else:
                    parent[key] = value
                if event == "start_map" or event == "start_array":
                    record.append(value)
                continue
            # outside records: follow the path
            if event == "map_key":
                trail[-1] = value
            elif event == "start_map" or event == "start_array":
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(source)
                if matches(trail):
                    record, record_path, count = [{} if event == "start_map" else []], tuple(trail), 0
                    started = source.position
                else:
                    trail.append(None if event == "start_map" else "item")
            elif event == "end_map" or event == "end_array":
                depth -= 1
                trail.pop()
            elif matches(trail):
                yield tuple(trail), value
        del events[:]
        if record is not None and source.position - started > MAX_RECORD_BYTES:
            raise MalformedInput(f"{source.where()}: a record longer than {MAX_RECORD_BYTES >> 20} MiB")
        if failure is not None:
            raise MalformedInput(f"{source.where()}: malformed JSON: {_first_line(failure)}") from failure
        if not chunk:
            return


def json_items(path: Path, prefix: str) -> Iterator[Any]:
    """Each value at `prefix` (e.g. 'data.item': each element of the array under 'data')."""
    with open_stream(path) as source:
        for _, value in _values(source, source, [prefix]):
            yield value


def json_kvitems(path: Path, prefix: str) -> Iterator[tuple[str, Any]]:
    """Each (key, value) of the JSON object at `prefix`."""
    with open_stream(path) as source:
        for trail, value in _values(source, source, [f"{prefix}.*" if prefix else "*"]):
            yield trail[-1], value


def json_paths(path: Path, patterns: Iterable[str]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, value) of every value at one of `patterns` ('*' for any key), in file order."""
    with open_stream(path) as source:
        yield from _values(source, source, patterns)


def json_value(path: Path, prefix: str) -> Any:
    """The (small) JSON value at `prefix`, e.g. a file's 'meta'; None when absent."""
    for value in json_items(path, prefix):
        return value
    return None


def of_format(items: Iterable[T], refusal: str) -> Iterator[T]:
    """An adapter's items, then MalformedInput(refusal) when not one was a price (or a
    printing): an empty file, or one of another format, must not pass for fresh data."""
    found = False
    for item in items:
        found = found or not isinstance(item, Rejected)
        yield item
    if not found:
        raise MalformedInput(refusal)


def stated_time(path: Path, field: str, value: Any) -> datetime | None:
    """A time a file states in its header (ISO 8601; UTC when it names no zone), None when
    absent; MalformedInput when it is not a time."""
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise MalformedInput(f"{path}: {field} is not an ISO 8601 time: {str(value)[:80]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def json_lines_or_array(path: Path) -> Iterator[tuple[str, Any]]:
    """Objects of a JSON Lines file or of one top-level JSON array, with their position."""
    with open_stream(path) as source:
        reader = io.BufferedReader(source, buffer_size=1 << 20)
        first = reader.peek(64).lstrip()[:1]
        if first == b"[":
            for index, (_, obj) in enumerate(_values(source, reader, ["item"]), start=1):
                yield f"{path} item {index}", obj
            return
        number = 0
        while line := reader.readline(MAX_RECORD_BYTES + 1):
            number += 1
            if len(line) > MAX_RECORD_BYTES:
                raise MalformedInput(
                    f"{path} line {number}: longer than {MAX_RECORD_BYTES >> 20} MiB, not one JSON record per line"
                )
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except RecursionError:
                raise MalformedInput(f"{path} line {number}: nested too deeply for any provider's format") from None
            except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, a number of too many digits
                raise MalformedInput(f"{path} line {number}: malformed JSON: {_first_line(exc)}") from None
            yield f"{path} line {number}", obj


# -- the fast reader of one object's members, as raw text ---------------------------------------


class Unsupported(Exception):
    """The fast reader met something it does not read (or reads differently from ijson):
    the careful reader must take the file on from the member it names."""

    def __init__(self, member: int) -> None:
        super().__init__(f"the fast reader stops at member {member}")
        self.member = member


RAW_MEMBER_LIMIT = 512 << 10  # far over any real member (100 KB); a bigger one is the careful reader's
_LOOKAHEAD = 4096  # a scalar's text is never cut at the end of the buffer
_SPACE = re.compile(r"[ \t\n\r]*")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json reads NaN and Infinity; ijson refuses them


class _RawReader:
    """A window of the decompressed text of a file, read on demand."""

    def __init__(self, source: _Source) -> None:
        self.reader = io.BufferedReader(source, buffer_size=1 << 20)
        self.decode = codecs.getincrementaldecoder("utf-8")().decode
        self.text = ""
        self.at = 0
        self.eof = False

    def more(self, member: int) -> None:
        if self.eof or len(self.text) - self.at > RAW_MEMBER_LIMIT:
            raise Unsupported(member)
        try:
            chunk = self.reader.read(1 << 20)
        except MalformedInput:  # damaged compressed data: the careful reader says where
            raise Unsupported(member) from None
        try:
            decoded = self.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise Unsupported(member) from None
        self.eof = not chunk
        self.text = self.text[self.at :] + decoded
        self.at = 0

    def skip_space(self, member: int) -> str:
        """The next character after white space ('' at the end)."""
        skipped = 0
        while True:
            start = self.at
            self.at = _SPACE.match(self.text, self.at).end()
            skipped += self.at - start
            if skipped > RAW_MEMBER_LIMIT:  # padding: ijson's limit and its message
                raise Unsupported(member)
            if self.at < len(self.text) or self.eof:
                return self.text[self.at : self.at + 1]
            self.more(member)

    def open_object(self, member: int) -> bool:
        """Past the opening brace of the object at the cursor; True when it is empty (its closing
        brace left at the cursor). Anything but an object is Unsupported."""
        if self.skip_space(member) != "{":
            raise Unsupported(member)
        self.at += 1
        return self.skip_space(member) == "}"

    def value(self, decoder: json.JSONDecoder, member: int) -> tuple[Any, str]:
        """The JSON value at the cursor, parsed, with its text."""
        while len(self.text) - self.at < _LOOKAHEAD and not self.eof:
            self.more(member)
        while True:
            try:
                value, end = decoder.raw_decode(self.text, self.at)
            except (ValueError, RecursionError):  # cut at the buffer's end, or not for this reader
                self.more(member)
                continue
            raw = self.text[self.at : end]
            self.at = end
            return value, raw

    def key(self, member: int) -> str:
        """An object's key and its colon."""
        if self.skip_space(member) != '"':
            raise Unsupported(member)
        value, raw = self.value(_KEYS, member)
        if "\\" in raw or self.skip_space(member) != ":":
            raise Unsupported(member)
        self.at += 1
        return value


_KEYS = json.JSONDecoder()
_CONTAINERS = {dict, list}


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether a parsed JSON value nests more than `limit` containers deep (itself counted)."""
    level = [value] if type(value) in _CONTAINERS else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        inner = []
        for container in level:
            values = container.values() if type(container) is dict else container
            if not _CONTAINERS.isdisjoint(map(type, values)):
                inner.extend(v for v in values if type(v) in _CONTAINERS)
        level = inner
    return False


def json_raw_members(path: Path, member: str) -> Iterator[tuple[str, str, Any]]:
    """(key, raw JSON text, parsed value) of each member of the object under the top-level key
    `member`, in file order, numbers parsed exactly (int, Decimal) as the careful reader does.

    Fast (Python's C JSON scanner, a member at a time) and strict: whatever it does not read
    exactly as `json_kvitems` would (escapes, non-UTF-8 text, NaN, a member over
    RAW_MEMBER_LIMIT, deep nesting, any other layout, malformed JSON) raises Unsupported
    naming the first member not yielded, so that the careful reader takes over from there
    and says what it says about the file."""
    decoder = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constant)
    count = 0
    with open_stream(path) as source:
        window = _RawReader(source)
        closing = window.open_object(count)
        while not closing:
            name = window.key(count)
            if name == member:
                done = window.open_object(count)
                while not done:
                    key = window.key(count)
                    if window.skip_space(count) != "{":  # an entry that is not an object: the careful reader's
                        raise Unsupported(count)
                    value, raw = window.value(decoder, count)
                    if "\\" in raw or _deeper_than(value, MAX_DEPTH - 2):  # under the top object and `member`
                        raise Unsupported(count)
                    yield key, raw, value
                    count += 1
                    done = _next_member(window, count)
                window.at += 1
            else:
                window.skip_space(count)
                value, raw = window.value(decoder, count)
                if "\\" in raw or _deeper_than(value, MAX_DEPTH - 1):
                    raise Unsupported(count)
            closing = _next_member(window, count)
        window.at += 1
        if window.skip_space(count) != "":  # trailing text: ijson's error to report
            raise Unsupported(count)


def _next_member(window: _RawReader, count: int) -> bool:
    """Past the comma between members; True at the object's closing brace (left at the cursor)."""
    following = window.skip_space(count)
    if following == "}":
        return True
    if following != ",":
        raise Unsupported(count)
    window.at += 1
    return False
