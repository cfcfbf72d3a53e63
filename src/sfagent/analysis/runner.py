"""Run CPU-bound analyses off the event loop, a bounded number at a time per process."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request

from sfagent.config import Settings
from sfagent.diagnostics.apex.rules import InvalidRuleProperty, UnknownRule
from sfagent.diagnostics.inputs import InputRejected, InputTooLarge
from sfagent.errors import SfagentError, ValidationFailed

T = TypeVar("T")


class AnalysisTooLarge(SfagentError):
    status_code = 413


class AnalysisRunner:
    """Runs engine calls in worker threads; extra requests wait for a free slot."""

    def __init__(self, concurrency: int) -> None:
        self._limiter = anyio.CapacityLimiter(concurrency)

    async def run(self, field: str, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Call `function` in a thread; engine input errors become 413/422 naming `field`."""
        try:
            return await anyio.to_thread.run_sync(
                partial(function, *args, **kwargs), limiter=self._limiter
            )
        except InputTooLarge as exc:
            raise AnalysisTooLarge(
                str(exc), details={"field": field, "max_bytes": exc.limit_bytes}
            ) from exc
        except (InputRejected, UnknownRule, InvalidRuleProperty) as exc:
            raise ValidationFailed(field, str(exc)) from exc


def get_analysis_runner(request: Request) -> AnalysisRunner:
    runner: AnalysisRunner = request.app.state.analysis_runner
    return runner


AnalysisRunnerDep = Annotated[AnalysisRunner, Depends(get_analysis_runner)]


def analysis_body_limits(settings: Settings) -> dict[str, int]:
    """Body caps for the analyze routes: JSON escaping can double code; logs may be uploaded."""
    envelope = 64 * 1024
    code_cap = 2 * settings.analyze_max_code_bytes + envelope
    return {
        "/api/v1/analyze/apex": max(settings.max_body_bytes, code_cap),
        "/api/v1/analyze/log": max(settings.max_body_bytes, 2 * settings.analyze_max_log_bytes),
    }
