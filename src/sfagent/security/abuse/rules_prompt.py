"""Prompt injection: instructions aimed at the assistant, plain or hidden in base64."""

from __future__ import annotations

import base64
import binascii
import re

from .matching import _matches
from .rule import Groups, _rule

# --- checks on captured groups -------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ASSISTANT_WORDS = _words(
    "your previous prior above earlier preceding original initial system safety hidden"
    " programmed developer openai anthropic"
)
_FIRM_WORDS = _words("your system safety hidden programmed developer openai anthropic")
_SOFT_NOUNS = _words(
    "instruction instructions directive directives guidelines prompt prompts guardrails programming"
)


def _targets_assistant(groups: Groups) -> bool:
    """'ignore all previous instructions', not 'ignore my previous instructions, I meant X'."""
    words = set(groups["quals"].lower().split())
    if "my" in words:
        return False
    if groups.get("after"):  # 'all the rules above', 'the rules you were given'
        return True
    if groups["verb"].lower().split()[0] in ("override", "bypass", "skip", "abandon", "set"):
        # 'bypass the previous rules' is also how admins talk about validation rules.
        return bool(words & _FIRM_WORDS)
    if words & _ASSISTANT_WORDS:
        return True
    return bool(words & {"all", "any", "every"}) and groups["noun"].lower() in _SOFT_NOUNS


_AFTER_ABOVE = _words("and then text prompt prompts directions instructions")


def _refers_to_prompt(groups: Groups) -> bool:
    """'ignore the above and ...', not 'ignore the above error'."""
    following = groups.get("next", "").split()
    return not following or following[0].lower() in _AFTER_ABOVE


# 'system prompt limit', 'prompt template', 'instructions field': a Salesforce thing, not ours.
_COMPOUND_NOUNS = _words(
    "limit limits size length template templates builder field fields token tokens window"
    " setting settings feature features configuration config editor version versions variable"
    " variables type types record records object objects library catalog action actions"
    " engineering studio"
)
_QUALIFIED_TARGETS = (
    "system",
    "initial",
    "hidden",
    "secret",
    "original",
    "internal",
    "base",
    "pre",
)


# 'the instructions you were given': whose instructions, said after the noun.
_GIVEN_TO_YOU = re.compile(r"you(?:'ve| have)? (?:were |been )?(?:given|received|told)\b", re.I)
# What may follow a bare demand for 'the system prompt'.
_DEMAND_ENDINGS = _words(
    "verbatim exactly word you now please and then above again here below back"
)


def _asks_for_our_prompt(groups: Groups) -> bool:
    following = groups.get("next", "").strip()
    first = following.split()[0].lower() if following else ""
    if first in _COMPOUND_NOUNS:
        return False
    if "your" in groups.get("quals", "").lower().split() or _GIVEN_TO_YOU.match(following):
        return True
    target = groups["target"].lower()
    qualified = target.startswith(_QUALIFIED_TARGETS) and not target.endswith("message")
    # Admins also call their own agent's prompt 'the system prompt' ('show me the system
    # prompt for my agent'): without 'your', only a bare demand counts.
    return qualified and (not first or first in _DEMAND_ENDINGS)


def _asks_what_our_prompt_is(groups: Groups) -> bool:
    # 'what's your system prompt?' ends the question; 'what's your system prompt limit?' goes on.
    return not groups.get("next", "").strip()


_TOOL_WORDS = _words(
    "chrome browser firefox edge safari extension extensions android ios iphone phone device"
    " windows mac macos vscode code visualforce vf setup user settings profile org sandbox"
    " salesforce lightning studio"
)


def _assistant_mode(groups: Groups) -> bool:
    """'enable developer mode' to an assistant, not in Chrome, Android or a Salesforce org."""
    if groups["mode"].lower() not in ("developer", "dev"):
        return True
    context = re.findall(r"[a-z]+", f"{groups.get('before', '')} {groups.get('next', '')}".lower())
    return not _TOOL_WORDS.intersection(context)


def _hides_prompt_injection(groups: Groups) -> bool:
    """A base64 blob whose decoded text is itself a prompt injection."""
    decoded = _decode_base64(groups["blob"])
    if decoded is None:
        return False
    return any(True for _ in _matches(decoded, _PROMPT_RULES, limit=1))


def _decode_base64(blob: str) -> str | None:
    data = blob.rstrip("=").replace("-", "+").replace("_", "/")
    data += "=" * (-len(data) % 4)
    try:
        text = base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    letters = sum(ch.isalpha() or ch == " " for ch in text)
    # Ids, hashes and tokens decode to binary noise; hidden instructions decode to prose.
    return text if letters >= 0.8 * len(text) and " " in text else None


# --- the rules ---------------------------------------------------------------------------

_QUAL = (
    r"(?:all|any|every|each|the|of|your|my|these|those|previous|prior|above|earlier|preceding"
    r"|original|initial|system|existing|current|old|safety|security|developer|openai|anthropic"
    r"|hidden|given|programmed|default|other|such)"
)
_ROLE = (
    r"(?:(?:(?:system|super|org|global|tenant|site|platform)\s*)?"
    r"(?:admin(?:istrator)?|root|superuser|sysadmin)\b|(?-i:DAN)\b"
    r"|(?:unrestricted|unfiltered|uncensored|jailbroken|evil|rogue|unlocked)\b)"
)
_ARTICLE = r"(?:(?:a|an|the|my|our)\s+)?"
_OTHER = r"(?:another|(?:the\s+|any\s+|every\s+|all\s+(?:the\s+)?)?other|(?:a\s+)?different)"
_TENANT = r"(?:tenants?|customers?|compan(?:y|ies)|clients?)"
_DATA = (
    r"(?:data|records?|cases|conversations?|tickets|accounts|information|info|details|chats?"
    r"|messages|emails|contacts|history|transcripts|files|pii)"
)
_GIVE = (
    r"\b(?:show|give|send|list|display|reveal|export|dump|fetch|get|pull|print|share|tell"
    r"|return|retrieve|leak|expose)\s+(?:me\s+|us\s+)?(?:\w+\s+){0,3}?"
)
_REVEAL = (
    r"\b(?:reveal|print|show|display|output|repeat|recite|tell|give|leak|dump|expose|share"
    r"|paste|echo|return|provide|send|(?:write|spell|type|print)\s+out)\s+(?:me\s+|us\s+)?"
)
_PROMPT_TARGET = (
    r"(?P<target>(?:system|initial|hidden|secret|original|internal|base|pre-?)\s*"
    r"(?:prompt|instructions?|message)|prompt|instructions))(?P<next>(?:[ \t]+[\w']+){0,3})"
)

_PROMPT_RULES = (
    _rule(
        "prompt.ignore_instructions",
        r"\b(?P<verb>ignore|disregard|forget|override|bypass|skip|abandon|set\s+aside"
        r"|do\s+not\s+follow|don'?t\s+follow|stop\s+following|no\s+longer\s+follow)\s+"
        rf"(?:about\s+)?(?P<quals>(?:{_QUAL}\s+){{1,5}})(?P<noun>instructions?|directives?"
        r"|guidelines|prompts?|guardrails|programming|rules|constraints|restrictions|directions"
        r"|limitations|policies|filters|commands|orders|training|context)\b"
        r"(?P<after>\s+(?:above|you\s+were\s+given|you(?:'ve|\s+have)\s+been\s+given))?",
        _targets_assistant,
    ),
    _rule(
        "prompt.ignore_instructions",
        r"\b(?:ignore|disregard|forget)\s+(?:(?:everything|all|anything)|(?:all\s+)?(?:the\s+)?"
        r"(?:instructions|rules|directives|guidelines|prompts?))\s+(?:that\s+)?you\s+"
        r"(?:were|have\s+been|'ve\s+been)\s+(?:told|taught|given|instructed|programmed)",
    ),
    _rule(
        "prompt.ignore_instructions",
        r"(?P<hit>\b(?:ignore|disregard)\s+(?:the|all(?:\s+of\s+the)?)\s+(?:above|preceding))"
        r"(?P<next>\s+\w+)?",
        _refers_to_prompt,
    ),
    _rule(
        "prompt.new_instructions",
        r"\b(?:new|updated|real|actual|revised|override)\s+(?:system\s+)?"
        r"(?:instructions?|directives?)\s*:",
    ),
    _rule(
        "prompt.reveal_system_prompt",
        rf"(?P<hit>{_REVEAL}(?:back\s+)?(?P<quals>(?:(?:your|the|all|of|full|entire|complete|exact"
        rf"|whole|actual|raw|verbatim|current)\s+){{0,4}}){_PROMPT_TARGET}",
        _asks_for_our_prompt,
    ),
    _rule(
        "prompt.reveal_system_prompt",
        r"(?P<hit>\bwhat(?:'s|\s+is|\s+are|\s+were)\s+your\s+(?:(?:system|initial|hidden|secret"
        r"|original|internal)\s+)?(?:prompt|instructions))(?P<next>[ \t]+\w+)?",
        _asks_what_our_prompt_is,
    ),
    _rule(
        "prompt.reveal_system_prompt",
        r"\bwhat\s+(?:instructions|rules|directives|prompt)\s+(?:were|have)\s+you\s+(?:been\s+)?"
        r"(?:given|told|programmed|configured)",
    ),
    _rule(
        "prompt.reveal_system_prompt",
        r"\b(?:repeat|print|output|show|display|write|echo|copy|reproduce)\s+(?:back\s+)?"
        r"(?:all\s+(?:of\s+)?)?(?:the\s+)?(?:text|words|content|everything|instructions|lines)"
        r"\s+(?:above|before\s+this|preceding|prior\s+to\s+this)",
    ),
    _rule(
        "prompt.role_override",
        r"\b(?:you\s+are\s+now|from\s+now\s+on,?\s+you\s+are|you\s+are\s+from\s+now\s+on)\s+"
        rf"(?:(?:a|an|the|my|in)\s+)?(?:{_ROLE}"
        r"|different\s+(?:ai|assistant|model|bot)|(?:developer|god|jailbreak|dan)\s+mode"
        r"|free\s+(?:of|from)\b|no\s+longer\s+(?:bound|restricted|an?\s+(?:ai|assistant)))",
    ),
    _rule(
        "prompt.role_override",
        r"\b(?:you\s+are|you're)\s+(?:now\s+)?(?:an?\s+)?(?:ai|assistant|model|bot|chatbot|llm)"
        r"\s+(?:without|with\s+no|free\s+(?:of|from))\s+(?:any\s+)?(?:restrictions|rules|filters"
        r"|limits|limitations|guidelines|guardrails|censorship)",
    ),
    _rule(
        "prompt.role_override",
        r"\b(?:you\s+are|you're|u\s+r)\s+(?-i:DAN)\b|\bdo\s+anything\s+now\b"
        r"|\b(?-i:DAN)\s+mode\b",
    ),
    _rule(
        "prompt.role_override",
        r"(?m)(?:^|[.!?:;]|\b(?:please|now|you|i\s+(?:want|need)\s+you\s+to|you\s+(?:will"
        r"|must|should|shall|can)))\s*(?P<hit>(?:act|behave|respond|answer|operate|pose"
        r"|roleplay|role-play)\s+(?:as|like)\s+(?:if\s+you\s+(?:are|were)\s+)?"
        rf"{_ARTICLE}{_ROLE})",
    ),
    _rule(
        "prompt.role_override",
        r"\bpretend\s+(?:to\s+be|(?:that\s+)?you\s+(?:are|were)|you're|(?:that\s+)?(?:i\s+am"
        rf"|i'm|i\s+was))\s+{_ARTICLE}{_ROLE}",
    ),
    _rule(
        "prompt.cross_tenant",
        r"\b(?:act|log\s*in|login|sign\s*in|operate|respond|answer|pose)\s+(?:as|on\s+behalf"
        rf"\s+of)\s+(?:an?\s+|the\s+)?{_OTHER}\s+(?:{_TENANT}|organi[sz]ations?|orgs?)\b"
        rf"|\bimpersonate\s+(?:an?\s+|the\s+)?(?:{_OTHER}|any)\s+(?:{_TENANT}|organi[sz]ations?"
        rf"|orgs?)\b|\bswitch\s+(?:me\s+)?(?:to|into)\s+(?:an?\s+|the\s+)?{_OTHER}\s+tenants?\b",
    ),
    _rule(
        "prompt.cross_tenant",
        rf"{_GIVE}{_OTHER}\s+{_TENANT}(?:'s?|s')?\s+(?:\w+\s+)?{_DATA}\b"
        rf"|{_GIVE}{_DATA}\s+(?:of|from|for|belonging\s+to|owned\s+by|about)\s+(?:\w+\s+)?"
        rf"{_OTHER}\s+{_TENANT}\b",
    ),
    _rule(
        "prompt.developer_mode",
        r"(?P<before>[^.\n]{0,40})(?P<hit>\b(?:enable|enter|activate|switch\s+(?:on|to|into)"
        r"|turn\s+on|unlock|engage|go\s+into|you\s+are\s+(?:now\s+)?in|you're\s+(?:now\s+)?in"
        r"|with)\s+(?:the\s+)?(?P<mode>developer|dev|god|jailbreak|jailbroken|(?-i:DAN)"
        r"|unrestricted|unfiltered|uncensored|sudo)\s+mode\b)(?P<next>[^.\n]{0,40})",
        _assistant_mode,
    ),
    _rule(
        "prompt.developer_mode",
        r"(?P<before>[^.\n]{0,40})(?P<hit>\b(?P<mode>developer|god|jailbreak|(?-i:DAN))\s+mode"
        r"\s+(?:is\s+)?(?:now\s+)?(?:enabled|activated|on|unlocked|engaged)\b)"
        r"(?P<next>[^.\n]{0,40})",
        _assistant_mode,
    ),
    _rule(
        "prompt.role_marker",
        r"(?m)^[ \t>]*#{1,6}[ \t]*(?:system|assistant|developer)(?:[ \t]+(?:prompt|message"
        r"|instructions?|override|update|note))?[ \t]*:"
        r"|<[ \t]*/?[ \t]*(?:system|assistant|system[-_ ]?prompt|im_start|im_end)[ \t]*>"
        r"|<\|[ \t]*(?:im_start|im_end|system|user|assistant|endoftext|start_header_id"
        r"|end_header_id|eot_id|begin_of_text)[ \t]*\|>"
        r"|(?-i:\[/?INST\]|<</?SYS>>)"
        r"|^[ \t]*\[(?:system|assistant)(?:[ \t]+(?:message|prompt|override|note))?\]"
        # Upper case only: 'System: Windows 11' is how people describe their machine.
        r"|^[ \t]*(?-i:SYSTEM|ASSISTANT)(?:[ \t]+(?-i:PROMPT|MESSAGE|OVERRIDE|NOTE))?[ \t]*:",
    ),
    _rule(
        "prompt.encoded_instructions",
        r"\b(?:decode|decrypt|decipher|unscramble|reverse|rot13|base64[- ]?decode|deobfuscate)\b"
        r"[^.\n]{0,80}?(?:\b(?:and|then)|,)\s+(?:then\s+)?(?:follow|execute|run|obey|do"
        r"|perform|carry\s+out|act\s+on|apply|comply\s+with)\s+(?:it|them|this|that"
        r"|what\s+it\s+says|the\s+(?:instructions?|commands?|text|message|content|result|steps"
        r"|decoded\s+\w+)|its\s+(?:instructions?|contents?))\b"
        r"|\b(?:follow|execute|obey|run|do)\s+(?:the\s+)?(?:base64|encoded|hidden|decoded"
        r"|embedded|secret|obfuscated)[- ](?:instructions?|commands?|message|text|prompt)\b",
    ),
)
_ENCODED_PAYLOAD = _rule(
    "prompt.encoded_payload",
    r"(?:^|[^a-z0-9+/=_-])(?P<hit>(?P<blob>[a-z0-9+/_-]{24}[a-z0-9+/_-]*={0,2}))",
    _hides_prompt_injection,
)
