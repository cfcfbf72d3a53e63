"""Find pasted code and stack traces in a message, so clause splitting leaves them whole."""

from __future__ import annotations

import re

FENCE = re.compile(r"^[ \t]*(```|~~~)", re.MULTILINE)
INLINE_CODE = re.compile(r"`[^`\n]+`")
CODE_LINE = re.compile(
    r"""
      ^(?:\ {4,}|\t)\S                                   # indented block
    | ^\s*at\s+[\w$.<>]+\(                               # JVM-style stack frame
    | ^\s*(?:Class|Trigger|AnonymousBlock)\.?[\w.]*:\s*line\ \d+   # Apex stack frame
    | ^\s*Caused\ by:
    | \b[A-Z]\w*(?:\.\w+)*(?:Exception|Error):          # System.NullPointerException: ...
    | ^\s*\d{2}:\d{2}:\d{2}(?:\.\d+)?\ \(\d+\)\|          # debug log line
    | \|(?:DEBUG|FATAL_ERROR|EXCEPTION_THROWN|USER_DEBUG)\|
    | [{}]\s*$ | ^\s*[}\])]
    | ^\s*(?://|/\*|\*/|\*\ )
    | ^\s*@(?:isTest|IsTest|future|AuraEnabled|InvocableMethod|TestVisible|RestResource)\b
    | ^\s*(?:if|for|while|catch|switch)\s*\(
    | ^\s*(?:public|private|global|protected)\s+\w
    | \bSELECT\b[^\n]*\bFROM\b                           # SOQL
    | [(=][^\n]*;\s*$                                    # statement: call or assignment
    | ^\s*(?:insert|update|delete|upsert|return|throw)\b[^\n]*;\s*$
    | ^\s*(?:Traceback\ \(most\ recent|File\ "[^"]+",\ line\ \d+)
    """,
    re.VERBOSE,
)


def code_regions(text: str) -> list[tuple[int, int]]:
    """Character ranges [start, end) holding code: fenced blocks, code lines, `inline` code.

    A range begins at the line break before the code, so the code stays with the sentence
    that introduces it.
    """
    regions = _fenced_blocks(text) + _code_lines(text)
    regions += [(match.start(), match.end()) for match in INLINE_CODE.finditer(text)]
    return _merged(regions)


def overlaps(start: int, end: int, regions: list[tuple[int, int]]) -> bool:
    """Whether [start, end) touches any region."""
    return any(start < region_end and region_start < end for region_start, region_end in regions)


def _fenced_blocks(text: str) -> list[tuple[int, int]]:
    fences = list(FENCE.finditer(text))
    blocks: list[tuple[int, int]] = []
    for opening, closing in zip(fences[::2], fences[1::2], strict=False):
        end = text.find("\n", closing.end())
        blocks.append((_line_break_before(text, opening.start()), len(text) if end < 0 else end))
    if len(fences) % 2:  # an unclosed fence runs to the end of the message
        blocks.append((_line_break_before(text, fences[-1].start()), len(text)))
    return blocks


def _code_lines(text: str) -> list[tuple[int, int]]:
    lines: list[tuple[int, int]] = []
    position = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if body.strip() and CODE_LINE.search(body):
            lines.append((_line_break_before(text, position), position + len(body)))
        position += len(line)
    return lines


def _line_break_before(text: str, index: int) -> int:
    while index > 0 and text[index - 1] in "\r\n":
        index -= 1
    return index


def _merged(regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(regions):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
