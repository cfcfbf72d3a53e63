"""structlog configuration: JSON lines with request id and org id, never message content."""

from __future__ import annotations

import logging
import sys

import structlog
from structlog.typing import EventDict, WrappedLogger

from sfagent.security.pii import redact

# Fields sfagent itself fills with identifiers and numbers: not worth scanning.
_TRUSTED_FIELDS = frozenset(
    {
        "event",
        "level",
        "timestamp",
        "request_id",
        "org_id",
        "method",
        "route",
        "status",
        "duration_ms",
        "database",
        "backplane",
        "logger",
    }
)


def redact_values(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """Logs never carry message content, but an error text or a URL might quote some: any
    personal data or secret in a logged string is redacted before it is written."""
    for key, value in event.items():
        if key not in _TRUSTED_FIELDS and isinstance(value, str) and len(value) >= 6:
            event[key] = redact(value)
    return event


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    # Resolve stderr when logging, not at import, so redirection (tests, daemons) is honoured.
    return structlog.PrintLogger(file=sys.stderr)


def configure_logging(*, level: str, json: bool) -> None:
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_values,
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=_stderr_logger,
        # Not cached: reconfiguring (level, format) takes effect for existing loggers too.
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(message)s")
