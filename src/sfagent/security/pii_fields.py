"""Span finders for values whose field name says what they are: JSON, Apex, properties, CSV.

A REST response (`"Birthdate": "1986-02-11"`), an Apex test (`MRN__c='0061847'`), a template
variable (`SET @testDOB = "1992-12-05"`) or a Data Loader file (a `BIRTHDATE` column) names
the field, so the value needs no words around it. Each value must still have its type's shape.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator

import re2  # type: ignore[import-untyped]

from sfagent.security.pii_patterns import Span

FieldKind = str  # "date_of_birth", "postal_address" or "medical_record"

# Salesforce standard fields (Birthdate, PersonBirthdate, MailingStreet, BillingStreet ...),
# Health Cloud's MedicalRecordNumber__c, and what people name their own.
_BIRTH_NAME = re.compile(
    r"(?i)(?:\w*birth(?:_?date|_?day)\w*|\w*dob|\w*date_?of_?birth\w*|fecha_?(?:de_?)?nacimiento"
    r"|geburts(?:datum|tag)|date_?de_?naissance|data_?(?:de_?|di_?)?nasc\w*)"
)
_STREET_NAME = re.compile(
    r"(?i)(?:\w*street(?:_?address)?(?:__c)?|\w*address_?line_?\d?(?:__c)?|street_?\d|strasse"
    r"|stra(?:ß|ss)e|calle|direcci[oó]n|adresse|rue|indirizzo|endere[cç]o)"
)
_MRN_NAME = re.compile(
    r"(?i)(?:\w*mrn\w*|\w*medical_?record_?(?:number|no|num|id)\w*|\w*patient_?(?:id|number)"
    r"(?:__c)?|\w*chart_?number\w*)"
)
_NAMES: tuple[tuple[FieldKind, re.Pattern[str]], ...] = (
    ("date_of_birth", _BIRTH_NAME),
    ("postal_address", _STREET_NAME),
    ("medical_record", _MRN_NAME),
)

_DATE_VALUE = re.compile(
    r"(?:19|20)\d{2}[\-/.](?:0?[1-9]|1[0-2])[\-/.](?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])[\-/.](?:0?[1-9]|1[0-2])[\-/.](?:19|20)\d{2}"
    r"|(?:0?[1-9]|1[0-2])[\-/.](?:0?[1-9]|[12]\d|3[01])[\-/.](?:19|20)\d{2}"
)
_STREET_VALUE = re.compile(r"(?=[^\n]{0,120}\d)(?=[^\n]{0,120}[^\W\d_]{3})[^\n]{5,120}")
_MRN_VALUE = re.compile(r"(?:[A-Za-z]{1,4}-?)?\d[\d\-]{4,19}[A-Za-z0-9]?")
_VALUE_SHAPES: dict[FieldKind, Callable[[str], bool]] = {
    "date_of_birth": lambda value: _DATE_VALUE.fullmatch(value) is not None,
    "postal_address": lambda value: _STREET_VALUE.fullmatch(value) is not None,
    "medical_record": lambda value: (
        _MRN_VALUE.fullmatch(value) is not None and sum(c.isdigit() for c in value) >= 5
    ),
}

# name = "value", "name": "value", name='value', name = Date.valueOf('value').
_ASSIGNED = re.compile(
    r"(?<![\w@])[@$]?(?P<name>[A-Za-z_][\w.]{1,60})[\"']?[ \t]*(?:=>|[:=])[ \t]*"
    r"(?:[A-Za-z_][\w.]{0,40}\([ \t]*)?(?P<q>[\"'])(?P<v>[^\"'\n]{1,120})(?P=q)"
)
_ASSIGNED_TRIGGER = re2.compile(
    r"(?i)(?:birth|dob|nacimiento|geburt|naissance|nasc|street|address|stra(?:ß|ss)e|calle"
    r"|direcci|adresse|indirizzo|endere|mrn|medical_?record|patient_?(?:id|number)|chart_?number)"
    r"[\w.]{0,30}[\"']?[ \t]*(?:=>|[:=])"
)
_WINDOW_BEFORE = 70
_WINDOW_AFTER = 170


@functools.lru_cache(maxsize=4)
def find_named_values(text: str) -> tuple[tuple[FieldKind, Span], ...]:
    """Values assigned to, or in the CSV column of, a birth-date, street or MRN field (kept
    for the last few texts: detect() asks once for each of the three kinds)."""
    return (*_assigned_values(text), *_csv_values(text))


def find_birth_date_fields(text: str) -> Iterator[Span]:
    """Dates in a birth-date field or column."""
    return (span for kind, span in find_named_values(text) if kind == "date_of_birth")


def find_street_fields(text: str) -> Iterator[Span]:
    """Street lines in a street or address-line field or column."""
    return (span for kind, span in find_named_values(text) if kind == "postal_address")


def find_record_number_fields(text: str) -> Iterator[Span]:
    """Medical record numbers in an MRN or patient-number field or column."""
    return (span for kind, span in find_named_values(text) if kind == "medical_record")


def field_kind(name: str) -> FieldKind | None:
    """What a field of this name holds, when it is one of the kinds found by name."""
    bare = name.strip().strip("\"'").lstrip("@$").rsplit(".", 1)[-1]
    return next((kind for kind, pattern in _NAMES if pattern.fullmatch(bare)), None)


def _assigned_values(text: str) -> Iterator[tuple[FieldKind, Span]]:
    high = -1
    for hit in _ASSIGNED_TRIGGER.finditer(text):
        low = max(high, hit.start() - _WINDOW_BEFORE, 0)
        stop = min(len(text), hit.end() + _WINDOW_AFTER)
        for match in _ASSIGNED.finditer(text, low, stop):
            kind = field_kind(match.group("name"))
            if kind is not None and _VALUE_SHAPES[kind](match.group("v").strip()):
                yield kind, match.span("v")
        high = stop


# --- CSV with a header line -----------------------------------------------------------------

_HEADER_TRIGGER = re2.compile(
    r"(?im)^[^\n]*(?:birth|dob|street|mrn|medical_?record|patient_?(?:id|number))[^\n]*$"
)
_HEADER_CELL = re.compile(r"\s*\"?[A-Za-z_][\w. ]{0,60}\"?\s*")
_MIN_COLUMNS = 3
_MAX_ROWS = 500


def _csv_values(text: str) -> Iterator[tuple[FieldKind, Span]]:
    for header in _HEADER_TRIGGER.finditer(text):
        line = header.group()
        delimiter = max((",", ";", "\t", "|"), key=line.count)
        cells = line.split(delimiter)
        if len(cells) < _MIN_COLUMNS or not all(_HEADER_CELL.fullmatch(c) for c in cells):
            continue
        kinds = [field_kind(cell) for cell in cells]
        if not any(kinds):
            continue
        yield from _column_values(text, header.end() + 1, delimiter, kinds)


def _column_values(
    text: str, position: int, delimiter: str, kinds: list[FieldKind | None]
) -> Iterator[tuple[FieldKind, Span]]:
    for _ in range(_MAX_ROWS):
        if position >= len(text):
            return
        end = text.find("\n", position)
        end = len(text) if end < 0 else end
        cells = _split_row(text, position, end, delimiter)
        if len(cells) != len(kinds):
            return
        for kind, (start, stop) in zip(kinds, cells, strict=True):
            if kind is not None and _VALUE_SHAPES[kind](text[start:stop].strip()):
                yield kind, (start, stop)
        position = end + 1


def _split_row(text: str, start: int, end: int, delimiter: str) -> list[Span]:
    """Cell spans of one CSV line (quotes stripped; a quoted cell may hold the delimiter)."""
    cells: list[Span] = []
    position = start
    while position <= end:
        if text.startswith('"', position):
            close = position + 1
            while (close := text.find('"', close, end)) >= 0 and text.startswith('""', close):
                close += 2
            if close < 0:
                return []
            cells.append((position + 1, close))
            position = close + 1
            if position < end and text[position] != delimiter:
                return []
        else:
            stop = text.find(delimiter, position, end)
            stop = end if stop < 0 else stop
            cells.append((position, stop))
            position = stop
        position += 1
    return cells
