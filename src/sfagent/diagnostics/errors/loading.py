"""Reads and validates the catalog's TOML files into `CatalogEntry` objects.

Each file under catalog/ holds an `[[entries]]` array. Required keys: id (stable kebab-case
slug, linked from knowledge-base articles), title, category (a `Category` value), severity
(a `Severity` value), cause, fix (ordered steps), doc_url (developer.salesforce.com or
help.salesforce.com), patterns (RE2 syntax, matched case-insensitively) and examples
(messages that must pick this entry first). Optional: exception, status_code, limit,
keywords, context (patterns of which one must appear in the paste for the entry to apply),
generic (a wrapper that yields to specific errors) and priority (an integer tie-breaker).
Named groups in patterns become details: `over` (a count one past the limit), `count`,
`field`, `fields`, `object`, `status_code`, `record_id`; any other name lands in `extra`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from sfagent.diagnostics.errors.model import CatalogEntry, Category
from sfagent.diagnostics.findings import Severity
from sfagent.errors import ConfigurationError

CATALOG_PACKAGE = "sfagent.diagnostics.errors"
CATALOG_FOLDER = "catalog"
ENTRY_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
DOC_HOSTS = ("https://developer.salesforce.com/", "https://help.salesforce.com/")

REQUIRED_TEXT = ("id", "title", "category", "severity", "cause", "doc_url")
REQUIRED_LISTS = ("fix", "patterns", "examples")
OPTIONAL_TEXT = ("exception", "status_code", "limit")
OPTIONAL_LISTS = ("keywords", "context")
KNOWN_KEYS = frozenset(
    (*REQUIRED_TEXT, *REQUIRED_LISTS, *OPTIONAL_TEXT, *OPTIONAL_LISTS, "generic", "priority")
)


class CatalogError(ConfigurationError):
    """The catalog data is malformed: a packaging bug, not a user error."""


def catalog_files() -> list[Traversable]:
    """The shipped catalog's TOML files, in name order."""
    folder = resources.files(CATALOG_PACKAGE).joinpath(CATALOG_FOLDER)
    return sorted(
        (item for item in folder.iterdir() if item.name.endswith(".toml")),
        key=lambda item: item.name,
    )


def load_entries(files: Iterable[Traversable] | None = None) -> tuple[CatalogEntry, ...]:
    """Parse and validate every entry of the given (default: shipped) catalog files."""
    entries: list[CatalogEntry] = []
    for file in catalog_files() if files is None else files:
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise CatalogError(f"{file.name}: {error}") from error
        tables = data.get("entries")
        if not isinstance(tables, list) or set(data) != {"entries"}:
            raise CatalogError(f"{file.name}: expected only an [[entries]] array of tables")
        entries += [entry_from_table(table, source=file.name) for table in tables]
    ensure_unique_ids(entries)
    return tuple(entries)


def ensure_unique_ids(entries: Iterable[CatalogEntry]) -> None:
    """Raise CatalogError when two entries share an id."""
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.id in seen:
            raise CatalogError(f"duplicate id {entry.id!r} in {entry.source} and {seen[entry.id]}")
        seen[entry.id] = entry.source


def entry_from_table(table: dict[str, Any], *, source: str) -> CatalogEntry:
    """Build one entry from its TOML table, naming the file and id in any complaint."""
    where = f"{source}: entry {table.get('id', '?')!r}"
    unknown = set(table) - KNOWN_KEYS
    if unknown:
        raise CatalogError(f"{where}: unknown keys {sorted(unknown)}")
    text = {key: _required_text(table, key, where) for key in REQUIRED_TEXT}
    lists = {key: _texts(table, key, where, required=True) for key in REQUIRED_LISTS}
    if not ENTRY_ID.fullmatch(text["id"]):
        raise CatalogError(f"{where}: id must be a kebab-case slug")
    if not text["doc_url"].startswith(DOC_HOSTS):
        raise CatalogError(f"{where}: doc_url must be on {' or '.join(DOC_HOSTS)}")
    try:
        category = Category(text["category"])
        severity = Severity(text["severity"])
    except ValueError as error:
        raise CatalogError(f"{where}: {error}") from error
    generic = table.get("generic", False)
    priority = table.get("priority", 0)
    if not isinstance(generic, bool) or not isinstance(priority, int):
        raise CatalogError(f"{where}: generic must be a boolean and priority an integer")
    return CatalogEntry(
        id=text["id"],
        title=text["title"],
        category=category,
        severity=severity,
        cause=text["cause"],
        fix=lists["fix"],
        doc_url=text["doc_url"],
        patterns=lists["patterns"],
        examples=lists["examples"],
        exception=_optional_text(table, "exception", where),
        status_code=_optional_text(table, "status_code", where),
        limit=_optional_text(table, "limit", where),
        keywords=_texts(table, "keywords", where, required=False),
        context=_texts(table, "context", where, required=False),
        generic=generic,
        priority=priority,
        source=source,
    )


def _required_text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{where}: {key} must be a non-empty string")
    return value.strip()


def _optional_text(table: dict[str, Any], key: str, where: str) -> str | None:
    return _required_text(table, key, where) if key in table else None


def _texts(table: dict[str, Any], key: str, where: str, *, required: bool) -> tuple[str, ...]:
    values = table.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise CatalogError(f"{where}: {key} must be a list of non-empty strings")
    if required and not values:
        raise CatalogError(f"{where}: {key} must not be empty")
    return tuple(values)
