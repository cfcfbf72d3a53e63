"""Reading log text in bounded memory: whole lines, in batches, from a file, a string or lines."""

from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sfagent.diagnostics.logs.errors import NotADebugLog
from sfagent.diagnostics.logs.events import may_hold_truncation_marker
from sfagent.diagnostics.logs.model import SourceInfo

# A line longer than this is cut: the rest is read and hashed but never held in memory.
MAX_LINE_CHARS = 64 * 1024
READ_CHUNK_BYTES = 1024 * 1024
TEXT_SLICE_CHARS = 1024 * 1024
ITERABLE_BATCH_LINES = 8192
_SNIFF_BYTES = 8192
_CONTROL_SHARE_LIMIT = 0.1
_REPLACEMENT_CHAR = "\ufffd"
# C0 control characters other than tab, line feed, vertical tab, form feed and carriage return.
_CONTROL_BYTES = bytes(byte for byte in range(32) if not 9 <= byte <= 13)

# File signatures at offset 0 of formats people upload by mistake.
_SIGNATURES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program (ELF binary)"),
)

# Each batch: whole lines in log order, and whether any of them may hold one of Salesforce's
# truncation markers; False lets the analyser skip looking for them line by line.
LineBatches = Iterator[tuple[list[str], bool]]


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


def binary_kind(head: bytes) -> str | None:
    """What binary data this is ("a PNG image", ...), or None when it may be text."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    sample = head[:_SNIFF_BYTES]
    if b"\x00" in sample:
        return "binary data (it contains NUL bytes)"
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if sample and controls / len(sample) > _CONTROL_SHARE_LIMIT:
        return "binary data (it is mostly control characters)"
    return None


def reject_binary(head: bytes, what: str) -> None:
    """Raise NotADebugLog when the first bytes show a binary file."""
    kind = binary_kind(head)
    if kind is not None:
        raise NotADebugLog(f"{what} looks like {kind}, not an Apex debug log.")


def _may_hold_overlong_line(chunk: str) -> bool:
    # When every stretch of half the cap holds a line end, no line can be longer than the
    # cap; a few searches that stop at the first line end settle it for the usual chunk.
    half = MAX_LINE_CHARS // 2
    return any(chunk.find("\n", start, start + half) < 0 for start in range(0, len(chunk), half))


class LineSplitter:
    """Cuts decoded text pieces into whole lines, without line ends; caps overlong lines."""

    def __init__(self, stats: ReadStats) -> None:
        self._stats = stats
        self.starred = False  # whether the lines of the last push may hold "***"
        self._carry = ""
        self._skipping = False
        self._skip_ended_cr = False

    def push(self, text: str) -> list[str]:
        """Lines completed by this piece of text (a partial last line waits for the next)."""
        self.starred = False
        if self._skipping:
            text = self._skip_rest_of_line(text)
            if not text:
                return []
        cut = text.rfind("\n") + 1
        if cut == 0:
            self._carry += text
            return self._cut_overlong_carry()
        chunk = self._carry + text[:cut] if self._carry else text[:cut]
        self._carry = text[cut:]
        lines = self._split(chunk)
        lines.extend(self._cut_overlong_carry())
        return lines

    def finish(self) -> list[str]:
        """The last line when the text does not end with a line end."""
        carry, self._carry = self._carry, ""
        if self._skipping or not carry:
            return []
        self.starred = self.starred or may_hold_truncation_marker(carry)
        self._stats.line_count += 1
        return [carry.removesuffix("\r")]

    def _split(self, chunk: str) -> list[str]:
        self.starred = may_hold_truncation_marker(chunk)
        # A one-character search first: it is much faster than a two-character one.
        if "\r" in chunk and "\r\n" in chunk:
            self._stats.crlf = True
            chunk = chunk.replace("\r\n", "\n")
        lines = chunk.split("\n")
        lines.pop()  # the empty text after the chunk's final line end
        if _may_hold_overlong_line(chunk) and max(map(len, lines)) > MAX_LINE_CHARS:
            lines = [self._cap(line) for line in lines]
        self._stats.line_count += len(lines)
        return lines

    def _cap(self, line: str) -> str:
        if len(line) <= MAX_LINE_CHARS:
            return line
        self._stats.overlong_lines += 1
        return line[:MAX_LINE_CHARS]

    def _cut_overlong_carry(self) -> list[str]:
        # An unfinished line already past the cap is emitted now; the rest of it is dropped.
        if len(self._carry) <= MAX_LINE_CHARS:
            return []
        line = self._carry[:MAX_LINE_CHARS]
        self.starred = self.starred or may_hold_truncation_marker(line)
        self._skip_ended_cr = self._carry.endswith("\r")
        self._carry = ""
        self._skipping = True
        self._stats.overlong_lines += 1
        self._stats.line_count += 1
        return [line]

    def _skip_rest_of_line(self, text: str) -> str:
        newline = text.find("\n")
        if newline < 0:
            if text:
                self._skip_ended_cr = text.endswith("\r")
            return ""
        before = text[newline - 1] == "\r" if newline else self._skip_ended_cr
        self._stats.crlf = self._stats.crlf or before
        self._skipping = False
        return text[newline + 1 :]


def line_batches_from_path(path: str | os.PathLike[str], stats: ReadStats) -> LineBatches:
    """Yield the lines of a file in batches; undecodable bytes become U+FFFD and are counted."""
    name = Path(path).name
    with open(path, "rb") as raw:
        chunk = raw.read(READ_CHUNK_BYTES)
        if not chunk:
            raise NotADebugLog(f"{name} is empty.")
        codec, stats.encoding = sniff_encoding(chunk[:4])
        decoder = codecs.getincrementaldecoder(codec)(errors="replace")
        _reject_binary_start(chunk, codec, name)
        digest = hashlib.sha256()
        size = 0
        splitter = LineSplitter(stats)
        while chunk:
            digest.update(chunk)
            size += len(chunk)
            text = decoder.decode(chunk)
            if not text.isascii():
                stats.replacement_chars += text.count(_REPLACEMENT_CHAR)
            lines = splitter.push(text)
            yield lines, splitter.starred
            chunk = raw.read(READ_CHUNK_BYTES)
        tail = decoder.decode(b"", final=True)
        stats.replacement_chars += tail.count(_REPLACEMENT_CHAR)
        lines = splitter.push(tail)
        starred = splitter.starred
        lines += splitter.finish()
        yield lines, starred or splitter.starred
        stats.size_bytes = size
        stats.sha256 = digest.hexdigest()


def _reject_binary_start(first: bytes, codec: str, name: str) -> None:
    if codec.startswith("utf-16"):
        # NUL bytes are normal in UTF-16: judge the decoded text instead.
        head = first[:_SNIFF_BYTES].decode(codec, errors="replace")
        reject_binary(head.encode("utf-8", "replace"), name)
    else:
        reject_binary(first, name)


def line_batches_from_text(text: str, stats: ReadStats) -> LineBatches:
    """Yield the lines of text already in memory (a pasted log) in batches."""
    if not text:
        raise NotADebugLog("The text is empty.")
    reject_binary(text[:_SNIFF_BYTES].encode("utf-8", "surrogatepass"), "The text")
    splitter = LineSplitter(stats)
    for start in range(0, len(text), TEXT_SLICE_CHARS):
        lines = splitter.push(text[start : start + TEXT_SLICE_CHARS])
        yield lines, splitter.starred
    lines = splitter.finish()
    yield lines, splitter.starred


def line_batches_from_iterable(items: Iterable[str], stats: ReadStats) -> LineBatches:
    """Yield each item as one line, without its line end and cut to MAX_LINE_CHARS."""
    batch: list[str] = []
    for item in items:
        if not batch and stats.line_count == 0:
            reject_binary(item[:_SNIFF_BYTES].encode("utf-8", "surrogatepass"), "The input")
        if item.endswith("\n"):
            item = item[:-1]
            if item.endswith("\r"):
                item = item[:-1]
                stats.crlf = True
        if len(item) > MAX_LINE_CHARS:
            stats.overlong_lines += 1
            item = item[:MAX_LINE_CHARS]
        batch.append(item)
        if len(batch) >= ITERABLE_BATCH_LINES:
            stats.line_count += len(batch)
            yield batch, True
            batch = []
    stats.line_count += len(batch)
    yield batch, True
