"""Span finders for HL7 v2 messages pasted from an integration error: fields by position.

An HL7 segment is a line of `|`-separated fields, so the meaning of a value comes from where
it sits (PID-3 is the medical record number, PID-7 the birth date), not from words around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sfagent.security.pii_patterns import Span, valid_ssn

_SEGMENT_NAMES = ("PID", "DG1", "AL1", "PRB", "RXA", "RXD", "RXE", "RXG", "RXO")
# Resumed after each segment, so the text is read once.
_SEGMENT = re.compile(rf"(?<![A-Za-z0-9_])(?:{'|'.join(_SEGMENT_NAMES)})\|")
_LINE_END = re.compile(r"[\r\n]")
_MAX_SEGMENT_LENGTH = 2000
_MAX_SEGMENTS = 200

# Patient identifiers (PID-2, PID-3, PID-4) are ID^check^scheme^authority^type; type SS is an SSN.
_PATIENT_ID_FIELDS = (2, 3, 4)
_BIRTH_DATE_FIELD = 7
_SSN_FIELD = 19
# Coded clinical content: diagnosis (DG1-3, DG1-4), allergen and reaction (AL1-3, AL1-5),
# problem (PRB-3) and the drug of each pharmacy segment.
_CLINICAL_FIELDS = {
    "DG1": (3, 4),
    "AL1": (3, 5),
    "PRB": (3,),
    "RXA": (5,),
    "RXD": (2,),
    "RXE": (2,),
    "RXG": (4,),
    "RXO": (1,),
}
_PATIENT_ID = re.compile(r"[A-Za-z]{0,4}-?\d[\d\-]{3,18}[A-Za-z0-9]?")
_HL7_DATE = re.compile(r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:\d{2,6})?")


def _segments(text: str) -> Iterator[tuple[str, list[Span]]]:
    """(segment name, field spans) for each segment; field N of the standard is index N."""
    if not any(f"{name}|" in text for name in _SEGMENT_NAMES):
        return  # substring tests are far cheaper than a regex scan of a long log
    position = count = 0
    while count < _MAX_SEGMENTS and (hit := _SEGMENT.search(text, position)) is not None:
        start = hit.start()
        limit = min(len(text), start + _MAX_SEGMENT_LENGTH)
        line_end = _LINE_END.search(text, start, limit)
        position = end = limit if line_end is None else line_end.start()
        count += 1
        spans: list[Span] = []
        field_start = start
        for part in text[start:end].split("|"):
            spans.append((field_start, field_start + len(part)))
            field_start += len(part) + 1
        yield text[start : start + 3], spans


def _split(text: str, start: int, end: int, separator: str) -> Iterator[Span]:
    position = start
    for part in text[start:end].split(separator):
        yield position, position + len(part)
        position += len(part) + 1


def _field(spans: list[Span], number: int) -> Span | None:
    return spans[number] if number < len(spans) and spans[number][1] > spans[number][0] else None


def _patient_ids(text: str) -> Iterator[tuple[Span, bool]]:
    """(span, is an SSN) of each identifier in PID-2/3/4."""
    for name, spans in _segments(text):
        if name != "PID":
            continue
        for number in _PATIENT_ID_FIELDS:
            field = _field(spans, number)
            if field is None:
                continue
            for repetition in _split(text, *field, "~"):
                parts = list(_split(text, *repetition, "^"))
                value = parts[0]
                kind = text[slice(*parts[4])].upper() if len(parts) > 4 else ""
                if _PATIENT_ID.fullmatch(text, *value):
                    yield value, kind == "SS"


def find_hl7_record_numbers(text: str) -> Iterator[Span]:
    """Patient identifiers in an HL7 PID segment (other than an SSN)."""
    return (span for span, is_ssn in _patient_ids(text) if not is_ssn)


def find_hl7_ssns(text: str) -> Iterator[Span]:
    """SSNs in an HL7 PID segment: PID-19, or a PID-3 identifier of type SS."""
    yield from (span for span, is_ssn in _patient_ids(text) if is_ssn)
    for name, spans in _segments(text):
        field = _field(spans, _SSN_FIELD) if name == "PID" else None
        if field is not None:
            digits = text[slice(*field)].replace("-", "")
            if len(digits) == 9 and digits.isdigit() and valid_ssn(digits):
                yield field


def find_hl7_dates_of_birth(text: str) -> Iterator[Span]:
    """The birth date (PID-7, YYYYMMDD[hhmm]) of an HL7 PID segment."""
    for name, spans in _segments(text):
        field = _field(spans, _BIRTH_DATE_FIELD) if name == "PID" else None
        if field is not None:
            date = _HL7_DATE.match(text, *field)
            if date is not None:
                yield date.span()


def find_hl7_health_details(text: str) -> Iterator[Span]:
    """Diagnoses, allergies, problems and drugs in HL7 DG1, AL1, PRB and RX* segments."""
    for name, spans in _segments(text):
        for number in _CLINICAL_FIELDS.get(name, ()):
            field = _field(spans, number)
            if field is not None and any(char.isalpha() for char in text[slice(*field)]):
                yield field
