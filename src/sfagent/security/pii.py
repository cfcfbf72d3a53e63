"""Personal data and secrets in what customers paste: find them, then redact or tokenize them.

Detection keeps what a diagnosis needs: Salesforce record and org ids, API versions, object
and field names, error codes, line numbers, log timestamps, case and order numbers.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from sfagent.security import pii_address as address
from sfagent.security import pii_fields as fields
from sfagent.security import pii_health as health
from sfagent.security import pii_hl7 as hl7
from sfagent.security import pii_network as network
from sfagent.security import pii_patterns as patterns
from sfagent.security import pii_secrets as secrets
from sfagent.security.pii_patterns import Span


class PiiType(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    CARD = "card"
    SSN = "ssn"
    IBAN = "iban"
    IP_ADDRESS = "ip_address"
    DATE_OF_BIRTH = "date_of_birth"
    POSTAL_ADDRESS = "postal_address"
    MEDICAL_RECORD = "medical_record"
    HEALTH = "health"
    SESSION_ID = "session_id"
    OAUTH_TOKEN = "oauth_token"
    PASSWORD = "password"
    PRIVATE_KEY = "private_key"
    CLOUD_KEY = "cloud_key"


SECRET_TYPES: frozenset[PiiType] = frozenset(
    {
        PiiType.SESSION_ID,
        PiiType.OAUTH_TOKEN,
        PiiType.PASSWORD,
        PiiType.PRIVATE_KEY,
        PiiType.CLOUD_KEY,
    }
)
# Health data is only looked for when a HIPAA tenant asks: elsewhere the cost is false alarms.
HIPAA_TYPES: frozenset[PiiType] = frozenset({PiiType.MEDICAL_RECORD, PiiType.HEALTH})
DEFAULT_TYPES: frozenset[PiiType] = frozenset(PiiType) - HIPAA_TYPES

Finder = Callable[[str], Iterable[Span]]
_FINDERS: Mapping[PiiType, tuple[Finder, ...]] = {
    PiiType.PRIVATE_KEY: (secrets.find_private_keys,),
    PiiType.SESSION_ID: (secrets.find_session_ids,),
    PiiType.CLOUD_KEY: (secrets.find_cloud_keys,),
    PiiType.OAUTH_TOKEN: (secrets.find_oauth_tokens,),
    PiiType.PASSWORD: (secrets.find_passwords,),
    PiiType.CARD: (patterns.find_cards,),
    PiiType.IBAN: (patterns.find_ibans,),
    PiiType.SSN: (patterns.find_ssns, hl7.find_hl7_ssns),
    PiiType.EMAIL: (patterns.find_emails,),
    PiiType.MEDICAL_RECORD: (health.find_medical_records, fields.find_record_number_fields),
    PiiType.DATE_OF_BIRTH: (
        patterns.find_dates_of_birth,
        hl7.find_hl7_dates_of_birth,
        fields.find_birth_date_fields,
    ),
    PiiType.IP_ADDRESS: (network.find_ip_addresses,),
    PiiType.PHONE: (patterns.find_phones,),
    PiiType.POSTAL_ADDRESS: (address.find_postal_addresses, fields.find_street_fields),
    PiiType.HEALTH: (health.find_health_details,),
}
# On overlap with equal footing, the type listed first is the more specific one.
_SPECIFICITY = {pii_type: rank for rank, pii_type in enumerate(_FINDERS)}


@dataclass(frozen=True, slots=True)
class PiiMatch:
    type: PiiType
    start: int
    end: int
    value: str


def detect(text: str, types: Collection[PiiType] | None = None) -> list[PiiMatch]:
    """Personal data and secrets in `text`, sorted and non-overlapping (HIPAA types on request)."""
    wanted = DEFAULT_TYPES if types is None else frozenset(types)
    candidates = [
        PiiMatch(pii_type, start, end, text[start:end])
        for pii_type, finders in _FINDERS.items()
        if pii_type in wanted
        for finder in finders
        for start, end in finder(text)
        if end > start
    ]
    return _without_overlaps(candidates + list(_repeats(text, candidates)))


# A value found once is the same person's wherever else it is written ("PersonBirthdate=
# Date.valueOf('1975-08-21')" ... "findMatch('Hargrove', Date.valueOf('1975-08-21'))").
_REPEATED_TYPES = frozenset(
    {PiiType.DATE_OF_BIRTH, PiiType.MEDICAL_RECORD, PiiType.SSN, PiiType.PASSWORD}
)
_MIN_REPEATED_LENGTH = 6
_MAX_REPEATED_VALUES = 32


def _repeats(text: str, candidates: list[PiiMatch]) -> Iterator[PiiMatch]:
    """Other occurrences, standing alone, of values the finders found once."""
    seen: dict[str, PiiType] = {}
    for match in candidates:
        if match.type in _REPEATED_TYPES and len(match.value) >= _MIN_REPEATED_LENGTH:
            seen.setdefault(match.value, match.type)
    for value, pii_type in list(seen.items())[:_MAX_REPEATED_VALUES]:
        start = text.find(value)
        while start >= 0:
            end = start + len(value)
            if not (_word_char_at(text, start - 1) or _word_char_at(text, end)):
                yield PiiMatch(pii_type, start, end, value)
            start = text.find(value, end)


def _word_char_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


def _without_overlaps(candidates: list[PiiMatch]) -> list[PiiMatch]:
    """Secrets beat personal data; then the longer match; then the more specific type."""
    starts: list[int] = []  # kept matches are disjoint, so sorted by start they are by end too
    kept: list[PiiMatch] = []
    for match in sorted(candidates, key=_precedence):
        index = bisect.bisect_right(starts, match.start)
        if index > 0 and kept[index - 1].end > match.start:
            continue
        if index < len(kept) and kept[index].start < match.end:
            continue
        starts.insert(index, match.start)
        kept.insert(index, match)
    return kept


def _precedence(match: PiiMatch) -> tuple[bool, int, int, int]:
    return (
        match.type not in SECRET_TYPES,
        match.start - match.end,
        _SPECIFICITY[match.type],
        match.start,
    )


class PiiAction(enum.StrEnum):
    REDACT = "redact"
    TOKENIZE = "tokenize"
    ALLOW = "allow"


class ComplianceProfile(enum.StrEnum):
    STANDARD = "standard"
    HIPAA = "hipaa"
    PCI = "pci"


_E = TypeVar("_E", bound=enum.StrEnum)

# Contact details are tokenized by default so an agent can still tell two customers apart.
_DEFAULT_ACTIONS: Mapping[PiiType, PiiAction] = {
    PiiType.EMAIL: PiiAction.TOKENIZE,
    PiiType.PHONE: PiiAction.TOKENIZE,
}


@dataclass(frozen=True)
class PiiPolicy:
    actions: Mapping[PiiType, PiiAction] = field(default_factory=dict)
    profile: ComplianceProfile = ComplianceProfile.STANDARD

    def __post_init__(self) -> None:
        object.__setattr__(self, "actions", MappingProxyType(dict(self.actions)))

    def __hash__(self) -> int:
        return hash((frozenset(self.actions.items()), self.profile))

    @classmethod
    def from_settings(cls, actions: Mapping[str, str] | None, profile: str | None) -> PiiPolicy:
        """Build a policy from settings strings; a ValueError names any unknown key or value."""
        parsed = {
            _parse(PiiType, key, "PII type"): _parse(PiiAction, value, f"action for {key!r}")
            for key, value in (actions or {}).items()
        }
        chosen = ComplianceProfile.STANDARD
        if profile:
            chosen = _parse(ComplianceProfile, profile, "compliance profile")
        return cls(actions=parsed, profile=chosen)

    def action_for(self, type: PiiType) -> PiiAction:
        """The configured action, raised to the floor the type and the profile demand."""
        action = self.actions.get(type, _DEFAULT_ACTIONS.get(type, PiiAction.REDACT))
        if type in SECRET_TYPES:
            return PiiAction.REDACT  # a tokenized secret is still a secret in the store
        if self.profile is ComplianceProfile.PCI and type is PiiType.CARD:
            return PiiAction.REDACT
        if self.profile is ComplianceProfile.HIPAA and type in HIPAA_TYPES:
            return PiiAction.TOKENIZE if action is PiiAction.ALLOW else action
        return action

    def detected_types(self) -> frozenset[PiiType]:
        """What to look for: everything but health data, which only a HIPAA profile adds."""
        if self.profile is ComplianceProfile.HIPAA:
            return DEFAULT_TYPES | HIPAA_TYPES
        return DEFAULT_TYPES

    def to_dict(self) -> dict[str, Any]:
        """The effective policy; `from_settings(d["actions"], d["profile"])` rebuilds it."""
        return {
            "profile": self.profile.value,
            "actions": {pii_type.value: self.action_for(pii_type).value for pii_type in PiiType},
            "detected_types": sorted(pii_type.value for pii_type in self.detected_types()),
        }


def _parse(kind: type[_E], raw: str, what: str) -> _E:
    try:
        return kind(raw.strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ValueError(f"unknown {what}: {raw!r} (expected one of: {allowed})") from None


@dataclass(frozen=True, slots=True)
class Finding:
    type: PiiType
    action: PiiAction
    start: int
    end: int
    replacement: str
    value: str


@dataclass(frozen=True)
class Protected:
    text: str
    findings: list[Finding]


def marker(type: PiiType) -> str:
    """The text a redacted value becomes; chosen so that no finder matches it."""
    return f"[REDACTED:{type.name}]"


def protect(
    text: str, policy: PiiPolicy, token_for: Callable[[PiiMatch], str] | None = None
) -> Protected:
    """Apply the policy to every detection; findings carry offsets into the original text."""
    pieces: list[str] = []
    findings: list[Finding] = []
    position = 0
    for match in detect(text, policy.detected_types()):
        action = policy.action_for(match.type)
        if action is PiiAction.TOKENIZE and token_for is None:
            action = PiiAction.REDACT
        replacement = _replacement(match, action, token_for)
        pieces += [text[position : match.start], replacement]
        position = match.end
        findings.append(
            Finding(match.type, action, match.start, match.end, replacement, match.value)
        )
    pieces.append(text[position:])
    return Protected(text="".join(pieces), findings=findings)


def _replacement(
    match: PiiMatch, action: PiiAction, token_for: Callable[[PiiMatch], str] | None
) -> str:
    if action is PiiAction.ALLOW:
        return match.value
    if action is PiiAction.TOKENIZE and token_for is not None:
        return token_for(match)
    return marker(match.type)


_DEFAULT_POLICY = PiiPolicy()
# Replacing a value can bring context words nearer to another one; a few passes settle that.
_MAX_PASSES = 4


def redact(text: str) -> str:
    """Redact everything the default policy detects (for logs); idempotent."""
    for _ in range(_MAX_PASSES):
        protected = protect(text, _DEFAULT_POLICY)
        if not protected.findings:
            break
        text = protected.text
    return text
