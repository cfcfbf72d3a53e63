"""Span finder for IP addresses: hosts, not networks, bind addresses or version numbers."""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Iterator

from sfagent.security.pii_patterns import Span, triggered

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
    r"(?i)\b(?:ip|ips|address|host|server|login|logins|logged|range|allowlist|whitelist|trusted"
    r"|network|proxy|vpn|subnet|gateway|dns|firewall|origin|client|source|remote|connect\w*"
    r"|request\w*|ping|route\w*|nat|lan|wan)\b"
)
# "upgrading the managed package from 1.2.3.4 to 1.3.0.7": a release word earlier in the clause
# and no network word since.
_RELEASE_WORD = re.compile(
    r"(?i)\b(?:versions?|releases?|builds?|packages?|upgrad\w*|patch(?:es|ed)?|sdk|firmware"
    r"|rollback|rolled\s+back|roll(?:ed|ing)?\s+(?:\w+\s+){0,2}back|downgrad\w*)\b"
)
# "Is 1.14.2.7 a known bad build?", "1.3.0.2 release notes".
_RELEASE_AFTER = re.compile(
    r"(?i)[\s,]*(?:(?:is|was|a|an|the|known|bad|good|new|old|stable|latest|broken|buggy)\s+){0,4}"
    r"(?:build|release|version|patch|package)"
)
_CLAUSE_START = re.compile(r"[.!?;\n](?=\s)")
_UPGRADE_STEP = re.compile(r"(?i)\s*(?:to|->|→|=>|and)\s*")


# "10.40.0.0/16", "13.108.0.0/14": a network, not a machine (a /32 is one host); so are
# 0.0.0.0 (listen everywhere), the broadcast address and netmasks.
_CIDR_SUFFIX = re.compile(r"/(?:[0-9]|[12]\d|3[01])(?!\d)")
# "the 10.20.0.0 range", "subnet 172.16.0.0 mask ...": a network address named as one.
_NETWORK_WORD = re.compile(
    r"(?i)\b(?:cidr|range|ranges|subnets?|network|netmask|mask|block|prefix|vpc|allowlist|broadcast"
    r"|whitelist|trusted\s+ips?)\b"
)


def find_ip_addresses(text: str) -> Iterator[Span]:
    """IPv4 and IPv6 addresses, leaving version numbers like 1.2.3.4 alone."""
    hosts = [
        match
        for match in _IPV4.finditer(text)
        if not (
            _CIDR_SUFFIX.match(text, match.end())
            or _is_network_address(text, match.start(), match.end(), match.group())
        )
    ]
    # A value that reads as a version anywhere ("is 1.14.2.7 a bad build?") is one everywhere,
    # and so is the other end of "from 2.10.4.1 to 2.9.8.3".
    versions = {m.group() for m in hosts if _looks_like_version(text, m.start(), m.group())}
    for first, second in itertools.pairwise(hosts):
        if _UPGRADE_STEP.fullmatch(text, first.end(), second.start()) and (
            first.group() in versions or second.group() in versions
        ):
            versions |= {first.group(), second.group()}
    yield from (match.span() for match in hosts if match.group() not in versions)
    for match in _IPV6.finditer(text):
        if _valid_ipv6(match.group()):
            yield match.span()


def _is_network_address(text: str, start: int, end: int, dotted: str) -> bool:
    if dotted in ("0.0.0.0", "255.255.255.255") or dotted.startswith("255."):
        return True
    if not dotted.endswith((".0", ".255")):
        return False
    around = text[max(0, start - 60) : min(len(text), end + 40)]
    return _NETWORK_WORD.search(around) is not None


def _looks_like_version(text: str, start: int, dotted: str) -> bool:
    before = text[max(0, start - 40) : start]
    if _VERSION_BEFORE.search(before):
        return True
    if _RELEASE_AFTER.match(text, start + len(dotted)):
        return True
    clause = _CLAUSE_START.split(text[max(0, start - 80) : start])[-1]
    releases = list(_RELEASE_WORD.finditer(clause))
    if releases and not _IP_CONTEXT.search(clause, releases[-1].end()):
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
