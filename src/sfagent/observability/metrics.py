"""Prometheus metrics: requests by route and status, latency, pipeline stage timings."""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "sfagent_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "sfagent_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
STAGE_LATENCY = Histogram(
    "sfagent_pipeline_stage_duration_seconds",
    "Time spent in each pipeline stage",
    ["stage"],
    buckets=_LATENCY_BUCKETS,
)
OUTBOX_JOBS = Counter("sfagent_outbox_jobs_total", "Outbox jobs run", ["name", "outcome"])
PII_REPLACED = Counter(
    "sfagent_pii_replaced_total", "Personal data and secrets the guard replaced", ["type", "action"]
)
SECURITY_EVENTS = Counter(
    "sfagent_security_events_total", "Attack patterns seen in messages", ["kind"]
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


def observe_stage(stage: str, seconds: float) -> None:
    STAGE_LATENCY.labels(stage).observe(seconds)


def prepare_metrics_directory() -> None:
    """With several server processes, metrics go to files in PROMETHEUS_MULTIPROC_DIR."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)


def render_metrics() -> tuple[bytes, str]:
    """The exposition text; aggregates every worker process when run with several."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
