"""Inputs that are not (whole) debug logs: a clear error, or a result that says what is missing."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfagent.diagnostics.inputs import InputRejected
from sfagent.diagnostics.logs import NotADebugLog, parse_log, parse_log_text
from sfagent.diagnostics.logs.parser import MAX_EVENT_TYPES, OTHER_EVENT_TYPES
from sfagent.diagnostics.logs.reading import MAX_LINE_CHARS, READ_CHUNK_BYTES

FIXTURES = Path(__file__).parent / "fixtures"
TEN_MEGABYTES = 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive (or an Office document)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "a gzip archive"),
        (b"59.0 APEX_CODE,DEBUG\n\x00\x01\x02\x00garbage", "binary data (it contains NUL bytes)"),
    ],
)
def test_binary_file_is_refused_as_not_a_debug_log(tmp_path: Path, head: bytes, kind: str) -> None:
    path = tmp_path / "upload.log"
    path.write_bytes(head + bytes(range(256)) * 64)
    with pytest.raises(NotADebugLog) as raised:
        parse_log(path)
    assert str(raised.value) == f"upload.log looks like {kind}, not an Apex debug log."
    assert isinstance(raised.value, InputRejected)
    assert isinstance(raised.value, ValueError)


def test_text_with_control_characters_is_refused() -> None:
    with pytest.raises(NotADebugLog, match="mostly control characters"):
        parse_log_text("\x01\x02\x03\x04\x05\x06\x07\x08" * 100)


def test_text_file_that_is_not_a_debug_log_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Meeting notes\n- renew the sandbox | ask IT\n- 12:00 lunch\n")
    with pytest.raises(NotADebugLog) as raised:
        parse_log(path)
    message = str(raised.value)
    assert message.startswith("notes.txt is not an Apex debug log")
    assert "no header line" in message and "no event lines" in message


def test_empty_inputs_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    with pytest.raises(NotADebugLog, match=r"empty\.log is empty"):
        parse_log(empty)
    with pytest.raises(NotADebugLog, match="The text is empty"):
        parse_log_text("")
    with pytest.raises(NotADebugLog, match="The input is not an Apex debug log"):
        parse_log([])


def test_large_text_that_is_not_a_log_is_refused_without_reading_it_all() -> None:
    consumed = 0

    def lines() -> Iterator[str]:
        nonlocal consumed
        for number in range(1_000_000):
            consumed += 1
            yield f"row {number}: nothing here looks like a debug log\n"

    with pytest.raises(NotADebugLog):
        parse_log(lines())
    assert consumed < 100_000


def test_invalid_utf8_is_replaced_and_the_summary_says_so(tmp_path: Path) -> None:
    path = tmp_path / "latin1.log"
    path.write_bytes(
        b"59.0 APEX_CODE,DEBUG\n"
        b"01:00:00.0 (100)|EXECUTION_STARTED\n"
        b"01:00:00.0 (150)|EXCEPTION_THROWN|[7]|System.CalloutException: Caf\xe9 down\n"
        b"01:00:00.0 (300)|EXECUTION_FINISHED\n"
    )
    analysis = parse_log(path)
    assert analysis.source.replacement_chars == 1
    assert analysis.exceptions_thrown[0].message == "Caf\ufffd down"
    assert "1 character could not be decoded as utf-8 and was replaced" in analysis.summary


def test_ten_megabyte_single_line_of_junk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "one_line.log"
    path.write_bytes(b"z" * TEN_MEGABYTES)
    with pytest.raises(NotADebugLog, match="not an Apex debug log"):
        parse_log(path)


def test_ten_megabyte_event_line_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "huge_debug.log"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("62.0 APEX_CODE,DEBUG\n01:00:00.0 (100)|EXECUTION_STARTED\n")
        handle.write("01:00:00.0 (200)|USER_DEBUG|[4]|DEBUG|" + "{" * TEN_MEGABYTES + "\n")
        handle.write("01:00:00.0 (300)|EXECUTION_FINISHED")  # no final line end
    analysis = parse_log(path)
    assert analysis.source.overlong_lines == 1
    assert analysis.source.line_count == 4
    assert analysis.source.size_bytes == path.stat().st_size
    assert analysis.event_counts["USER_DEBUG"] == 1
    assert analysis.last_ns == 300
    assert not analysis.partial
    assert "One very long line was cut" in analysis.summary


def test_memory_does_not_grow_with_the_length_of_a_line(tmp_path: Path) -> None:
    path = tmp_path / "huge_line.log"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("62.0 APEX_CODE,DEBUG\n01:00:00.0 (200)|USER_DEBUG|[4]|DEBUG|")
        handle.write("}" * (3 * TEN_MEGABYTES))
    tracemalloc.start()
    try:
        analysis = parse_log(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A few read chunks at most, for a line of 30 MiB.
    assert peak < 8 * READ_CHUNK_BYTES
    assert analysis.source.overlong_lines == 1


def test_single_line_log_without_line_end_is_read() -> None:
    analysis = parse_log_text("01:00:00.0 (5)|USER_DEBUG|[1]|DEBUG|" + "x" * (2 * MAX_LINE_CHARS))
    assert analysis.event_counts == {"USER_DEBUG": 1}
    assert analysis.source.overlong_lines == 1
    assert "no header line" in analysis.summary


def test_log_cut_in_the_middle_of_a_line_is_partial(tmp_path: Path) -> None:
    data = (FIXTURES / "trigger_soql_loop_fatal.log").read_bytes()
    path = tmp_path / "cut.log"
    path.write_bytes(data[: len(data) // 2])  # ends inside a SOQL line
    analysis = parse_log(path)
    assert analysis.partial and not analysis.truncated_marker
    assert analysis.open_at_end == 4  # transaction, trigger, method, query
    assert analysis.fatal_errors == ()
    assert "The log is incomplete: it ends while 4 operations were still running" in (
        analysis.summary
    )


def test_log_cut_inside_the_fatal_stack_trace_keeps_the_error(tmp_path: Path) -> None:
    text = (FIXTURES / "trigger_soql_loop_fatal.log").read_text(encoding="utf-8")
    cut = text[: text.index("Trigger.ContactTrigger: line 4")]
    analysis = parse_log_text(cut)
    [fatal] = analysis.fatal_errors
    assert fatal.message == "Too many SOQL queries: 101"
    assert fatal.stack == ("Class.ContactRollup.recalculate: line 18, column 1",)
    assert analysis.partial
    assert "incomplete" in analysis.summary


def test_endless_new_event_types_are_counted_together() -> None:
    lines = [f"01:00:00.0 ({n})|TYPE_{n}|x" for n in range(MAX_EVENT_TYPES + 50)]
    analysis = parse_log(["62.0 APEX_CODE,FINEST", *lines])
    assert len(analysis.event_counts) == MAX_EVENT_TYPES + 1
    assert analysis.event_counts[OTHER_EVENT_TYPES] == 50
    assert analysis.timestamped_lines == len(lines)
