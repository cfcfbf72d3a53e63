"""Parsing rule documents, with errors that name the JSON path to fix.

Pydantic reports a location such as `("conditions", "group", "rules", 2, "leaf", "operator")`:
the union tags ("group", "leaf", "escalate") are not in the document, so they are dropped,
and an error raised with a location below the value (the size limits) is extended by it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sfagent.errors import SfagentError
from sfagent.rules.actions import ACTION_MODELS, ACTION_TYPES
from sfagent.rules.base import DEFAULT_LIMITS, LOCATED_ERROR, RuleLimits
from sfagent.rules.conditions import CONDITION_TAGS, ConditionGroup, ConditionLeaf
from sfagent.rules.model import Rule

Location = tuple[str | int, ...]
# Enough to fix a document by; a hostile one must not produce a megabyte of errors.
MAX_ERRORS = 100

# Pydantic's wording for the common cases, said the way the rest of the messages are;
# the placeholders are filled from the error's context.
MESSAGES = {
    "missing": "is required",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "string_type": "must be text",
    "int_type": "must be an integer",
    "bool_type": "must be true or false",
    "tuple_type": "must be a list",
    "too_short": "must have at least {min_length} item(s)",
    "string_too_short": "must be at least {min_length} character(s)",
    "string_too_long": "must be at most {max_length} characters",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "literal_error": "must be {expected}",
}


class RuleValidationError(SfagentError):
    """A rule document that cannot be used; `errors` lists each `{"path", "message"}`."""

    status_code = 422

    def __init__(self, errors: Sequence[Mapping[str, str]]) -> None:
        self.errors = [dict(error) for error in errors]
        first = self.errors[0] if self.errors else {"path": "", "message": "invalid rule"}
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        summary = f"{first['path'] or 'rule'}: {first['message']}{more}"
        super().__init__(summary, details={"errors": self.errors})


def parse_rule(document: Any, *, limits: RuleLimits = DEFAULT_LIMITS) -> Rule:
    """A validated Rule from a JSON-like document; RuleValidationError names every problem."""
    try:
        return Rule.model_validate(document, context={"limits": limits})
    except ValidationError as error:
        raise RuleValidationError(format_errors(error)) from error


def validation_errors(
    document: Any, *, limits: RuleLimits = DEFAULT_LIMITS
) -> list[dict[str, str]]:
    """Every problem in a rule document as `{"path", "message"}`; empty when it is valid."""
    try:
        parse_rule(document, limits=limits)
    except RuleValidationError as error:
        return error.errors
    return []


def format_errors(error: ValidationError) -> list[dict[str, str]]:
    """Pydantic's errors as `{"path", "message"}`, in the order found, at most MAX_ERRORS."""
    details = error.errors(include_url=False)
    shown = [_format(detail) for detail in details[:MAX_ERRORS]]
    if len(details) > MAX_ERRORS:
        more = len(details) - MAX_ERRORS
        shown.append({"path": "", "message": f"{more} more errors not shown"})
    return shown


def _format(detail: ErrorDetails) -> dict[str, str]:
    location = _document_location(tuple(detail["loc"]))
    context = detail.get("ctx") or {}
    kind = detail["type"]
    if kind == LOCATED_ERROR:
        location = (*location, *context["at"])
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        location = (*location, "type")  # only actions are told apart by a key
    elif kind == "extra_forbidden":
        return {"path": format_path(location), "message": _unknown_key(detail["loc"][:-1])}
    return {"path": format_path(location), "message": _message(kind, context, detail["msg"])}


def _message(kind: str, context: dict[str, Any], default: str) -> str:
    if kind == LOCATED_ERROR:
        return str(context["message"])
    if kind == "value_error":
        return str(context.get("error", default))
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return f"must be one of {' '.join(ACTION_TYPES)}"
    try:
        return MESSAGES[kind].format(**context)
    except KeyError:  # a type without our wording, or a context without the placeholder
        return default


def _unknown_key(owner: Location) -> str:
    """The message for an unknown key, listing the keys of the object that holds it."""
    models: dict[str, type[BaseModel]] = {
        "group": ConditionGroup,
        "leaf": ConditionLeaf,
        **ACTION_MODELS,
    }
    model = models.get(str(owner[-1]), Rule) if owner else Rule
    return f"unknown key; expected one of: {', '.join(model.model_fields)}"


def _document_location(location: Location) -> Location:
    """`location` without the union tags pydantic inserts after a condition or an action."""
    return tuple(part for index, part in enumerate(location) if not _is_union_tag(location, index))


def _is_union_tag(location: Location, index: int) -> bool:
    before = location[max(0, index - 2) : index]
    condition_slot = before == ("conditions",) or (
        len(before) == 2 and before[0] == "rules" and isinstance(before[1], int)
    )
    if condition_slot:
        return location[index] in CONDITION_TAGS
    action_slot = index == 2 and before[0] == "actions" and isinstance(before[1], int)
    return action_slot and location[index] in ACTION_TYPES


def format_path(location: Location) -> str:
    """`conditions.rules[2].operator` from `("conditions", "rules", 2, "operator")`."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.isidentifier():
            path += f".{part}" if path else part
        else:
            path += f"[{json.dumps(part)}]"
    return path
