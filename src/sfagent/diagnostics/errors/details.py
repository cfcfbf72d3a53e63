"""Reads values out of a matched message: counts, status code, fields, record id, row."""

from __future__ import annotations

from sfagent.diagnostics.errors.linear_regex import LinearPattern, RegexHit
from sfagent.diagnostics.errors.model import CatalogEntry, ErrorDetails

# How far around a match its own values are looked for.
BEFORE_CHARS = 300
AFTER_CHARS = 600

EXCEPTION_TYPE = LinearPattern(
    r"\b(?:[A-Za-z_][A-Za-z0-9_]{0,79}\.){0,3}[A-Za-z_][A-Za-z0-9_]{0,79}Exception\b",
    ignore_case=False,
)
STATUS_CODE = LinearPattern(
    r"first error:\s{0,3}(?P<code>[A-Z][A-Z0-9_]{2,60})\b"
    r"|\"errorCode\"\s{0,3}:\s{0,3}\"(?P<json_code>[A-Z][A-Z0-9_]{2,60})\"",
    ignore_case=False,
)
FIELD_LIST = LinearPattern(
    r":\s{0,3}\[(?P<fields>[A-Za-z][A-Za-z0-9_., ]{0,300})\]"
    r"|\"fields\"\s{0,3}:\s{0,3}\[(?P<json_fields>[A-Za-z0-9_.\", ]{1,300})\]",
    ignore_case=False,
)
RECORD_ID = LinearPattern(r"\bid\s{0,3}[:=]?\s{0,3}(?P<id>[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?)\b")
FAILED_ROW = LinearPattern(r"first exception on row (?P<row>\d{1,6})")
FIELD_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
# Named groups a catalog pattern may use; any other named group lands in `extra`.
KNOWN_GROUPS = frozenset({"over", "count", "field", "fields", "object", "status_code", "record_id"})


def extract_details(entry: CatalogEntry, hit: RegexHit, text: str) -> ErrorDetails:
    """Details of one match; `hit` offsets are relative to `text`."""
    before = text[max(0, hit.start - BEFORE_CHARS) : hit.start]
    after = text[hit.start : hit.end + AFTER_CHARS]
    around = before + after
    groups = hit.groups
    count, limit_value = _counts(groups)
    return ErrorDetails(
        exception_type=_exception_type(before, hit.text) or entry.exception,
        status_code=groups.get("status_code") or entry.status_code or _status_code(after),
        count=count,
        limit_value=limit_value,
        fields=_fields(groups, after),
        object_name=groups.get("object"),
        record_id=groups.get("record_id") or _record_id(around),
        row=_row(around),
        extra={name: value for name, value in groups.items() if name not in KNOWN_GROUPS},
    )


def _counts(groups: dict[str, str]) -> tuple[int | None, int | None]:
    # Limit messages report the attempt that broke the limit: "Too many SOQL queries: 101".
    if "over" in groups:
        count = int(groups["over"])
        return count, count - 1
    if "count" in groups:
        return int(groups["count"]), None
    return None, None


def _exception_type(before: str, matched: str) -> str | None:
    inside = EXCEPTION_TYPE.search(matched)
    if inside:
        return inside.text
    line_before = before.rsplit("\n", 1)[-1]
    found = list(EXCEPTION_TYPE.finditer(line_before, max_hits=20))
    return found[-1].text if found else None


def _status_code(text: str) -> str | None:
    hit = STATUS_CODE.search(text)
    if hit is None:
        return None
    return hit.groups.get("code") or hit.groups.get("json_code")


def _fields(groups: dict[str, str], after: str) -> tuple[str, ...]:
    if "fields" in groups:
        return _field_names(groups["fields"])
    if "field" in groups:
        return _field_names(groups["field"])
    hit = FIELD_LIST.search(after)
    if hit is None:
        return ()
    return _field_names(hit.groups.get("fields") or hit.groups.get("json_fields", ""))


def _field_names(listed: str) -> tuple[str, ...]:
    names = (name.strip().strip("'\"") for name in listed.split(","))
    return tuple(name for name in names if name and set(name) <= FIELD_NAME_CHARS)


def _first_group(pattern: LinearPattern, text: str, group: str) -> str | None:
    hit = pattern.search(text)
    return hit.groups.get(group) if hit else None


def _record_id(text: str) -> str | None:
    # Salesforce ids mix digits in; a 15-letter word after "id" is prose, not an id.
    for hit in RECORD_ID.finditer(text, max_hits=5):
        value = hit.groups["id"]
        if sum(char.isdigit() for char in value) >= 3:
            return value
    return None


def _row(text: str) -> int | None:
    value = _first_group(FAILED_ROW, text, "row")
    return int(value) if value else None
