"""Scanning a text with every rule, as written and with URL escapes and entities decoded."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .matching import _matches
from .rule import EXCERPT_CHARS, AttackFinding, AttackKind
from .rules_command import _COMMAND_RULES
from .rules_prompt import _ENCODED_PAYLOAD, _PROMPT_RULES
from .rules_script import _SCRIPT_RULES
from .rules_sql import _SQL_RULES

# Enough to report a message; neutralising scans without the cap, since it must remove all.
_MAX_FINDINGS_PER_RULE = 64
_RULES = (*_SQL_RULES, *_SCRIPT_RULES, *_COMMAND_RULES, *_PROMPT_RULES, _ENCODED_PAYLOAD)


def _outermost(findings: list[AttackFinding]) -> list[AttackFinding]:
    """Drops a finding that lies inside another of the same kind (two phrasings of one attack)."""
    kept: list[AttackFinding] = []
    reach: dict[AttackKind, int] = {}
    for finding in sorted(findings, key=lambda f: (f.start, -f.end, f.rule)):
        if finding.end <= reach.get(finding.kind, -1):
            continue
        reach[finding.kind] = max(reach.get(finding.kind, -1), finding.end)
        kept.append(finding)
    return kept


# A percent-escape of a character an attack needs (quote, space, <, ;, |, newline ...).
_MEANINGFUL_ESCAPE = re.compile(r"%(?:2[0-9a-f]|3[b-e]|0[ad]|5c|60|7c)", re.IGNORECASE)
_ENTITY = re.compile(r"&#x?[0-9a-f]{1,6};?|&(?:lt|gt|quot|apos|amp|tab|newline|colon);", re.I)
_ESCAPE = re.compile(
    r"%(?P<url>[0-7][0-9a-f])|&#(?P<dec>\d{1,7});?|&#x(?P<hex>[0-9a-f]{1,6});?"
    r"|&(?P<name>lt|gt|quot|apos|amp|tab|newline|colon);|(?P<plus>\+)",
    re.IGNORECASE,
)
_NAMED = {
    "lt": "<",
    "gt": ">",
    "quot": '"',
    "apos": "'",
    "amp": "&",
    "tab": "\t",
    "newline": "\n",
    "colon": ":",
}


def _unescaped(escape: re.Match[str], url: bool) -> str | None:
    """The character an escape stands for, or None to keep it as written."""
    if escape["url"]:
        return chr(int(escape["url"], 16))
    if escape["name"]:
        return _NAMED[escape["name"].lower()]
    if escape["plus"]:
        return " " if url else None
    code = int(escape["dec"], 10) if escape["dec"] else int(escape["hex"], 16)
    return chr(code) if code < 0xD800 or 0xE000 <= code <= 0x10FFFF else None


def _decoded_view(text: str) -> tuple[str, list[int]] | None:
    """`text` with URL escapes and HTML entities decoded, and where each character came from."""
    url = _MEANINGFUL_ESCAPE.search(text) is not None
    if not url and _ENTITY.search(text) is None:
        return None
    pieces: list[str] = []
    origins: list[int] = []
    cursor = 0
    for escape in _ESCAPE.finditer(text):
        char = _unescaped(escape, url)
        if char is None:
            continue
        pieces.append(text[cursor : escape.start()])
        origins.extend(range(cursor, escape.start()))
        pieces.append(char)
        origins.append(escape.start())
        cursor = escape.end()
    pieces.append(text[cursor:])
    origins.extend(range(cursor, len(text) + 1))
    return "".join(pieces), origins


def _escaped_findings(text: str, limit: int | None) -> Iterator[AttackFinding]:
    """Attacks pasted as they travel in a URL or an HTML attribute: `%27%20OR%20%271%27%3D%271`."""
    decoded = _decoded_view(text)
    if decoded is None:
        return
    plain, origins = decoded
    for finding in _matches(plain, _RULES, limit):
        start, end = origins[finding.start], origins[finding.end]
        excerpt = text[start:end][:EXCERPT_CHARS]
        yield AttackFinding(finding.kind, finding.rule, start, end, excerpt)


def _scan(text: str, limit: int | None) -> list[AttackFinding]:
    return _outermost([*_matches(text, _RULES, limit), *_escaped_findings(text, limit)])


def scan(text: str) -> list[AttackFinding]:
    """Attack patterns and prompt injections found in `text`, sorted by start."""
    return _scan(text, _MAX_FINDINGS_PER_RULE)
