"""Span finders for secrets: Salesforce sessions, OAuth tokens, passwords, keys.

Like the personal-data finders, each yields (start, end) of the secret itself, leaving the
words around it ("password:", "Bearer") so a redacted message still reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sfagent.security.pii_patterns import Span, TriggeredPattern, triggered

# --- Salesforce session id -----------------------------------------------------------------

_SESSION_ID = triggered(
    r"(?<![A-Za-z0-9])00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?![A-Za-z0-9._]{20,1024}",
    r"00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?!",
    before=1,
    after=1030,
)
_SESSION_ASSIGNMENT = triggered(
    r"(?i:\bsid|\bsession[_\-]?id)[\"']?\s*(?:=>|[:=])\s*[\"']?(?P<v>[A-Za-z0-9!._%\-]{20,1024})",
    r"(?i:sid|session[_\-]?id)[\"']?\s*(?:=>|[:=])",
    before=12,
    after=1040,
)


# "00D...!AQcAQOa7...truncated": a token cut short for display; a "..." inside a long one still
# leaves a live secret on either side.
_ELIDED_END = re.compile(r"\.{3}(?:[a-z]{0,12})$")


def find_session_ids(text: str) -> Iterator[Span]:
    """Salesforce session ids (00D...!token) and sid= / sessionId values."""
    for match in _SESSION_ID.finditer(text):
        if not _PLACEHOLDER_RUN.search(match.group().replace("...", "", 1)) and not (
            _ELIDED_END.search(match.group())
        ):
            yield match.span()
    yield from _value_spans(_SESSION_ASSIGNMENT, text)


# --- OAuth tokens --------------------------------------------------------------------------

_TOKEN_CHARS = r"[A-Za-z0-9\-._~+/!]"
_OAUTH_TOKEN = [
    triggered(
        rf"(?i:\bbearer)\s+(?P<v>{_TOKEN_CHARS}{{16,4096}}=*)",
        rf"(?i:bearer)\s+{_TOKEN_CHARS}{{16}}",
        before=1,
        after=4100,
    ),
    triggered(
        r"(?i:\b(?:access|refresh|id|auth|oauth|bearer)[_\-]?token)[\"']?\s*(?:=>|[:=])\s*"
        rf"[\"']?(?P<v>{_TOKEN_CHARS}{{16,4096}}=*)",
        r"(?i:token)[\"']?\s*(?:=>|[:=])",
        before=16,
        after=4110,
    ),
    # Salesforce refresh tokens begin 5Aep8; an sfdx auth URL carries one before its "@".
    triggered(
        r"(?<![A-Za-z0-9])(?P<v>5Aep8[0-9A-Za-z._]{40,400})(?![0-9A-Za-z._])",
        r"5Aep8",
        before=1,
        after=410,
    ),
    triggered(
        r"force://[^:\s]{0,64}:[^:\s]{0,128}:(?P<v>[^@\s]{16,1024})@",
        r"force://",
        before=0,
        after=1240,
    ),
    # GitHub OAuth (gho_), user-to-server (ghu_) and refresh (ghr_) tokens; Google's ya29.
    triggered(
        r"(?<![A-Za-z0-9_\-])(?P<v>gh[our]_[A-Za-z0-9]{36,255}|ya29\.[0-9A-Za-z_\-]{20,2048})"
        r"(?![A-Za-z0-9_\-])",
        r"gh[our]_[A-Za-z0-9]{36}|ya29\.[0-9A-Za-z_\-]{20}",
        before=1,
        after=2060,
    ),
    triggered(
        r"(?<![A-Za-z0-9_\-])(?P<v>eyJ[A-Za-z0-9_\-]{8,2048}\.[A-Za-z0-9_\-]{8,4096}"
        r"\.[A-Za-z0-9_\-]{8,2048})",
        r"eyJ[A-Za-z0-9_\-]{8}",
        before=1,
        after=8200,
    ),
]
# "sk_live_xxxxxxxxxxxx", "AKIAIOSFODNN7EXAMPLE" (AWS's documented sample), "sk_test_YOUR_KEY".
_SAMPLE_KEY = re.compile(r"(?i)x{6}|\*{4}|0{8}|EXAMPLE|YOUR_?|REPLACE|PLACEHOLDER|DUMMY")
_REJECTED_TOKEN = re.compile(r"(?i)^(?:your|my|the|<|\$|\{|x{4}|\*+$|token|null|undefined)")
# "00DXXXXXXXXXXXX!XXXXXXXX...", "abc********": a documented shape, not a live value.
_PLACEHOLDER_RUN = re.compile(r"X{8}|x{8}|\*{4}|\.{3}|<[^>\s]{1,40}>")


def find_oauth_tokens(text: str) -> Iterator[Span]:
    """Bearer and access/refresh token values, refresh tokens, JWTs."""
    for pattern in _OAUTH_TOKEN:
        yield from _value_spans(pattern, text)


# --- cloud and API keys --------------------------------------------------------------------

_KNOWN_KEY = (
    r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}|AIza[0-9A-Za-z_\-]{35}"
    r"|xox[baprs]-[0-9A-Za-z\-]{10,200}|gh[ps]_[A-Za-z0-9]{36,255}"
    r"|github_pat_[A-Za-z0-9_]{22,255}|[sr]k_(?:live|test)_[0-9A-Za-z]{16,247}"
    r"|sk-(?:proj-)?[A-Za-z0-9_\-]{32,200}"
)
_CLOUD_KEY = triggered(
    rf"(?<![A-Za-z0-9_\-])(?:{_KNOWN_KEY})(?![A-Za-z0-9])", _KNOWN_KEY, before=1, after=2
)
_KEY_NAME = (
    r"api[ _\-]?key|client[ _\-]?secret|consumer[ _\-]?secret|secret[ _\-]?(?:access[ _\-]?)?key"
    r"|app[ _\-]?secret|private[ _\-]?key|signing[ _\-]?secret|webhook[ _\-]?secret"
    r"|api[ _\-]?secret"
)
_SECRET_ASSIGNMENT = triggered(
    rf"(?i:{_KEY_NAME})(?:__c)?[\"']?\s*(?:=>|[:=])\s*[\"']?(?P<v>[A-Za-z0-9\-._~+/]{{12,512}}=*)",
    rf"(?i:{_KEY_NAME})(?:__c)?[\"']?\s*(?:=>|[:=])",
    before=2,
    after=530,
)


# "the consumer secret is 8F3A...": prose, so the value must look machine-made.
_SECRET_STATEMENT = triggered(
    rf"(?i:{_KEY_NAME})\s+(?:(?i:is|was)\s+)?(?P<v>[A-Za-z0-9\-._~+/]{{16,512}}=*)(?![\w\-])",
    rf"(?i:{_KEY_NAME})\s",
    before=2,
    after=540,
)


def find_cloud_keys(text: str) -> Iterator[Span]:
    """Provider keys by their shape, and values assigned to key or secret names."""
    for match in _CLOUD_KEY.finditer(text):
        if not _SAMPLE_KEY.search(match.group()):
            yield match.span()
    for match in _SECRET_ASSIGNMENT.finditer(text):
        value = match.group("v")
        if _looks_random(value) and not (
            _REJECTED_TOKEN.match(value) or _is_member_access(value) or _SAMPLE_KEY.search(value)
        ):
            yield match.span("v")
    for match in _SECRET_STATEMENT.finditer(text):
        value = match.group("v")
        if any(char.isdigit() for char in value) and any(char.isalpha() for char in value):
            yield match.span("v")


def _looks_random(value: str) -> bool:
    """A key has digits or mixed case; "YOUR_API_KEY" and "client_secret=required" do not."""
    has_digit = any(char.isdigit() for char in value)
    mixed_case = value != value.lower() and value != value.upper()
    return has_digit or (mixed_case and len(value) >= 20)


# --- private keys --------------------------------------------------------------------------

_PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_KEY_MATERIAL = re.compile(r"[A-Za-z0-9+/=]{16}")
_BASE64_LINE = re.compile(r"[ \t]*(?:[A-Za-z0-9+/=]{16,}|[A-Za-z\-]+: [^\n]*)[ \t]*\r?\n?")


def find_private_keys(text: str) -> Iterator[Span]:
    """Whole PEM private key blocks, or what was pasted of one."""
    if "PRIVATE KEY" not in text:
        return
    position = 0
    while (begin := _PEM_BEGIN.search(text, position)) is not None:
        end = _PEM_END.search(text, begin.end())
        stop = end.end() if end is not None else _truncated_key_end(text, begin.end())
        body = text[begin.end() : end.start() if end is not None else stop]
        if _KEY_MATERIAL.search(body):  # not "<your private key here>" or "..." in a frame
            yield begin.start(), stop
        position = stop


def _truncated_key_end(text: str, position: int) -> int:
    """A pasted key cut short: its body runs over the base64 lines that follow the header."""
    if text.startswith("\n", position):
        position += 1
    while (line := _BASE64_LINE.match(text, position)) is not None and line.end() > position:
        position = line.end()
    return position


# --- passwords -----------------------------------------------------------------------------

_VALUE = (
    r"(?:\"(?P<dq>[^\"\n]{1,128})\"|'(?P<sq>[^'\n]{1,128})'"
    r"|[\u2018\u201c](?P<cq>[^\u2019\u201d\n]{1,128})[\u2019\u201d]"
    r"|(?P<bare>(?:[^\s\"'\u2018\u201c,;&<>()\[\]{}]|&(?![\w.\-]{1,40}=)(?=\S)){1,128}))"
)
# Also Spanish, Portuguese, French, Italian, Dutch, Polish and Swedish.
_PASSWORD_WORD = (
    r"(?:password|passwd|passwort|pwd|passphrase|passcode|security[ _]?token|contrase(?:ñ|n)a"
    r"|senha|mot[ _]de[ _]passe|wachtwoord|has(?:ł|l)o|l(?:ö|o)senord|kennwort)"
)
# "Contraseña temporal:", "new password:", "mot de passe provisoire :".
_PASSWORD_ADJECTIVE = (
    r"temporal|temporary|temp|provisoire|provisorisches|provisional|provis[óo]ria|tempor[äa]r"
    r"|initial|inicial|nueva|nouveau|neues|nova|new|actual|aktuelles|atual|antigua|ancien|old"
)
_PASSWORD_ANY = rf"(?i:{_PASSWORD_WORD}|\bpw\b)"
_PASSWORD_ASSIGNMENT = triggered(
    rf"(?i:{_PASSWORD_WORD}|(?<![A-Za-z0-9])pw|(?<![A-Za-z0-9_\-])pass)(?:__c)?[\"']?"
    rf"(?:\s+(?i:{_PASSWORD_ADJECTIVE}))?\s*"
    rf"(?P<op>:=|=>|==|!=|[:=])[ \t]*{_VALUE}",
    rf"(?i:{_PASSWORD_WORD}|\bpw|\bpass)(?:__c)?[\"']?(?:\s+(?i:{_PASSWORD_ADJECTIVE}))?\s*"
    r"(?::=|=>|==|!=|[:=])",
    before=2,
    after=150,
)
_PASSWORD_STATEMENT = triggered(
    rf"(?i:\b(?:{_PASSWORD_WORD}|pw)\s+(?:(?:has\s+been\s+|was\s+|is\s+)?(?:set|changed|reset"
    r"|updated)\s+to|is\s+now|is\s+still|would\s+be|should\s+be|is|was|of|to)\s*:?\s+)"
    rf"{_VALUE}",
    _PASSWORD_ANY,
    before=2,
    after=180,
)
_PASSWORD_WITH = triggered(
    r"(?i:(?:\bwith|\bw/|\busing|\bnew|\btemp(?:orary)?|\binitial|\bdefault|\bold|\bcurrent"
    r"|\badmin)\s+(?:the\s+)?"
    rf"(?:{_PASSWORD_WORD}|pw)\s+(?:of\s+)?){_VALUE}",
    _PASSWORD_ANY,
    before=24,
    after=150,
)
# "my password for the community is Tigger#2019", "Passwort ... das alte war Sommer2024!Berlin":
# words between the password and its value, in the languages customers write in.
_PASSWORD_LATER = triggered(
    rf"(?i:\b(?:{_PASSWORD_WORD}|pw)\b[^\n.!?:=]{{0,60}}?\s(?:is|was|es|era|ist|war|lautet"
    r"|est|était|é|è)\s*:?\s+)"
    rf"{_VALUE}",
    _PASSWORD_ANY,
    before=2,
    after=220,
)
_PASSWORD_QUOTED = triggered(
    rf"(?i:\b{_PASSWORD_WORD})\s+[\"'\u2018\u201c]"
    r"(?P<sq>[^\"'\u2019\u201d\s]{3,64})[\"'\u2019\u201d]",
    _PASSWORD_ANY,
    before=2,
    after=80,
)
_PRONOUN = r"(?:the|their|her|his|my|our|its|a|your)\s+"
# "reset the password for our community user to 'Tr0ub4dor&3'", "pw for jane was set to X".
_PASSWORD_SET_TO = triggered(
    rf"(?i:\b(?:set|reset|chang(?:e|ed)|updat(?:e|ed)|rotat(?:e|ed))\s+(?:{_PRONOUN})?"
    rf"(?:{_PASSWORD_WORD}|pw)\b[^\n.!?]{{0,60}}?\bto\s*:?\s*|\b(?:{_PASSWORD_WORD}|pw)\b"
    r"[^\n.!?]{1,40}?\b(?:set|reset|changed|updated|rotated)\s+(?:it\s+)?to\s*:?\s*)"
    rf"{_VALUE}",
    _PASSWORD_ANY,
    before=40,
    after=260,
)
# "user 7281934, password Mc_Imp0rt!9": the value right after the word, when it looks made up.
_MIN_DIRECT_LENGTH = 6
_PASSWORD_DIRECT = triggered(
    rf"(?i:\b(?:{_PASSWORD_WORD}|pw))\s+(?P<direct>[^\s\"'\u2018\u201c,;&<>()\[\]{{}}]{{6,64}})",
    _PASSWORD_ANY,
    before=2,
    after=80,
)
_PASSWORD_ELSEWHERE = [
    # CLI flags: --password X, -pw X, --pass "X".
    triggered(
        rf"(?<!\S)--?(?i:password|passwd|pwd|pass|pw)\s+(?!-){_VALUE}",
        r"(?i:-password|-passwd|-pwd|-pass|-pw)\s",
        before=2,
        after=150,
    ),
    # <entry key="sfdc.password" value="X"/>, <property name="db.password" value="X"/>.
    triggered(
        r"(?i:\b(?:key|name|id|property)\s*=\s*[\"'][\w.\-]{0,40}(?:password|passwd|pwd|passphrase)"
        r"[\"'])\s+(?i:value)\s*=\s*[\"'](?P<sq>[^\"'\n]{1,128})[\"']",
        r"(?i:password|passwd|pwd|passphrase)[\"']\s+(?i:value)",
        before=60,
        after=150,
    ),
    # {"key": "password", "value": "X"}: a Postman body or environment.
    triggered(
        r"(?i:[\"'](?:key|name)[\"']\s*:\s*[\"'][\w.\-]{0,40}(?:password|passwd|pwd|passphrase)"
        r"[\"']\s*,\s*[\"']value[\"']\s*:\s*)[\"'](?P<sq>[^\"'\n]{1,128})[\"']",
        r"(?i:password|passwd|pwd|passphrase)[\"']\s*,\s*[\"'](?i:value)",
        before=60,
        after=170,
    ),
    triggered(
        r"(?i:\bsetPassword)\s*\(\s*(?:[^,()\n]{1,60},\s*)?[\"'](?P<sq>[^\"'\n]{1,128})[\"']",
        r"(?i:setpassword)",
        before=1,
        after=210,
    ),
    triggered(
        r"(?i)<(?:\w+:)?password>(?P<sq>[^<\n]{1,128})</(?:\w+:)?password>",
        r"(?i:password>)",
        before=30,
        after=170,
    ),
    triggered(
        r"(?i:\bauthorization)\s*:\s*Basic\s+(?P<sq>[A-Za-z0-9+/]{8,512}={0,2})",
        r"(?i:authorization)",
        before=1,
        after=540,
    ),
    triggered(
        r"(?<!\S)-u\s+[\"']?[^:\s\"']{1,64}:(?P<sq>[^\s\"'@:][^\s\"'@]{0,127})",
        r"-u\s",
        before=1,
        after=210,
    ),
    triggered(r"://[^:/\s@]{1,64}:(?P<sq>[^@/\s:][^@/\s]{0,127})@", r"://", before=0, after=200),
]
# Words that follow "password:" or "password is" without being one.
_NOT_A_PASSWORD = frozenset({
    "a", "an", "the", "my", "your", "his", "her", "their", "our", "it", "this", "that", "same",
    "not", "no", "yes", "none", "null", "nil", "true", "false", "undefined", "required",
    "optional", "expired", "expires", "never", "blank", "empty", "hidden", "masked", "encrypted",
    "redacted", "reset", "changed", "locked", "invalid", "incorrect", "wrong", "correct",
    "right", "set", "unset", "ok", "okay", "fine", "string", "text", "field", "value", "n/a",
    "na", "tbd", "unknown", "missing", "policy", "strength", "complexity", "length", "change",
    "changes", "working", "broken", "still", "also", "being", "too", "very", "case", "sensitive",
    "protected", "stored", "saved", "sent", "shown", "visible", "needed", "used", "enabled",
    "disabled", "valid", "weak", "strong", "old", "new", "temporary", "different",
    "above", "below", "attached", "here", "there", "mine", "yours"
})  # fmt: skip
_PLACEHOLDER = re.compile(r"^(?:[$%#\[{<*]|x{3,}$|X{3,}$|\.{3}|your[_\-]?|<)")


def find_passwords(text: str) -> Iterator[Span]:
    """Password values in assignments, statements, calls, XML and URLs."""
    for pattern in (_PASSWORD_ASSIGNMENT, _PASSWORD_QUOTED, *_PASSWORD_ELSEWHERE):
        yield from _password_values(pattern, text, strict=False)
    for pattern in (_PASSWORD_STATEMENT, _PASSWORD_WITH, _PASSWORD_SET_TO, _PASSWORD_LATER):
        yield from _password_values(pattern, text, strict=True)
    for match in _PASSWORD_DIRECT.finditer(text):
        value = match.group("direct").rstrip(".,:!?*_`")
        if (
            len(value) >= _MIN_DIRECT_LENGTH
            and _made_up(value)
            and not (_NOT_DIRECT_PASSWORD.search(value) or _PLACEHOLDER.match(value))
            and value.lower() not in _NOT_A_PASSWORD
        ):
            yield match.start("direct"), match.start("direct") + len(value)


def _password_values(pattern: TriggeredPattern, text: str, *, strict: bool) -> Iterator[Span]:
    """Value spans; `strict` (prose like "password is X") also wants a password-like value."""
    for match in pattern.finditer(text):
        span = _password_span(match, text, strict=strict)
        if span is not None:
            yield span


def _password_span(match: re.Match[str], text: str, *, strict: bool) -> Span | None:
    groups = match.groupdict()
    group = next(name for name in ("dq", "sq", "cq", "bare") if groups.get(name))
    start, end = match.span(group)
    value = match.group(group)
    if group != "bare":
        return (start, end) if _acceptable_password(value, quoted=True, strict=strict) else None
    if _looks_like_code(value, text[end : end + 1], groups.get("op")):
        return None
    if groups.get("op") == ":" and value.isalpha() and _PROSE_GOES_ON.match(text, end):
        return None  # "like a password: store it in a vault" is advice, not a credential
    value = value.rstrip(".,:")
    if not _acceptable_password(value, quoted=False, strict=strict):
        return None
    return start, start + len(value)


_PROSE_GOES_ON = re.compile(r" [a-z]+\b(?! *[:=])")


def _looks_like_code(value: str, following: str, operator: str | None) -> bool:
    """`pwd = getPassword()`, `u.password = pwd;`, `password != confirm`: code, not a secret."""
    if operator in ("==", "!=") or following == "(" or _is_member_access(value):
        return True
    return following in (";", ")") and re.fullmatch(r"[A-Za-z_]+", value) is not None


def _acceptable_password(value: str, *, quoted: bool, strict: bool) -> bool:
    if not value.strip() or value.lower() in _NOT_A_PASSWORD or _PLACEHOLDER.match(value):
        return False
    if quoted:
        return True
    return len(value) >= 6 and _password_like(value) if strict else len(value) >= 4


# Things that follow "password" without being one: versions, dates, paths, field names.
_NOT_DIRECT_PASSWORD = re.compile(
    r"(?i)^(?:v?\d+(?:\.\d+)+|\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}|\d+(?:st|nd|rd|th|s|x|min|h|d)"
    r"|[\w\-]*__c|https?:|www\.|.*[/\\]|[A-Z]{2,}-\d+$|\w+-[a-z]{3,}$)"
    r"|^(?:reset|polic|field|expir|chang|histor|manag|protect|length|complex|require|strength)"
)


def _made_up(value: str) -> bool:
    """Letters and digits together, or a symbol among mixed case: "Mc_Imp0rt!9", "sunflower1987"."""
    has_digit = any(char.isdigit() for char in value)
    has_alpha = any(char.isalpha() for char in value)
    has_symbol = any(not char.isalnum() for char in value)
    mixed_case = any(char.isupper() for char in value[1:]) and any(c.islower() for c in value)
    return (has_digit and has_alpha) or (has_symbol and mixed_case) or value.isdigit()


def _password_like(value: str) -> bool:
    return (
        any(char.isdigit() for char in value)
        or any(not char.isalnum() for char in value)
        or any(char.isupper() for char in value[1:])
    )


def _is_member_access(value: str) -> bool:
    return re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+", value) is not None


def _value_spans(pattern: TriggeredPattern, text: str) -> Iterator[Span]:
    for match in pattern.finditer(text):
        value = match.group("v")
        if not (_REJECTED_TOKEN.match(value) or _PLACEHOLDER_RUN.search(value)):
            yield match.span("v")
