"""Find what a support message carries: Apex code, SOQL queries, a debug log, error text.

Users paste code with or without Markdown fences, logs straight from the Developer
Console, and queries inline in a sentence. Each piece is located by character offsets so
findings can be related back to what the user wrote.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import StrEnum


class ArtifactKind(StrEnum):
    APEX = "apex"
    SOQL = "soql"
    LOG = "log"


@dataclass(frozen=True, slots=True)
class Artifact:
    """One pasted piece of a message and where it sits (character offsets)."""

    kind: ArtifactKind
    text: str
    start: int
    end: int
    fenced: bool = False


_FENCE = re.compile(r"^[ \t]*(```|~~~)[ \t]*([\w+-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.M | re.S)
_LOG_LINE = re.compile(r"^\s*(?:\d{2}:\d{2}:\d{2}\.\d+ \(\d+\)\||\d{2}\.\d+ APEX_CODE,)", re.M)
# A select list is fields, functions or subqueries separated by commas, so prose such as
# "select the right record from the list" is not mistaken for a query. Atomic groups keep
# the check linear on adversarial text.
_SELECT_ITEM = r"(?>[\w.]+(?:\([^()]{0,200}\))?|\((?:[^()]|\([^()]{0,200}\)){1,4000}\))(?:\s+\w+)?"
_SELECT_LIST = re.compile(rf"{_SELECT_ITEM}(?:\s*,\s*{_SELECT_ITEM})*+", re.I)
_SELECT_WORD = re.compile(r"\bSELECT\s", re.I)
_FROM_CLAUSE = re.compile(r"\sFROM\s+[A-Za-z_][\w.]*", re.I)
_QUERY_END = re.compile(r"[\];\n]")
MAX_SELECT_LIST_CHARS = 4000
_CODE_START = re.compile(
    r"^\s*(?:@\w+|(?:public|private|global|protected)\b|(?:abstract|virtual)\s+class\b"
    r"|class\s+\w+|trigger\s+\w+\s+on\s+\w+|(?:for|if|while)\s*\(|try\s*\{"
    r"|(?:insert|update|upsert|delete|undelete)\s+\w+\s*;|System\.\w+\s*\()",
    re.I,
)
_CODE_LINE = re.compile(r"(?:[;{}]\s*(?://.*)?$|^\s*(?://|/\*|\*|\}|@\w+)|^\s*$)")
_APEX_TAGS = frozenset({"apex", "java", "cls", "trigger", "apxc", "apxt", "csharp", "c#"})
_SOQL_TAGS = frozenset({"soql", "sql"})
_LOG_TAGS = frozenset({"log", "debuglog"})
MIN_LOG_LINES = 2
MIN_CODE_LINES = 2


def find_artifacts(message: str) -> list[Artifact]:
    """Code, queries and logs in a message, in order of appearance."""
    artifacts: list[Artifact] = []
    taken: list[tuple[int, int]] = []
    for match in _FENCE.finditer(message):
        body_start = match.start(3)
        body = match.group(3)
        kind = _fenced_kind(match.group(2).lower(), body)
        taken.append((match.start(), match.end()))
        if kind is not None and body.strip():
            artifacts.append(Artifact(kind, body, body_start, body_start + len(body), True))
    prose_spans = _gaps(len(message), taken)
    for start, end in prose_spans:
        artifacts.extend(_unfenced(message, start, end))
    return sorted(artifacts, key=lambda artifact: artifact.start)


def _fenced_kind(tag: str, body: str) -> ArtifactKind | None:
    if tag in _LOG_TAGS or len(_LOG_LINE.findall(body)) >= MIN_LOG_LINES:
        return ArtifactKind.LOG
    if tag in _SOQL_TAGS or re.match(r"\s*\[?\s*SELECT\b", body, re.I):
        return ArtifactKind.SOQL
    if tag in _APEX_TAGS or _looks_like_code(body):
        return ArtifactKind.APEX
    return None


def _looks_like_code(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    code_lines = sum(1 for line in lines if _CODE_LINE.search(line))
    return bool(lines) and code_lines / len(lines) >= 0.5 and any(c in text for c in ";{")


def _gaps(length: int, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    gaps, position = [], 0
    for start, end in sorted(taken):
        if start > position:
            gaps.append((position, start))
        position = max(position, end)
    if position < length:
        gaps.append((position, length))
    return gaps


def _unfenced(message: str, start: int, end: int) -> list[Artifact]:
    found: list[Artifact] = []
    log = _log_region(message, start, end)
    regions = [log] if log else []
    if log is not None:
        found.append(log)
    for code in _code_regions(message, start, end, regions):
        found.append(code)
        regions.append(code)
    for query in _inline_queries(message, start, end, regions):
        found.append(query)
    return found


def _log_region(message: str, start: int, end: int) -> Artifact | None:
    lines = list(_LOG_LINE.finditer(message, start, end))
    if len(lines) < MIN_LOG_LINES:
        return None
    first = lines[0].start()
    last_line_end = message.find("\n", lines[-1].end(), end)
    stop = end if last_line_end == -1 else last_line_end
    return Artifact(ArtifactKind.LOG, message[first:stop], first, stop)


def _code_regions(message: str, start: int, end: int, taken: list[Artifact]) -> list[Artifact]:
    regions: list[Artifact] = []
    lines = _lines_with_offsets(message, start, end)
    index = 0
    while index < len(lines):
        offset, line = lines[index]
        if _inside(offset, taken) or not _CODE_START.match(line):
            index += 1
            continue
        stop = index + 1
        while stop < len(lines) and _continues_code(lines[stop][1]):
            stop += 1
        block = lines[index:stop]
        text = "\n".join(text for _, text in block).rstrip()
        code_lines = sum(1 for _, text in block if text.strip())
        if code_lines >= MIN_CODE_LINES or text.rstrip().endswith((";", "}")):
            regions.append(Artifact(ArtifactKind.APEX, text, offset, offset + len(text)))
        index = stop
    return regions


def _continues_code(line: str) -> bool:
    return bool(_CODE_LINE.search(line) or _CODE_START.match(line) or line.startswith((" ", "\t")))


def _lines_with_offsets(message: str, start: int, end: int) -> list[tuple[int, str]]:
    lines, offset = [], start
    for line in message[start:end].split("\n"):
        lines.append((offset, line))
        offset += len(line) + 1
    return lines


def _inline_queries(message: str, start: int, end: int, taken: list[Artifact]) -> list[Artifact]:
    froms = [match for match in _FROM_CLAUSE.finditer(message, start, end)]
    from_starts = [match.start() for match in froms]
    queries: list[Artifact] = []
    resume = start
    for select in _SELECT_WORD.finditer(message, start, end):
        begin = select.start()
        if begin < resume or _inside(begin, taken):
            continue
        index = bisect.bisect_left(from_starts, select.end() - 1)
        if index == len(froms) or from_starts[index] - begin > MAX_SELECT_LIST_CHARS:
            continue
        select_list = message[select.end() : from_starts[index]].strip()
        if not _SELECT_LIST.fullmatch(select_list):
            continue
        stop = _QUERY_END.search(message, froms[index].end(), end)
        text = message[begin : stop.start() if stop else end].rstrip(" .,)?!")
        queries.append(Artifact(ArtifactKind.SOQL, text, begin, begin + len(text)))
        resume = begin + len(text)
    return queries


def _inside(offset: int, artifacts: list[Artifact]) -> bool:
    return any(artifact.start <= offset < artifact.end for artifact in artifacts)
