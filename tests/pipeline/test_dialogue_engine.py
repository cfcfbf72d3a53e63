"""The dialogue engine: state moves, memory, topic shifts, confirmations and ratings."""

from __future__ import annotations

import pytest

from sfagent.pipeline.confirmation import Confirmation, read_confirmation, read_rating
from sfagent.pipeline.context_stack import (
    MessageReading,
    ShiftKind,
    detect_shift,
    refers_to_earlier,
    says_beginner,
    slot_values,
)
from sfagent.pipeline.dialogue import (
    ALLOWED_MOVES,
    DialogueMemory,
    DialogueState,
    InvalidDialogueMove,
    Topic,
    plan_moves,
)
from sfagent.pipeline.policy import sentiment_declining

D = DialogueState


def test_a_fix_moves_through_processing_to_awaiting_confirmation() -> None:
    moves = plan_moves(
        D.INITIALIZATION,
        [(D.PROCESSING, "work"), (D.SOLUTION_PROVIDED, "answered"), (D.AWAITING_CONFIRMATION, "q")],
    )
    assert [(m.from_state, m.to_state) for m in moves] == [
        (D.INITIALIZATION, D.PROCESSING),
        (D.PROCESSING, D.SOLUTION_PROVIDED),
        (D.SOLUTION_PROVIDED, D.AWAITING_CONFIRMATION),
    ]
    assert moves[1].reason == "answered"


def test_a_forbidden_move_names_the_states_and_what_is_allowed() -> None:
    with pytest.raises(InvalidDialogueMove) as raised:
        plan_moves(D.INITIALIZATION, [(D.RESOLVED, "nothing was solved")])
    message = str(raised.value)
    assert "initialization to resolved" in message and "processing" in message


def test_a_step_to_the_current_state_is_no_move() -> None:
    assert plan_moves(D.RESOLVED, [(D.RESOLVED, "again")]) == []


def test_every_state_is_reachable_and_only_processing_reaches_an_answer() -> None:
    reachable = {target for targets in ALLOWED_MOVES.values() for target in targets}
    assert reachable | {D.INITIALIZATION} == set(DialogueState)
    into_answer = [s for s, targets in ALLOWED_MOVES.items() if D.SOLUTION_PROVIDED in targets]
    assert into_answer == [D.PROCESSING]


def test_memory_survives_a_round_trip_and_ignores_unknown_keys() -> None:
    memory = DialogueMemory(state=D.GATHERING_CONTEXT, slots={"api_version": "59.0"})
    memory.push(Topic(key="data_export", category="data_import_export", asked="error"))
    memory.feel(-0.4, "frustration")
    data = memory.to_json()
    data["from_a_newer_version"] = True
    data["topics"][0]["also_new"] = 1
    loaded = DialogueMemory.from_json(data, context={})
    assert loaded.state is D.GATHERING_CONTEXT
    assert loaded.topic is not None and loaded.topic.asked == "error"
    assert loaded.sentiments == [-0.4] and loaded.emotions == ["frustration"]


def test_new_memory_is_seeded_from_the_conversation_context() -> None:
    memory = DialogueMemory.from_json(
        None, context={"api_version": "60.0", "org_id": "00D5g000004XyZ1EAK", "flag": True}
    )
    assert memory.slots == {"api_version": "60.0", "org_id": "00D5g000004XyZ1EAK"}
    assert memory.state is D.INITIALIZATION


def test_the_topic_stack_is_bounded() -> None:
    memory = DialogueMemory()
    for number in range(8):
        memory.push(Topic(key=f"topic_{number}"))
    assert [t.key for t in memory.topics] == [f"topic_{n}" for n in range(3, 8)]


def _reading(text: str, intent: str | None, category: str | None, *, problem: bool = True):
    return MessageReading(text, intent, 0.95, category, problem)


def _memory_with(*topics: Topic) -> DialogueMemory:
    memory = DialogueMemory()
    for topic in topics:
        memory.push(topic)
    return memory


EXPORT = Topic(key="data_export", category="data_import_export", state="gathering_context")


def test_first_problem_opens_a_topic_and_small_talk_does_not() -> None:
    empty = DialogueMemory()
    assert detect_shift(_reading("export fails", "data_export", "x"), empty).kind is ShiftKind.NEW
    hello = _reading("hello", "greeting", "other", problem=False)
    assert detect_shift(hello, empty).kind is ShiftKind.CONTINUE


def test_wait_first_my_password_switches_topic() -> None:
    memory = _memory_with(Topic(**{**EXPORT.__dict__, "asked": "error"}))
    reading = _reading("wait, first my password", "password_reset", "authentication_login")
    assert detect_shift(reading, memory).kind is ShiftKind.SWITCH


def test_an_answer_to_our_question_stays_on_the_topic() -> None:
    memory = _memory_with(Topic(**{**EXPORT.__dict__, "asked": "error"}))
    reading = _reading("I can't log in to Data Loader", "password_reset", "authentication_login")
    assert detect_shift(reading, memory).kind is ShiftKind.CONTINUE


def test_back_to_the_export_returns_to_the_earlier_topic() -> None:
    password = Topic(key="password_reset", category="authentication_login")
    memory = _memory_with(EXPORT, password)
    shift = detect_shift(_reading("ok, back to the export", "data_export", "x"), memory)
    assert shift.kind is ShiftKind.RETURN and shift.index == 0


def test_back_to_names_a_topic_by_its_words_when_the_intent_differs() -> None:
    flows = Topic(key="flow_failure", category="flow_automation", texts=["my approval flow"])
    memory = _memory_with(flows, Topic(key="password_reset", category="authentication_login"))
    shift = detect_shift(_reading("back to the approval flow", "oos", None), memory)
    assert shift.kind is ShiftKind.RETURN and shift.index == 0


def test_a_new_problem_after_a_resolved_one_is_a_new_topic() -> None:
    memory = _memory_with(Topic(key="password_reset", category="x", state="resolved"))
    reading = _reading("my report is empty", "reports_dashboards", "reports_dashboards")
    assert detect_shift(reading, memory).kind is ShiftKind.NEW


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes that fixed it, thanks", Confirmation.WORKED),
        ("it worked!", Confirmation.WORKED),
        ("works now", Confirmation.WORKED),
        ("no, still failing", Confirmation.FAILED),
        ("didn't help", Confirmation.FAILED),
        ("not fixed yet", Confirmation.FAILED),
        ("Still getting the same error", Confirmation.FAILED),
        ("how do I schedule a report?", None),
    ],
)
def test_answers_to_did_this_fix_it(text: str, expected: Confirmation | None) -> None:
    assert read_confirmation(text, None, 0.0) is expected


def test_a_confident_thanks_or_deny_intent_answers_the_question() -> None:
    assert read_confirmation("cheers mate", "thanks", 0.9) is Confirmation.WORKED
    assert read_confirmation("hmm nah", "deny", 0.9) is Confirmation.FAILED
    assert read_confirmation("cheers mate", "thanks", 0.3) is None


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("5", 5),
        ("4 - quick answer", 4),
        ("4/5", 4),
        ("I'd give it 3 stars", 3),
        ("five stars", 5),
        ("1.5", None),
        ("500 error again", None),
        ("6", None),
        ("the export fails", None),
    ],
)
def test_ratings(text: str, score: int | None) -> None:
    assert read_rating(text) == score


@pytest.mark.parametrize(
    "text",
    [
        "the error I pasted above",
        "same error as before",
        "that error again",
        "the log from earlier",
    ],
)
def test_references_to_earlier_turns(text: str) -> None:
    assert refers_to_earlier(text)


def test_an_ordinary_error_report_is_no_reference() -> None:
    assert not refers_to_earlier("I get an error when I save the record")


def test_an_org_id_fills_the_org_slot_not_the_record_slot() -> None:
    slots = slot_values({"RECORD_ID": ["00D5g000004XyZ1EAK", "0015g00000AbCdEAAA"]})
    assert slots == {"org_id": "00D5g000004XyZ1EAK", "record_id": "0015g00000AbCdEAAA"}


def test_a_self_described_beginner_is_recognised() -> None:
    assert says_beginner("I'm new to Salesforce and not a developer")
    assert not says_beginner("I'm getting a new error")


def test_sentiment_declining_needs_a_steady_fall_into_negative() -> None:
    assert sentiment_declining([0.1, -0.2, -0.5])
    assert not sentiment_declining([-0.5, -0.2, -0.6])  # not steady
    assert not sentiment_declining([0.6, 0.4, 0.2])  # still positive
    assert not sentiment_declining([-0.5])


def test_spiralling_needs_a_steady_fall_ending_strongly_negative() -> None:
    from sfagent.pipeline.policy import spiralling

    assert spiralling([-0.2, -0.5, -0.8])
    assert not spiralling([-0.2, -0.3, -0.5])  # declining, but not that low yet
    assert not spiralling([-0.8, -0.5, -0.9])  # not steady
