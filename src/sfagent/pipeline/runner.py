"""Run a Turn through the stages, timing each one."""

from __future__ import annotations

import time

from sfagent.observability.metrics import observe_stage
from sfagent.pipeline.stages import STAGES, Stage
from sfagent.pipeline.turn import PipelineContext, Turn


async def run_pipeline(
    turn: Turn, ctx: PipelineContext, stages: list[tuple[str, Stage]] | None = None
) -> Turn:
    """Pass the turn through every stage in order; record each stage's time on the turn."""
    for name, stage in stages or STAGES:
        started = time.perf_counter()
        try:
            await stage(turn, ctx)
        finally:
            elapsed = time.perf_counter() - started
            turn.timings_ms[name] = round(elapsed * 1000, 3)
            observe_stage(name, elapsed)
    if turn.reply_message is not None:
        turn.reply_message.processing_time_ms = turn.processing_time_ms
    return turn
