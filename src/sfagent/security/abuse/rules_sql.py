"""SQL injection: a quote breaking out of a literal, then a tautology, UNION or second query."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from .rule import Groups, _rule

# --- checks on captured groups -------------------------------------------------------------

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "like": operator.eq,
    "<>": operator.ne,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def _as_number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _literal(operand: str) -> str | None:
    """The value of a quoted or numeric operand; None for a column name."""
    if operand[:1] in "'\"":
        return operand.strip("'\"").lower()
    return operand if _as_number(operand) is not None else None


def _is_tautology(groups: Groups) -> bool:
    """`'x'='x'`, `1=1`, `2>1`: a comparison that holds whatever the row (SQL coerces '1' to 1)."""
    left, right, op = groups["left"], groups["right"], groups["op"].lower()
    a, b = _literal(left), _literal(right)
    if a is None or b is None:
        # A column compared with itself is always true; with a literal, it depends on the row.
        return op in ("=", "like") and left.lower() == right.lower()
    x, y = _as_number(a), _as_number(b)
    if x is not None and y is not None:
        return _COMPARISONS[op](x, y)
    if op in ("=", "like") and b:
        # The application appends the rest of its literal: `'1%'='1` + `%'`.
        return a.startswith(b)
    return _COMPARISONS[op](a, b)


# --- the rules ---------------------------------------------------------------------------

# A quote closing a token no quote opened: `admin'`, `1'`, `'` alone; not the end of `'Acme'`.
_BREAK = r"""(?:^|[^'"\w.@-])(?P<hit>[\w.@-]{%s}['"]\)*"""
_NUMBER = r"-?\d{1,12}(?:\.\d{1,6})?"
_LEFT = rf"""(?P<left>'[^'\n]{{0,24}}'|"[^"\n]{{0,24}}"|{_NUMBER}|[a-z_][\w.]{{0,24}})"""
# The right operand leaves its closing quote unread (the application's own quote closes it),
# so it also ends at a space: "I typed ' OR '1'='1 into the search box".
_RIGHT = rf"""(?P<right>'[^'\s]{{0,24}}|"[^"\s]{{0,24}}|{_NUMBER}|[a-z_][\w.]{{0,24}})"""
_OP = r"(?P<op><>|!=|<=|>=|=|<|>|\blike\b)"
_SP = r"(?:\s|/\*[^*]{0,20}\*/)"
_UNION = rf"\bunion{_SP}+(?:all{_SP}+|distinct\s+)?select\b"
_SCHEMA = (
    r"\b(?:information_schema|sqlite_master|sysobjects|syscolumns|pg_catalog|pg_shadow"
    r"|mysql\.user|all_tables|sys\.tables)\b"
)
# What blind and error-based probes ask the database for.
_FINGERPRINT = (
    r"@@(?:version|datadir|hostname)\b|\b(?:version|user|current_user|database|schema)\s*\(\s*\)"
    r"|\b(?:extractvalue|updatexml)\s*\("
)
_TABLE = r"""[\w.\[\]"`]+"""

_SQL_RULES = (
    _rule(
        "sql.tautology",
        rf"""['"]\s*\)*\s*(?:\b(?:or|and|xor)\b|\|\|)\s*\(*\s*{_LEFT}\s*{_OP}\s*\(*\s*{_RIGHT}""",
        _is_tautology,
    ),
    _rule(
        "sql.tautology",
        rf"\b(?:or|xor)\s+\(*\s*(?P<left>{_NUMBER})\s*{_OP}\s*(?P<right>{_NUMBER})\b",
        _is_tautology,
    ),
    _rule(
        "sql.tautology",
        r"""(?m)['"]\s*\)*\s*(?:\bor\b|\|\|)\s*(?:true|not\s+false|1)\s*(?:--|#|/\*|;|$)""",
    ),
    _rule(
        "sql.comment_terminator",
        (_BREAK % "1,40") + r"""(?:;\s*)?(?:--|#|/\*))""",
    ),
    _rule("sql.comment_terminator", "(?m)" + (_BREAK % "1,40") + r";?[ \t]+--)[ \t-]*$"),
    _rule(
        "sql.column_probe",
        (_BREAK % "1,40") + r"\s*(?:order|group)\s+by\s+\d+\s*(?:--|#|/\*))",
    ),
    _rule("sql.union_select", (_BREAK % "0,40") + rf"{_SP}*{_UNION}[^;\n]{{0,60}})"),
    _rule(
        "sql.union_select",
        rf"(?m){_UNION}{_SP}+(?:(?:all|distinct){_SP}+)?(?:\(\s*)?(?:null\b|\d+\s*(?:,|--|#|$|\bfrom\b)|@@\w+"
        r"|(?:char|concat|concat_ws|group_concat|version|user|database|current_user|load_file"
        r"|schema)\s*\(|0x[0-9a-f]{2,}|(?:username|user_name|passwd|password|pwd)\b)[^;\n]{0,60}",
    ),
    _rule("sql.union_select", rf"{_UNION}[^;\n]{{0,200}}?{_SCHEMA}"),
    _rule(
        "sql.stacked_query",
        # After a broken quote or a number, as in `'; DROP TABLE` or `1; DELETE FROM`: a script
        # of statements (`BEGIN; UPDATE ...`) ends its statements with keywords or names.
        rf"""(?m)(?:['"]\)*|\b\d+\)*)[ \t]*;[ \t]*(?:drop[ \t]+(?:table|database|schema)[ \t]+"""
        rf"(?:if[ \t]+exists[ \t]+)?{_TABLE}"
        rf"|delete[ \t]+from[ \t]+{_TABLE}[ \t]*(?:where\b|;|--|#|$)"
        r"|truncate[ \t]+table[ \t]+\w"
        rf"|insert[ \t]+into[ \t]+{_TABLE}[ \t]*(?:\(|values\b|select\b)"
        rf"|update[ \t]+{_TABLE}[ \t]+set[ \t]+\w+[ \t]*="
        rf"|alter[ \t]+(?:table|user|login)[ \t]+{_TABLE}"
        r"|create[ \t]+(?:user|login)[ \t]+\w"
        r"|exec(?:ute)?[ \t]*(?:master\.|xp_|sp_|\()"
        r"|shutdown[ \t]*(?:with[ \t]+nowait[ \t]*)?(?:;|--|#|$))[^;\n]{0,40}",
    ),
    _rule(
        "sql.xp_cmdshell",
        r"\b(?:xp_cmdshell|xp_dirtree|xp_regread|xp_fileexist|sp_oacreate|sp_oamethod)\b",
    ),
    _rule(
        "sql.time_delay",
        r"""\bwaitfor\s+delay\s+['"]\d[^'"\n]{0,12}['"]?|\bpg_sleep\s*\(\s*\d+\s*\)?"""
        r"""|['"]\s*\)*\s*(?:\b(?:and|or)\b|\|\|)\s*\(*\s*(?:select\s*\(*\s*)?"""
        r"""\b(?:sleep|benchmark)\s*\(\s*\d+\)?"""
        r"|(?:\(|;)\s*select\s*\(*\s*\b(?:sleep|benchmark)\s*\(\s*\d+\)?"
        r"|\b\d+\)*\s+(?:and|or)\s+\(*\s*\b(?:sleep|benchmark)\s*\(\s*\d+\)?",
    ),
    _rule(
        "sql.schema_probe",
        r"""(?:['"]\)*\s*(?:\b(?:and|or)\b|\|\||;)|\b(?:and|or)\s+\(+\s*select\b)"""
        rf"[^\n]{{0,120}}?(?:{_SCHEMA}|{_FINGERPRINT})",
    ),
)
