"""Reading providers' files as streams, in bounded memory, whatever their size.

.json, .jsonl, and either compressed as .gz, .xz, .bz2 or .zip (first member).
JSON is parsed incrementally (ijson's C backend), never loaded whole; errors
name the file and the position (line, or byte offset of the decompressed text).
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import ijson

from data.domain import MalformedInput

_MAGIC = {
    b"\x1f\x8b": gzip.open,
    b"\xfd7zXZ": lzma.open,
    b"BZh": bz2.open,
}


class _Counting(io.RawIOBase):
    """Counts the decompressed bytes read, to report where a parse failed."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


@contextmanager
def open_stream(path: Path) -> Iterator[_Counting]:
    """The decompressed bytes of a provider file, chosen by content, not by name."""
    with open(path, "rb") as probe:
        head = probe.read(6)
    if head.startswith(b"PK"):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if not members:
                raise MalformedInput(f"{path}: empty zip archive")
            with archive.open(members[0]) as member:
                yield _Counting(member)
        return
    opener = next((fn for magic, fn in _MAGIC.items() if head.startswith(magic)), open)
    try:
        with opener(path, "rb") as raw:
            yield _Counting(raw)
    except (EOFError, OSError, lzma.LZMAError) as exc:
        raise MalformedInput(f"{path}: truncated or corrupt compressed file: {exc}") from exc


def _where(path: Path, stream: _Counting) -> str:
    return f"{path} near byte {stream.position:,} of the decompressed data"


@contextmanager
def _parsing(path: Path, stream: _Counting) -> Iterator[None]:
    """Parse errors as MalformedInput naming the file and the position."""
    try:
        yield
    except ijson.JSONError as exc:
        raise MalformedInput(f"{_where(path, stream)}: malformed JSON: {exc}") from exc
    except (EOFError, OSError, lzma.LZMAError) as exc:
        raise MalformedInput(f"{_where(path, stream)}: truncated file: {exc}") from exc


def json_items(path: Path, prefix: str) -> Iterator[Any]:
    """Each element of the JSON array at `prefix` (ijson syntax, e.g. 'data.item')."""
    with open_stream(path) as stream, _parsing(path, stream):
        yield from ijson.items(stream, prefix, use_float=False)


def json_kvitems(path: Path, prefix: str) -> Iterator[tuple[str, Any]]:
    """Each (key, value) of the JSON object at `prefix`."""
    with open_stream(path) as stream, _parsing(path, stream):
        yield from ijson.kvitems(stream, prefix, use_float=False)


def json_value(path: Path, prefix: str) -> Any:
    """The (small) JSON value at `prefix`, e.g. a file's 'meta'; None when absent."""
    for value in json_items(path, prefix):
        return value
    return None


def json_lines_or_array(path: Path) -> Iterator[tuple[str, Any]]:
    """Objects of a JSON Lines file or of one top-level JSON array, with their position."""
    with open_stream(path) as stream:
        reader = io.BufferedReader(stream, buffer_size=1 << 20)
        first = reader.peek(64).lstrip()[:1]
        if first == b"[":
            with _parsing(path, stream):
                for index, obj in enumerate(ijson.items(reader, "item", use_float=False)):
                    yield f"{path} item {index + 1}", obj
            return
        with _parsing(path, stream):
            for number, line in enumerate(reader, start=1):
                if line.strip():
                    try:
                        yield f"{path} line {number}", json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise MalformedInput(f"{path} line {number}: malformed JSON: {exc}") from exc
