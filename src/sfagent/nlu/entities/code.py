"""Code and machine output inside a message: fenced blocks, Apex/SOQL lines, stack traces, logs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sfagent.nlu.entities.model import Entity, EntityType, make_entity

_FENCE = re.compile(r"^[ \t]*(?P<fence>```+|~~~+)[ \t]*(?P<info>[\w+#.-]*)[^\n]*$", re.MULTILINE)
_ONE_LINE_FENCE = re.compile(r"```[^`\n]+```")

_TRACE_LINE = re.compile(
    r"^\s*(?:(?:Class|Trigger)\.[\w.$]+: line \d+, column \d+|AnonymousBlock: line \d+"
    r"|at\s+[\w$.<>]+\(.*\)\s*$|Caused by:\s+\S+)"
)
_LINE_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("log", re.compile(r"^\d{2}:\d{2}:\d{2}\.\d+\s+\(\d+\)\|[A-Z_]+")),
    ("stack_trace", _TRACE_LINE),
    ("soql", re.compile(r"\[\s*SELECT\b.{1,500}?\bFROM\b", re.IGNORECASE)),
    ("soql", re.compile(r"^\s*SELECT\s+[\w.,\s()]{1,2000}?\s+FROM\s+\w+")),
    (
        "apex",
        re.compile(
            r"^\s*(?:(?:public|private|global|protected)\s+(?:(?:static|virtual|abstract|override|"
            r"final|with\s+sharing|without\s+sharing|inherited\s+sharing|testMethod)\s+)*"
            r"(?:class|interface|enum|void|[A-Z]\w*(?:<[^>]*>)?)\b"
            r"|trigger\s+\w+\s+on\s+\w+\s*\("
            r"|@(?:isTest|AuraEnabled|future|InvocableMethod|TestSetup|RemoteAction)\b)"
            r"|\bSystem\.(?:debug|assert\w*|enqueueJob|schedule)\s*\("
        ),
    ),
)
# A statement: ends with ';' (before any // comment) and assigns, calls or runs DML/new/return.
_STATEMENT = re.compile(
    r"[\w\])]\s*(?:=|\.\w+\()|\b(?:insert|update|upsert|delete|return|new)\s+[\w\[(]"
)
_PROSE_WORDS = re.compile(r"\b(?:I|we|you|it's|I'm|please|thanks)\b", re.IGNORECASE)
_MAX_STATEMENT_LINE = 400
_BRACE_LINE = re.compile(r"^\s*(?:[{}()\];]+|}\s*else\s*{|}\s*catch\s*\(.*\)\s*{)\s*$")
_EXCEPTION_HEADER = re.compile(r"^\s*(?:[A-Za-z]\w*\.)*[A-Z]\w*(?:Exception|_ERROR|_EXCEPTION):")


@dataclass(frozen=True, slots=True)
class CodeRegion:
    """A span of code or machine output; `kind` is fenced, apex, soql, stack_trace or log."""

    start: int
    end: int
    kind: str
    language: str | None


def find_code_regions(text: str) -> list[CodeRegion]:
    """Fenced blocks plus runs of code-looking lines outside them, in text order."""
    fenced = _fenced_blocks(text) if "`" in text or "~~~" in text else []
    regions = list(fenced)
    cursor = 0
    for block in fenced:
        regions += _code_lines(text, cursor, block.start)
        cursor = block.end
    regions += _code_lines(text, cursor, len(text))
    return sorted(regions, key=lambda region: region.start)


def _fenced_blocks(text: str) -> list[CodeRegion]:
    blocks: list[CodeRegion] = []
    opening: re.Match[str] | None = None
    for match in _FENCE.finditer(text):
        if opening is None:
            opening = None if _ONE_LINE_FENCE.search(match.group()) else match
        elif match.group("fence")[0] == opening.group("fence")[0] and not match.group("info"):
            blocks.append(_fenced(opening, match.end()))
            opening = None
    if opening is not None:  # an unclosed fence runs to the end of the message
        blocks.append(_fenced(opening, len(text)))
    for match in _ONE_LINE_FENCE.finditer(text):
        if not any(block.start <= match.start() < block.end for block in blocks):
            blocks.append(CodeRegion(match.start(), match.end(), "fenced", None))
    return sorted(blocks, key=lambda block: block.start)


def _fenced(opening: re.Match[str], end: int) -> CodeRegion:
    info = opening.group("info").lower() or None
    return CodeRegion(opening.start("fence"), end, "fenced", info)


def _code_lines(text: str, start: int, end: int) -> list[CodeRegion]:
    """Group consecutive code lines (brace lines and one blank line may sit between them)."""
    regions: list[CodeRegion] = []
    run: CodeRegion | None = None
    blank_seen = False
    position = start
    while position < end:
        line_end = text.find("\n", position, end)
        line_end = end if line_end == -1 else line_end
        line = text[position:line_end]
        kind = _line_kind(line, text, line_end, end)
        if kind is not None or (run is not None and _BRACE_LINE.match(line)):
            if run is None:
                indent = len(line) - len(line.lstrip())
                run = CodeRegion(position + indent, line_end, kind or "apex", None)
            else:
                run = CodeRegion(run.start, line_end, run.kind, None)
            blank_seen = False
        elif run is not None and not line.strip() and not blank_seen:
            blank_seen = True
        elif run is not None:
            regions.append(_finished(run))
            run, blank_seen = None, False
        position = line_end + 1
    if run is not None:
        regions.append(_finished(run))
    return regions


def _finished(run: CodeRegion) -> CodeRegion:
    language = None if run.kind in ("stack_trace", "log") else run.kind
    return CodeRegion(run.start, run.end, run.kind, language)


def _line_kind(line: str, text: str, line_end: int, end: int) -> str | None:
    if not line.strip():
        return None
    for kind, pattern in _LINE_KINDS:
        if pattern.search(line):
            return kind
    if _is_statement(line):
        return "apex"
    if _EXCEPTION_HEADER.match(line) and _next_line_is_trace(text, line_end, end):
        return "stack_trace"
    return None


def _is_statement(line: str) -> bool:
    if len(line) > _MAX_STATEMENT_LINE:
        return False
    code = line.split("//", 1)[0].rstrip()
    return code.endswith(";") and bool(_STATEMENT.search(code)) and not _PROSE_WORDS.search(code)


def _next_line_is_trace(text: str, line_end: int, end: int) -> bool:
    next_end = text.find("\n", line_end + 1, end)
    next_line = text[line_end + 1 : end if next_end == -1 else next_end]
    return bool(_TRACE_LINE.search(next_line))


def code_entities(text: str, regions: Sequence[CodeRegion]) -> list[Entity]:
    """One CODE entity per region; the value is the language or the kind of output."""
    return [
        make_entity(
            EntityType.CODE,
            text,
            region.start,
            region.end,
            region.language or region.kind,
            {"kind": region.kind, "language": region.language},
        )
        for region in regions
    ]


def mask_regions(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Blank out spans with spaces, keeping newlines, so every offset still points the same."""
    if not spans:
        return text
    pieces: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        if end <= cursor:
            continue
        start = max(start, cursor)
        pieces.append(text[cursor:start])
        pieces.append(re.sub(r"[^\n]", " ", text[start:end]))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
