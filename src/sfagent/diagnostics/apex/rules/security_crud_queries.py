"""Query text facts ApexCRUDViolation needs: queried objects and access-mode clauses."""

from __future__ import annotations

import re

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow_scopes import scopes_of
from sfagent.diagnostics.apex.source import ApexSource

# PMD's SELECT_FROM_PATTERN `[\S|\s]+?FROM[\s]+?(\w+)` applied with find(): each match needs
# one character before FROM; searching from one past the previous match gives the same
# matches without the lazy prefix's quadratic scanning.
_FROM_OBJECT = re.compile(r"FROM[ \t\n\x0b\f\r]+(\w+)", re.IGNORECASE | re.ASCII)
_BIND_VARIABLE = re.compile(r":[^ :]+\b")
_ACCESS_CLAUSES = tuple(
    re.compile(r"(?is).*[^']\s*WITH\s+" + mode + r"\s*[^']*")
    for mode in ("SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE")
)
_LIST_TYPE = re.compile(r"^(?:list<)?list<(\S+?)>>?$", re.IGNORECASE)


def simple_type(type_name: str) -> str:
    """PMD's getSimpleType: `List<Contact>` -> `Contact`; anything else unchanged."""
    match = _LIST_TYPE.search(type_name)
    return match.group(1) if match else type_name


def query_text(source: ApexSource, query: Node) -> str:
    """The query's text without comments (PMD sees the parsed query, not the comments)."""
    raw = source.data[query.start_byte : query.end_byte]
    if b"//" not in raw and b"/*" not in raw:
        return raw.decode("utf-8", "replace")
    scopes = scopes_of(source)
    comments = [
        comment
        for node_type in ("line_comment", "block_comment")
        for comment in scopes.within(node_type, query.start_byte, query.end_byte)
    ]
    pieces = bytearray(raw)
    for comment in comments:
        begin, end = comment.start_byte - query.start_byte, comment.end_byte - query.start_byte
        pieces[begin:end] = b" " * (end - begin)
    return bytes(pieces).decode("utf-8", "replace")


def queried_objects(raw_query: str) -> list[str]:
    """Objects after each FROM, as PMD's getTypesFromSOQLQuery finds them."""
    canonical = _BIND_VARIABLE.sub(":tmpVar", raw_query)
    found: list[str] = []
    position = 1
    while True:
        match = _FROM_OBJECT.search(canonical, position)
        if match is None:
            return found
        if match.group(1) not in found:
            found.append(match.group(1))
        position = match.end() + 1


def has_access_clause(raw: str) -> bool:
    """`WITH SECURITY_ENFORCED`, `WITH USER_MODE` or `WITH SYSTEM_MODE` outside a string."""
    upper = raw.upper()
    if "SECURITY_ENFORCED" not in upper and "_MODE" not in upper:
        return False
    return any(pattern.fullmatch(raw) for pattern in _ACCESS_CLAUSES)
