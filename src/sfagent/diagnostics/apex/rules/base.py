"""What every Apex rule is: a PMD-compatible name, properties, and a check over a parsed source."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from tree_sitter import Node

from sfagent.diagnostics.apex.source import ApexSource
from sfagent.diagnostics.findings import Finding, Severity

PropertyValue = bool | int | float | str


class InvalidRuleProperty(ValueError):
    """A rule property has a value of the wrong type or an unknown name."""


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What a rule sees: the source and its own property values."""

    source: ApexSource
    properties: Mapping[str, PropertyValue]


class Rule(ABC):
    """One Apex check, named and behaving like the PMD rule of the same name.

    Subclasses set the class attributes and implement `check`. `why` and `fix` are the defaults
    for every finding of the rule; `report` can override them per finding when the concrete
    fix depends on the code (a bulkified rewrite, the limit that applies).
    """

    name: ClassVar[str]
    category: ClassVar[str]  # PMD category: performance, security, errorprone, bestpractices...
    severity: ClassVar[Severity]
    why: ClassVar[str]
    fix: ClassVar[str]
    limit: ClassVar[str | None] = None
    properties: ClassVar[Mapping[str, PropertyValue]] = {}

    @abstractmethod
    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Yield a finding for every violation in the source."""

    def report(
        self,
        context: RuleContext,
        node: Node,
        message: str,
        *,
        why: str | None = None,
        fix: str | None = None,
        example: str | None = None,
        limit: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> Finding:
        """Build a finding of this rule located at `node`."""
        return Finding(
            rule=self.name,
            category=self.category,
            severity=self.severity,
            span=context.source.span_of(node),
            message=message,
            why=why or self.why,
            fix=fix or self.fix,
            example=example,
            limit=limit or self.limit,
            details=details or {},
        )

    @classmethod
    def resolve_properties(cls, overrides: Mapping[str, Any] | None) -> Mapping[str, PropertyValue]:
        """The rule's defaults with overrides applied, coerced to each default's type."""
        if not overrides:
            return cls.properties  # shared and read-only: rules never mutate properties
        resolved: dict[str, PropertyValue] = dict(cls.properties)
        for key, raw in (overrides or {}).items():
            if key not in cls.properties:
                known = ", ".join(sorted(cls.properties)) or "none"
                raise InvalidRuleProperty(f"{cls.name} has no property {key!r} (known: {known})")
            resolved[key] = _coerce(cls.name, key, raw, cls.properties[key])
        return resolved


def _coerce(rule: str, key: str, raw: Any, default: PropertyValue) -> PropertyValue:
    try:
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text not in {"true", "false"}:
                raise ValueError(text)
            return text == "true"
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        return str(raw)
    except ValueError as exc:
        expected = type(default).__name__
        raise InvalidRuleProperty(f"{rule}.{key} must be a {expected}, got {raw!r}") from exc
