"""A tenant's business hours: a weekly schedule in its time zone, with holidays.

The `business_hours` fact of a rule is whether the tenant is open at the moment a message
arrives, so a rule can answer "we are closed, a person replies at 9:00" or route urgent
messages to an on-call queue out of hours.

    {"timezone": "Europe/Paris",
     "weekly": {"mon": ["09:00-12:30", "13:30-18:00"], "tue": ["09:00-18:00"], ...},
     "holidays": ["2026-12-25"]}
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, StrictStr, field_validator

from sfagent.rules.base import ClosedModel

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_RANGES_PER_DAY = 8
MAX_HOLIDAYS = 366
END_OF_DAY = "24:00"


def parse_clock(text: str) -> time | None:
    """ "09:30" as a time; "24:00" (the end of the day) as None."""
    if text == END_OF_DAY:
        return None
    hours, _, minutes = text.partition(":")
    if not (len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"{text!r} is not a time: write HH:MM, from 00:00 to 24:00")
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"{text!r} is not a time: write HH:MM, from 00:00 to 24:00")
    return time(int(hours), int(minutes))


def parse_range(text: str) -> tuple[time, time | None]:
    """ "09:00-17:30" as (start, end); an end of None is midnight at the end of the day."""
    start_text, dash, end_text = text.partition("-")
    if not dash:
        raise ValueError(f"{text!r} is not a range: write HH:MM-HH:MM, e.g. 09:00-17:30")
    start, end = parse_clock(start_text.strip()), parse_clock(end_text.strip())
    if start is None:
        raise ValueError(f"{text!r} starts at 24:00; a day's hours start at 00:00 at the latest")
    if end is not None and end <= start:
        raise ValueError(f"{text!r} ends before it starts; split a night shift over two days")
    return start, end


DayRanges = Annotated[list[StrictStr], Field(max_length=MAX_RANGES_PER_DAY)]


class BusinessHours(ClosedModel):
    """When a tenant's people are at work."""

    timezone: StrictStr
    weekly: dict[Weekday, DayRanges]
    holidays: Annotated[list[date], Field(max_length=MAX_HOLIDAYS)] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"{name!r} is not an IANA time zone (e.g. Europe/Paris, America/New_York)"
            ) from exc
        return name

    @field_validator("weekly")
    @classmethod
    def _valid_ranges(cls, weekly: dict[Weekday, list[str]]) -> dict[Weekday, list[str]]:
        for ranges in weekly.values():
            for text in ranges:
                parse_range(text)
        return weekly

    def is_open(self, at: datetime) -> bool:
        """Whether `at` (timezone-aware) falls in the schedule, holidays excluded."""
        local = at.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        ranges = self.weekly.get(WEEKDAYS[local.weekday()], [])
        now = local.time().replace(tzinfo=None)
        for text in ranges:
            start, end = parse_range(text)
            if start <= now and (end is None or now < end):
                return True
        return False
