"""Result types shared by the code and query analysers: a finding and where it is."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a finding matters; ordered from most to least urgent."""

    CRITICAL = "critical"  # fails in production (governor limit at bulk volume, exploit)
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most urgent severity, so findings sort by `rank`."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}


@dataclass(frozen=True, slots=True)
class Span:
    """1-based line and column range in the analysed text (end inclusive of its line)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in code or a query, with why it matters and how to fix it."""

    rule: str
    category: str
    severity: Severity
    span: Span
    message: str
    why: str
    fix: str
    example: str | None = None
    limit: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def line(self) -> int:
        """First line of the finding (1-based)."""
        return self.span.line

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by the CLI and the REST API."""
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Order by position, then by severity, so output reads top to bottom."""
    return sorted(findings, key=lambda f: (f.span.line, f.span.column, f.severity.rank, f.rule))
