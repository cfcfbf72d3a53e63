"""Span finder for postal addresses: US/UK street lines, continental ones, PO boxes."""

from __future__ import annotations

from collections.abc import Iterator

from sfagent.security.pii_patterns import Span, triggered

_STREET_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Parkway"
    r"|Pkwy|Place|Pl|Terrace|Ter|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl|Crescent|Close"
    r"|Row|Plaza|Alley|Loop|Pike|Walk|Gardens|Mews)"
)
_STREET_WORD = (
    r"(?:[A-Z][a-z'\u2019]+(?:-[A-Z][a-z]+)?|Mc[A-Z][a-z]+|[NS][EW]\.?|[NSEW]\.?"
    r"|\d{1,3}(?:st|nd|rd|th))"
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


# Continental order, anchored by the postcode and town that follow: "Lindenstraße 12, 10969
# Berlin", "Keizersgracht 123, 1015 CJ Amsterdam", "12 rue de la Paix, 75002 Paris".
_EU_STREET_SUFFIX = (
    r"stra(?:ß|ss)e|str\.|weg|gasse|platz|allee|damm|ufer|gracht|straat|laan|plein|kade|vej"
    r"|gade|gatan|vägen|veien"
)
_EU_TOWN = r"(?:[A-Z]{1,2}-)?\d{4,5}(?: ?[A-Z]{2})? +[A-ZÄÖÜÉ][\w\-]{1,40}"
_EU_ADDRESS = triggered(
    rf"(?<![\w\-])(?:[A-ZÄÖÜ][\w\-]{{0,40}}?\s?(?i:{_EU_STREET_SUFFIX})\s+\d{{1,4}}[a-z]?"
    r"|\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|boulevard|place|chemin|allée|impasse|quai"
    r"|via|viale|piazza|calle|avenida|plaza|paseo|rua)\s+(?:[\w'\u2019\-]{1,40}\s+){0,5}?"
    rf"[\w'\u2019\-]{{1,40}})(?:,\s*|\s+){_EU_TOWN}",
    r"[, \-]\d{4,5}(?: ?[A-Z]{2})? +[A-ZÄÖÜÉ]",
    before=130,
    after=50,
)


# The street type first, the number after: "Calle de Alcalá 148, 3º B, 28009 Madrid", "Via Roma
# 12", "ul. Marszałkowska 84/92 m. 15", "Avenida da Liberdade 110"; then floor, door and town.
_NAME_WORD = r"[A-ZÁÉÍÓÚÑÇŁŚŻŹ][\w'\u2019\-]{1,30}"
_PARTICLE = r"(?:de|del|de\s+la|de\s+los|de\s+las|da|do|dos|das|di|della|delle|dei|la|el)"
_TYPE_FIRST = (
    r"(?:Calle|C/|Avenida|Avda\.|Av\.|Paseo|Pº|Plaza|Camino|Carrer|Carretera|Ronda|Travesía"
    r"|Rua|Travessa|Largo|Via|Viale|Piazza|Corso|Vicolo|ul\.|ulica|(?<!et\s)al\.|aleja)"
)
_TYPE_FIRST_ADDRESS = triggered(
    rf"(?<![\w\-])(?P<type>{_TYPE_FIRST})\s*(?:{_PARTICLE}\s+)?{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)?"
    rf"{_NAME_WORD}){{0,3}},?\s+\d{{1,4}}[A-Za-z]?(?:/\d{{1,4}}[A-Za-z]?)?(?![\w\-])"
    r"(?P<tail>(?:\s+m\.\s?\d{1,4}|,?\s+\d{1,2}\s?[ºª°]\s?[A-Za-z]{0,4}\.?(?:\s+[A-Za-z]{1,4}\.?)?"
    r"|,\s+(?:piso|puerta|planta|esc\.|escalera)\s+\w{1,4})*"
    rf"(?:,?\s+{_EU_TOWN})?)",
    r"(?:Calle|C/|Avenida|Avda\.|Av\.|Paseo|Pº|Plaza|Camino|Carrer|Carretera|Ronda|Travesía"
    r"|Rua|Travessa|Largo|Via|Viale|Piazza|Corso|Vicolo|ul\.|ulica|al\.|aleja)\s*\w",
    before=1,
    after=160,
)
# Street types that are English words too ("Via Lightning 2 we show"): only with a floor or town.
_ENGLISH_TOO = frozenset({"Via", "Plaza", "Corso", "Largo", "Ronda", "Camino", "Av."})
# The number first, French style, without the town: "8 rue Oberkampf"; a German street name
# with its number: "Schillerstraße 42".
_NUMBER_FIRST_ADDRESS = triggered(
    r"(?<![\w\-.,/])\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|boulevard|bd|allée|impasse|chemin|quai)"
    rf"\s+(?:(?:de|du|des|de\s+la|d'|l')\s*)?{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}}"
    r"|(?<![\w\-])[A-ZÄÖÜ][a-zäöüß\-]{2,30}(?:straße|strasse|gasse|allee)\s+\d{1,4}[a-z]?(?![\w\-])",
    r"(?i:\d\s+(?:rue|boulevard|bd|allée|impasse|chemin|quai)\s|straße|strasse|gasse|allee)",
    before=40,
    after=140,
)


def find_postal_addresses(text: str) -> Iterator[Span]:
    """Street addresses (number, name, suffix, unit, city tail) and PO boxes."""
    yield from (match.span() for match in _ADDRESS.finditer(text))
    yield from (match.span() for match in _EU_ADDRESS.finditer(text))
    for match in _TYPE_FIRST_ADDRESS.finditer(text):
        if match.group("tail") or match.group("type") not in _ENGLISH_TOO:
            yield match.span()
    yield from (match.span() for match in _NUMBER_FIRST_ADDRESS.finditer(text))
    yield from (match.span("v") for match in _ADDRESS_AFTER_CONTEXT.finditer(text))
    yield from (match.span() for match in _PO_BOX.finditer(text))
