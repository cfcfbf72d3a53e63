"""The shipped catalog: complete, consistent entries whose own examples pick them first."""

from __future__ import annotations

import re

import pytest

from sfagent.diagnostics.errors import CatalogEntry, Category, ErrorCatalog, default_catalog
from sfagent.diagnostics.findings import Severity

CATALOG = default_catalog()
ENTRIES = CATALOG.entries
EXAMPLES = [(entry, example) for entry in ENTRIES for example in entry.examples]
STATUS_CODE = re.compile(r"[A-Z][A-Z0-9_]+")
# Limit values stated in the catalog must agree with the Apex governor limits.
KNOWN_LIMITS = {
    "limit-too-many-soql-queries": ("100 synchronous", "200 asynchronous"),
    "limit-too-many-dml-statements": ("150",),
    "limit-too-many-dml-rows": ("10,000",),
    "limit-too-many-query-rows": ("50,000",),
    "limit-apex-cpu-time": ("10,000 ms synchronous", "60,000 ms asynchronous"),
    "limit-apex-heap-size": ("6 MB synchronous", "12 MB asynchronous"),
    "limit-too-many-callouts": ("100",),
    "limit-too-many-future-calls": ("50",),
    "limit-too-many-queueable-jobs": ("50 synchronous", "1 from an asynchronous"),
    "limit-too-many-sosl-queries": ("20",),
    "limit-too-many-email-invocations": ("10",),
    "limit-maximum-trigger-depth": ("16",),
}


def entry_id(value: object) -> str:
    return value.id if isinstance(value, CatalogEntry) else str(value)[:40]


def test_catalog_has_at_least_120_entries() -> None:
    assert len(CATALOG) >= 120


def test_entry_ids_are_unique_kebab_case_slugs() -> None:
    ids = [entry.id for entry in ENTRIES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", entry_id) for entry_id in ids)


@pytest.mark.parametrize("entry", ENTRIES, ids=entry_id)
def test_entry_has_every_required_field(entry: CatalogEntry) -> None:
    assert entry.title and entry.cause and entry.fix and entry.patterns and entry.examples
    assert isinstance(entry.category, Category)
    assert isinstance(entry.severity, Severity)
    assert all(step.strip() for step in entry.fix)
    assert entry.doc_url.startswith(
        ("https://developer.salesforce.com/", "https://help.salesforce.com/")
    )
    assert entry.source.endswith(".toml")


@pytest.mark.parametrize("entry", ENTRIES, ids=entry_id)
def test_status_codes_and_exceptions_are_well_formed(entry: CatalogEntry) -> None:
    if entry.status_code:
        assert STATUS_CODE.fullmatch(entry.status_code)
    if entry.exception:
        assert re.fullmatch(r"System\.[A-Za-z]+Exception", entry.exception)


def test_every_category_used_is_one_of_the_support_categories() -> None:
    allowed = {category.value for category in Category}
    assert {entry.category.value for entry in ENTRIES} <= allowed
    assert len(allowed) == 15


def test_governor_limit_entries_state_their_limit() -> None:
    apex_limits = [entry for entry in ENTRIES if entry.source == "apex_limits.toml"]
    missing = [entry.id for entry in apex_limits if entry.exception and not entry.limit]
    assert not missing


@pytest.mark.parametrize(("entry_id", "values"), sorted(KNOWN_LIMITS.items()))
def test_limit_values_match_the_governor_limits(entry_id: str, values: tuple[str, ...]) -> None:
    entry = CATALOG.get(entry_id)
    assert entry is not None and entry.limit is not None
    assert all(value in entry.limit for value in values), entry.limit


@pytest.mark.parametrize(("entry", "example"), EXAMPLES, ids=entry_id)
def test_each_example_matches_its_own_entry_first(entry: CatalogEntry, example: str) -> None:
    matches = CATALOG.match(example, limit=3)
    assert matches, f"no entry matched {example!r}"
    assert matches[0].entry_id == entry.id, [match.entry_id for match in matches]


def test_get_returns_entries_by_id_and_none_for_unknown_ids() -> None:
    assert CATALOG.get("limit-too-many-soql-queries") is not None
    assert CATALOG.get("no-such-entry") is None


def test_default_catalog_is_loaded_once() -> None:
    assert default_catalog() is CATALOG


def test_a_fresh_load_equals_the_shared_catalog() -> None:
    assert ErrorCatalog.load().entries == CATALOG.entries
