"""Script injection: markup or URLs that run code in the browser that renders them."""

from __future__ import annotations

from .rule import Groups, _rule

# --- checks on captured groups -------------------------------------------------------------


def _not_void_url(groups: Groups) -> bool:
    # `href="javascript:void(0)"` is the stock no-op link of Visualforce and Aura pages.
    body = groups.get("body", "").strip().rstrip(";").replace(" ", "").lower()
    return body not in ("", "void(0)", "void0", "void(0)return false")


# --- the rules ---------------------------------------------------------------------------

_LT = r"(?:<|%3c|\\u003c|\\x3c|&lt;)"
_SINK = (
    r"(?:\b(?:alert|prompt|confirm|eval|atob|fetch|import)\s*[(`]|string\s*\.\s*fromcharcode"
    r"|document\s*\.\s*(?:cookie|write|domain|location)|window\s*\.\s*(?:location|open|name)"
    r"|\blocation\s*(?:\.\s*(?:href|replace|assign)\s*)?[=(]|xmlhttprequest|javascript:"
    r"""|\.src\s*=\s*['"`]?(?:https?:)?//|\b(?:top|self|parent)\s*\[|constructor)"""
)

# Browsers drop tabs and newlines inside a URL scheme: `jav&#x09;ascript:` still runs.
_SCRIPT_SCHEME = (
    "(?:" + "|".join("[\\t\\n\\r]*".join(word) for word in ("javascript", "vbscript")) + ")"
)

_SCRIPT_RULES = (
    # A script element that runs something: a body with a sink or a closing tag, or code from
    # another origin. '<script> block' in a question is not one, nor a static resource.
    _rule(
        "script.script_tag",
        rf"""{_LT}\s*script\b[^>\n]{{0,100}}?(?:\bsrc\s*=\s*["'`]?\s*(?:(?:https?:)?//|data:)"""
        rf"|(?:>|%3e|&gt;)(?:[^<]{{0,300}}?{_SINK}|\s*[^<\s][^<]{{0,300}}?{_LT}\s*/\s*script))",
    ),
    _rule(
        "script.javascript_url",
        r"(?:\b(?:href|src|action|formaction|data|xlink:href|background|poster|url|location"
        rf"""(?:\.href)?)\s*=\s*|\burl\s*\(\s*)["'`]?\s*{_SCRIPT_SCHEME}\s*:"""
        r"""(?P<body>[^"'`>\n]{0,100})""",
        _not_void_url,
    ),
    _rule(
        "script.javascript_url",
        r"""(?:^|[^\w.])(?:java|vb)script:(?P<body>[^\s*_)\]"'`>][^\s"'`>]{0,100})""",
        _not_void_url,
    ),
    _rule(
        "script.event_handler",
        r"""(?m)(?:^|[\s/"'`;])(?P<hit>on[a-z]{3,30}\s*=\s*["'`]?(?:[^{\s"'`>][^>\n]{0,200}?)?"""
        + _SINK
        + r"""[^\s>"'`]{0,40})""",
    ),
    _rule("script.iframe", rf"{_LT}\s*iframe\b[^>\n]{{0,100}}?\b(?:src|srcdoc)\s*="),
    _rule(
        "script.data_html",
        r"\bdata:\s*(?:text/html|text/javascript|application/(?:x-)?javascript"
        r"""|application/xhtml\+xml)\b[^\s"'>]{0,60}""",
    ),
    _rule("script.template_injection", r"\bconstructor\s*\.\s*constructor\s*\("),
)
