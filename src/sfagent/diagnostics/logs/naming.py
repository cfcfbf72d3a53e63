"""Short, bounded names for tree frames and stored text."""

from __future__ import annotations

from sfagent.diagnostics.logs.events import LogEvent

MAX_TEXT_CHARS = 2_000
MAX_NAME_CHARS = 300


def cap_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Cut stored text so one absurd line cannot dominate memory."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def frame_name(event: LogEvent, located: bool) -> str:
    """Human name of an opening event (`located`: its first field is a source location)."""
    fields = event.fields
    body = fields[1:] if located else fields
    if event.type == "CODE_UNIT_STARTED":
        names = [f for f in body if not f.startswith("__sfdc_")]
        text = names[-1] if names else ""
    elif event.type in ("METHOD_ENTRY", "SYSTEM_METHOD_ENTRY"):
        text = body[-1] if body else ""
    elif event.type == "CONSTRUCTOR_ENTRY":
        text = ".".join(reversed(body[-2:])) if len(body) >= 2 else "|".join(body)
    elif event.type in ("SOQL_EXECUTE_BEGIN", "SOSL_EXECUTE_BEGIN"):
        text = " ".join("|".join(body[1:]).split())
    elif event.type == "DML_BEGIN":
        text = " ".join(f for f in body if not f.startswith("Rows:"))
    elif event.type == "EXECUTION_STARTED":
        text = "transaction"
    elif event.type == "FLOW_START_INTERVIEWS_BEGIN":
        text = "flow"
    elif event.type == "FLOW_ELEMENT_BEGIN":
        text = " ".join(body[1:3])
    elif event.type == "VALIDATION_RULE":
        text = body[-1] if body else ""
    else:
        text = event.type
    return cap_text(text, MAX_NAME_CHARS)
