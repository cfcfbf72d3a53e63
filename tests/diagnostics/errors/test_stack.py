"""Apex stack trace frames and the frame that is most likely the user's own code."""

from __future__ import annotations

from sfagent.diagnostics.errors import parse_stack_trace


def test_class_trigger_and_anonymous_frames_are_parsed() -> None:
    frames = parse_stack_trace(
        "Class.AccountTriggerHandler.handle: line 42, column 1\n"
        "Trigger.AccountTrigger: line 3, column 1\n"
        "AnonymousBlock: line 1, column 1"
    )
    assert [(f.kind, f.name, f.method, f.line, f.column) for f in frames] == [
        ("class", "AccountTriggerHandler", "handle", 42, 1),
        ("trigger", "AccountTrigger", None, 3, 1),
        ("anonymous", "AnonymousBlock", None, 1, 1),
    ]


def test_first_org_frame_of_a_trace_is_its_origin() -> None:
    frames = parse_stack_trace(
        "(System Code)\nClass.OrderService.run: line 9, column 1\nTrigger.OrderTrigger: line 2"
    )
    assert [f.kind for f in frames] == ["system", "class", "trigger"]
    assert [f.origin for f in frames] == [False, True, False]


def test_inner_classes_constructors_and_missing_columns() -> None:
    frames = parse_stack_trace(
        "Class.Outer.Inner.compute: line 5, column 12\nClass.Outer.<init>: line 2\n"
    )
    assert [(f.name, f.method, f.column) for f in frames] == [
        ("Outer.Inner", "compute", 12),
        ("Outer", "<init>", None),
    ]


def test_namespaced_trigger_names_its_namespace() -> None:
    (frame,) = parse_stack_trace("Trigger.acme.InvoiceTrigger: line 8, column 1")
    assert (frame.namespace, frame.name, frame.managed) == ("acme", "InvoiceTrigger", False)


def test_known_managed_namespaces_mark_frames_and_skip_them_as_origin() -> None:
    frames = parse_stack_trace(
        "Class.acme.Billing.charge: line 77, column 1\n"
        "Class.CheckoutController.pay: line 15, column 1",
        managed_namespaces={"acme"},
    )
    assert [(f.namespace, f.name, f.managed, f.origin) for f in frames] == [
        ("acme", "Billing", True, False),
        (None, "CheckoutController", False, True),
    ]


def test_separate_traces_get_separate_numbers_and_origins() -> None:
    frames = parse_stack_trace(
        "System.QueryException: List has no rows\nClass.A.first: line 1, column 1\n\n"
        "Some other text between the two traces\n"
        "System.NullPointerException: Attempt to de-reference a null object\n"
        "Class.B.second: line 2, column 1\nClass.C.third: line 3, column 1"
    )
    assert [f.trace for f in frames] == [0, 1, 1]
    assert [f.origin for f in frames] == [True, True, False]


def test_json_escaped_stack_traces_are_split_into_frames() -> None:
    text = (
        '"stackTrace":"Class.AccountServiceTest.testCreate: line 31, column 1'
        '\\nClass.AccountService.create: line 9, column 1"'
    )
    frames = parse_stack_trace(text)
    assert [(f.name, f.line) for f in frames] == [("AccountServiceTest", 31), ("AccountService", 9)]
    assert frames[0].trace == frames[1].trace


def test_frame_offsets_point_at_the_frame_text() -> None:
    text = "prefix text Class.A.b: line 4, column 2 suffix"
    (frame,) = parse_stack_trace(text)
    assert text[frame.start : frame.start + len(frame.text)] == frame.text


def test_prose_mentioning_classes_is_not_a_frame() -> None:
    assert parse_stack_trace("The Class.forName call and line 4 of my Trigger are fine") == []


def test_frames_serialise() -> None:
    (frame,) = parse_stack_trace("Class.A.b: line 4, column 2")
    assert frame.to_dict()["line"] == 4 and frame.to_dict()["origin"] is True
