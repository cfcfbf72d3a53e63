"""Routes that analyse pasted code, queries, logs and errors; nothing is stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sfagent.analysis.runner import AnalysisRunnerDep
from sfagent.analysis.schemas import ApexAnalysisOut, ApexAnalyzeRequest
from sfagent.diagnostics.apex.analyzer import analyze_apex
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
