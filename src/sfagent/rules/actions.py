"""What a fired rule asks for: escalate, notify, an SLA, a priority, tags, a route, a reply."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, StrictStr, StringConstraints, field_validator

from sfagent.rules.base import ClosedModel, at_most

Level = Literal["low", "normal", "high", "urgent"]
LEVEL_RANK: dict[str, int] = {"low": 0, "normal": 1, "high": 2, "urgent": 3}

Name = Annotated[StrictStr, StringConstraints(min_length=1, max_length=200)]
TagText = Annotated[StrictStr, StringConstraints(min_length=1, max_length=64)]

SLA_UNITS: dict[str, int] = {
    "minute": 60,
    "minutes": 60,
    "hour": 3600,
    "hours": 3600,
    "day": 86400,
    "days": 86400,
}
MAX_TAGS = 20
# A year: anything longer is a typo, not a service level.
MAX_SLA_SECONDS = 365 * 86400


def sla_seconds(target: str) -> int:
    """Seconds in an SLA target such as `15_minutes`, `2_hours` or `1_days`."""
    count, _, unit = target.partition("_")
    if not (count.isascii() and count.isdigit() and len(count) <= 6 and unit in SLA_UNITS):
        raise ValueError("must look like 15_minutes, 2_hours or 1_days")
    seconds = int(count) * SLA_UNITS[unit]
    if not 0 < seconds <= MAX_SLA_SECONDS:
        raise ValueError("must be more than zero and at most 365_days")
    return seconds


class EscalateAction(ClosedModel):
    """Hand the conversation to a human queue."""

    type: Literal["escalate"]
    priority: Level
    queue: Name
    reason: Annotated[StrictStr, StringConstraints(max_length=500)] | None = None


class NotifyAction(ClosedModel):
    """Tell someone, by email, webhook or Slack."""

    type: Literal["notify"]
    recipient: Name
    method: Literal["email", "webhook", "slack"]
    template: Name | None = None


class SlaAction(ClosedModel):
    """Set a response-time target, kept as written and read as `seconds`."""

    type: Literal["sla"]
    target: StrictStr

    @field_validator("target")
    @classmethod
    def _parses(cls, target: str) -> str:
        sla_seconds(target)
        return target

    @property
    def seconds(self) -> int:
        return sla_seconds(self.target)


class SetPriorityAction(ClosedModel):
    """Set the conversation's priority."""

    type: Literal["set_priority"]
    priority: Level


class TagAction(ClosedModel):
    """Add tags to the conversation."""

    type: Literal["tag"]
    tags: Annotated[tuple[TagText, ...], Field(min_length=1), at_most(MAX_TAGS, "tags")]


class RouteAction(ClosedModel):
    """Send the conversation to a queue without escalating it."""

    type: Literal["route"]
    queue: Name


class AutoReplyAction(ClosedModel):
    """Reply with fixed text."""

    type: Literal["auto_reply"]
    text: Annotated[StrictStr, StringConstraints(min_length=1, max_length=2000)]


Action = Annotated[
    EscalateAction
    | NotifyAction
    | SlaAction
    | SetPriorityAction
    | TagAction
    | RouteAction
    | AutoReplyAction,
    Discriminator("type"),
]
ACTION_MODELS: dict[str, type[ClosedModel]] = {
    "escalate": EscalateAction,
    "notify": NotifyAction,
    "sla": SlaAction,
    "set_priority": SetPriorityAction,
    "tag": TagAction,
    "route": RouteAction,
    "auto_reply": AutoReplyAction,
}
ACTION_TYPES: tuple[str, ...] = tuple(ACTION_MODELS)


def action_to_dict(action: ClosedModel) -> dict[str, Any]:
    """JSON-ready form of an action, optional fields left out when unset."""
    data: dict[str, Any] = action.model_dump(mode="json", exclude_none=True)
    return data
