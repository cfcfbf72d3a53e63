"""What a decided turn does to the dialogue: the state moves it makes (each validated and
recorded with its reason) and what the memory keeps for the next turn."""

from __future__ import annotations

from sfagent.pipeline.dialogue import DialogueMove, DialogueState, plan_moves
from sfagent.pipeline.turn import Action, Turn

D = DialogueState
WORKING = (D.PROCESSING, "a message to work on")


def turn_moves(turn: Turn) -> list[DialogueMove]:
    """The validated moves from the stored state to where this turn leaves the dialogue."""
    current = turn.memory.state if turn.memory is not None else D.INITIALIZATION
    return plan_moves(current, _steps(turn, current))


def _steps(turn: Turn, current: DialogueState) -> list[tuple[DialogueState, str]]:
    reason = turn.decision_reason or (turn.action.value if turn.action else "no action")
    if turn.action is Action.CONFIRM:
        return [] if turn.rating is not None else [WORKING, (D.RESOLVED, reason)]
    if turn.action is Action.ANSWER:
        if turn.composed is None and turn.model_used != "rules":
            return []  # small talk moves nothing
        steps = [WORKING, (D.SOLUTION_PROVIDED, reason)]
        if turn.composed is not None:
            steps.append((D.AWAITING_CONFIRMATION, "asked whether the fix worked"))
        return steps
    if turn.action is Action.CLARIFY:
        target = D.CLARIFICATION_NEEDED if turn.asked == "feature" else D.GATHERING_CONTEXT
        return [WORKING, (target, reason)]
    if turn.action is Action.ESCALATE and current is not D.ESCALATION_REQUIRED:
        return [WORKING, (D.ESCALATION_REQUIRED, reason)]
    return []


def remember_outcome(turn: Turn, state: DialogueState, *, sequence: int) -> None:
    """Keep what the next turn needs: the topic's state, what was asked and offered, whether
    a rating is awaited, the last message that pasted an error or code."""
    memory = turn.memory
    if memory is None:
        return
    memory.state = state
    topic = memory.topic
    if topic is not None:
        topic.state = state.value
        topic.asked = turn.asked if turn.action is Action.CLARIFY else None
        if turn.action is Action.CLARIFY:
            topic.clarifications += 1
        if turn.action is Action.ANSWER and turn.composed is not None:
            # The fix given is the cause and the first article; the rest were further
            # reading, still worth offering when the fix does not work.
            offered = [citation["article_id"] for citation in turn.citations[:1]]
            cause = cause_key(turn)
            if cause is not None:
                offered.append(cause)
            topic.offered.extend(item for item in offered if item not in topic.offered)
    if turn.action is Action.CONFIRM and turn.rating is None:
        memory.awaiting_csat = True
        memory.drop_current()  # settled; an earlier open topic is current again
    if _pastes_something(turn):
        memory.last_artifact_sequence = sequence


def cause_key(turn: Turn) -> str | None:
    """How an offered diagnosis is remembered on its topic."""
    primary = turn.diagnosis.primary if turn.diagnosis is not None else None
    return f"cause:{primary.title}" if primary is not None else None


def _pastes_something(turn: Turn) -> bool:
    by_type = turn.entities.get("by_type", {}) if turn.entities else {}
    if by_type.get("ERROR") or by_type.get("CODE"):
        return True
    own_text = turn.working_text in (None, turn.content)
    return own_text and turn.diagnosis is not None and bool(turn.diagnosis.artifacts)
