"""Routes that analyse pasted code, queries, logs and errors; nothing is stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sfagent.analysis.runner import AnalysisRunnerDep
from sfagent.analysis.schemas import (
    ApexAnalysisOut,
    ApexAnalyzeRequest,
    ErrorAnalysisOut,
    ErrorAnalyzeRequest,
    SoqlAnalysisOut,
    SoqlAnalyzeRequest,
)
from sfagent.diagnostics.apex.analyzer import analyze_apex
from sfagent.diagnostics.errors import analyze_error_input
from sfagent.diagnostics.soql import analyze_soql_input
from sfagent.tenancy.dependencies import DiagnosticsRun, SettingsDep

router = APIRouter(prefix="/api/v1/analyze", tags=["analyze"])


@router.post("/apex", response_model=ApexAnalysisOut)
async def analyze_apex_code(
    body: ApexAnalyzeRequest,
    _tenant: DiagnosticsRun,
    settings: SettingsDep,
    runner: AnalysisRunnerDep,
) -> dict[str, Any]:
    """Syntax errors, PMD-compatible rule findings with fixes, and governor-limit risk."""
    analysis = await runner.run(
        "code",
        analyze_apex,
        body.code,
        rules=body.rules,
        properties=body.properties,
        max_bytes=settings.analyze_max_code_bytes,
    )
    return analysis.to_dict()


@router.post("/soql", response_model=SoqlAnalysisOut)
async def analyze_soql_query(
    body: SoqlAnalyzeRequest,
    _tenant: DiagnosticsRun,
    settings: SettingsDep,
    runner: AnalysisRunnerDep,
) -> dict[str, Any]:
    """Syntax errors with position and suggestion, then selectivity and limit advice."""
    analysis = await runner.run(
        "query",
        analyze_soql_input,
        body.query,
        max_bytes=settings.analyze_max_text_bytes,
        large_objects=frozenset(body.large_objects) if body.large_objects is not None else None,
        formula_fields=frozenset(body.formula_fields),
        indexed_fields=frozenset(body.indexed_fields),
    )
    return analysis.to_dict()


@router.post("/error", response_model=ErrorAnalysisOut)
async def analyze_error_text(
    body: ErrorAnalyzeRequest,
    _tenant: DiagnosticsRun,
    settings: SettingsDep,
    runner: AnalysisRunnerDep,
) -> dict[str, Any]:
    """Recognise the error: catalogued cause, fix steps, limit, docs link and stack frames."""
    analysis = await runner.run(
        "text",
        analyze_error_input,
        body.text,
        max_bytes=settings.analyze_max_text_bytes,
        limit=body.limit,
        managed_namespaces=tuple(body.managed_namespaces),
    )
    return analysis.to_dict()
