"""Split SOQL text into tokens, rejecting bad strings, dates and characters with a clear fix."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final

from sfagent.diagnostics.soql.errors import SoqlParseError, TextLocator


class TokenKind(StrEnum):
    """What a token is; keywords are IDENT tokens matched by their upper-case text."""

    IDENT = "ident"
    STRING = "string"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    OPERATOR = "operator"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    DOT = "."
    COLON = ":"
    SYMBOL = "symbol"
    EOF = "end of query"


@dataclass(frozen=True, slots=True)
class Token:
    """One token with its character offsets in the analysed text (end exclusive)."""

    kind: TokenKind
    text: str
    start: int
    end: int
    upper: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "upper", self.text.upper())


_SIMPLE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<datelike>\d{4}-\d{1,2}-\d{1,2}(?:[Tt][0-9:.]*(?:[Zz]|[+-]\d{1,2}(?::?\d{1,2})?)?)?)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<operator><>|<=|>=|!=|==|=|<|>)
  | (?P<punct>[(),.:])
  | (?P<symbol>&&|\|\||[!&|+*/{}\[\]?;@\#$%^~\\`-])
    """,
    re.VERBOSE,
)
_STRING_BODY = re.compile(r"[^'\\]*(?:\\.[^'\\]*)*'", re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_VALID_ESCAPES: Final = frozenset("nNrRtTbBfF\"'\\%_")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})"
)
_DATETIME_WITHOUT_ZONE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?")
_CURRENCY_HEAD = re.compile(r"[A-Za-z]{3}\d+")
_DECIMAL_TAIL = re.compile(r"\.\d+")
_PUNCT_KINDS: Final = {
    "(": TokenKind.LPAREN,
    ")": TokenKind.RPAREN,
    ",": TokenKind.COMMA,
    ".": TokenKind.DOT,
    ":": TokenKind.COLON,
}
DATE_FORMAT_HELP: Final = (
    "Write dates as YYYY-MM-DD and datetimes as YYYY-MM-DDThh:mm:ssZ (or with an offset such "
    "as +05:30), without quotes: CreatedDate > 2024-01-31T00:00:00Z."
)


def tokenize(text: str, locator: TextLocator) -> list[Token]:
    """Tokens of `text` ending with an EOF token; raises SoqlParseError on bad input."""
    tokens: list[Token] = []
    position = 0
    length = len(text)
    while position < length:
        char = text[position]
        if char == "'":
            end = _string_end(text, position, locator)
            tokens.append(Token(TokenKind.STRING, text[position:end], position, end))
        elif text.startswith("//", position):
            newline = text.find("\n", position)
            position = length if newline == -1 else newline
            continue
        elif text.startswith("/*", position):
            end = text.find("*/", position + 2)
            if end == -1:
                raise _error(
                    locator,
                    position,
                    position + 2,
                    "A /* comment is never closed.",
                    "Close the comment with */ or remove it.",
                    "unclosed-comment",
                )
            position = end + 2
            continue
        elif char == '"':
            raise _double_quote_error(text, position, locator)
        else:
            end = _simple_token(text, position, locator, tokens)
        position = end
    tokens.append(Token(TokenKind.EOF, "", length, length))
    return tokens


def _simple_token(text: str, position: int, locator: TextLocator, tokens: list[Token]) -> int:
    match = _SIMPLE.match(text, position)
    if match is None:
        raise _unexpected_character(text, position, locator)
    group = match.lastgroup
    end = match.end()
    if group == "ws":
        return end
    if group == "ident":
        end = _extend_currency(text, position, end)
        tokens.append(Token(TokenKind.IDENT, text[position:end], position, end))
    elif group == "datelike":
        tokens.append(_date_token(text[position:end], position, end, locator))
    elif group == "number":
        tokens.append(Token(TokenKind.NUMBER, text[position:end], position, end))
    elif group == "operator":
        tokens.append(Token(TokenKind.OPERATOR, text[position:end], position, end))
    elif group == "punct":
        tokens.append(Token(_PUNCT_KINDS[text[position]], text[position], position, end))
    else:
        tokens.append(Token(TokenKind.SYMBOL, text[position:end], position, end))
    return end


def _extend_currency(text: str, start: int, end: int) -> int:
    """Currency literals such as USD5000.01 keep their decimals in one token."""
    if _CURRENCY_HEAD.fullmatch(text, start, end):
        tail = _DECIMAL_TAIL.match(text, end)
        if tail is not None:
            return tail.end()
    return end


def _string_end(text: str, start: int, locator: TextLocator) -> int:
    match = _STRING_BODY.match(text, start + 1)
    if match is None:
        raise _error(
            locator,
            start,
            start + 1,
            "A string starts here but its closing quote is missing.",
            "Close the string with a single quote; write a quote inside a string as \\'.",
            "unclosed-string",
        )
    for escape in _ESCAPE.finditer(text, start + 1, match.end() - 1):
        if escape.group(1) not in _VALID_ESCAPES:
            raise _error(
                locator,
                escape.start(),
                escape.end(),
                f"'\\{escape.group(1)}' is not an escape SOQL knows.",
                "Inside SOQL strings a backslash may only start \\n \\r \\t \\b \\f \\' \\\" "
                "\\\\, or \\% and \\_ in a LIKE pattern; write \\\\ for a literal backslash.",
                "bad-escape",
            )
    return match.end()


def _date_token(value: str, start: int, end: int, locator: TextLocator) -> Token:
    if _DATE.fullmatch(value):
        _check_calendar(value, start, end, locator)
        return Token(TokenKind.DATE, value, start, end)
    if _DATETIME.fullmatch(value):
        _check_calendar(value, start, end, locator)
        return Token(TokenKind.DATETIME, value, start, end)
    if _DATETIME_WITHOUT_ZONE.fullmatch(value):
        raise _error(
            locator,
            start,
            end,
            f"The datetime {value} has no time zone.",
            f"Add Z for UTC ({value}Z) or an offset such as {value}+01:00.",
            "datetime-without-zone",
        )
    raise _error(
        locator,
        start,
        end,
        f"{value} is not a valid date or datetime literal.",
        DATE_FORMAT_HELP,
        "bad-date-format",
    )


def _check_calendar(value: str, start: int, end: int, locator: TextLocator) -> None:
    year, month, day = int(value[0:4]), int(value[5:7]), int(value[8:10])
    time_ok = True
    if len(value) > 10:
        hour, minute, second = int(value[11:13]), int(value[14:16]), int(value[17:19])
        time_ok = hour < 24 and minute < 60 and second < 60
    try:
        date(year, month, day)
    except ValueError:
        time_ok = False
    if not time_ok:
        raise _error(
            locator,
            start,
            end,
            f"{value} is not a real calendar date or time.",
            DATE_FORMAT_HELP,
            "bad-date-value",
        )


def _double_quote_error(text: str, start: int, locator: TextLocator) -> SoqlParseError:
    close = text.find('"', start + 1)
    end = start + 1 if close == -1 else close + 1
    inner = text[start + 1 : close] if close != -1 else "..."
    return _error(
        locator,
        start,
        end,
        "SOQL strings use single quotes; double quotes are not allowed.",
        f"Write '{inner}' instead of \"{inner}\". Inside Apex, escape the quotes of a dynamic "
        "query string as \\'.",
        "double-quotes",
    )


def _unexpected_character(text: str, position: int, locator: TextLocator) -> SoqlParseError:
    char = text[position]
    shown = char if char.isprintable() else f"U+{ord(char):04X}"
    return _error(
        locator,
        position,
        position + 1,
        f"Unexpected character {shown!r}: this is not part of SOQL.",
        "Remove it; SOQL text outside string literals is plain ASCII keywords, names, numbers "
        "and operators.",
        "bad-character",
    )


def _error(
    locator: TextLocator, start: int, end: int, message: str, suggestion: str, code: str
) -> SoqlParseError:
    return SoqlParseError(locator.error(start, end, message, suggestion, code))
