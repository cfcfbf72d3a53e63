"""Dates, absolute (2024-03-01, 03/01/2024, March 1st 2024) and relative (3 days ago, last week)."""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from sfagent.nlu.entities.model import Entity, EntityType, MetaValue, make_entity

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d{2}))?"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_COUNTS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a couple of": 2, "a few": 3, "several": 3,
}  # fmt: skip
_APPROXIMATE = frozenset({"a few", "several"})
_COUNT = r"(?P<count>\d{1,3}|a couple of|a few|several|an?|one|two|three|four|five|six|seven|" + (
    r"eight|nine|ten|eleven|twelve)"
)
_SINCE = r"(?P<since>since\s+)?"

_ISO = re.compile(r"(?<![\d-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d-])")
_SLASH = re.compile(r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})(?![\d/])")
_DOTTED = re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?!\d|\.\d)")
_MONTH_FIRST = re.compile(rf"\b{_MONTH}\s+{_DAY}\b{_YEAR}\b", re.IGNORECASE)
_DAY_FIRST = re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?![a-z]){_YEAR}\b", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(?P<year>(?:19|20)\d{{2}})\b", re.IGNORECASE)
_NAMED_DAY = re.compile(
    rf"\b{_SINCE}(?P<word>(?:the\s+)?day\s+before\s+yesterday|(?:the\s+)?day\s+after\s+tomorrow|"
    r"yesterday|today|tonight|tomorrow|this\s+(?:morning|afternoon|evening))\b",
    re.IGNORECASE,
)
_AGO = re.compile(
    rf"\b{_SINCE}{_COUNT}\s+(?P<unit>minute|hour|day|week|month|year)s?\s+ago\b", re.IGNORECASE
)
_IN = re.compile(rf"\bin\s+{_COUNT}\s+(?P<unit>day|week|month|year)s?\b", re.IGNORECASE)
_PERIOD = re.compile(
    rf"\b{_SINCE}(?P<which>last|past|previous|this|next)\s+(?P<unit>week|month|year)\b",
    re.IGNORECASE,
)
_WEEKDAY = re.compile(
    rf"\b(?:(?P<since>since)|(?P<which>last|this|next|on))\s+(?P<weekday>{'|'.join(_WEEKDAYS)})\b",
    re.IGNORECASE,
)


def find_dates(text: str, today: date) -> Iterator[Entity]:
    """Dates normalised to ISO 8601, relative ones resolved against `today`."""
    lowered = text.lower()
    # Every pattern is written in lower case: on lower-cased text of the same length (offsets
    # unchanged) they run without IGNORECASE, which is markedly faster.
    same_length = len(lowered) == len(text)
    subject = lowered if same_length else text
    gates_passed: dict[re.Pattern[str], bool] = {}
    for patterns, resolve, gate, cue_groups in _RESOLVERS:
        # Cheap cues skip patterns that cannot match: most messages hold no date.
        if not all(any(cue in lowered for cue in group) for group in cue_groups):
            continue
        if gate is not None:
            if gate not in gates_passed:
                gates_passed[gate] = gate.search(text) is not None
            if not gates_passed[gate]:
                continue
        pattern = patterns[0] if same_length else patterns[1]
        for match in pattern.finditer(subject):
            found = resolve(match, today)
            if found is not None:
                value, meta = found
                yield make_entity(EntityType.DATE, text, *match.span(), value, meta)


Resolved = tuple[str, dict[str, MetaValue]] | None


def _absolute(day: date | None, **extra: MetaValue) -> Resolved:
    if day is None:
        return None
    meta: dict[str, MetaValue] = {"relative": False, "granularity": "day", "end": None}
    return day.isoformat(), meta | extra


def _relative(
    start: date, granularity: str, end: date | None = None, **extra: MetaValue
) -> Resolved:
    meta: dict[str, MetaValue] = {
        "relative": True,
        "granularity": granularity,
        "end": end.isoformat() if end else None,
    }
    return start.isoformat(), meta | extra


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _iso(match: re.Match[str], today: date) -> Resolved:
    return _absolute(_safe_date(int(match["y"]), int(match["m"]), int(match["d"])))


def _slash(match: re.Match[str], today: date) -> Resolved:
    first, second, year = int(match["a"]), int(match["b"]), int(match["y"])
    # US order unless the first number cannot be a month.
    month, day = (second, first) if first > 12 else (first, second)
    ambiguous = first <= 12 and second <= 12 and first != second
    return _absolute(_safe_date(year, month, day), ambiguous=ambiguous)


def _dotted(match: re.Match[str], today: date) -> Resolved:
    return _absolute(_safe_date(int(match["y"]), int(match["m"]), int(match["d"])))


def _named_month(match: re.Match[str], today: date) -> Resolved:
    month = _MONTHS[match["month"][:3].lower()]
    year = int(match["year"]) if match["year"] else today.year
    day = _safe_date(year, month, int(match["day"]))
    return _absolute(day, year_inferred=match["year"] is None)


def _month_year(match: re.Match[str], today: date) -> Resolved:
    year, month = int(match["year"]), _MONTHS[match["month"][:3].lower()]
    end = date(year, month, monthrange(year, month)[1])
    found = _absolute(date(year, month, 1), granularity="month")
    return (found[0], found[1] | {"end": end.isoformat()}) if found else None


def _named_day(match: re.Match[str], today: date) -> Resolved:
    word = " ".join(match["word"].lower().split())
    if "before yesterday" in word:
        offset = -2
    elif "after tomorrow" in word:
        offset = 2
    else:
        offset = {"yesterday": -1, "tomorrow": 1}.get(word, 0)
    return _relative(today + timedelta(days=offset), "day", since=match["since"] is not None)


def _count(match: re.Match[str]) -> tuple[int, bool]:
    word = " ".join(match["count"].lower().split())
    number = int(word) if word.isdigit() else _COUNTS[word]
    return number, word in _APPROXIMATE


def _ago(match: re.Match[str], today: date) -> Resolved:
    number, approximate = _count(match)
    unit = match["unit"].lower()
    day = _shift(today, unit, -number)
    granularity = "day" if unit in ("minute", "hour") else unit
    since = match["since"] is not None
    return _relative(day, granularity, approximate=approximate, since=since)


def _in(match: re.Match[str], today: date) -> Resolved:
    number, approximate = _count(match)
    return _relative(_shift(today, match["unit"].lower(), number), "day", approximate=approximate)


def _shift(today: date, unit: str, amount: int) -> date:
    if unit in ("minute", "hour"):
        return today
    if unit in ("day", "week"):
        return today + timedelta(days=amount * (7 if unit == "week" else 1))
    months = amount * (12 if unit == "year" else 1)
    index = today.year * 12 + today.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(today.day, monthrange(year, month + 1)[1]))


def _period(match: re.Match[str], today: date) -> Resolved:
    which, unit = match["which"].lower(), match["unit"].lower()
    since = match["since"] is not None
    if which == "past":
        # "the past week" is a rolling window ending today, not a calendar period.
        return _relative(_shift(today, unit, -1), unit, today, since=since)
    step = {"last": -1, "previous": -1, "this": 0, "next": 1}[which]
    start, end = _calendar_period(today, unit, step)
    return _relative(start, unit, end, since=since)


def _calendar_period(today: date, unit: str, step: int) -> tuple[date, date]:
    if unit == "week":
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=step)
        return monday, monday + timedelta(days=6)
    if unit == "month":
        first = _shift(today.replace(day=1), "month", step)
        return first, first.replace(day=monthrange(first.year, first.month)[1])
    year = today.year + step
    return date(year, 1, 1), date(year, 12, 31)


def _weekday(match: re.Match[str], today: date) -> Resolved:
    target = _WEEKDAYS.index(match["weekday"].lower())
    which = (match["which"] or "since").lower()
    if which == "next":
        ahead = (target - today.weekday()) % 7 or 7
        return _relative(today + timedelta(days=ahead), "day")
    if which == "this":
        return _relative(today - timedelta(days=today.weekday() - target), "day")
    # "on/last/since Monday" in a support message points back: the latest such day before today.
    back = (today.weekday() - target) % 7 or 7
    return _relative(today - timedelta(days=back), "day", since=which == "since")


_DIGIT = re.compile(r"\d")
_NUMERIC_DATE = re.compile(r"\d[-/.]\d{1,2}[-/.]\d")
_UNITS = ("day", "week", "month", "year")
_MONTH_CUES = tuple(_MONTHS)
Resolver = Callable[[re.Match[str], date], Resolved]
Patterns = tuple[re.Pattern[str], re.Pattern[str]]  # (for lower-cased text, case-insensitive)


def _both(pattern: re.Pattern[str], first: str) -> Patterns:
    # A leading look-ahead on the possible first characters lets the scan skip most positions.
    source = f"(?={first}){pattern.pattern}"
    return re.compile(source), re.compile(source, re.IGNORECASE)


# (patterns, resolver, a regex that must match first or None, cue groups: each group needs one
# of its substrings in the lower-cased text)
_RESOLVERS: tuple[
    tuple[Patterns, Resolver, re.Pattern[str] | None, tuple[tuple[str, ...], ...]], ...
] = (
    (_both(_ISO, r"\d"), _iso, _NUMERIC_DATE, ()),
    (_both(_SLASH, r"\d"), _slash, _NUMERIC_DATE, ()),
    (_both(_DOTTED, r"\d"), _dotted, _NUMERIC_DATE, ()),
    (_both(_MONTH_FIRST, "[jfmasond]"), _named_month, _DIGIT, (_MONTH_CUES,)),
    (_both(_DAY_FIRST, r"\d"), _named_month, _DIGIT, (_MONTH_CUES,)),
    (_both(_MONTH_YEAR, "[jfmasond]"), _month_year, _DIGIT, (_MONTH_CUES,)),
    (
        _both(_NAMED_DAY, "[sdty]"),
        _named_day,
        None,
        (("yesterday", "today", "tonight", "tomorrow", "this "),),
    ),
    (_both(_AGO, r"[\dsaotfen]"), _ago, None, ((" ago",),)),
    (_both(_IN, "i"), _in, None, (("in ",), _UNITS)),
    (
        _both(_PERIOD, "[slptn]"),
        _period,
        None,
        (("last", "past", "previous", "this", "next"), _UNITS),
    ),
    (
        _both(_WEEKDAY, "[sltno]"),
        _weekday,
        None,
        (("since", "last", "this", "next", "on "), _WEEKDAYS),
    ),
)
