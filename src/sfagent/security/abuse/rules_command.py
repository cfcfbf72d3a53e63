"""Command injection: a shell separator or subshell chaining into a dangerous command."""

from __future__ import annotations

from .rule import _rule

_SHELLS = r"(?:ba|z|k|da)?sh\b"
_SUBSHELL_COMMAND = (
    r"(?:(?:whoami|(?-i:id)|hostname|uname(?:\s+-\w+)?|printenv|env)\s*(?:\)|`)"
    r"|(?:cat|head|tail|less|more)\s+/etc/|(?:nc|ncat|netcat|telnet)\s"
    rf"|{_SHELLS}\s+-[ic]|rm\s+-\w*[rf]|ping\s+-[cn]\s*\d|sleep\s+\d|nslookup\s|dig\s"
    rf"|(?:curl|wget)\s[^)`\n]{{0,150}}\|\s*{_SHELLS}|python\d?\s+-c|perl\s+-e)"
)

_COMMAND_RULES = (
    _rule(
        "cmd.destructive",
        r"(?m)\brm\s+(?:-[a-z]+\s+)*-[a-z]*[rf][a-z]*\s+(?:-[a-z-]+\s+)*"
        r"(?:/\*?|~/?|\$home/?|\$\{home\}/?)(?:\s|$|[;&|`)])"
        r"|\bmkfs(?:\.\w+)?\s+/dev/\w+|\bdd\s+if=/dev/(?:zero|u?random)\s+of=/dev/\w+"
        r"|:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:",
    ),
    _rule(
        "cmd.sensitive_file",
        r"(?:/|%2f)etc(?:/|%2f)(?:passwd|shadow|sudoers|master\.passwd)\b|/proc/self/environ"
        r"|\b(?:win|boot)\.ini\b",
    ),
    _rule("cmd.subshell", rf"\$\(\s*{_SUBSHELL_COMMAND}[^)\n]{{0,120}}\)?"),
    _rule(
        "cmd.subshell",
        rf"""[=;|&'"]\s*(?P<hit>`\s*{_SUBSHELL_COMMAND}[^`\n]{{0,120}}`?)""",
    ),
    _rule("cmd.subshell", r"\$\{ifs\}|\$ifs\$9"),
    _rule(
        "cmd.pipe_to_shell",
        r"(?:;|&&|\|\||\$\(|`)\s*(?:sudo\s+)?(?:curl|wget)\b[^\n|;&`]{0,200}\|\s*"
        rf"(?:sudo\s+(?:-\w+\s+)*)?{_SHELLS}"
        r"|\b(?:curl|wget)\b[^\n|;&`]{0,200}https?://\d{1,3}(?:\.\d{1,3}){3}[^\n|;&`]{0,100}"
        rf"\|\s*(?:sudo\s+)?{_SHELLS}",
    ),
    _rule(
        "cmd.download_exec",
        r"(?:[;|`]|&&|\$\()\s*(?:curl|wget)\b[^\n]{0,200}?(?:;|&&)\s*chmod\s+(?:\+x|[0-7]{3,4})\s+"
        r"/(?:tmp|var/tmp|dev/shm)/\S+",
    ),
    _rule(
        "cmd.reverse_shell",
        r"\|\s*(?:nc|ncat|netcat|telnet)\s+(?:-[a-z]+\s+)*[\w.-]+\s+\d{1,5}\b"
        r"|\b(?:nc|ncat|netcat)\b[^\n|;&]{0,60}?\s-[a-z]*[ec]\s+/bin/\w+"
        r"|/dev/(?:tcp|udp)/[\w.-]+/\d{1,5}|\b(?:ba)?sh\s+-i\s*>&|\bmkfifo\s+/tmp/"
        r"|\bsocat\b[^\n]{0,100}\bexec:",
    ),
    _rule(
        "cmd.powershell",
        r"\b(?:powershell|pwsh)(?:\.exe)?\b[^\n]{0,80}?\s-(?:e|ec|en|enc|enco|encod|encode"
        r"|encoded|encodedcommand)\s+[a-z0-9+/=]{12,}"
        r"|\b(?:iex|invoke-expression)\b[^\n]{0,40}?new-object\s+(?:system\.)?net\.webclient"
        r"|\bnew-object\s+(?:system\.)?net\.webclient\)?\s*\.\s*download(?:string|file)\s*\("
        r"[^\n]{0,100}\)\s*\|\s*(?:iex|invoke-expression)\b",
    ),
    _rule(
        "cmd.chained_command",
        r"""(?m)(?:;|&&|\|\||%0a|%3b)\s*(?:whoami|(?-i:id)|uname\s+-a|net\s+user"""
        r"""|ping\s+-[cn]\s*\d+\s+(?:127\.0\.0\.1|localhost))"""
        r"""\s*(?:$|[;&|#`)'"])|\|\s*(?:whoami|uname\s+-a)\s*(?:$|[;&|#`)'"])""",
    ),
)
