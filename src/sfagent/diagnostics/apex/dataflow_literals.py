"""Literal values and type names as PMD renders them (string contents, literal kinds)."""

from __future__ import annotations

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow import text
from sfagent.diagnostics.apex.source import ApexSource


def string_value(source: ApexSource, node: Node) -> str:
    """The characters of a string literal without its quotes (escapes resolved)."""
    raw = text(source, node)
    if len(raw) >= 2 and raw[0] == "'" and raw[-1] == "'":
        raw = raw[1:-1]
    return _unescape(raw)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    chars: list[str] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            following = raw[index + 1]
            chars.append(_ESCAPES.get(following, following))
            index += 2
            continue
        chars.append(char)
        index += 1
    return "".join(chars)


def literal_kind(source: ApexSource, node: Node) -> str:
    """`string`, `integer`, `long`, `decimal`, `double`, `boolean` or `null`."""
    node_type = node.type
    if node_type == "string_literal":
        return "string"
    if node_type == "boolean":
        return "boolean"
    if node_type == "null_literal":
        return "null"
    raw = text(source, node).lower()
    if node_type == "int":
        return "long" if raw.endswith("l") else "integer"
    return "double" if raw.endswith("d") else "decimal"


def type_text(source: ApexSource, node: Node | None) -> str:
    """A type as PMD prints it: no spaces inside generics, primitives in canonical case."""
    if node is None:
        return ""
    raw = "".join(text(source, node).split())
    raw = raw.replace(",", ", ")
    return _PRIMITIVES.get(raw.lower(), raw)


_PRIMITIVES = {
    name.lower(): name
    for name in (
        "Blob",
        "Boolean",
        "Currency",
        "Date",
        "Datetime",
        "Decimal",
        "Double",
        "Id",
        "Integer",
        "Long",
        "Object",
        "String",
        "Time",
    )
}
