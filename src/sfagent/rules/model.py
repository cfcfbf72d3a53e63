"""A business rule: when its conditions hold for a turn's facts, its actions apply."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from sfagent.rules.actions import Action
from sfagent.rules.base import ClosedModel, at_most, limits_of
from sfagent.rules.conditions import Condition, check_size

ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
MAX_ACTIONS = 50


class Rule(ClosedModel):
    """One rule. Rules run highest `priority` first; equal priorities run in `id` order."""

    id: StrictStr
    name: Annotated[StrictStr, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[StrictStr, StringConstraints(max_length=2000)] | None = None
    priority: Annotated[StrictInt, Field(ge=-1_000_000, le=1_000_000)] = 0
    enabled: StrictBool = True
    # After this rule fires, no lower rule runs: for rules that settle a case on their own.
    stop_processing: StrictBool = False
    version: Annotated[StrictInt, Field(ge=1)] = 1
    conditions: Condition
    # Empty is allowed: a rule that only stops processing is a deliberate "leave it alone".
    actions: Annotated[tuple[Action, ...], at_most(MAX_ACTIONS, "actions")] = ()

    @field_validator("id")
    @classmethod
    def _id_format(cls, rule_id: str) -> str:
        if not 1 <= len(rule_id) <= 64 or not set(rule_id) <= ID_CHARACTERS:
            raise ValueError("must be 1 to 64 letters, digits, '-' or '_'")
        return rule_id

    @field_validator("conditions", mode="before")
    @classmethod
    def _bounded(cls, conditions: Any, info: ValidationInfo) -> Any:
        check_size(conditions, limits_of(info))
        return conditions

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; `parse_rule(rule.to_dict()) == rule`."""
        data: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        return data
