"""Reading log lines in bounded memory from a file or any iterable of text."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, TextIO

from sfagent.diagnostics.logs.model import SourceInfo

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

# A line longer than this is cut: the rest is read and hashed but never held in memory.
MAX_LINE_CHARS = 64 * 1024
_READ_BUFFER_BYTES = 1024 * 1024
_REPLACEMENT_CHAR = "\ufffd"


@dataclass(slots=True)
class ReadStats:
    """Facts about the raw text, filled in while the lines are consumed."""

    encoding: str = "text"
    line_count: int = 0
    crlf: bool = False
    replacement_chars: int = 0
    overlong_lines: int = 0
    size_bytes: int | None = None
    sha256: str | None = None

    def freeze(self) -> SourceInfo:
        """Snapshot as the public, immutable SourceInfo."""
        return SourceInfo(
            line_count=self.line_count,
            crlf=self.crlf,
            encoding=self.encoding,
            size_bytes=self.size_bytes,
            sha256=self.sha256,
            replacement_chars=self.replacement_chars,
            overlong_lines=self.overlong_lines,
        )


class _HashingReader(io.RawIOBase):
    """Raw reader that hashes and counts every byte on its way to the decoder."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self._raw.read(len(view))
        count = len(data)
        view[:count] = data
        self.digest.update(data)
        self.size += count
        return count


def sniff_encoding(head: bytes) -> tuple[str, str]:
    """(codec to decode with, name to report) from a file's first bytes."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "utf-8-sig"
    if head.startswith(b"\xff\xfe"):
        return "utf-16", "utf-16-le"
    if head.startswith(b"\xfe\xff"):
        return "utf-16", "utf-16-be"
    # UTF-16LE without a BOM: ASCII digits of the api version followed by NULs.
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] != 0:
        return "utf-16-le", "utf-16-le"
    return "utf-8", "utf-8"


def lines_from_path(path: str | os.PathLike[str], stats: ReadStats) -> Iterator[str]:
    """Yield the lines of a file without their line ends; undecodable bytes become U+FFFD."""
    with open(path, "rb") as probe:
        codec, stats.encoding = sniff_encoding(probe.read(4))
    with open(path, "rb", buffering=0) as raw:
        hashing = _HashingReader(raw)
        buffered = io.BufferedReader(hashing, buffer_size=_READ_BUFFER_BYTES)
        # newline="\n": a stray "\r" inside an event must not split it into two lines.
        text = io.TextIOWrapper(buffered, encoding=codec, errors="replace", newline="\n")
        yield from _capped_lines(text, stats, count_replacements=True)
        stats.size_bytes = hashing.size
        stats.sha256 = hashing.digest.hexdigest()


def _capped_lines(stream: TextIO, stats: ReadStats, *, count_replacements: bool) -> Iterator[str]:
    while head := stream.readline(MAX_LINE_CHARS):
        tail = head
        overlong = False
        while not tail.endswith("\n"):
            next_piece = stream.readline(MAX_LINE_CHARS)
            if not next_piece:
                break
            overlong = True
            if count_replacements:
                stats.replacement_chars += next_piece.count(_REPLACEMENT_CHAR)
            tail = next_piece
        if count_replacements:
            stats.replacement_chars += head.count(_REPLACEMENT_CHAR)
        stats.overlong_lines += overlong
        stats.crlf = stats.crlf or tail.endswith("\r\n")
        stats.line_count += 1
        yield head if overlong else head.removesuffix("\n").removesuffix("\r")


def lines_from_iterable(items: Iterable[str], stats: ReadStats) -> Iterator[str]:
    """Yield each item as one line, without its line end and cut to MAX_LINE_CHARS."""
    for item in items:
        if item.endswith("\n"):
            item = item[:-1]
            if item.endswith("\r"):
                item = item[:-1]
                stats.crlf = True
        if len(item) > MAX_LINE_CHARS:
            stats.overlong_lines += 1
            item = item[:MAX_LINE_CHARS]
        stats.line_count += 1
        yield item


def lines_from_text(text: str, stats: ReadStats) -> Iterator[str]:
    """Yield the lines of text already in memory (a pasted log)."""
    yield from _capped_lines(io.StringIO(text, newline="\n"), stats, count_replacements=False)
