"""Business hours: open or closed at a moment, in the tenant's zone, with holidays."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from sfagent.rules.business_hours import BusinessHours

PARIS_OFFICE = {
    "timezone": "Europe/Paris",
    "weekly": {
        "mon": ["09:00-12:30", "13:30-18:00"],
        "tue": ["09:00-18:00"],
        "sat": ["10:00-24:00"],
    },
    "holidays": ["2026-12-08"],
}


def hours(**changes: object) -> BusinessHours:
    return BusinessHours.model_validate({**PARIS_OFFICE, **changes})


@pytest.mark.parametrize(
    ("utc", "open_"),
    [
        ("2026-12-07T08:30:00", True),  # Monday 09:30 in Paris (UTC+1 in winter)
        ("2026-12-07T11:45:00", False),  # Monday 12:45: the lunch break
        ("2026-12-07T16:59:00", True),  # Monday 17:59
        ("2026-12-07T17:00:00", False),  # Monday 18:00: the end is exclusive
        ("2026-12-08T10:00:00", False),  # Tuesday, but a holiday
        ("2026-12-09T10:00:00", False),  # Wednesday: no hours at all
        ("2026-12-12T22:59:00", True),  # Saturday 23:59: open until midnight
        ("2026-12-13T00:30:00", False),  # Sunday
        ("2026-07-06T07:30:00", True),  # a summer Monday 09:30 (UTC+2)
    ],
)
def test_open_or_closed_in_the_tenants_zone(utc: str, open_: bool) -> None:
    moment = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert hours().is_open(moment) is open_


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"timezone": "Mars/Olympus"}, "not an IANA time zone"),
        ({"weekly": {"mon": ["9-5"]}}, "is not a time"),
        ({"weekly": {"mon": ["09:00"]}}, "is not a range"),
        ({"weekly": {"mon": ["18:00-09:00"]}}, "ends before it starts"),
        ({"weekly": {"mon": ["24:00-24:00"]}}, "starts at 24:00"),
        ({"weekly": {"mon": ["09:60-10:00"]}}, "is not a time"),
        ({"weekly": {"funday": ["09:00-10:00"]}}, "funday"),
        ({"holidays": ["tomorrow"]}, "holidays"),
        ({"open": True}, "open"),
    ],
)
def test_a_bad_schedule_says_what_to_fix(changes: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError) as raised:
        hours(**changes)
    assert words in str(raised.value)
