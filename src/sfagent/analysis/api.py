"""Routes that analyse pasted code, queries, logs and errors; nothing is stored."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile

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
from sfagent.diagnostics.logs import analyze_log_bytes, log_report
from sfagent.diagnostics.soql import analyze_soql_input
from sfagent.errors import SfagentError, ValidationFailed
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


_LOG_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The debug log: a multipart upload (field `file`), the raw log as "
        'text/plain or application/octet-stream, or JSON `{"log": "..."}`.',
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "text/plain": {"schema": {"type": "string"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"log": {"type": "string"}},
                    "required": ["log"],
                }
            },
        },
    }
}


class UnsupportedMediaType(SfagentError):
    status_code = 415


@router.post("/log", openapi_extra=_LOG_BODY_DOC)
async def analyze_debug_log(
    request: Request,
    _tenant: DiagnosticsRun,
    settings: SettingsDep,
    runner: AnalysisRunnerDep,
) -> dict[str, Any]:
    """Exceptions, limits near their maximum, counts, slowest units and a plain summary."""
    data, name = await _log_upload(request)
    analysis = await runner.run(
        "log", analyze_log_bytes, data, max_bytes=settings.analyze_max_log_bytes, name=name
    )
    return log_report(analysis)


async def _log_upload(request: Request) -> tuple[bytes, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed("file", "attach the debug log as the form field `file`")
        return await upload.read(), upload.filename or "debug.log"
    if content_type in {"text/plain", "application/octet-stream", ""}:
        return await request.body(), "debug.log"
    if content_type == "application/json":
        return _json_log(await request.body()), "debug.log"
    raise UnsupportedMediaType(
        f"unsupported content type {content_type!r}; send multipart/form-data, "
        "text/plain, application/octet-stream or application/json",
    )


def _json_log(body: bytes) -> bytes:
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise SfagentError("request body is not valid JSON", status_code=400) from exc
    log = payload.get("log") if isinstance(payload, dict) else None
    if not isinstance(log, str):
        raise ValidationFailed("log", "must be a string holding the debug log")
    return log.encode("utf-8", "replace")
