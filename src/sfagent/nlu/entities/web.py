"""URLs (with a scheme, www., or a bare Salesforce host) and e-mail addresses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from sfagent.nlu.entities.model import Entity, EntityType, MetaValue, make_entity

_URL_BODY = r"[^\s<>\"'`\[\]{}|\\^]+"
_SALESFORCE_HOST = re.compile(
    r"(?:^|\.)(?:salesforce\.com|force\.com|visualforce\.com|site\.com|salesforce-sites\.com|"
    r"cloudforce\.com|salesforce-setup\.com|sfdcopens\.com|documentforce\.com)$",
    re.IGNORECASE,
)
_URL = re.compile(
    rf"(?<![\w@/.-])(?:(?:https?|ftp)://|www\.){_URL_BODY}"
    rf"|(?<![\w@/.-])(?:[A-Za-z0-9-]+\.)+(?:salesforce|force|visualforce|site|cloudforce)\.com"
    rf"(?![\w-])(?:[/?#]{_URL_BODY})?",
    re.IGNORECASE,
)
_URL_CUES = ("://", "www.", "force.com", "site.com", "salesforce.com")
_TRAILING = ".,;:!?'\""
_CLOSERS = {")": "(", "]": "["}
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)++(?![\w@-])"
)


def find_urls(text: str) -> Iterator[Entity]:
    """Links; trailing sentence punctuation and unbalanced closing brackets are left out."""
    lowered = text.lower()
    if not any(cue in lowered for cue in _URL_CUES):
        return
    for match in _URL.finditer(text):
        start, end = match.span()
        end = _trim_url_end(text, start, end)
        raw = text[start:end]
        value = raw if "://" in raw else "https://" + raw
        host = (urlsplit(value).hostname or "").lower()
        if "." not in host:
            continue
        meta: dict[str, MetaValue] = {
            "host": host,
            "salesforce": bool(_SALESFORCE_HOST.search(host)),
        }
        yield make_entity(EntityType.URL, text, start, end, value, meta)


def _trim_url_end(text: str, start: int, end: int) -> int:
    while end > start and _drop_last(text, start, end):
        end -= 1
    return end


def _drop_last(text: str, start: int, end: int) -> bool:
    last = text[end - 1]
    if last in _TRAILING:
        return True
    opener = _CLOSERS.get(last)
    return opener is not None and text.count(opener, start, end) < text.count(last, start, end)


def find_emails(text: str) -> Iterator[Entity]:
    """E-mail addresses; the domain is lower-cased in the value."""
    if "@" not in text:
        return
    for match in _EMAIL.finditer(text):
        local, _, domain = match.group().rpartition("@")
        domain = domain.lower()
        if "." not in domain or not domain.rsplit(".", 1)[1].isalpha():
            continue
        value = f"{local}@{domain}"
        yield make_entity(EntityType.EMAIL, text, match.start(), match.end(), value, {})
