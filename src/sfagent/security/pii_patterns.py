"""Span finders for personal data: each takes text and yields (start, end) of what it found.

Python's backtracking `re` pays for every position it tries, so on a 20,000-character pasted
log each finder first runs a cheap trigger with linear-time RE2 and applies its precise pattern
only to the stretches around the trigger's (rare) hits.
"""

from __future__ import annotations

import ipaddress
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


def find_emails(text: str) -> Iterator[Span]:
    """Email addresses (not git@host, decorators or a bare user@)."""
    for match in _EMAIL.finditer(text):
        if not match.group().startswith("git@"):  # git@github.com:org/repo.git is no person
            yield match.span()


# --- phone ---------------------------------------------------------------------------------

# A run of digits and phone punctuation; `_phone_region` decides whether it is a number.
_PHONE_CANDIDATE = triggered(
    r"(?<![\w.+/\-])(?:\+|\(\+?)?\d[\d \t().\-]{5,22}\d(?!\w)",
    r"\(?\d{3}\)?[ .\-]?\d{3}[ .\-]\d{4}|\+\d{1,3}[ .\-(]?\d{1,4}[ .\-)]?\d|0\d{2,4} \d{3,4}"
    r"|(?i:phone|\btel\b|\bmobile|\bcell\b|\bcall\b|\bfax\b|\bsms\b|\btext\b|\breach\b"
    r"|whatsapp|\bph\b|number is|contact number)",
    before=8,
    after=80,
)
_NANP_FORMATTED = re.compile(
    r"(?<!\d)(?:\+?1[ .\-]?)?(?:\(\d{3}\)[ .\-]?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?!\d)"
)
_UK_FORMATTED = re.compile(r"0\d{2,4} \d{3,4} ?\d{3,4}")
_BARE_DIGITS = re.compile(r"\+?\d{10,15}")
_PHONE_CONTEXT = re.compile(
    r"(?i)(?:phone|\btel\b|\bmobile|\bcell\b|\bcall\b|\bcall (?:me|him|her|us) (?:at|on)"
    r"|\bfax\b|\bsms\b|\btext (?:me|him|her)|reach (?:me|him|her|us) (?:at|on)|whatsapp|\bph\b"
    r"|contact number|number is)[^\n]{0,24}$"
)
# A number right after these words is an identifier, however it is punctuated.
_NOT_PHONE_BEFORE = re.compile(
    r"(?i)(?:\bcase|\border|\binvoice|\bticket|\bpo|\bref|\breference|\bid|\baccount|\bacct"
    r"|\bsku|\bserial|\bjob|\brequest|\bbatch|\bquote|\bcontract|\berror\s?id|#)"
    r"\s*(?:no\.?|number|#)?\s*:?\s*$"
)
_PHONE_CONTEXT_WINDOW = 40


def find_phones(text: str) -> Iterator[Span]:
    """Phone numbers phonenumbers accepts, when shaped or introduced like one."""
    for candidate in _PHONE_CANDIDATE.finditer(text):
        start, raw = candidate.start(), candidate.group()
        before = text[max(0, start - _PHONE_CONTEXT_WINDOW) : start]
        region = _phone_region(raw, before)
        if region is None or _NOT_PHONE_BEFORE.search(before):
            continue
        for found in phonenumbers.PhoneNumberMatcher(raw, region):
            yield start + found.start, start + found.end


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
    return None


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

_SSN_DASHED = triggered(
    r"(?<![\w\-.])\d{3}-\d{2}-\d{4}(?![\w\-]|\.\d)", r"\d{3}-\d{2}-\d{4}", before=2, after=4
)
_SSN_WITH_CONTEXT = triggered(
    r"(?i:\bssn|\bss#|social[ _]security(?:[ _](?:number|no\.?|num|#))?)(?:__c)?[\"']?"
    r"\s*(?:is|was|as|number|#|:|=|-)?\s*[:#=]?\s*[\"']?"
    r"(?P<v>\d{3}[ \-]?\d{2}[ \-]?\d{4})(?![\w\-])",
    r"(?i:ssn|ss#|social)",
    before=2,
    after=80,
)


def find_ssns(text: str) -> Iterator[Span]:
    """US SSNs: ddd-dd-dddd anywhere, undashed only after an SSN label."""
    for match in _SSN_DASHED.finditer(text):
        if valid_ssn(match.group().replace("-", "")):
            yield match.span()
    for match in _SSN_WITH_CONTEXT.finditer(text):
        if valid_ssn(match.group("v").replace(" ", "").replace("-", "")):
            yield match.span("v")


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


# --- IP address ----------------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = triggered(
    rf"(?<![\w.\-])(?<![A-Za-z0-9]/){_OCTET}(?:\.{_OCTET}){{3}}(?![\w\-]|\.\d)",
    r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
    before=1,
    after=3,
)
_IPV6 = triggered(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}|:)(?::[0-9A-Fa-f]{0,4}){2,7}"
    r"(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])",
    r"::|[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){7}",
    before=40,
    after=60,
)
_VERSION_BEFORE = re.compile(
    r"(?i)(?:\bversion|\bver\.?|\bv|\brelease|\bbuild|\bapi|\bsdk|\brev(?:ision)?|\bpackage"
    r"|\bfirmware|\bpatch|\bupgrade(?:d)? to|\bupdate(?:d)? to)\s*[:=#]?\s*$"
)
_IP_CONTEXT = re.compile(
    r"(?i)\b(?:ip|ips|address|from|host|server|login|range|allowlist|whitelist|trusted|network"
    r"|proxy|vpn|subnet|gateway|dns|firewall|origin|client|source|remote)\b"
)


def find_ip_addresses(text: str) -> Iterator[Span]:
    """IPv4 and IPv6 addresses, leaving version numbers like 1.2.3.4 alone."""
    for match in _IPV4.finditer(text):
        if not _looks_like_version(text, match.start(), match.group()):
            yield match.span()
    for match in _IPV6.finditer(text):
        if _valid_ipv6(match.group()):
            yield match.span()


def _looks_like_version(text: str, start: int, dotted: str) -> bool:
    before = text[max(0, start - 40) : start]
    if _VERSION_BEFORE.search(before):
        return True
    # "1.2.0.4" with no network word nearby is a build number far more often than an address.
    return all(len(octet) == 1 for octet in dotted.split(".")) and not _IP_CONTEXT.search(before)


def _valid_ipv6(candidate: str) -> bool:
    if sum(char.isalnum() for char in candidate) < 2:
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


# --- date of birth -------------------------------------------------------------------------

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)?\d{2}|(?:19|20)\d{2}[/.\-]\d{1,2}[/.\-]\d{1,2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(?:19|20)\d{{2}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}})"
)
_DATE_OF_BIRTH = triggered(
    r"(?i:\bdob\b|\bd\.o\.b\.?|date[ _\-]of[ _\-]birth|\bbirth[ _\-]?date|\bbirthday"
    r"|\bborn(?:\s+on)?)(?:__c)?[\"']?"
    r"(?:\s*[:=\-]|\s+[a-z'\u2019]{1,12}){0,5}\s*[:=]?\s*[\"']?"
    rf"(?P<v>(?i:{_DATE}))(?![\w]|[/.\-]\d)",
    r"(?i:dob|d\.o\.b|birth|born)",
    before=12,
    after=110,
)


# "birthday campaign runs on 05/01/2024": the date belongs to the campaign, not a person.
_NOT_A_BIRTH_DATE = re.compile(
    r"(?i)\b(?:campaigns?|e?mails?|reminders?|scheduled|sent|send|runs?|jobs?|flows?|batch"
    r"|reports?|greetings?|cards?|promos?|party|messages?|discounts?|offers?|sale)\b"
)


def find_dates_of_birth(text: str) -> Iterator[Span]:
    """Dates introduced as a birth date (DOB, born on, Birthdate ...)."""
    for match in _DATE_OF_BIRTH.finditer(text):
        if not _NOT_A_BIRTH_DATE.search(text, match.start(), match.start("v")):
            yield match.span("v")


# --- postal address ------------------------------------------------------------------------

_STREET_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Parkway"
    r"|Pkwy|Place|Pl|Terrace|Ter|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl|Crescent|Close"
    r"|Row|Plaza|Alley|Loop|Pike|Walk|Gardens|Mews)"
)
_STREET_WORD = (
    r"(?:[A-Z][a-z'\u2019]+(?:-[A-Z][a-z]+)?|Mc[A-Z][a-z]+|[NSEW]\.?|\d{1,3}(?:st|nd|rd|th))"
)
_UNIT = (
    r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Bldg|Building|Room|Rm)\.?\s?#?\s?"
    r"[A-Za-z0-9\-]{1,6}\b|,?\s+#\s?[A-Za-z0-9\-]{1,6}\b|,\s+\d{1,3}(?:st|nd|rd|th)\s+Floor)"
)
_CITY_TAIL = (
    r"(?:,\s+[A-Z][a-z]+(?:[ \-][A-Z][a-z]+){0,2}"
    r"(?:,?\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?|,\s+[A-Z]{2}\b|,?\s+[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b))"
)
_STREET = (
    rf"\d{{1,6}}[A-Z]?(?:-\d{{1,4}})?\s+(?:(?:{_STREET_WORD}\s+){{1,4}}{_STREET_SUFFIX}\b\.?"
    rf"|Broadway\b){_UNIT}?{_CITY_TAIL}?"
)
_ADDRESS = triggered(
    rf"(?<![\w.,\-/$£€]){_STREET}", rf"\s{_STREET_SUFFIX}\b|Broadway", before=110, after=120
)
# People type addresses in lower case too; only trust that after a word that announces one.
_ADDRESS_CONTEXT = (
    r"address(?:\s+is)?|\blives?\s+at|\blocated\s+at|\bship(?:ping)?\s+to|\bmail(?:ing)?\s+to"
    r"|\bdeliver(?:y|ed)?\s+to|\bmoved\s+to"
)
_ADDRESS_AFTER_CONTEXT = triggered(
    rf"(?i:{_ADDRESS_CONTEXT})\s*:?\s*(?P<v>(?i:{_STREET}))",
    rf"(?i:{_ADDRESS_CONTEXT})",
    before=2,
    after=230,
)
_PO_BOX = triggered(r"(?i)\bP\.?\s?O\.?\s+Box\s+\d{1,6}\b", r"(?i:box\s+\d)", before=8, after=10)


def find_postal_addresses(text: str) -> Iterator[Span]:
    """Street addresses (number, name, suffix, unit, city tail) and PO boxes."""
    yield from (match.span() for match in _ADDRESS.finditer(text))
    yield from (match.span("v") for match in _ADDRESS_AFTER_CONTEXT.finditer(text))
    yield from (match.span() for match in _PO_BOX.finditer(text))


# --- health (HIPAA) ------------------------------------------------------------------------

_MEDICAL_RECORD = triggered(
    r"(?i:\bmrn|\bmedical[ _]record(?:[ _](?:number|no\.?|num|id|#))?|\bmed[ _]rec(?:ord)?[ _]?#"
    r"|\bpatient[ _](?:id|number|no\.?|#)|\bhealth[ _]record[ _](?:number|no\.?|id)"
    r"|\bchart[ _](?:number|no\.?|#))(?:__c)?[\"']?\s*(?:(?i:is|was|of)\s+)?[:#=\-]?\s*[\"']?#?\s*"
    r"(?P<v>(?:[A-Z]{1,4}-?)?\d{5,12})(?![\w\-])",
    r"(?i:mrn|medical|med[ _]rec|patient|health[ _]record|chart)",
    before=2,
    after=80,
)
_HEALTH_CONTEXT = re.compile(
    r"(?i)\b(?:diagnos\w*|patient(?:'s)?\s+(?:has|had|with|is\s+on|takes|was\s+on)"
    r"|suffer(?:s|ing|ed)?\s+from|treated\s+for|treatment\s+for|history\s+of"
    r"|positive\s+for|living\s+with|prescri\w*|taking|takes|medication\w*|meds"
    r"|dose\s+of|dosage|started\s+on|condition\w*|refill\s+(?:of|for))"
)
_CONDITIONS = (
    r"(?:type\s?(?:1|2|I|II)\s+)?diabetes|hiv|aids|(?:stage\s+\w+\s+)?"
    r"(?:(?:breast|lung|prostate|colon|skin|ovarian|pancreatic)\s+)?cancer|asthma"
    r"|(?:major\s+)?depressi(?:on|ve\s+disorder)|anxiety(?:\s+disorder)?|bipolar(?:\s+disorder)?"
    r"|schizophrenia|hypertension|high\s+blood\s+pressure|epilepsy|copd|hepatitis(?:\s+[abc])?"
    r"|tuberculosis|alzheimer'?s(?:\s+disease)?|parkinson'?s(?:\s+disease)?|multiple\s+sclerosis"
    r"|leukemia|lymphoma|pneumonia|covid(?:-19)?|heart\s+(?:disease|failure)"
    r"|(?:rheumatoid\s+)?arthritis|dementia|adhd|autism|ptsd|celiac\s+disease"
    r"|crohn'?s(?:\s+disease)?|(?:chronic\s+)?kidney\s+disease|migraines?|obesity|sleep\s+apnea"
    r"|hypothyroidism|(?:opioid|substance)\s+use\s+disorder|eating\s+disorder|anorexia|lupus"
    r"|sickle\s+cell(?:\s+(?:disease|anemia))?|cystic\s+fibrosis|glaucoma|hemophilia"
)
_MEDICATIONS = (
    r"metformin|insulin|lisinopril|atorvastatin|simvastatin|sertraline|fluoxetine|prozac|zoloft"
    r"|lexapro|escitalopram|adderall|ritalin|oxycodone|hydrocodone|methadone|buprenorphine"
    r"|suboxone|warfarin|levothyroxine|amlodipine|albuterol|gabapentin|lithium|truvada"
    r"|prednisone|ozempic|semaglutide|xanax|alprazolam|chemotherapy|humira|methotrexate"
    r"|omeprazole|losartan|tamoxifen|antiretrovirals?|antidepressants?|naltrexone|naloxone"
)
_HEALTH_TERM: _Trigger = re2.compile(rf"(?i)\b(?:{_CONDITIONS}|{_MEDICATIONS})\b")
_CLAUSE_END = re.compile(r"[.!?;\n]")
_HEALTH_CONTEXT_WINDOW = 80


def find_medical_records(text: str) -> Iterator[Span]:
    """Medical record numbers after an MRN / medical record / patient id label."""
    return (match.span("v") for match in _MEDICAL_RECORD.finditer(text))


def find_health_details(text: str) -> Iterator[Span]:
    """Named conditions and medications, when the same clause speaks of a diagnosis or drug."""
    for term in _HEALTH_TERM.finditer(text):
        start = term.start()
        clause = text[max(0, start - _HEALTH_CONTEXT_WINDOW) : start]
        clause = _CLAUSE_END.split(clause)[-1]
        if _HEALTH_CONTEXT.search(clause):
            yield start, term.end()
