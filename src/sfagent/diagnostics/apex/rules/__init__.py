"""The Apex rule registry: every rule module contributes its `RULES` tuple here."""

from __future__ import annotations

from sfagent.diagnostics.apex.rules import (
    bestpractices,
    codestyle,
    design,
    documentation,
    errorprone,
    performance,
    security,
    triggers_async,
)
from sfagent.diagnostics.apex.rules.base import InvalidRuleProperty, Rule, RuleContext

ALL_RULES: tuple[type[Rule], ...] = (
    *performance.RULES,
    *triggers_async.RULES,
    *security.RULES,
    *errorprone.RULES,
    *bestpractices.RULES,
    *codestyle.RULES,
    *design.RULES,
    *documentation.RULES,
)
RULES_BY_NAME: dict[str, type[Rule]] = {rule.name: rule for rule in ALL_RULES}


class UnknownRule(ValueError):
    """A rule name that sfagent does not implement."""


def rules_named(names: list[str] | None) -> list[type[Rule]]:
    """The rule classes for the given names (all rules when `names` is None)."""
    if names is None:
        return list(ALL_RULES)
    missing = [name for name in names if name not in RULES_BY_NAME]
    if missing:
        raise UnknownRule(f"Unknown Apex rule(s): {', '.join(missing)}")
    return [RULES_BY_NAME[name] for name in names]


__all__ = [
    "ALL_RULES",
    "RULES_BY_NAME",
    "InvalidRuleProperty",
    "Rule",
    "RuleContext",
    "UnknownRule",
    "rules_named",
]
