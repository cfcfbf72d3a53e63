"""The recall stage: read the message against the conversation's memory.

It loads what the assistant remembers (slots, the topic stack, the sentiment trajectory),
decides which topic the message belongs to, fills slots from its entities, resolves
references to earlier turns ("the error I pasted above"), recognises answers to the
assistant's own questions (did the fix work, the rating), and sets the working text that
diagnose and retrieve read: everything the user has said about the current topic.
"""

from __future__ import annotations

from sfagent.conversations.repository import MessageRepository
from sfagent.pipeline.confirmation import read_confirmation, read_rating
from sfagent.pipeline.context_stack import (
    MessageReading,
    ShiftKind,
    detect_shift,
    names_area,
    refers_to_earlier,
    says_beginner,
    slot_values,
    topic_has_area,
)
from sfagent.pipeline.dialogue import (
    CONVERSATION_SLOTS,
    DialogueMemory,
    DialogueState,
    Topic,
    memory_of,
)
from sfagent.pipeline.turn import PipelineContext, Turn
from sfagent.responder import composer_phrases as phrases

# Where the assistant asked "did this fix it?" and waits for the answer.
CONFIRMING_STATES = frozenset(
    {DialogueState.SOLUTION_PROVIDED, DialogueState.AWAITING_CONFIRMATION}
)
# What diagnose and retrieve read at most: the topic's messages, newest kept.
WORKING_TEXT_CHARS = 20_000


async def recall(turn: Turn, ctx: PipelineContext) -> None:
    """Place the message in the conversation's memory; set the text the later stages read."""
    conversation = ctx.conversation
    memory = memory_of(
        conversation.dialogue, conversation.context or {}, conversation.dialogue_state
    )
    turn.memory = memory
    memory.feel(turn.sentiment, turn.emotion)
    if memory.awaiting_csat:
        turn.rating = read_rating(turn.content)
        memory.awaiting_csat = False
        if turn.rating is not None:
            return
    reading = _reading(turn)
    if memory.state in CONFIRMING_STATES:
        turn.confirmation = read_confirmation(turn.content, turn.intent, turn.confidence or 0.0)
    earlier = list(memory.topic.texts) if memory.topic else []
    _place(turn, memory, reading, sequence=conversation.message_count + 1)
    topic = memory.topic
    turn.added_detail = _fill_slots(turn, memory, topic)
    if topic is not None:
        if turn.shift is not None and turn.shift.kind is ShiftKind.RETURN:
            earlier = list(topic.texts)
        elif topic.asked is not None and not turn.added_detail:
            topic.failed_clarifications += 1  # the answer to our question told nothing new
        topic.remember(turn.content)
    referenced = await _referenced_text(turn, ctx, memory)
    turn.working_text = _working_text(turn, memory, earlier, referenced)


def _reading(turn: Turn) -> MessageReading:
    spec = turn.understanding.spec if turn.understanding is not None else None
    problem = spec is not None and spec.group != "DIALOGUE" and spec.name != "oos"
    return MessageReading(
        text=turn.content,
        intent=turn.intent,
        confidence=turn.confidence or 0.0,
        category=spec.category if spec is not None else turn.category,
        problem=problem,
    )


def _place(turn: Turn, memory: DialogueMemory, reading: MessageReading, *, sequence: int) -> None:
    """Continue, open, switch or return to a topic; say so when it changes."""
    shift = detect_shift(reading, memory)
    if turn.confirmation is not None and shift.kind is not ShiftKind.RETURN:
        shift = type(shift)(ShiftKind.CONTINUE)  # an answer to "did it work?" stays on topic
    turn.shift = shift
    current = memory.topic
    if shift.kind is ShiftKind.RETURN and shift.index is not None:
        topic = memory.bring_to_top(shift.index)
        turn.lead = phrases.BACK_TO_TOPIC.format(topic=topic.label)
    elif shift.kind in (ShiftKind.NEW, ShiftKind.SWITCH):
        if shift.kind is ShiftKind.NEW and current is not None:
            memory.drop_current()  # settled: nothing to come back to
        memory.push(_new_topic(reading, sequence))
        if shift.kind is ShiftKind.SWITCH and current is not None:
            turn.lead = phrases.SWITCHED_TOPIC.format(
                topic=memory.topics[-1].label, previous=current.label
            )
    elif current is not None and not topic_has_area(current) and names_area(reading):
        current.key, current.category = reading.intent, reading.category  # the area, now named


def _new_topic(reading: MessageReading, sequence: int) -> Topic:
    return Topic(
        key=reading.intent if reading.problem else None,
        category=reading.category if reading.problem else None,
        opened_at=sequence,
    )


def _fill_slots(turn: Turn, memory: DialogueMemory, topic: Topic | None) -> bool:
    """Put the message's entities in the conversation's and the topic's slots; True when
    the message told something new (a slot, or the topic's area)."""
    by_type = turn.entities.get("by_type", {}) if turn.entities else {}
    added = False
    for slot, value in slot_values(by_type).items():
        holder = memory.slots if slot in CONVERSATION_SLOTS or topic is None else topic.slots
        if holder.get(slot) != value:
            holder[slot] = value
            added = True
    if says_beginner(turn.content):
        memory.slots["technical_level"] = "beginner"
    elif _pastes_code(turn):
        memory.slots["technical_level"] = "expert"
    if topic is not None and topic.asked == "feature" and topic_has_area(topic):
        added = True  # the answer to "which feature?" named the area
    return added


def _pastes_code(turn: Turn) -> bool:
    by_type = turn.entities.get("by_type", {}) if turn.entities else {}
    return bool(by_type.get("CODE"))


async def _referenced_text(turn: Turn, ctx: PipelineContext, memory: DialogueMemory) -> list[str]:
    """The earlier message the user points at ("the error I pasted above"), if any."""
    sequence = memory.last_artifact_sequence
    if sequence is None or not refers_to_earlier(turn.content):
        return []
    repository = MessageRepository(ctx.session, ctx.conversation.organization_id)
    message = await repository.at_sequence(ctx.conversation.id, sequence)
    if message is None:
        return []
    turn.referenced_sequence = sequence
    return [message.content]


def _working_text(
    turn: Turn, memory: DialogueMemory, earlier: list[str], referenced: list[str]
) -> str:
    """The message, after what the user already said about its topic when it continues an
    open question or comes back to it, and after the message a reference points at."""
    topic = memory.topic
    shift = turn.shift.kind if turn.shift else ShiftKind.CONTINUE
    carries_on = topic is not None and (
        shift is ShiftKind.RETURN
        or (
            DialogueState(topic.state)
            in (
                DialogueState.GATHERING_CONTEXT,
                DialogueState.CLARIFICATION_NEEDED,
                DialogueState.AWAITING_CONFIRMATION,
            )
            and shift is ShiftKind.CONTINUE
        )
    )
    pieces = list(dict.fromkeys([*(earlier if carries_on else []), *referenced]))
    if not pieces:
        return turn.content
    text = "\n\n".join([*pieces, turn.content])
    return text[-WORKING_TEXT_CHARS:]
