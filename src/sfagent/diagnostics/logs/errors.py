"""Why an input cannot be analysed as an Apex debug log."""

from __future__ import annotations

from sfagent.diagnostics.inputs import InputRejected


class NotADebugLog(InputRejected):
    """The input is empty, binary, or text without a debug-log header or event line."""
