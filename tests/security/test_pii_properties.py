"""Properties of PII redaction that must hold for any input, checked with hypothesis."""

from __future__ import annotations

import itertools
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from sfagent.nlu.entities.record_ids import KEY_PREFIXES, checksum_suffix
from sfagent.security.pii import PiiType, detect, redact

# Words around an embedded value: ordinary support prose with no digits or secrets in it.
SAFE_WORDS = [
    "please",
    "check",
    "the",
    "record",
    "for",
    "customer",
    "our",
    "batch",
    "failed",
    "again",
    "Account.Name",
    "UNABLE_TO_LOCK_ROW",
    "trigger",
    "flow",
    "is",
    "on",
    "since",
    "Monday",
    "System.DmlException:",
    "SELECT",
    "Id",
    "FROM",
    "Case",
    "—",
    "(",
    ")",
    ",",
    ".",
    "\n",
]
safe_text = st.lists(st.sampled_from(SAFE_WORDS), max_size=8).map(" ".join)

# Fragments that exercise every finder, glued to random text to hunt for crashes and overlaps.
FRAGMENTS = [
    "jane.doe@acme.com",
    "(415) 555-0132",
    "+44 20 7946 0958",
    "4111 1111 1111 1111",
    "219-09-9999",
    "DE89 3704 0044 0532 0130 00",
    "203.0.113.7",
    "2001:db8::1",
    "DOB: ",
    "03/14/1985",
    "123 Main St, Apt 4",
    "password: ",
    "hunter2",
    "Bearer ",
    "00D5e000000AbCd",
    "!AQ4AQFakeTokenValue_1234567890abc",
    "5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJo7Xr34yOQ7",
    "-----BEGIN PRIVATE KEY-----\n",
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t\n",
    "-----END PRIVATE KEY-----",
    "AKIAIOSFODNN7EXAMPLE",
    "api_key=",
    "MRN ",
    "diagnosed with ",
    "asthma",
    "[REDACTED:EMAIL]",
    " ",
    "\n",
    ":",
    "=",
    "@",
    ".",
    "-",
    "'",
]
mixed_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=12).map("".join)

CARD_PREFIXES = [("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15),
                 ("6011", 16), ("65", 16), ("3528", 16), ("36", 14), ("4", 19)]  # fmt: skip


def _luhn_check_digit(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str(-total % 10)


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    prefix, length = draw(st.sampled_from(CARD_PREFIXES))
    body = prefix + draw(st.text(string.digits, min_size=length - len(prefix) - 1,
                                 max_size=length - len(prefix) - 1))  # fmt: skip
    digits = body + _luhn_check_digit(body)
    separator = draw(st.sampled_from(["", " ", "-"]))
    if not separator or length != 16:
        return digits
    return separator.join(digits[i : i + 4] for i in range(0, 16, 4))


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(st.from_regex(r"[a-z][a-z0-9._+\-]{0,15}[a-z0-9]", fullmatch=True))
    labels = draw(st.lists(st.from_regex(r"[a-z][a-z0-9\-]{0,8}[a-z0-9]", fullmatch=True),
                           min_size=1, max_size=3))  # fmt: skip
    tld = draw(st.from_regex(r"[a-z]{2,6}", fullmatch=True))
    return f"{local}@{'.'.join(labels)}.{tld}"


@st.composite
def record_ids(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(sorted(KEY_PREFIXES)))
    rest = draw(st.text(string.ascii_letters + string.digits, min_size=12, max_size=12))
    return prefix + rest + checksum_suffix(prefix + rest)


@settings(max_examples=150, deadline=None)
@given(before=safe_text, card=card_numbers(), after=safe_text)
def test_luhn_valid_cards_in_safe_text_are_always_redacted(
    before: str, card: str, after: str
) -> None:
    text = f"{before} {card} {after}"
    assert [(m.type, m.value) for m in detect(text)] == [(PiiType.CARD, card)]
    assert card not in redact(text)


@settings(max_examples=150, deadline=None)
@given(before=safe_text, email=emails(), after=safe_text)
def test_emails_in_safe_text_are_always_redacted(before: str, email: str, after: str) -> None:
    redacted = redact(f"{before} {email} {after}")
    assert email not in redacted
    assert "[REDACTED:EMAIL]" in redacted


@settings(max_examples=200, deadline=None)
@given(st.text() | mixed_text)
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text() | mixed_text)
def test_text_without_detections_is_unchanged(text: str) -> None:
    if not detect(text):
        assert redact(text) == text


@settings(max_examples=150, deadline=None)
@given(
    before=safe_text,
    record_id=record_ids(),
    major=st.integers(min_value=20, max_value=99),
    after=safe_text,
)
def test_record_ids_and_api_versions_survive_redaction(
    before: str, record_id: str, major: int, after: str
) -> None:
    text = f"{before} {record_id} on API v{major}.0 and /services/data/v{major}.0/ {after}"
    assert redact(text) == text


@settings(max_examples=200, deadline=None)
@given(st.text() | mixed_text)
def test_detect_returns_sorted_disjoint_spans_inside_the_text(text: str) -> None:
    matches = detect(text, set(PiiType))
    for match in matches:
        assert 0 <= match.start < match.end <= len(text)
        assert text[match.start : match.end] == match.value
    assert all(a.end <= b.start for a, b in itertools.pairwise(matches))
