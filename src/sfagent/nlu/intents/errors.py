"""Errors raised by the intent model, each carrying one line that says what to fix."""

from __future__ import annotations

from sfagent.errors import SfagentError


class IntentDataError(SfagentError):
    """Training or evaluation data that cannot be used (missing file, bad line, too few intents)."""

    status_code = 422


class IntentModelError(SfagentError):
    """A model directory that is missing, corrupt, or written by an incompatible version."""

    status_code = 500


class SemanticUnavailable(SfagentError):
    """The optional sentence-embedding features were asked for but are not installed."""

    status_code = 500
