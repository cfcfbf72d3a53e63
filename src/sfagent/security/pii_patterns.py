"""Span finders for personal data: each takes text and yields (start, end) of what it found.

Python's backtracking `re` pays for every position it tries, so on a 20,000-character pasted
log each finder first runs a cheap trigger with linear-time RE2 and applies its precise pattern
only to the stretches around the trigger's (rare) hits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import phonenumbers
import re2  # type: ignore[import-untyped]

Span = tuple[int, int]


_MAX_TRIGGER_HITS = 64


class _Hit(Protocol):
    def start(self) -> int: ...

    def end(self) -> int: ...


class _Trigger(Protocol):
    def finditer(self, text: str) -> Iterable[_Hit]: ...


@dataclass(frozen=True, slots=True)
class TriggeredPattern:
    """A precise pattern, tried only from `before` characters ahead of a trigger hit to
    `after` characters past it (`after` must cover the longest match plus its look-ahead)."""

    pattern: re.Pattern[str]
    trigger: _Trigger
    before: int
    after: int

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        for low, high in self._windows(text):
            yield from self.pattern.finditer(text, low, high)

    def _windows(self, text: str) -> Iterator[Span]:
        low = high = -1
        for count, hit in enumerate(self.trigger.finditer(text)):
            start, end = max(0, hit.start() - self.before), min(len(text), hit.end() + self.after)
            if count == _MAX_TRIGGER_HITS:
                # Each RE2 hit costs microseconds in the binding; past a few dozen, one plain
                # scan of the rest is cheaper.
                if start > high:
                    yield low, high
                    low = start
                yield low, len(text)
                return
            if start <= high:
                high = max(high, end)
                continue
            if high >= 0:
                yield low, high
            low, high = start, end
        if high >= 0:
            yield low, high


def triggered(pattern: str, trigger: str, *, before: int, after: int) -> TriggeredPattern:
    """Compile `pattern` with `re` and its trigger (no look-arounds) with RE2."""
    compiled_trigger: _Trigger = re2.compile(trigger)
    return TriggeredPattern(re.compile(pattern), compiled_trigger, before, after)


# --- email ---------------------------------------------------------------------------------

_EMAIL = triggered(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
    r"(?:[A-Za-z0-9][A-Za-z0-9\-]{0,62}\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9\-]|@)",
    r"@[A-Za-z0-9]",
    before=70,
    after=620,
)


# "priya.raman@outlook" in a rejected-row error file: a webmail address missing its ".com".
_WEBMAIL = r"(?:gmail|googlemail|outlook|hotmail|yahoo|icloud|aol|protonmail|gmx)"
_WEBMAIL_WITHOUT_TLD = triggered(
    rf"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{{0,63}}@(?i:{_WEBMAIL})"
    r"(?![\w\-@]|\.[A-Za-z0-9])",
    rf"@(?i:{_WEBMAIL})",
    before=70,
    after=16,
)


# "firstname.lastname@company.com", "user@example.com": the format, nobody's address.
_PLACEHOLDER_LOCAL_PARTS = frozenset({
    "firstname.lastname", "first.last", "firstnamelastname", "firstname", "lastname",
    "first.lastname", "flastname", "yourname", "your.name", "youremail", "your.email", "you",
    "user", "username", "user.name", "someone", "somebody",
    "name", "email", "nombre.apellido", "vorname.nachname", "prenom.nom",
})  # fmt: skip


def find_emails(text: str) -> Iterator[Span]:
    """Email addresses (not git@host, decorators or a bare user@)."""
    for match in _EMAIL.finditer(text):
        local = match.group().partition("@")[0].lower().replace("-", ".").replace("_", ".")
        if not (local == "git" or local in _PLACEHOLDER_LOCAL_PARTS):  # git@github.com:org/repo
            yield match.span()
    yield from (match.span() for match in _WEBMAIL_WITHOUT_TLD.finditer(text))


# --- phone ---------------------------------------------------------------------------------

# A run of digits and phone punctuation; `_phone_region` decides whether it is a number.
_PHONE_CANDIDATE = triggered(
    r"(?<![\w.+/\-])(?:\+|\(\+?)?\d[\d \t().\-]{5,22}\d(?!\w)",
    r"\(?\d{3}\)?[ .\-]?\d{3}[ .\-]\d{4}|\+\d{1,3}[ .\-(]?\d{1,4}[ .\-)]?\d|0\d{2,4} \d{3,4}"
    r"|\(?0\d{1,4}\)?[ \-]\d{2,4}[ \-]\d{3,4}|0\d(?:[ .]\d{2}){4}|\+\d{1,3} ?\(0\)\d"
    r"|(?i:phone|\btel\b|\bmobile|\bcell\b|\bcall\b|\bfax\b|\bsms\b|\btext\b|\breach\b"
    r"|whatsapp|\bph\b|number is|contact number|telef|t[ée]l[ée]phone|\bhandy\b|m[óo]vil"
    r"|cellulare)",
    before=8,
    after=80,
)
_NANP_FORMATTED = re.compile(
    r"(?<!\d)(?:\+?1[ .\-]?)?(?:\(\d{3}\)[ .\-]?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?!\d)"
)
_UK_FORMATTED = re.compile(r"0\d{2,4} \d{3,4} ?\d{3,4}")
# A national number with its trunk 0, grouped: "03-5422-9870", "(02) 9876 5432", "01 42 68 53 00".
_TRUNK_FORMATTED = re.compile(
    r"(?:\(0\d{1,4}\)|0\d{1,4})(?:[ \-]\d{2,4}){0,2}[ \-]\d{3,4}|0\d(?:[ .]\d{2}){4}"
)
_SSN_SHAPED = re.compile(r"\d{3}-\d{2}-\d{4}")
_DATE_LIKE = re.compile(r"\d{1,2}[\-./ ]\d{1,2}[\-./ ](?:19|20)?\d{2}")
_TRUNK_REGIONS = ("GB", "JP", "DE", "FR", "AU", "IN", "NL", "IT", "ES", "IE", "NZ", "ZA", "BR")
_BARE_DIGITS = re.compile(r"\+?\d{10,15}")
_MIN_NATIONAL_DIGITS = 9
_DIGIT_RUN = re.compile(r"(?<![\w.+/\-])\+?\d{10,15}(?![\w\-]|\.\d)")
_PHONE_CONTEXT = re.compile(
    r"(?i)(?:phone|\btel\b|\bmobile|\bcell\b|\bcall\b|\bcall (?:me|him|her|us) (?:at|on)"
    r"|\bfax\b|\bsms\b|\btext (?:me|him|her)|reach (?:me|him|her|us) (?:at|on)|whatsapp|\bph\b"
    r"|contact number|number is|telef|t[ée]l[ée]phone|\bhandy\b|m[óo]vil|cellulare)"
    r"[^\n]{0,24}$"
)
# A number right after these words is an identifier, however it is punctuated.
_IDENTIFIER_BEFORE = re.compile(
    r"(?i)(?:\bcase|\border|\binvoice|\bticket|\bpo|\bref|\breference|\bid|\baccount|\bacct"
    r"|\bsku|\bserial|\bjob|\brequest|\bbatch|\bquote|\bcontract|\berror\s?id|#)"
    r"\s*(?:no\.?|number|#)?\s*:?\s*$"
)
_PHONE_CONTEXT_WINDOW = 40
_IDENTIFIER_WINDOW = 40


def find_phones(text: str) -> Iterator[Span]:
    """Phone numbers phonenumbers accepts, when shaped or introduced like one, and the same
    number written again without punctuation ("+1 (720) 394-1187 should become 17203941187")."""
    found_digits: set[str] = set()
    for candidate in _PHONE_CANDIDATE.finditer(text):
        start, raw = candidate.start(), candidate.group()
        before = text[max(0, start - _PHONE_CONTEXT_WINDOW) : start]
        region = _phone_region(raw, before)
        if region is None or _IDENTIFIER_BEFORE.search(before):
            continue
        matched = False
        for found in phonenumbers.PhoneNumberMatcher(raw, region):
            matched = True
            found_digits.add(str(found.number.national_number))
            yield start + found.start, start + found.end
        if not matched and _unlisted_national_number(raw, before, region):
            yield candidate.span()
    if not found_digits:
        return
    for run in _DIGIT_RUN.finditer(text):
        digits = _digits(run.group())
        if any(
            len(seen) >= _MIN_NATIONAL_DIGITS and digits.endswith(seen) for seen in found_digits
        ):
            yield run.span()


def _digits(raw: str) -> str:
    return "".join(char for char in raw if char.isdigit())


def _phone_region(raw: str, before: str) -> str | None:
    """The region to parse a candidate in, or None when it is not shaped like a phone number."""
    if raw.startswith("(") and raw.endswith(")") and raw[1:-1].isdigit():
        return None  # "(123456789)": the elapsed nanoseconds of a debug-log line
    if raw.startswith(("+", "(+")) or _NANP_FORMATTED.search(raw):
        return "US"
    if _UK_FORMATTED.fullmatch(raw):
        return "GB"
    if _BARE_DIGITS.fullmatch(raw) and _PHONE_CONTEXT.search(before):
        return "GB" if raw.startswith("0") else "US"
    if _TRUNK_FORMATTED.fullmatch(raw) and not (
        _DATE_LIKE.fullmatch(raw) or _SSN_SHAPED.fullmatch(raw)
    ):
        return next((region for region in _TRUNK_REGIONS if _valid_in(raw, region)), None)
    return None


def _unlisted_national_number(raw: str, before: str, region: str) -> bool:
    """ "phone 07700 900461": a national number of a range phonenumbers does not list (reserved
    for drama, or newer than its metadata), after a phone word; never "(999) 999-9999"."""
    digits = _digits(raw)
    return (
        raw.startswith("0")
        and len(set(digits)) > 3
        and _PHONE_CONTEXT.search(before) is not None
        and _possible_in(raw, region)
    )


def _possible_in(raw: str, region: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(raw, region))
    except phonenumbers.NumberParseException:
        return False


def _valid_in(raw: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(raw, region))
    except phonenumbers.NumberParseException:
        return False


# --- payment card --------------------------------------------------------------------------

_CARD = triggered(
    r"(?<![\w\-.])(?:\d{13,19}"
    r"|\d{4}(?P<sep>[ \-])\d{4}(?P=sep)\d{4}(?P=sep)\d{4}"
    r"|\d{4}(?P<amex>[ \-])\d{6}(?P=amex)\d{4,5})(?!\w|[.\-]\d)",
    r"\d[\d \-]{11,21}\d",
    before=2,
    after=30,
)


def find_cards(text: str) -> Iterator[Span]:
    """Luhn-valid card numbers with a scheme's prefix and length."""
    for match in _CARD.finditer(text):
        digits = match.group().replace(" ", "").replace("-", "")
        if plausible_card_prefix(digits) and luhn_valid(digits):
            yield match.span()


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def plausible_card_prefix(digits: str) -> bool:
    """Whether the issuer prefix and length belong to a card scheme (Visa, Mastercard, ...)."""
    length, two, three, four = len(digits), int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":
        return length in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return length == 16
    if two in (34, 37):
        return length == 15
    if four == 6011 or two == 65 or 644 <= three <= 649 or two == 62 or 3528 <= four <= 3589:
        return 16 <= length <= 19
    if two in (36, 38, 39) or 300 <= three <= 305:
        return 14 <= length <= 19
    return two in (50, 56, 57, 58, 67) and 13 <= length <= 19


# --- US social security number --------------------------------------------------------------

_SSN_REACH = 90
_SSN_DASHED = triggered(
    r"(?<![\w\-.])\d{3}-\d{2}-\d{4}(?![\w\-]|\.\d)", r"\d{3}-\d{2}-\d{4}", before=2, after=4
)
_SSN_WITH_CONTEXT = triggered(
    r"(?i:\bssn|\bss#|social[ _]security(?:[ _](?:number|no\.?|num|#))?"
    r"|\bsocial(?=\s+(?:is|was|#)))"
    r"(?:__c)?[\"']?"
    r"\s*(?:is|was|as|number|#|:|=|-)?\s*[:#=]?\s*[\"']?"
    r"(?P<v>\d{3}[ \-]?\d{2}[ \-]?\d{4})(?![\w\-])",
    r"(?i:ssn|ss#|social)",
    before=2,
    after=80,
)


# "SSN column shows 402558823", "214 73 9902 ... [SSN__c]", "287610458 ... the same SSN": an
# undashed number of SSN shape with an SSN word on either side.
_SSN_NEAR_WORD = triggered(
    r"(?<![\w\-.(])\d{3}(?P<sep>[ \-]?)\d{2}(?P=sep)\d{4}(?![\w\-]|\.\d)",
    r"SSN|(?i:ssn|ss#|social[ _\-]?security)",
    before=_SSN_REACH,
    after=_SSN_REACH,
)
# "482910374 rows processed": a count, not a number of somebody's.
_COUNTED_AFTER = re.compile(
    r"(?i)\s*(?:rows?|records?|items?|ms|bytes|times|users?|accounts?|contacts?|cases?|bytes)\b"
)
# "values like 123456789": the example everyone types, not somebody's number.
_EXAMPLE_SSNS = frozenset({"123456789", "987654321", "012345678"} | {str(d) * 9 for d in range(10)})
_SSN_WORD_NEAR = re.compile(r"(?<![A-Z])SSN|(?i:\bssns?\b|\bssn_|\bss#|social[ _\-]?security)")


def find_ssns(text: str) -> Iterator[Span]:
    """US SSNs: ddd-dd-dddd anywhere, undashed or spaced only near an SSN word."""
    for match in _SSN_DASHED.finditer(text):
        if valid_ssn(match.group().replace("-", "")):
            yield match.span()
    for match in _SSN_WITH_CONTEXT.finditer(text):
        if valid_ssn(match.group("v").replace(" ", "").replace("-", "")):
            yield match.span("v")
    for match in _SSN_NEAR_WORD.finditer(text):
        start, end = match.span()
        before = text[max(0, start - _IDENTIFIER_WINDOW) : start]
        if (
            valid_ssn(digits := _digits(match.group()))
            and digits not in _EXAMPLE_SSNS
            and not _IDENTIFIER_BEFORE.search(before)
            and not _COUNTED_AFTER.match(text, end)
            and _SSN_WORD_NEAR.search(text, max(0, start - _SSN_REACH), end + _SSN_REACH)
        ):
            yield start, end


def valid_ssn(digits: str) -> bool:
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return (
        area not in ("000", "666")
        and not area.startswith("9")
        and group != "00"
        and serial != "0000"
    )


# --- IBAN ----------------------------------------------------------------------------------

IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AT": 20, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21,
    "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27,
    "GB": 22, "GI": 23, "GL": 18, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26,
    "IT": 27, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27,
    "MT": 31, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26, "UA": 29,
}  # fmt: skip
_IBAN_START = triggered(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?= ?[A-Z0-9])", r"[A-Z]{2}\d{2} ?[A-Z0-9]", before=1, after=2
)


def find_ibans(text: str) -> Iterator[Span]:
    """IBANs of a known country length with a valid mod-97 checksum."""
    for match in _IBAN_START.finditer(text):
        length = IBAN_LENGTHS.get(match.group()[:2])
        end = None if length is None else _iban_end(text, match.start(), length)
        if end is not None and iban_valid(text[match.start() : end].replace(" ", "")):
            yield match.start(), end


def _iban_end(text: str, start: int, length: int) -> int | None:
    """Where an IBAN of `length` characters starting at `start` ends, allowing single spaces."""
    count, position = 0, start
    while count < length and position < len(text):
        char = text[position]
        if char.isascii() and char.isalnum():
            count += 1
        elif not (char == " " and text[position - 1] != " "):
            return None
        position += 1
    if count < length or (position < len(text) and text[position].isalnum()):
        return None
    return position


def iban_valid(iban: str) -> bool:
    if not (iban.isascii() and iban.isalnum() and iban == iban.upper()):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


# --- date of birth -------------------------------------------------------------------------

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
# "3 mars 1981", "14 de febrero de 1975", "3. März 1981": months in French, Spanish, German.
_FOREIGN_MONTH = (
    r"(?:janv(?:ier)?|f[ée]vr(?:ier)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|ao[uû]t"
    r"|sept(?:embre)?|oct(?:obre)?|nov(?:embre)?|d[ée]c(?:embre)?|enero|febrero|marzo|abril"
    r"|mayo|junio|julio|agosto|sep?tiembre|octubre|noviembre|diciembre|januar|februar|m[äa]rz"
    r"|juni|juli|oktober|dezember)"
)
_DATE = (
    rf"(?:\d{{1,2}}\.?\s+(?:de\s+)?{_FOREIGN_MONTH}\s+(?:de\s+)?(?:19|20)\d{{2}}"
    r"|\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)?\d{2}|(?:19|20)\d{2}[/.\-]\d{1,2}[/.\-]\d{1,2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?(?:\s+(?:of\s+)?|[\-/]){_MONTH},?[\s\-/](?:19|20)\d{{2}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}"
    r"|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
)
_BIRTH_LABEL = re2.compile(
    r"(?i)\bdob\b|\bd\.o\.b\b|date[ _\-]?of[ _\-]?birth|birth[ _\-]?(?:date|day)|\bborn\b"
    # Spanish, German, French, Portuguese, Italian, Dutch, Polish.
    r"|fecha\s+de\s+nacimiento|\bf\.\s?nac\.|\bnacid[oa]\s+el\b|geburtsdatum|\bgeb\.|\bgeboren\b"
    r"|date\s+de\s+naissance|\bn[ée]e?\s+le\b|data\s+de\s+nascimento|\bnascid[oa]\s+em\b"
    r"|data\s+di\s+nascita|\bnat[oa]\s+il\b|geboortedatum|data\s+urodzenia|\burodzon[ya]\b"
)
_DATE_AFTER_LABEL = re.compile(rf"(?i)(?<![\w/.\-])(?:{_DATE})(?![\w]|[/.\-]\d)")
# How far after a birth-date word, or after the previous birth date ("said 7 Feb 1979, record
# says 1979-02-07"), a date still belongs to it.
_FIRST_DATE_REACH = 90
_NEXT_DATE_REACH = 60
_MAX_BIRTH_LABELS = 200
# "birthday campaign runs on 05/01/2024", "DOB field added on 03/04/2024": a date that words in
# between give to something else.
_NOT_A_BIRTH_DATE = re.compile(
    r"(?i)\b(?:campaigns?|e?mails?|reminders?|scheduled|sent|send|runs?|ran|jobs?|flows?|batch"
    r"|reports?|greetings?|cards?|promos?|party|messages?|discounts?|offers?|sale|created"
    r"|modified|updated?|changed|added|closed|opened|due|expir\w*|appointments?|visits?"
    r"|admi\w+|discharg\w*|service|hired?|joined|start\w*|end(?:s|ed)?|deadline|today"
    r"|yesterday|tomorrow|last|next|since|until|before|after|effective|renew\w*|logged"
    r"|deploy\w*|releas\w*|signed|enroll\w*|registered|issued|paid|payment|ordered|shipped"
    r"|migrat\w*|imported|loaded|death|died|deceased|anniversary|wedding|at|between|from"
    r"|on(?!\s+(?:file|record|the\s+(?:contact|record|account|lead|form|patient))))\b"
)
# `"Birthdate": null, "LastModifiedDate": "2024-05-02"`: the date belongs to the other key.
_OTHER_KEY = re.compile(r"[\"'][A-Za-z_][\w.]*[\"']\s*:")
_LEADING_ON = re.compile(r"(?i)\s*on\b")


def find_dates_of_birth(text: str) -> Iterator[Span]:
    """Dates introduced as a birth date (DOB, born on, Birthdate ...), and the ones that follow."""
    for count, label in enumerate(_BIRTH_LABEL.finditer(text)):
        if count == _MAX_BIRTH_LABELS:
            return
        position, reach = label.end(), _FIRST_DATE_REACH
        if on := _LEADING_ON.match(text, position):  # "born on"
            position = on.end()
        for date in _DATE_AFTER_LABEL.finditer(text, position, position + reach + 40):
            between = text[position : date.start()]
            if (
                date.start() - position > reach
                or between.count("\n") > 1
                or _NOT_A_BIRTH_DATE.search(between)
                or _OTHER_KEY.search(between)
            ):
                break
            yield date.span()
            position, reach = date.end(), _NEXT_DATE_REACH
