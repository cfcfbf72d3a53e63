"""Salesforce record ids: 15/18-character forms, the case-encoding checksum and key prefixes."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sfagent.nlu.entities.model import Entity, EntityType, make_entity

# The 18-character suffix: one character per 5-character chunk, indexing this alphabet with the
# bit pattern of which chunk characters are upper-case letters (bit 0 = first character).
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

# Only prefixes whose object is certain; everything else reports object None.
KEY_PREFIXES: dict[str, str] = {
    "001": "Account",
    "002": "Note",
    "003": "Contact",
    "005": "User",
    "006": "Opportunity",
    "00D": "Organization",
    "00E": "UserRole",
    "00G": "Group",
    "00N": "CustomField",
    "00O": "Report",
    "00P": "Attachment",
    "00Q": "Lead",
    "00T": "Task",
    "00U": "Event",
    "00X": "EmailTemplate",
    "00e": "Profile",
    "00k": "OpportunityLineItem",
    "00l": "Folder",
    "00v": "CampaignMember",
    "011": "GroupMember",
    "012": "RecordType",
    "015": "Document",
    "01I": "CustomObject",
    "01Z": "Dashboard",
    "01p": "ApexClass",
    "01q": "ApexTrigger",
    "01s": "Pricebook2",
    "01t": "Product2",
    "02i": "Asset",
    "02s": "EmailMessage",
    "066": "ApexPage",
    "068": "ContentVersion",
    "069": "ContentDocument",
    "06A": "ContentDocumentLink",
    "07L": "ApexLog",
    "0PS": "PermissionSet",
    "0Q0": "Quote",
    "500": "Case",
    "701": "Campaign",
    "707": "AsyncApexJob",
    "800": "Contract",
    "801": "Order",
    "802": "OrderItem",
}

_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?(?![A-Za-z0-9])")
_ID_CONTEXT = re.compile(
    r"(?:\bids?\b|\brecords?\b|\brecordid\b|\b(?:what|who|owner|parent|account|contact|case|"
    r"user|org|opportunity|lead)id\b|\bid\s*[:=]\s*['\"]?$)",
    re.IGNORECASE,
)
_CONTEXT_WINDOW = 40


@dataclass(frozen=True, slots=True)
class RecordIdInfo:
    """What an id string is: shape, checksum, canonical forms and the object its prefix names."""

    id: str
    valid: bool
    length: int
    key_prefix: str | None
    object_name: str | None
    checksum_valid: bool | None
    id15: str | None
    id18: str | None
    reason: str | None = None


def checksum_suffix(id15: str) -> str:
    """The three characters that turn a 15-character id into its 18-character form."""
    suffix = []
    for chunk_start in (0, 5, 10):
        bits = 0
        for offset, char in enumerate(id15[chunk_start : chunk_start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << offset
        suffix.append(_SUFFIX_ALPHABET[bits])
    return "".join(suffix)


def record_id_prefix_object(record_id: str) -> str | None:
    """The standard object named by the id's 3-character key prefix, or None when unknown."""
    return KEY_PREFIXES.get(record_id[:3]) if len(record_id) >= 3 else None


def validate_record_id(record_id: str) -> RecordIdInfo:
    """Check an id's shape and, for 18 characters, its case checksum."""
    length = len(record_id)
    if length not in (15, 18):
        return _invalid(record_id, "an id has 15 or 18 characters")
    if not (record_id.isascii() and record_id.isalnum()):
        return _invalid(record_id, "an id holds only ASCII letters and digits")
    id15 = record_id[:15]
    expected = checksum_suffix(id15)
    checksum_valid = None if length == 15 else record_id[15:] == expected
    return RecordIdInfo(
        id=record_id,
        valid=checksum_valid is not False,
        length=length,
        key_prefix=record_id[:3],
        object_name=record_id_prefix_object(record_id),
        checksum_valid=checksum_valid,
        id15=id15,
        id18=id15 + expected,
        reason=None if checksum_valid is not False else f"checksum should be {expected}",
    )


def _invalid(record_id: str, reason: str) -> RecordIdInfo:
    return RecordIdInfo(record_id, False, len(record_id), None, None, None, None, None, reason)


def _looks_like_id(token: str) -> bool:
    # The 6th character is reserved and is '0' in issued ids; words and numbers rarely fit.
    has_digit = any(char.isdigit() for char in token)
    has_letter = any(char.isalpha() for char in token)
    return has_digit and has_letter and token[5] == "0"


def _in_spans(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(span_start <= start and end <= span_end for span_start, span_end in spans)


def find_record_ids(text: str, context_spans: Sequence[tuple[int, int]] = ()) -> Iterator[Entity]:
    """Record ids in text; `context_spans` (Salesforce URLs) make unknown prefixes acceptable."""
    for match in _CANDIDATE.finditer(text):
        token = match.group()
        if not _looks_like_id(token):
            continue
        info = validate_record_id(token)
        start, end = match.span()
        trusted = info.object_name is not None or _has_context(text, start, end, context_spans)
        if not (info.checksum_valid or trusted):
            continue
        yield make_entity(
            EntityType.RECORD_ID,
            text,
            start,
            end,
            (info.id18 or token) if info.valid else token,
            {
                "object": info.object_name,
                "key_prefix": info.key_prefix,
                "length": info.length,
                "valid": info.valid,
                "checksum_valid": info.checksum_valid,
                "id15": info.id15,
                "id18": info.id18,
                "custom_object_prefix": token[0] == "a",
            },
        )


def _has_context(text: str, start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    if _in_spans(start, end, spans):
        return True
    window = text[max(0, start - _CONTEXT_WINDOW) : start]
    return _ID_CONTEXT.search(window) is not None
