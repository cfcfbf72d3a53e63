"""Conversation states and the transitions allowed between them."""

from __future__ import annotations

import enum

from sfagent.errors import Conflict


class ConversationStatus(enum.StrEnum):
    ACTIVE = "active"  # the assistant is handling it
    WAITING = "waiting"  # waiting on the customer's reply
    ESCALATED = "escalated"  # handed to people
    RESOLVED = "resolved"  # the problem is solved; a new message reopens it
    ABANDONED = "abandoned"  # the customer went quiet past the tenant's timeout
    CLOSED = "closed"  # ended for good; no more messages


S = ConversationStatus
ALLOWED_TRANSITIONS: dict[ConversationStatus, frozenset[ConversationStatus]] = {
    S.ACTIVE: frozenset({S.WAITING, S.ESCALATED, S.RESOLVED, S.ABANDONED, S.CLOSED}),
    S.WAITING: frozenset({S.ACTIVE, S.ESCALATED, S.RESOLVED, S.ABANDONED, S.CLOSED}),
    S.ESCALATED: frozenset({S.ACTIVE, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.ACTIVE, S.CLOSED}),
    S.ABANDONED: frozenset({S.ACTIVE, S.CLOSED}),
    S.CLOSED: frozenset(),
}
OPEN_STATUSES = frozenset({S.ACTIVE, S.WAITING, S.ESCALATED})
# Past the tenant's retention, only finished conversations are deleted; open ones stay.
FINISHED_STATUSES = frozenset({S.RESOLVED, S.ABANDONED, S.CLOSED})
# Only conversations the assistant is waiting on are swept; people own escalated ones.
SWEEPABLE_STATUSES = frozenset({S.ACTIVE, S.WAITING})


class InvalidTransition(Conflict):
    def __init__(self, current: ConversationStatus, target: ConversationStatus) -> None:
        allowed = sorted(status.value for status in ALLOWED_TRANSITIONS[current])
        super().__init__(
            f"conversation is {current.value}; it cannot become {target.value}",
            details={"status": current.value, "requested": target.value, "allowed": allowed},
        )


def check_transition(current: ConversationStatus, target: ConversationStatus) -> None:
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(current, target)


def accepts_messages(status: ConversationStatus) -> bool:
    return status is not S.CLOSED
