"""Salesforce API endpoints (/services/...) and API versions (v59.0, API version 60, Spring '24)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sfagent.nlu.entities.model import Entity, EntityType, MetaValue, make_entity

_PATH_TAIL = r"(?:/[^\s?#<>\"'`)\]},;]*)?"
_ENDPOINT = re.compile(
    r"/services/(?:"
    r"data(?:/v(?P<rest_version>\d{2,3}\.\d))?" + _PATH_TAIL + "|"
    r"apexrest" + _PATH_TAIL + "|"
    r"oauth2/(?:token|authorize|revoke|userinfo|introspect)(?![\w/])|"
    r"[Ss]oap/(?P<soap_kind>[a-zA-Z])/(?P<soap_version>\d{2,3}\.\d)" + _PATH_TAIL + "|"
    r"async/(?P<bulk_version>\d{2,3}\.\d)" + _PATH_TAIL + ")"
)
_SOBJECT = re.compile(r"/sobjects/(?P<object>[A-Za-z]\w*)")
_REST_FAMILY = re.compile(
    r"/v\d+\.\d/(?P<family>tooling|jobs/ingest|jobs/query|composite|query|queryAll|search|"
    r"sobjects|limits|actions|analytics|connect|chatter|ui-api|graphql)"
)
_SOAP_KINDS = {"u": "soap_partner", "c": "soap_enterprise", "m": "metadata", "T": "tooling_soap"}

# "v59.0" only where a version is plausible; bare "API version 60" or "version 59.0".
_VERSION = re.compile(
    r"(?<![\w.])v(?P<v>\d{2}\.0)(?![\w.]|\.\d)"
    r"|\bAPI\s+(?:version\s+|v)?(?P<api>\d{2}(?:\.0)?)(?![\w.]|\.\d)",
    re.IGNORECASE,
)
_RELEASE = re.compile(
    r"\b(?P<season>Spring|Summer|Winter)\s*(?:['\u2019\u2018]|20)(?P<year>\d{2})(?![\w'\u2019])",
    re.IGNORECASE,
)
# Release "Spring '16" shipped API 36.0 and each release adds one version, three per year.
_DIGIT = re.compile(r"\d")
_BASE_YEAR = 16
_SEASON_OFFSET = {"winter": 35, "spring": 36, "summer": 37}
_MIN_VERSION = 20.0
_MAX_VERSION = 99.0


def find_endpoints(text: str) -> Iterator[Entity]:
    """REST, Apex REST, OAuth, SOAP and Bulk endpoints rooted at /services/."""
    if "/services/" not in text:
        return
    for match in _ENDPOINT.finditer(text):
        path = match.group().rstrip(".:!")
        start, end = match.start(), match.start() + len(path)
        yield make_entity(EntityType.API_ENDPOINT, text, start, end, path, _endpoint_meta(match))


def _endpoint_meta(match: re.Match[str]) -> dict[str, MetaValue]:
    path = match.group()
    version = (
        match.group("rest_version") or match.group("soap_version") or match.group("bulk_version")
    )
    if path.startswith("/services/apexrest"):
        api = "apex_rest"
    elif path.startswith("/services/oauth2"):
        api = "oauth"
    elif match.group("soap_kind"):
        api = _SOAP_KINDS.get(match.group("soap_kind"), "soap")
    elif match.group("bulk_version"):
        api = "bulk_v1"
    else:
        family = _REST_FAMILY.search(path)
        api = _rest_api_name(family.group("family") if family else None)
    sobject = _SOBJECT.search(path)
    return {"api": api, "version": version, "object": sobject.group("object") if sobject else None}


def _rest_api_name(family: str | None) -> str:
    if family == "tooling":
        return "tooling"
    if family in ("jobs/ingest", "jobs/query"):
        return "bulk_v2"
    return "rest"


def find_api_versions(text: str) -> Iterator[Entity]:
    """API versions, normalised to "NN.0"; release names map to the version they shipped."""
    lowered = text.lower()
    if ("v" in lowered or "api" in lowered) and _DIGIT.search(text):
        yield from _numbered_versions(text)
    if "spring" in lowered or "summer" in lowered or "winter" in lowered:
        yield from _release_versions(text)


def _numbered_versions(text: str) -> Iterator[Entity]:
    for match in _VERSION.finditer(text):
        number = match.group("v") or match.group("api")
        version = float(number)
        if _MIN_VERSION <= version <= _MAX_VERSION:
            meta: dict[str, MetaValue] = {"release": None}
            value = f"{version:.1f}"
            yield make_entity(EntityType.API_VERSION, text, *match.span(), value, meta)


def _release_versions(text: str) -> Iterator[Entity]:
    for match in _RELEASE.finditer(text):
        season = match.group("season").lower()
        year = int(match.group("year"))
        version = _SEASON_OFFSET[season] + 3 * (year - _BASE_YEAR)
        if _MIN_VERSION <= version <= _MAX_VERSION:
            release = f"{season.capitalize()} '{year:02d}"
            meta = {"release": release}
            yield make_entity(EntityType.API_VERSION, text, *match.span(), f"{version}.0", meta)
