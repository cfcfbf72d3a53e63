"""Request and response bodies of the analyze endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from sfagent.validation import InputModel

PropertyValue = bool | int | float | str


class ApexAnalyzeRequest(InputModel):
    code: str = Field(min_length=1, description="An Apex class, trigger or anonymous block.")
    rules: list[str] | None = Field(
        default=None, description="Run only these rules (PMD names); all rules when omitted."
    )
    properties: dict[str, dict[str, PropertyValue]] = Field(
        default_factory=dict,
        description='PMD rule properties by rule, e.g. {"EmptyCatchBlock": {"minimum": 2}}.',
    )


class SpanOut(BaseModel):
    line: int
    column: int
    end_line: int
    end_column: int


class FindingOut(BaseModel):
    rule: str
    category: str
    severity: str
    span: SpanOut
    message: str
    why: str
    fix: str
    example: str | None = None
    limit: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class SyntaxErrorOut(BaseModel):
    span: SpanOut
    message: str
    missing: str | None = None
    unexpected: str | None = None


class ApexAnalysisOut(BaseModel):
    valid_syntax: bool
    partial: bool
    line_count: int
    syntax_errors: list[SyntaxErrorOut]
    findings: list[FindingOut]
    rules_run: list[str]
    notes: list[str]
    governor_risk: dict[str, Any] | None = None


class SoqlAnalyzeRequest(InputModel):
    query: str = Field(min_length=1, description="A SOQL query, with or without [ ] and ;.")
    large_objects: list[str] | None = Field(
        default=None,
        description="Objects with many records (default: Account, Contact, Lead, Opportunity, "
        "Case, Task, Event and every custom object).",
    )
    formula_fields: list[str] = Field(
        default_factory=list, description="Fields known to be formulas (never indexed)."
    )
    indexed_fields: list[str] = Field(
        default_factory=list, description="Custom indexes and External Id fields."
    )


class SoqlErrorOut(BaseModel):
    message: str
    line: int
    column: int
    suggestion: str | None = None
    code: str
    end_line: int
    end_column: int


class SoqlAnalysisOut(BaseModel):
    valid: bool
    query: dict[str, Any] | None
    errors: list[SoqlErrorOut]
    findings: list[FindingOut]


class ErrorAnalyzeRequest(InputModel):
    text: str = Field(
        min_length=1, description="An error message, stack trace, API response or deploy output."
    )
    limit: int = Field(default=3, ge=1, le=10, description="How many matches to return.")
    managed_namespaces: list[str] = Field(
        default_factory=list,
        description="Installed managed-package prefixes, so their frames are not taken for "
        "the org's own code.",
    )


class ErrorAnalysisOut(BaseModel):
    matches: list[dict[str, Any]]
    frames: list[dict[str, Any]]
    total_chars: int
    scanned_chars: int
    truncated: bool
