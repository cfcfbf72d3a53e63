"""One decision from the actions of every fired rule, in the order the rules fired.

Where actions disagree the stricter one wins (the higher priority, the shorter SLA), because
a lower rule that merely also matched must not soften what a more important rule asked for;
for a queue or a reply, which cannot be merged, the first fired rule wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sfagent.rules.actions import (
    LEVEL_RANK,
    Action,
    AutoReplyAction,
    EscalateAction,
    NotifyAction,
    RouteAction,
    SetPriorityAction,
    SlaAction,
    TagAction,
    action_to_dict,
)

ActionT = TypeVar("ActionT")


@dataclass(frozen=True, slots=True)
class Decision:
    """What the fired rules ask of the turn, merged."""

    escalate: bool = False
    escalation_queue: str | None = None
    escalation_reason: str | None = None
    priority: str | None = None
    sla_target: str | None = None
    sla_seconds: int | None = None
    tags: tuple[str, ...] = ()
    notifications: tuple[NotifyAction, ...] = ()
    route_queue: str | None = None
    auto_reply: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "escalate": self.escalate,
            "escalation_queue": self.escalation_queue,
            "escalation_reason": self.escalation_reason,
            "priority": self.priority,
            "sla_target": self.sla_target,
            "sla_seconds": self.sla_seconds,
            "tags": list(self.tags),
            "notifications": [action_to_dict(action) for action in self.notifications],
            "route_queue": self.route_queue,
            "auto_reply": self.auto_reply,
        }


def merge_actions(actions: Iterable[Action]) -> Decision:
    """The decision the actions add up to; `actions` in the order their rules fired."""
    actions = list(actions)
    escalation = _strongest(_of(actions, EscalateAction))
    sla = min(_of(actions, SlaAction), key=lambda action: action.seconds, default=None)
    route = next(iter(_of(actions, RouteAction)), None)
    reply = next(iter(_of(actions, AutoReplyAction)), None)
    tags = (tag for action in _of(actions, TagAction) for tag in action.tags)
    return Decision(
        escalate=escalation is not None,
        escalation_queue=escalation.queue if escalation else None,
        escalation_reason=escalation.reason if escalation else None,
        priority=_highest_level(actions),
        sla_target=sla.target if sla else None,
        sla_seconds=sla.seconds if sla else None,
        tags=tuple(dict.fromkeys(tags)),
        notifications=tuple(dict.fromkeys(_of(actions, NotifyAction))),
        route_queue=route.queue if route else None,
        auto_reply=reply.text if reply else None,
    )


def _of(actions: Sequence[Action], kind: type[ActionT]) -> list[ActionT]:
    return [action for action in actions if isinstance(action, kind)]


def _strongest(escalations: list[EscalateAction]) -> EscalateAction | None:
    # max() keeps the first of equal priorities: the rule that ran first.
    return max(escalations, key=lambda action: LEVEL_RANK[action.priority], default=None)


def _highest_level(actions: Sequence[Action]) -> str | None:
    levels = [
        action.priority
        for action in actions
        if isinstance(action, SetPriorityAction | EscalateAction)
    ]
    return max(levels, key=LEVEL_RANK.__getitem__, default=None)
