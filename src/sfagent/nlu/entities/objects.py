"""Salesforce objects (standard and custom API names) and field references like Account.Industry."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sfagent.nlu.entities.model import Entity, EntityType, MetaValue, make_entity
from sfagent.nlu.entities.phrases import PhraseMatcher, Tokens

# Standard objects that are also everyday English words: taken when written in API case away from
# the start of a sentence, or when a word like "record" or "trigger" follows.
COMMON_WORD_OBJECTS = (
    "Account",
    "Asset",
    "Attachment",
    "Case",
    "Contact",
    "Contract",
    "Event",
    "Group",
    "Lead",
    "Order",
    "Organization",
    "Profile",
    "Quote",
    "Task",
    "User",
)

DISTINCT_OBJECTS = (
    "AccountContactRelation",
    "AccountHistory",
    "AccountShare",
    "AccountTeamMember",
    "ApexClass",
    "ApexLog",
    "ApexPage",
    "ApexTrigger",
    "AssignedResource",
    "AsyncApexJob",
    "AuraDefinitionBundle",
    "BusinessHours",
    "Campaign",
    "CampaignMember",
    "CaseComment",
    "CaseHistory",
    "CaseMilestone",
    "CaseTeamMember",
    "CollaborationGroup",
    "ContactHistory",
    "ContentDocument",
    "ContentDocumentLink",
    "ContentNote",
    "ContentVersion",
    "ContractLineItem",
    "CronTrigger",
    "CustomPermission",
    "EmailMessage",
    "EmailTemplate",
    "Entitlement",
    "EntitySubscription",
    "EventLogFile",
    "FeedComment",
    "FeedItem",
    "GroupMember",
    "LeadHistory",
    "LiveChatTranscript",
    "LoginHistory",
    "MessagingSession",
    "NamedCredential",
    "Opportunity",
    "OpportunityContactRole",
    "OpportunityFieldHistory",
    "OpportunityHistory",
    "OpportunityLineItem",
    "OpportunityTeamMember",
    "OrderItem",
    "OrgWideEmailAddress",
    "PermissionSet",
    "PermissionSetAssignment",
    "PermissionSetGroup",
    "PermissionSetLicense",
    "Pricebook2",
    "PricebookEntry",
    "ProcessInstance",
    "ProcessInstanceWorkitem",
    "Product2",
    "QuoteLineItem",
    "RecordType",
    "ServiceAppointment",
    "ServiceContract",
    "ServiceResource",
    "ServiceTerritory",
    "SetupAuditTrail",
    "StaticResource",
    "Territory2",
    "UserRole",
    "UserTerritory2Association",
    "WorkOrder",
    "WorkOrderLineItem",
)

# Standard objects whose API names carry a custom-looking suffix.
STANDARD_SUFFIXED = ("Knowledge__kav", "Knowledge__ka")

STANDARD_OBJECTS = frozenset((*COMMON_WORD_OBJECTS, *DISTINCT_OBJECTS, *STANDARD_SUFFIXED))

_PLURALS = {"Opportunity": "Opportunities", "Entitlement": "Entitlements"}

# Lower-case ways people name objects in prose.
_SPOKEN = {
    "permission set": "PermissionSet",
    "permission sets": "PermissionSet",
    "permission set group": "PermissionSetGroup",
    "permission set groups": "PermissionSetGroup",
    "record type": "RecordType",
    "record types": "RecordType",
    "price book": "Pricebook2",
    "price books": "Pricebook2",
    "pricebook": "Pricebook2",
    "pricebooks": "Pricebook2",
    "price book entry": "PricebookEntry",
    "price book entries": "PricebookEntry",
    "opportunity product": "OpportunityLineItem",
    "opportunity products": "OpportunityLineItem",
    "opportunity line item": "OpportunityLineItem",
    "opportunity line items": "OpportunityLineItem",
    "opportunity contact role": "OpportunityContactRole",
    "campaign member": "CampaignMember",
    "campaign members": "CampaignMember",
    "work order": "WorkOrder",
    "work orders": "WorkOrder",
    "service appointment": "ServiceAppointment",
    "service appointments": "ServiceAppointment",
    "email message": "EmailMessage",
    "email messages": "EmailMessage",
    "content version": "ContentVersion",
    "content document": "ContentDocument",
    "quote line item": "QuoteLineItem",
    "quote line items": "QuoteLineItem",
    "order product": "OrderItem",
    "order products": "OrderItem",
    "case comment": "CaseComment",
    "case comments": "CaseComment",
    "opportunity": "Opportunity",
    "opportunities": "Opportunity",
}

_OBJECT_CONTEXT_WORDS = frozenset(
    [
        "object",
        "objects",
        "record",
        "records",
        "trigger",
        "triggers",
        "sobject",
        "sobjects",
        "layout",
        "layouts",
        "owner",
        "sharing",
        "id",
        "ids",
        "tab",
        "field",
        "fields",
        "page",
    ]
)
_SENTENCE_START = frozenset(".!?:\n>*-#")

_CUSTOM_NAME = r"[A-Za-z](?:[A-Za-z0-9]|_(?!_))*+"
_CUSTOM_SUFFIXES = r"c|r|mdt|e|x|b|kav|ka|[Ss]hare|[Hh]istory|Feed|ChangeEvent"
_CUSTOM = re.compile(
    rf"(?<![\w.])(?:(?P<ns>[A-Za-z][A-Za-z0-9]{{0,14}})__)?(?P<name>{_CUSTOM_NAME})"
    rf"__(?P<suffix>{_CUSTOM_SUFFIXES})(?![\w])"
)
_CUSTOM_KINDS = {
    "c": "custom",
    "r": "relationship",
    "mdt": "custom_metadata",
    "e": "platform_event",
    "x": "external",
    "b": "big_object",
    "kav": "knowledge_article_version",
    "ka": "knowledge_article",
    "share": "share",
    "history": "history",
    "feed": "feed",
    "changeevent": "change_event",
}
_FIELD_WORD_AFTER = re.compile(r"\s+(?:field|fields|picklist|checkbox|formula|column)\b", re.I)
_FIELD_WORD_BEFORE = re.compile(r"\bfield\s+$", re.I)

# A dotted chain of identifiers not followed by a call; the first link must name an object.
_DOTTED_CHAIN = re.compile(r"(?<![\w.])[A-Za-z]\w*+(?:\.[A-Za-z]\w*+)++(?![\w(])")
_CUSTOM_OBJECT_NAME = re.compile(
    rf"(?:[A-Za-z][A-Za-z0-9]{{0,14}}__)?{_CUSTOM_NAME}__(?:c|r|mdt|e|x|b|kav)"
)


def _standard_entries() -> list[tuple[str, tuple[str, bool], bool]]:
    """(phrase, (object, spoken), exact_case) for the gazetteer."""
    entries: list[tuple[str, tuple[str, bool], bool]] = []
    for name in (*COMMON_WORD_OBJECTS, *DISTINCT_OBJECTS):
        # Everyday words match in any case and are then judged by _accept_common_word.
        exact = name not in COMMON_WORD_OBJECTS
        entries.append((name, (name, False), exact))
        entries.append((_PLURALS.get(name, name + "s"), (name, False), exact))
    entries += [(phrase, (name, True), False) for phrase, name in _SPOKEN.items()]
    return entries


_STANDARD_MATCHER = PhraseMatcher(_standard_entries())
_COMMON = frozenset(COMMON_WORD_OBJECTS)


def find_objects(text: str, tokens: Tokens) -> Iterator[Entity]:
    """Standard objects (by API name or a common spoken form) and custom API names."""
    for hit in _STANDARD_MATCHER.find(tokens):
        name, spoken = hit.payload
        if name in _COMMON and not spoken and not _accept_common_word(tokens, hit.first, hit.last):
            continue
        meta: dict[str, MetaValue] = {"kind": "standard", "namespace": None}
        yield make_entity(EntityType.SALESFORCE_OBJECT, text, hit.start, hit.end, name, meta)
    if "__" in text:
        yield from _find_custom_names(text)


def _accept_common_word(tokens: Tokens, first: int, last: int) -> bool:
    written = tokens.surface(first)
    next_word = tokens.lower[last + 1] if last + 1 < len(tokens) else ""
    if next_word in _OBJECT_CONTEXT_WORDS:
        return True
    if not written[0].isupper() or written.isupper():
        return False
    previous = _previous_visible_char(tokens.text, tokens.starts[first])
    return previous is not None and previous not in _SENTENCE_START


def _previous_visible_char(text: str, index: int) -> str | None:
    """The nearest character before index that is not a space or tab (newlines count)."""
    index -= 1
    while index >= 0 and text[index] in " \t\r":
        index -= 1
    return text[index] if index >= 0 else None


def _find_custom_names(text: str) -> Iterator[Entity]:
    for match in _CUSTOM.finditer(text):
        suffix = match.group("suffix")
        value = _canonical_custom(match.group(), suffix)
        if value in STANDARD_OBJECTS:
            meta: dict[str, MetaValue] = {"kind": "standard", "namespace": None}
            start, end = match.span()
            yield make_entity(EntityType.SALESFORCE_OBJECT, text, start, end, value, meta)
            continue
        kind = _CUSTOM_KINDS[suffix.lower()]
        meta = {"kind": kind, "namespace": match.group("ns")}
        is_field = suffix == "r" or (suffix == "c" and _named_as_field(text, *match.span()))
        entity_type = EntityType.FIELD_NAME if is_field else EntityType.SALESFORCE_OBJECT
        if is_field:
            meta |= {"object": None, "field": value, "path": (value,), "custom": True}
        yield make_entity(entity_type, text, match.start(), match.end(), value, meta)


def _canonical_custom(name: str, suffix: str) -> str:
    base = name[: len(name) - len(suffix)]
    fixed = {"share": "Share", "history": "History"}.get(suffix.lower(), suffix)
    return base + fixed


def _named_as_field(text: str, start: int, end: int) -> bool:
    window_before = text[max(0, start - 12) : start]
    return bool(_FIELD_WORD_AFTER.match(text, end) or _FIELD_WORD_BEFORE.search(window_before))


def find_fields(text: str) -> Iterator[Entity]:
    """Dotted field references whose first segment is an object: Account.Industry, X__c.Y__c."""
    if "." not in text:
        return
    for match in _DOTTED_CHAIN.finditer(text):
        object_name, *segments = match.group().split(".")
        if object_name not in STANDARD_OBJECTS and not _CUSTOM_OBJECT_NAME.fullmatch(object_name):
            continue
        path = (object_name, *segments)
        meta: dict[str, MetaValue] = {
            "kind": "path",
            "object": object_name,
            "field": segments[-1],
            "path": path,
            "custom": any("__" in part for part in path),
        }
        yield make_entity(EntityType.FIELD_NAME, text, *match.span(), match.group(), meta)
